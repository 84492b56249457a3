// The SQL Server session store (the sqlServer argument group): Amazon RDS for SQL Server in the farm's
// private subnets, the nodes' login in a secret of its own, and a setup instance that creates the
// session database once. Sessions then survive a node, the store's restart and, with Multi-AZ, an
// AZ. Its security group starts with no inbound rule; the web nodes let themselves in on 1433
// through its connections. store.ts makes it the farm's session store.
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ec2 from "@pulumi/aws/ec2";
import * as rds from "@pulumi/aws/rds";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SQL_SERVER_EDITIONS, SqlServerEdition } from "../../args/args";
import { FarmInstance, farmInstance, instanceRole } from "../../aws/instance";
import { MachineImage } from "../../image/machineImage";
import {
  Account,
  bootStatusStatement,
  observabilityStatements,
  readSecretStatement,
  sessionManagerStatement,
} from "../../aws/iam/policies";
import { allowBetweenGroups, allowOutbound, Connections, securityGroup } from "../../aws/securityGroups";
import { nameTags, Tags } from "../../aws/tags";
import { declareWait } from "../../aws/waits";
import { BOOT_TAG } from "../../windows/boot";
import { rdsTrustBundleUrl, SESSION_DATABASE, SESSION_LOGIN, sessionSetupUserData } from "./windows/sqlSession";

export const SQL_PORT = 1433;
/** The RDS master user: for the setup (and a DBA), never for the nodes. RDS keeps its password. */
export const MASTER_USER = "webfarm_admin";
/** Below this free storage the store is about to stop taking sessions. */
const LOW_STORAGE_BYTES = 2 * 1024 ** 3;

export interface SqlSessionStoreArgs {
  farmName: string;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  edition: SqlServerEdition;
  instanceClass: string;
  multiAz: boolean;
  storageGb: number;
  backupRetentionDays: number;
  /** The daily backup window (hh24:mi-hh24:mi, UTC), apart from maintenanceWindow. */
  backupWindow: string;
  /** The weekly window in which RDS patches the instance (ddd:hh24:mi-ddd:hh24:mi, UTC). */
  maintenanceWindow: string;
  /** Deletion protection, and a final snapshot when the store is deleted anyway. */
  deletionProtection: boolean;
  /** The Secrets Manager name of the nodes' login. */
  secretName: string;
  /** The setup instance: its image, boot values and observability, as the other instances have. */
  setup: {
    image: MachineImage;
    boot: pulumi.Input<{ region: string; dnsSuffix: string; cloudWatchConfigParameter: string }>;
    observability: { agentConfigParameter: string; logGroups: string[]; namespace: string };
    bootAfter: pulumi.Resource[];
  };
  account: pulumi.Input<Account>;
  alarmTopicArn?: pulumi.Input<string>;
  tags: Tags;
}

export class SqlSessionStore extends pulumi.ComponentResource {
  public readonly securityGroup: ec2.SecurityGroup;
  /** The web nodes reach it on 1433. */
  public readonly connections: Connections;
  public readonly database: rds.Instance;
  /** The nodes' login (host, port, dbname, username, password): its ARN and name. */
  public readonly secretArn: pulumi.Output<string>;
  public readonly secretName: pulumi.Output<string>;
  /** Where the nodes connect: the RDS endpoint's address. */
  public readonly address: pulumi.Output<string>;
  /** The nodes' connection string, password included (a secret). */
  public readonly connection: pulumi.Output<{ host: string; port: number; password: string }>;
  public readonly setupInstance: FarmInstance;

  constructor(name: string, args: SqlSessionStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:SqlSessionStore", name, {}, opts);
    const parent = { parent: this };

    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm session database", args.tags, parent);
    this.connections = new Connections(this.securityGroup, "sessions", "the session database", {
      port: SQL_PORT,
      what: "SQL Server session state",
    });
    const subnets = new rds.SubnetGroup(
      `${name}-subnets`,
      {
        subnetIds: args.subnetIds,
        description: "aspnet-webfarm session database: the farm's private subnets",
        tags: nameTags(args.tags, `${name}-subnets`),
      },
      parent,
    );
    this.database = new rds.Instance(
      `${name}-db`,
      {
        identifierPrefix: `${args.farmName.toLowerCase()}-sessions-`,
        engine: SQL_SERVER_EDITIONS[args.edition],
        licenseModel: "license-included",
        instanceClass: args.instanceClass,
        multiAz: args.multiAz,
        allocatedStorage: args.storageGb,
        storageType: "gp3",
        storageEncrypted: true,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        publiclyAccessible: false,
        port: SQL_PORT,
        username: MASTER_USER,
        // RDS generates and rotates the master password in Secrets Manager: never in Pulumi's state.
        manageMasterUserPassword: true,
        backupRetentionPeriod: args.backupRetentionDays,
        // The windows the user set, not RDS's random 30 minutes of an 8-hour block on a random day
        // (CreateDBInstance: PreferredMaintenanceWindow, PreferredBackupWindow). No state server here,
        // so no patch window of the kit's: RDS patches the OS and SQL Server in maintenanceWindow.
        // What users notice (RDS user guide, USER_UpgradeDBInstance.Maintenance, Concepts.MultiAZ.Failover,
        // USER_SQLServerMultiAZ): a restart fails the requests in flight for its length; persisted
        // sessions (InstallPersistSqlState, in tables) survive it; with multiAz RDS patches the standby
        // and fails over, typically in 60-120 s, same endpoint. Express has no Multi-AZ; Web now has
        // (block-level replication).
        backupWindow: args.backupWindow,
        maintenanceWindow: args.maintenanceWindow,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: !args.deletionProtection,
        finalSnapshotIdentifier: args.deletionProtection ? `${args.farmName.toLowerCase()}-sessions-final` : undefined,
        tags: nameTags(args.tags, `${name}-db`),
      },
      parent,
    );
    this.address = this.database.address;
    declareWait(this.database, "the DB instance to be available", [
      { what: "its subnet group", resource: subnets },
      { what: "its security group", resource: this.securityGroup },
    ]);

    // The nodes' login: letters and digits only, so it needs no quoting anywhere it goes. At least one
    // upper, lower and digit: CREATE LOGIN checks the Windows password policy (CHECK_POLICY ON), which
    // may require three of four character classes (Microsoft Learn, "CREATE LOGIN (Transact-SQL)" and
    // "Password Policy"). The counts force a new password (terraform-provider-random's RequiresReplace),
    // which the setup would not apply to the login: ignoreChanges keeps an existing stack's password,
    // already accepted by SQL Server; stacks created from now on get the counts.
    const password = new random.RandomPassword(
      `${name}-login`,
      { length: 32, special: false, minUpper: 1, minLower: 1, minNumeric: 1 },
      { ...parent, ignoreChanges: ["minUpper", "minLower", "minNumeric"] },
    );
    const secret = new secretsmanager.Secret(
      `${name}-secret`,
      {
        name: args.secretName,
        description: `aspnet-webfarm: the web nodes' SQL Server login (${SESSION_LOGIN}) to the session database`,
        // Regenerable, so a farm destroyed and built again may reuse the name at once.
        recoveryWindowInDays: 0,
        tags: nameTags(args.tags, `${name}-secret`),
      },
      parent,
    );
    const version = new secretsmanager.SecretVersion(
      `${name}-secret-value`,
      {
        secretId: secret.id,
        secretString: pulumi.secret(
          pulumi
            .all([this.database.address, this.database.port, password.result])
            .apply(([host, port, pwd]) =>
              JSON.stringify({ host, port, dbname: SESSION_DATABASE, username: SESSION_LOGIN, password: pwd }),
            ),
        ),
      },
      parent,
    );
    this.secretArn = secret.arn;
    this.secretName = secret.name;
    this.connection = pulumi.secret(
      pulumi
        .all([this.database.address, this.database.port, password.result])
        .apply(([host, port, pwd]) => ({ host, port, password: pwd })),
    );

    // The setup instance: the only role that may read the master secret. It stops itself when done.
    const masterSecretArn = this.database.masterUserSecrets.apply((s) => {
      const arn = s?.[0]?.secretArn;
      if (!arn) throw new Error(`${name}: RDS returned no master user secret`);
      return arn;
    });
    const setupName = `${name}-setup`;
    const setupGroup = securityGroup(setupName, args.vpcId, "aspnet-webfarm session database setup", args.tags, parent);
    allowOutbound(setupName, setupGroup, args.tags, parent);
    allowBetweenGroups(
      `${name}-setup-to-db`,
      {
        from: setupGroup,
        to: this.securityGroup,
        port: SQL_PORT,
        what: "SQL Server",
        fromLabel: "the session database setup",
        toLabel: "the session database",
      },
      args.tags,
      parent,
    );
    const access = pulumi
      .all([args.account, masterSecretArn, secret.arn])
      .apply(([a, master, session]) => [
        readSecretStatement("ReadMasterSecret", master),
        readSecretStatement("ReadSessionSecret", session),
        bootStatusStatement(a, { key: "Name", value: setupName }, BOOT_TAG),
        ...observabilityStatements(a, args.setup.observability),
        sessionManagerStatement(),
      ]);
    const { profile, policy } = instanceRole(setupName, access, args.tags, parent);
    this.setupInstance = farmInstance(
      setupName,
      {
        role: "session-setup",
        image: args.setup.image,
        instanceType: "t3.small",
        subnetId: args.subnetIds[0],
        securityGroupIds: [setupGroup.id],
        instanceProfile: profile.name,
        stopOnShutdown: true,
        userData: pulumi
          .all([args.setup.boot, args.account, masterSecretArn, secret.name])
          .apply(([boot, a, master, sessionSecret]) =>
            sessionSetupUserData({
              ...boot,
              masterSecretArn: master,
              sessionSecret,
              trustBundleUrl: rdsTrustBundleUrl(a.partition, a.region),
            }),
          ),
        tags: args.tags,
      },
      { parent: this, dependsOn: [policy, version, ...args.setup.bootAfter] },
    );

    new cloudwatch.MetricAlarm(
      `${name}-storage`,
      {
        alarmDescription:
          "aspnet-webfarm session database: less than 2 GB free; sessions stop being saved when it is full",
        namespace: "AWS/RDS",
        metricName: "FreeStorageSpace",
        dimensions: { DBInstanceIdentifier: this.database.identifier },
        statistic: "Minimum",
        period: 300,
        evaluationPeriods: 1,
        threshold: LOW_STORAGE_BYTES,
        comparisonOperator: "LessThanThreshold",
        alarmActions: args.alarmTopicArn ? [args.alarmTopicArn] : [],
        tags: nameTags(args.tags, `${name}-storage`),
      },
      parent,
    );
    this.registerOutputs({ address: this.address, secretArn: this.secretArn });
  }
}
