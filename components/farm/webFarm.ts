// WebFarm wires the parts together: network, machine key, load balancer, state server, web nodes,
// and the security group connections between them. Each part lives in its own file.
import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { getRegionOutput } from "@pulumi/aws/getRegion";
import { codeDeployNames, FarmApplication } from "../releases/application";
import { ExistingNetwork, ResolvedWebFarmArgs, validateWebFarmArgs, WebFarmArgs, whenKnown } from "../args/args";
import { FarmLoadBalancer, WEB_PORT } from "../loadBalancer/loadBalancer";
import { MachineImage, windowsServer2022 } from "../image/machineImage";
import { MachineKey } from "../machineKey/machineKey";
import { existingNetwork, FarmNetwork, FarmNetworkShape } from "../network/network";
import { allowBetweenGroups, allowOutbound } from "../aws/securityGroups";
import { SqlSessionStore, SQL_PORT } from "../sessions/sqlServer/sqlSessionStore";
import { stateAddress, StateServer } from "../sessions/stateServer/stateServer";
import { farmDashboard, FarmLogs } from "../observability/monitoring";
import { dashboardUrl, farmNames } from "../aws/names";
import { Account } from "../aws/iam/policies";
import { ServingGate, SERVING_TIMEOUT_MINUTES } from "../nodes/servingGate";
import { FARM_TAG } from "../aws/tags";
import { declareWait, Need } from "../aws/waits";
import { launchHookName, WebNodes } from "../nodes/webNodes";
import { rdsTrustBundleUrl } from "../sessions/sqlServer/windows/sqlSession";
import { healthPageAtBoot, stateServerUserData, webNodeUserData } from "../windows/userData";
import {
  farmWebConfigFragment,
  SESSION_DATABASE,
  SESSION_LOGIN,
  SessionValues,
  sqlServerConnectionString,
} from "../windows/webConfig";

export const WEB_FARM_TYPE = "aspnet-webfarm:index:WebFarm";

/** The default key parameter path: unique per project, stack and farm, so farms never share one. */
export function defaultKeyParameterName(project: string, stack: string, farm: string): string {
  return farmNames(project, stack, farm).keyParameter;
}

interface WebFarmParts {
  network: FarmNetworkShape;
  machineKey: MachineKey;
  loadBalancer: FarmLoadBalancer;
  stateServer?: StateServer;
  sessionStore?: SqlSessionStore;
  webNodes: WebNodes;
  application?: FarmApplication;
}

// Kept off the instance: every property of the class is read as an output of the component's
// package schema, and resources are not schema types.
const partsOf = new WeakMap<WebFarm, WebFarmParts>();

/**
 * A load-balanced ASP.NET (.NET Framework) web farm: an Application Load Balancer in front of
 * Windows/IIS web nodes, an ASP.NET State Service server only the nodes can reach, and one secret
 * machineKey every node shares.
 */
export class WebFarm extends pulumi.ComponentResource {
  /** The farm's address: http(s)://<load balancer DNS name>/ (https when a certificate is set). */
  public readonly url: pulumi.Output<string>;
  /** The load balancer's DNS name (the target of a CNAME or Route 53 alias). */
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  /** The load balancer's ARN (for a WAF web ACL association or extra listeners). */
  public readonly loadBalancerArn: pulumi.Output<string>;
  /** The load balancer's canonical hosted zone id (for a Route 53 alias record). */
  public readonly loadBalancerZoneId: pulumi.Output<string>;
  /** The web nodes' target group ARN (for extra listeners or listener rules). */
  public readonly targetGroupArn: pulumi.Output<string>;
  /** The host the nodes put in stateConnectionString: state.<farm>.internal, which follows the state server (undefined with SQL Server). */
  public readonly stateServerAddress: pulumi.Output<string | undefined>;
  /** sessionStore "sqlServer": the session database's address (the RDS endpoint). */
  public readonly sessionStoreAddress: pulumi.Output<string | undefined>;
  /** sessionStore "sqlServer": the Secrets Manager secret holding the nodes' login to it. */
  public readonly sessionStoreSecretArn: pulumi.Output<string | undefined>;
  /** The web nodes' instance ids (instances mode); empty in Auto Scaling mode, where the group owns them. */
  public readonly webNodeIds: pulumi.Output<string[]>;
  /** The Auto Scaling group's name (Auto Scaling mode); undefined in instances mode. */
  public readonly autoScalingGroupName: pulumi.Output<string | undefined>;
  /** The web nodes' IAM role ARN: attach policies to let the nodes read your own buckets or secrets. */
  public readonly nodeRoleArn: pulumi.Output<string>;
  /** The web nodes' IAM role name (for aws.iam.RolePolicyAttachment). */
  public readonly nodeRoleName: pulumi.Output<string>;
  /** The shared machine key's validation key, 128 or 256 hex characters (secret). */
  public readonly validationKey: pulumi.Output<string>;
  /** The shared machine key's AES decryption key, 64 hex characters (secret). */
  public readonly decryptionKey: pulumi.Output<string>;
  /** `<system.web><machineKey/><sessionState/></system.web>` for an application's web.config (secret). */
  public readonly webConfigFragment: pulumi.Output<string>;
  /** The SSM SecureString parameter the nodes read the machine key from. */
  public readonly keyParameterName: pulumi.Output<string>;
  /** The farm's VPC (its own, or the one brought). */
  public readonly vpcId: pulumi.Output<string>;
  /** The public subnets, one per AZ (the load balancer's). */
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  /** The private subnets, one per AZ (the nodes' and the state server's). */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The web nodes' security group (let it into your database's group). */
  public readonly webSecurityGroupId: pulumi.Output<string>;
  /** The load balancer's security group. */
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  /** The state server's security group (undefined with SQL Server). */
  public readonly stateServerSecurityGroupId: pulumi.Output<string | undefined>;
  /** sessionStore "sqlServer": the session database's security group (1433 from the web nodes). */
  public readonly sessionStoreSecurityGroupId: pulumi.Output<string | undefined>;
  /** The farm's CloudWatch dashboard: requests, 5xx, response time, healthy nodes per AZ, the state server, ASP.NET's counters. */
  public readonly dashboardUrl: pulumi.Output<string>;
  /** The CloudWatch Logs groups the nodes ship to: boot and release logs, IIS, the Windows event logs. */
  public readonly logGroups: pulumi.Output<string[]>;
  /** With an application: the release every node serves after this update (its label); undefined without one, or when waitForDeployments is off. */
  public readonly releaseVersion: pulumi.Output<string | undefined>;
  /** With an application: the AWS CLI command that releases the current build (when waitForDeployments is off, run it from the pipeline). */
  public readonly releaseCommand: pulumi.Output<string | undefined>;
  /** With an application: the CodeDeploy application and deployment group (aws deploy list-deployments ...). */
  public readonly codeDeployApplication: pulumi.Output<string | undefined>;
  /** With an application: the CodeDeploy deployment group of the web nodes. */
  public readonly codeDeployDeploymentGroup: pulumi.Output<string | undefined>;

  constructor(name: string, args: WebFarmArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, the component included.
    const farm: ResolvedWebFarmArgs = validateWebFarmArgs(name, args);
    super(WEB_FARM_TYPE, name, {}, opts);
    const parent = { parent: this };
    const tags = whenKnown(name, "tags", farm.tags);

    const own = farm.network.kind === "own" ? farm.network : undefined;
    const network: FarmNetworkShape = own
      ? new FarmNetwork(
          `${name}-net`,
          {
            vpcCidr: own.vpcCidr,
            azCount: own.azCount,
            natPerAz: own.natPerAz,
            availabilityZones: own.availabilityZones,
            tags,
          },
          parent,
        )
      : existingNetwork(farm.network as ExistingNetwork, parent);

    const names = farmNames(pulumi.getProject(), pulumi.getStack(), name);
    const machineKey = new MachineKey(
      `${name}-key`,
      {
        version: farm.machineKey.version,
        validation: farm.machineKey.validation,
        parameterName: farm.machineKey.parameterName ?? names.keyParameter,
        tags,
      },
      parent,
    );

    // Web nodes and the state server pick their images apart: a new farm image rolls the nodes
    // (no outage) and never replaces the state server (every session lost) unless asked.
    let latest: MachineImage | undefined;
    const imageOf = (field: "amiId" | "stateAmiId") => {
      const pinned = farm.image[field];
      if (pinned !== undefined) return windowsServer2022(whenKnown(name, field, pinned), parent);
      return (latest ??= windowsServer2022(undefined, parent));
    };
    const image = imageOf("amiId");
    const stateImage = imageOf("stateAmiId");
    const alarmTopicArn =
      farm.observability.alarmTopicArn === undefined
        ? undefined
        : whenKnown(name, "alarmTopicArn", farm.observability.alarmTopicArn);

    const loadBalancer = new FarmLoadBalancer(
      `${name}-lb`,
      {
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIds,
        allowedCidrs: whenKnown(name, "allowedCidrs", farm.loadBalancer.allowedCidrs),
        certificateArn:
          farm.loadBalancer.certificateArn === undefined
            ? undefined
            : whenKnown(name, "certificateArn", farm.loadBalancer.certificateArn),
        healthCheckPath: farm.loadBalancer.healthCheckPath,
        deletionProtection: farm.deletionProtection,
        accessLogs: farm.loadBalancer.accessLogs,
        alarmTopicArn,
        tags,
      },
      parent,
    );

    // Where the farm is: every ARN it builds takes the partition (aws, aws-us-gov, aws-cn) from here.
    const region = getRegionOutput({}, parent).region;
    const partition = getPartitionOutput({}, parent);
    const account: pulumi.Output<Account> = pulumi
      .all([partition.partition, region, getCallerIdentityOutput({}, parent).accountId])
      .apply(([partitionName, regionName, accountId]) => ({ partition: partitionName, region: regionName, accountId }));
    const boot = (role: "web-node" | "state-server", lifecycleHook?: string) =>
      pulumi.all([region, partition.dnsSuffix]).apply(([regionName, dnsSuffix]) => ({
        region: regionName,
        dnsSuffix,
        cloudWatchConfigParameter: role === "web-node" ? names.agentConfig.webNode : names.agentConfig.stateServer,
        lifecycleHook,
      }));
    const logs = new FarmLogs(
      `${name}-logs`,
      { names, retentionDays: farm.observability.logRetentionDays, tags },
      parent,
    );
    const observability = (role: "web-node" | "state-server") => ({
      agentConfigParameter: role === "web-node" ? names.agentConfig.webNode : names.agentConfig.stateServer,
      logGroups: logs.logGroupNames,
      namespace: names.namespace,
    });

    // Where sessions live: the State Service on one instance, or SQL Server on RDS (no state server).
    const sql = farm.sqlServer;
    const stateServer = sql
      ? undefined
      : new StateServer(
          `${name}-state`,
          {
            farmName: name,
            vpcId: network.vpcId,
            subnetId: network.privateSubnetIds[0],
            image: stateImage,
            instanceType: farm.stateServer!.instanceType,
            region,
            account,
            observability: observability("state-server"),
            bootAfter: [logs.agentConfigs["state-server"]],
            protect: farm.stateServer!.protect,
            terminationProtection: farm.deletionProtection,
            alarmTopicArn,
            // The VPC's CIDRs, not the web subnets': the state server stays put when AZs change.
            userData: pulumi
              .all([network.vpcCidrs, boot("state-server")])
              .apply(([webCidrs, values]) =>
                stateServerUserData({ ...values, statePort: farm.stateServer!.port, webCidrs }),
              ),
            tags,
          },
          parent,
        );
    const sessionStore = sql
      ? new SqlSessionStore(
          `${name}-sessions`,
          {
            farmName: name,
            vpcId: network.vpcId,
            subnetIds: network.privateSubnetIds,
            ...sql,
            deletionProtection: farm.deletionProtection,
            secretName: names.sessionSecret,
            // The setup instance boots like the state server would: its image, agent configuration.
            setup: {
              image: stateImage,
              boot: boot("state-server"),
              observability: observability("state-server"),
              bootAfter: [logs.agentConfigs["state-server"]],
            },
            account,
            alarmTopicArn,
            tags,
          },
          parent,
        )
      : undefined;
    // The nodes name the state server by its DNS record, a plain string known now: they neither
    // wait for the state server nor change when it is replaced (the record moves instead).
    const stateHost = stateAddress(name).host;

    // Who may reach whom: internet -> balancer (in FarmLoadBalancer), balancer -> nodes on 80,
    // nodes -> the session store (the state server on the state port, or SQL Server on 1433), and
    // the nodes out through NAT. Nothing else reaches the nodes or the store (the store's setup
    // instance excepted, in its component). Created once the nodes' security group exists, before
    // any node boots.
    const connectNodes = (web: WebNodes["securityGroup"]): Need[] => {
      const fromBalancer = allowBetweenGroups(
        `${name}-lb-to-web`,
        {
          from: loadBalancer.securityGroup,
          to: web,
          port: WEB_PORT,
          what: "HTTP",
          fromLabel: "the load balancer",
          toLabel: "the web nodes",
        },
        tags,
        parent,
      );
      const toStore = allowBetweenGroups(
        sessionStore ? `${name}-web-to-sessions` : `${name}-web-to-state`,
        sessionStore
          ? {
              from: web,
              to: sessionStore.securityGroup,
              port: SQL_PORT,
              what: "SQL Server session state",
              fromLabel: "the web nodes",
              toLabel: "the session database",
            }
          : {
              from: web,
              to: stateServer!.securityGroup,
              port: farm.stateServer!.port,
              what: "ASP.NET state service",
              fromLabel: "the web nodes",
              toLabel: "the state server",
            },
        tags,
        parent,
      );
      const outbound = allowOutbound(`${name}-web`, web, tags, parent);
      return [
        { what: "the load balancer's health checks reaching the nodes (inbound)", resource: fromBalancer.ingress },
        { what: "the load balancer's health checks reaching the nodes (outbound)", resource: fromBalancer.egress },
        { what: "the nodes reaching the session store", resource: toStore.egress },
        { what: "the nodes reaching the session store (its inbound rule)", resource: toStore.ingress },
        ...outbound.map((rule) => ({ what: "the nodes reaching AWS APIs and Windows activation", resource: rule })),
      ];
    };
    // With an application: the CodeDeploy agent; in instances mode, the current release at boot.
    const codeDeploy = farm.app && {
      currentRelease: farm.nodes.mode === "instances" ? codeDeployNames(name) : undefined,
    };
    const webNodes = new WebNodes(
      `${name}-web`,
      {
        mode: farm.nodes.mode,
        count: farm.nodes.count,
        maxCount: farm.nodes.maxCount,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        image,
        instanceType: farm.nodes.instanceType,
        keyParameterName: machineKey.parameterName,
        targetGroupArn: loadBalancer.targetGroup.arn,
        account,
        observability: observability("web-node"),
        bootAfter: [logs.agentConfigs["web-node"]],
        bootNeeds: [
          { what: "the machine key in SSM, at the version the boot expects", resource: machineKey },
          ...(network instanceof FarmNetwork
            ? [{ what: "egress from the private subnets (their routes through NAT)", resource: network }]
            : []),
          ...(sessionStore
            ? [
                {
                  what: "the session database, available, and its setup instance (a node's boot waits for the session schema)",
                  resource: sessionStore,
                },
              ]
            : []),
        ],
        // Targets of a target group no load balancer uses stay "unused" (Target.NotInUse), never
        // healthy: Elastic Load Balancing API Reference, TargetHealth.
        servingNeeds: [{ what: "the listener that forwards to the target group", resource: loadBalancer }],
        connect: connectNodes,
        healthPageAtBoot: healthPageAtBoot(codeDeploy),
        groupName: names.autoScalingGroup,
        sessionSecretArn: sessionStore?.secretArn,
        userData: pulumi
          .all([
            machineKey.parameterName,
            boot("web-node", farm.nodes.mode === "autoscaling" ? launchHookName(name) : undefined),
            partition.partition,
          ])
          .apply(([keyParameterName, values, partitionName]) =>
            webNodeUserData({
              ...values,
              keyParameterName,
              keyVersion: farm.machineKey.version,
              keyValidation: farm.machineKey.validation,
              ...(sql
                ? {
                    sqlSession: {
                      sessionSecret: names.sessionSecret,
                      trustBundleUrl: rdsTrustBundleUrl(partitionName, values.region),
                    },
                  }
                : { stateHost, statePort: farm.stateServer!.port }),
              healthCheckPath: farm.loadBalancer.healthCheckPath,
              sessionTimeoutMinutes: farm.sessionTimeoutMinutes,
              // An Auto Scaling group gets the current release from CodeDeploy itself.
              codeDeploy,
            }),
          ),
        farmName: name,
        tags,
      },
      parent,
    );

    const application = farm.app
      ? new FarmApplication(
          `${name}-app`,
          {
            farmName: name,
            app: farm.app,
            nodeCount: farm.nodes.count,
            region,
            partition: partition.partition,
            accountId: account.accountId,
            healthCheckPath: farm.loadBalancer.healthCheckPath,
            targetGroupName: loadBalancer.targetGroup.name,
            nodeTag: { key: FARM_TAG, value: name },
            autoScalingGroupName: webNodes.autoScalingGroup?.name,
            nodeRoleName: webNodes.role.name,
            nodeRoleArn: webNodes.role.arn,
            rollbackAlarmName: loadBalancer.errorRateAlarm.name,
            // SQLServer mode: a node's agent comes up only once the session database is there.
            nodes: sessionStore ? [webNodes, sessionStore] : [webNodes],
            startRelease: farm.waitForDeployments,
            tags,
          },
          parent,
        )
      : undefined;
    // Instances mode: each node must serve before `pulumi up` goes on (and before replaced nodes
    // are deleted, at the end of the update). With an application, after the release installs it.
    (farm.waitForDeployments ? webNodes.instances : []).forEach((node, i) => {
      const gate = new ServingGate(
        `${name}-web-${i}-serving`,
        {
          region,
          targetGroupArn: loadBalancer.targetGroup.arn,
          instanceId: node.id,
          instanceArn: node.arn,
          node: `${name}-web-${i}`,
          bootLogGroup: names.logGroups.boot,
          timeoutMinutes: SERVING_TIMEOUT_MINUTES,
        },
        {
          parent: this,
          // With SQL Server, the wait for a node starts once the session store is there.
          dependsOn: [
            webNodes.attachments[i],
            ...(application?.release ? [application.release] : []),
            ...(sessionStore ? [sessionStore] : []),
            // Targets of a target group no listener uses are never healthy.
            loadBalancer,
          ],
        },
      );
      declareWait(gate, `node ${i} healthy in the target group`, [
        { what: "the node", resource: node },
        { what: "the node registered in the target group", resource: webNodes.attachments[i] },
        { what: "the listener that forwards to the target group", resource: loadBalancer },
        ...webNodes.bootNeeds,
        application?.release
          ? { what: "the health page, which comes with the release", resource: application.release }
          : { what: "the health page the boot writes", holds: healthPageAtBoot(codeDeploy) },
      ]);
    });
    const dashboard = farmDashboard(
      `${name}-dashboard`,
      names.dashboard,
      {
        region,
        farmName: name,
        loadBalancer: loadBalancer.loadBalancer.arnSuffix,
        targetGroup: loadBalancer.targetGroup.arnSuffix,
        stateInstanceId: stateServer?.instance.id,
        sessionDatabase: sessionStore?.database.identifier,
        namespace: names.namespace,
      },
      parent,
    );
    if (stateServer) allowOutbound(`${name}-state`, stateServer.securityGroup, tags, parent);

    partsOf.set(this, { network, machineKey, loadBalancer, stateServer, sessionStore, webNodes, application });
    this.url = loadBalancer.url;
    this.loadBalancerDnsName = loadBalancer.dnsName;
    this.loadBalancerArn = loadBalancer.loadBalancer.arn;
    this.loadBalancerZoneId = loadBalancer.loadBalancer.zoneId;
    this.targetGroupArn = loadBalancer.targetGroup.arn;
    this.stateServerAddress = stateServer ? stateServer.host : pulumi.output(undefined);
    this.sessionStoreAddress = sessionStore ? sessionStore.address : pulumi.output(undefined);
    this.sessionStoreSecretArn = sessionStore ? sessionStore.secretArn : pulumi.output(undefined);
    this.webNodeIds = pulumi.all(webNodes.instanceIds);
    this.autoScalingGroupName = webNodes.autoScalingGroup ? webNodes.autoScalingGroup.name : pulumi.output(undefined);
    this.nodeRoleArn = webNodes.role.arn;
    this.nodeRoleName = webNodes.role.name;
    this.validationKey = machineKey.validationKey;
    this.decryptionKey = machineKey.decryptionKey;
    // Both modes: SQL Server's carries the nodes' login, which is why the fragment is a secret anyway.
    const sessionValues: pulumi.Output<SessionValues> = sessionStore
      ? sessionStore.connection.apply((c) => ({
          sqlConnectionString: sqlServerConnectionString({
            host: c.host,
            port: c.port,
            database: SESSION_DATABASE,
            user: SESSION_LOGIN,
            password: c.password,
          }),
          timeoutMinutes: farm.sessionTimeoutMinutes,
        }))
      : pulumi.output({ stateHost, statePort: farm.stateServer!.port, timeoutMinutes: farm.sessionTimeoutMinutes });
    this.webConfigFragment = pulumi.secret(
      pulumi
        .all([machineKey.validationKey, machineKey.decryptionKey, sessionValues])
        .apply(([validationKey, decryptionKey, session]) =>
          farmWebConfigFragment({ validationKey, decryptionKey, validation: farm.machineKey.validation }, session),
        ),
    );
    this.keyParameterName = machineKey.parameterName;
    this.vpcId = network.vpcId;
    this.publicSubnetIds = pulumi.all(network.publicSubnetIds);
    this.privateSubnetIds = pulumi.all(network.privateSubnetIds);
    this.webSecurityGroupId = webNodes.securityGroup.id;
    this.loadBalancerSecurityGroupId = loadBalancer.securityGroup.id;
    this.stateServerSecurityGroupId = stateServer ? stateServer.securityGroup.id : pulumi.output(undefined);
    this.sessionStoreSecurityGroupId = sessionStore ? sessionStore.securityGroup.id : pulumi.output(undefined);
    // The release's own output, so the version is reported only once CodeDeploy succeeded.
    this.releaseVersion = application?.release ? application.release.version : pulumi.output(undefined);
    this.releaseCommand = application ? application.releaseCommand : pulumi.output(undefined);
    this.codeDeployApplication = application ? application.applicationName : pulumi.output(undefined);
    this.codeDeployDeploymentGroup = application ? application.deploymentGroupName : pulumi.output(undefined);
    this.dashboardUrl = pulumi
      .all([partition.partition, region, dashboard.dashboardName])
      .apply(([p, r, d]) => dashboardUrl(p, r, d));
    this.logGroups = pulumi.output(logs.logGroupNames);

    this.registerOutputs(WebFarm.outputsOf(this));
  }

  // The parts, each with its AWS resources, for a TypeScript program that extends the farm. They
  // are accessors, so the cross-language schema (outputs only) leaves them out.
  /** The network: the farm's own VPC (a FarmNetwork), or the brought one's ids. */
  get network(): FarmNetworkShape {
    return partsOf.get(this)!.network;
  }
  /** The machine key: random bytes and the SSM parameter. */
  get machineKey(): MachineKey {
    return partsOf.get(this)!.machineKey;
  }
  /** The load balancer, its target group, listeners, security group and alarms. */
  get loadBalancer(): FarmLoadBalancer {
    return partsOf.get(this)!.loadBalancer;
  }
  /** The state server: instance, security group, private zone and record, alarms (none with SQL Server). */
  get stateServer(): StateServer | undefined {
    return partsOf.get(this)!.stateServer;
  }
  /** sessionStore "sqlServer": the RDS instance, its security group, the nodes' login secret, the setup. */
  get sessionStore(): SqlSessionStore | undefined {
    return partsOf.get(this)!.sessionStore;
  }
  /** The web nodes: security group, role and instance profile, instances or Auto Scaling group. */
  get webNodes(): WebNodes {
    return partsOf.get(this)!.webNodes;
  }

  /** With an application: its build, bundle, CodeDeploy application and group, and the release. */
  get application(): FarmApplication | undefined {
    return partsOf.get(this)!.application;
  }

  /** Every Output the farm exposes, by name: what `registerOutputs` records. */
  static outputsOf(farm: WebFarm): Record<string, pulumi.Output<unknown>> {
    return Object.fromEntries(
      Object.entries(farm).filter(([k, v]) => k !== "urn" && !k.startsWith("__") && pulumi.Output.isInstance(v)),
    );
  }
}
