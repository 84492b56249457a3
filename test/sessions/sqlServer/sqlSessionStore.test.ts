// sessionStore "sqlServer": sessions in SQL Server on Amazon RDS, under the offline engine: the
// database, who may reach it, the nodes' login and its secret, the one-off setup.
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "../../../components";
import { parseFarmFragment } from "../../../components/windows";
import { valueOf } from "../../../engine/engine";
import { attempt, bootTextOf, buildFarm, Graph, inputsText, T } from "../../support/graph";

const DB = "aws:rds/instance:Instance";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const PASSWORD = "random:index/randomPassword:RandomPassword";

const statementsOf = (graph: Graph, policy: string) =>
  JSON.parse(graph.one(T.rolePolicy, (p) => p.name === policy).inputs.policy).Statement as {
    Sid: string;
    Action: string[];
    Resource: string | string[];
  }[];
/** The PowerShell an instance's user data runs (the EC2Launch v2 task's content). */

describe("a farm whose sessions live in SQL Server", () => {
  let graph: Graph;
  let farm: WebFarm;
  beforeAll(async () => ({ graph, farm } = await buildFarm({ nodeCount: 2, sessionStore: "sqlServer" })));

  test("has no state server: the database takes its place", () => {
    expect(graph.byRole("state-server")).toEqual([]);
    expect(graph.count(DB)).toBe(1);
  });

  test("RDS for SQL Server (Express by default) in the private subnets: not public, encrypted, backed up, its master password kept by RDS", () => {
    const db = graph.one(DB).inputs;
    expect(db).toMatchObject({
      engine: "sqlserver-ex",
      licenseModel: "license-included",
      instanceClass: "db.t3.small",
      multiAz: false,
      allocatedStorage: 20,
      storageEncrypted: true,
      publiclyAccessible: false,
      port: 1433,
      backupRetentionPeriod: 7,
      manageMasterUserPassword: true,
      username: "webfarm_admin",
      deletionProtection: false,
      skipFinalSnapshot: true,
    });
    expect(db.password).toBeUndefined();
    const subnets = graph.one("aws:rds/subnetGroup:SubnetGroup");
    expect(db.dbSubnetGroupName).toBe(subnets.state.name);
    const privateSubnets = graph
      .ofType(T.subnet)
      .filter((s) => s.name.includes("private"))
      .map((s) => s.id);
    expect(subnets.inputs.subnetIds).toEqual(privateSubnets);
  });

  test("1433 reaches the database from the web nodes' group and its setup instance's only; nothing else gets in", () => {
    const dbGroup = graph.byId(graph.one(DB).inputs.vpcSecurityGroupIds[0])!;
    const inbound = graph
      .ofType(T.ingress)
      .filter((r) => r.inputs.securityGroupId === dbGroup.id)
      .map(
        (r) =>
          `${r.inputs.ipProtocol}/${r.inputs.fromPort}-${r.inputs.toPort} from ${graph.describeGroup(r.inputs.referencedSecurityGroupId)}`,
      )
      .sort();
    expect(inbound).toEqual(["tcp/1433-1433 from session database setup", "tcp/1433-1433 from web nodes"]);
    for (const r of graph.ofType(T.ingress).filter((x) => x.inputs.securityGroupId === dbGroup.id))
      expect(r.inputs.cidrIpv4 ?? r.inputs.prefixListId).toBeUndefined();
    expect(graph.inbound("web-node")).toEqual(["tcp/80-80 from load balancer"]);
  });

  test("the nodes' login lives in a secret of its own, its value secret: host, port, database, login, password", async () => {
    const version = graph.one(SECRET_VERSION);
    expect(version.secretPaths).toContain("secretString");
    const value = JSON.parse(version.inputs.secretString);
    expect(value).toEqual({
      host: graph.one(DB).state.address,
      port: 1433,
      dbname: "ASPState",
      username: "webfarm_session",
      password: graph.one(PASSWORD).state.result,
    });
    expect(graph.one(PASSWORD).inputs).toMatchObject({ length: 32, special: false });
    expect(await valueOf(farm.sessionStoreSecretArn)).toBe(graph.one("aws:secretsmanager/secret:Secret").state.arn);
  });

  test("the login's password has an upper, a lower and a digit (a strong-password policy needs 3 of 4 classes), and adding the counts keeps an existing stack's password", () => {
    const password = graph.one(PASSWORD);
    expect(password.inputs).toMatchObject({ minUpper: 1, minLower: 1, minNumeric: 1 });
    expect(password.options.ignoreChanges).toEqual(["minUpper", "minLower", "minNumeric"]);
  });

  test("no resource input holds the password in plaintext: only the secret's value, marked secret", () => {
    const password = graph.one(PASSWORD).state.result as string;
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const r of graph.resources) {
      const plain = inputsText(
        r,
        Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !r.secretPaths.includes(k))),
      );
      expect({ resource: r.name, holdsPassword: plain.includes(password) }).toEqual({
        resource: r.name,
        holdsPassword: false,
      });
    }
  });

  test("the web nodes may read exactly the login's secret, never RDS's master secret", () => {
    const reads = statementsOf(graph, "shop-web-access").filter((s) =>
      s.Action.some((a) => a.startsWith("secretsmanager:")),
    );
    expect(reads).toEqual([
      {
        Sid: "ReadSessionLogin",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [graph.one("aws:secretsmanager/secret:Secret").state.arn],
      },
    ]);
    const master = graph.one(DB).state.masterUserSecrets[0].secretArn;
    expect(JSON.stringify(statementsOf(graph, "shop-web-access"))).not.toContain(master);
    const setup = statementsOf(graph, "shop-sessions-setup-access");
    expect(
      setup.filter((s) => s.Action.includes("secretsmanager:GetSecretValue")).map((s) => [s.Sid, s.Resource]),
    ).toEqual([
      ["ReadMasterSecret", [master]],
      ["ReadSessionSecret", [graph.one("aws:secretsmanager/secret:Secret").state.arn]],
    ]);
  });

  test("each node reads the secret at boot, waits for the database, and writes SQLServer sessions into both root web.configs", () => {
    for (const node of graph.webNodes()) {
      const script = bootTextOf(node);
      expect(script).toContain("$SessionSecret = 'aspnet-webfarm/test/shop/session-store'");
      expect(script).toContain("$SessionAttributes = [ordered]@{ mode = 'SQLServer'; allowCustomSqlDatabase = 'true';");
      expect(script.indexOf("Step 'wait until the session database is set up'")).toBeLessThan(
        script.indexOf("Step 'write machineKey and sessionState to both root web.configs'"),
      );
      // Neither the endpoint nor the password is in user data: both come from the secret.
      expect(script).not.toContain(graph.one(DB).state.address);
      expect(script).not.toContain("$StateHost");
    }
  });

  test("the setup instance runs once, after the database and its secret exist, and stops itself when done", () => {
    const setup = graph.one(T.instance, (i) => i.inputs.tags?.["webfarm:role"] === "session-setup");
    expect(setup.inputs.instanceInitiatedShutdownBehavior).toBe("stop");
    expect(setup.inputs.associatePublicIpAddress).toBe(false);
    expect(setup.options.dependsOn).toEqual(expect.arrayContaining(["shop-sessions-secret-value"]));
    const script = bootTextOf(setup);
    expect(script).toContain(`$MasterSecret = '${graph.one(DB).state.masterUserSecrets[0].secretArn}'`);
    expect(script).toContain("& shutdown.exe /s /t 120");
  });

  test("Express (the default): the setup never sends the SQL Server Agent job's batches", () => {
    const setup = graph.one(T.instance, (i) => i.inputs.tags?.["webfarm:role"] === "session-setup");
    expect(bootTextOf(setup)).toContain("$AgentBatches = @(");
  });

  test("the nodes' serving gates start their clock once the session store is there", () => {
    for (const gate of graph.ofType(T.gate)) expect(gate.options.dependsOn).toContain("shop-sessions");
  });

  test("webConfigFragment: SQLServer mode with the nodes' login, as a secret", async () => {
    expect(await pulumi.isSecret(farm.webConfigFragment)).toBe(true);
    const { sessionState } = parseFarmFragment(await valueOf(farm.webConfigFragment));
    expect(sessionState).toMatchObject({ mode: "SQLServer", allowCustomSqlDatabase: "true", timeout: "20" });
    expect(sessionState.sqlConnectionString).toBe(
      `Data Source=tcp:${graph.one(DB).state.address},1433;Initial Catalog=ASPState;User ID=webfarm_session;` +
        `Password=${graph.one(PASSWORD).state.result};Encrypt=True;TrustServerCertificate=False;Connect Timeout=10;Application Name=aspnet-webfarm`,
    );
    expect(await valueOf(farm.stateServerAddress)).toBeUndefined();
  });

  test("the dashboard shows the session database where the state server was", () => {
    const body = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody);
    const titles = body.widgets.map((w: { properties: { title: string } }) => w.properties.title);
    expect(titles).toContain("Session database (SQL Server)");
    expect(titles).not.toContain("State server: health and sessions");
  });
});

test("prod-like: Standard edition, Multi-AZ, a bigger class, deletion protection with a final snapshot", async () => {
  const { graph } = await buildFarm({
    nodeCount: 2,
    sessionStore: "sqlServer",
    deletionProtection: true,
    sqlServer: {
      edition: "standard",
      instanceClass: "db.m5.large",
      multiAz: true,
      storageGb: 100,
      backupRetentionDays: 14,
    },
  });
  expect(graph.one(DB).inputs).toMatchObject({
    engine: "sqlserver-se",
    instanceClass: "db.m5.large",
    multiAz: true,
    allocatedStorage: 100,
    backupRetentionPeriod: 14,
    deletionProtection: true,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: "shop-sessions-final",
  });
  // Standard runs SQL Server Agent, but the RDS master user may not run the job's sp_add_category
  // (sysadmin only): the setup skips the job batches there too, the nodes' cleanup deletes sessions.
  const setup = graph.one(T.instance, (i) => i.inputs.tags?.["webfarm:role"] === "session-setup");
  expect(bootTextOf(setup)).toContain("$AgentBatches = @(");
  expect(bootTextOf(setup)).not.toContain("SqlAgent");
});

test("bad SQL Server input: one error naming every problem, nothing registered", async () => {
  const { error, graph } = await attempt(
    () =>
      new WebFarm("shop", {
        nodeCount: 2,
        sessionStore: "sqlServer",
        statePort: 42000,
        stateInstanceType: "m6i.large",
        // Web has Multi-AZ (block-level replication): not a problem.
        sqlServer: {
          edition: "web",
          instanceClass: "db.t3.micro",
          multiAz: true,
          maintenanceWindow: "sun:02:15-sun:03:00",
        },
      }),
  );
  expect(error?.message).toMatch(/WebFarm "shop" has 4 problems; nothing was created/);
  expect(error?.message).toContain("- sqlServer.maintenanceWindow: overlaps the backup window 02:00-02:30");
  for (const field of ["statePort", "stateInstanceType", "sqlServer.maintenanceWindow", "sqlServer.instanceClass"])
    expect(error?.message).toContain(`- ${field}: `);
  expect(graph.resources).toEqual([]);
});
