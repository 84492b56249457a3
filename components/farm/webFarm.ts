// WebFarm wires the parts together: network, machine key, load balancer, session store, web nodes
// and application. Each part lives in its own folder and declares its own connections; what they
// share (names, tags, account, boot and observability values, images) comes in a FarmContext.
import * as pulumi from "@pulumi/pulumi";
import { FarmApplication } from "../releases/application";
import { ResolvedWebFarmArgs, validateWebFarmArgs, WebFarmArgs } from "../args/args";
import { FarmLoadBalancer } from "../loadBalancer/loadBalancer";
import { MachineKey } from "../machineKey/machineKey";
import { FarmNetworkShape } from "../network/network";
import { SessionStore, sessionStoreFor } from "../sessions";
import { SqlSessionStore } from "../sessions/sqlServer/sqlSessionStore";
import { StateServer } from "../sessions/stateServer/stateServer";
import { farmDashboard } from "../observability/monitoring";
import { dashboardUrl, farmNames } from "../aws/names";
import { sizedByAws } from "../nodes/scaling";
import { WebNodes } from "../nodes/webNodes";
import { farmContext } from "./context";
import { codeDeployOf, farmApplication, farmLoadBalancer, farmMachineKey, webConfigFragmentOf } from "./parts";

export const WEB_FARM_TYPE = "aspnet-webfarm:index:WebFarm";

/** The default key parameter path: unique per project, stack and farm, so farms never share one. */
export function defaultKeyParameterName(project: string, stack: string, farm: string): string {
  return farmNames(project, stack, farm).keyParameter;
}

interface WebFarmParts {
  network: FarmNetworkShape;
  machineKey: MachineKey;
  loadBalancer: FarmLoadBalancer;
  sessions: SessionStore;
  webNodes: WebNodes;
  application?: FarmApplication;
}

// Kept off the instance: every property of the class is read as an output of the component's
// package schema, and resources are not schema types.
const partsOf = new WeakMap<WebFarm, WebFarmParts>();

/**
 * A load-balanced ASP.NET (.NET Framework) web farm: an Application Load Balancer in front of
 * Windows/IIS web nodes, a session store only the nodes can reach (the ASP.NET State Service on
 * one instance, or SQL Server on Amazon RDS), and one secret machineKey every node shares.
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
  /** With sqlServer: the session database's address (the RDS endpoint); undefined with the state server. */
  public readonly sessionStoreAddress: pulumi.Output<string | undefined>;
  /** With sqlServer: the Secrets Manager secret holding the nodes' login to it. */
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
  /** The private subnets, one per AZ (the nodes' and the session store's). */
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The web nodes' security group (let it into your database's group). */
  public readonly webSecurityGroupId: pulumi.Output<string>;
  /** The load balancer's security group. */
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  /** The state server's security group (undefined with SQL Server). */
  public readonly stateServerSecurityGroupId: pulumi.Output<string | undefined>;
  /** With sqlServer: the session database's security group (1433 from the web nodes). */
  public readonly sessionStoreSecurityGroupId: pulumi.Output<string | undefined>;
  /** The farm's CloudWatch dashboard: requests, 5xx, response time, healthy nodes per AZ, the session store, ASP.NET's counters. */
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
    const context = farmContext(this, name, farm);
    const { network, names, region, partition } = context;
    const machineKey = farmMachineKey(context, farm);
    const loadBalancer = farmLoadBalancer(context, farm);
    // Where sessions live: the store the arguments chose (sessions/contract.ts), never named here.
    const sessions = sessionStoreFor(farm).build(context, farm);
    const webNodes = new WebNodes(
      `${name}-web`,
      {
        context,
        ...farm.nodes,
        machineKey,
        keyVersion: farm.machineKey.version,
        keyValidation: farm.machineKey.validation,
        loadBalancer,
        healthCheckPath: farm.loadBalancer.healthCheckPath,
        sessionStore: sessions,
        codeDeploy: codeDeployOf(name, farm),
      },
      { parent: this },
    );
    const application = farmApplication(context, farm, { loadBalancer, webNodes, sessions });
    if (farm.waitForDeployments) webNodes.awaitServing(application?.release);
    const dashboard = farmDashboard(
      `${name}-dashboard`,
      names.dashboard,
      {
        region,
        farmName: name,
        loadBalancer: loadBalancer.loadBalancer.arnSuffix,
        targetGroup: loadBalancer.targetGroup.arnSuffix,
        sessionWidgets: sessions.widgets,
        namespace: names.namespace,
        // A group that scales sends its group metrics (nodes/autoScaling.ts): its nodes on the dashboard.
        autoScalingGroup:
          webNodes.autoScalingGroup && sizedByAws(farm.nodes) ? webNodes.autoScalingGroup.name : undefined,
        newImages: webNodes.newImages,
      },
      { parent: this },
    );

    partsOf.set(this, { network, machineKey, loadBalancer, sessions, webNodes, application });
    const none = pulumi.output(undefined);
    this.url = loadBalancer.url;
    this.loadBalancerDnsName = loadBalancer.dnsName;
    this.loadBalancerArn = loadBalancer.loadBalancer.arn;
    this.loadBalancerZoneId = loadBalancer.loadBalancer.zoneId;
    this.targetGroupArn = loadBalancer.targetGroup.arn;
    this.stateServerAddress = sessions.outputs.stateServerAddress ?? none;
    this.sessionStoreAddress = sessions.outputs.sessionStoreAddress ?? none;
    this.sessionStoreSecretArn = sessions.outputs.sessionStoreSecretArn ?? none;
    this.webNodeIds = pulumi.all(webNodes.instanceIds);
    this.autoScalingGroupName = webNodes.autoScalingGroup ? webNodes.autoScalingGroup.name : none;
    this.nodeRoleArn = webNodes.role.arn;
    this.nodeRoleName = webNodes.role.name;
    this.validationKey = machineKey.validationKey;
    this.decryptionKey = machineKey.decryptionKey;
    this.webConfigFragment = webConfigFragmentOf(machineKey, farm, sessions);
    this.keyParameterName = machineKey.parameterName;
    this.vpcId = network.vpcId;
    this.publicSubnetIds = pulumi.all(network.publicSubnetIds);
    this.privateSubnetIds = pulumi.all(network.privateSubnetIds);
    this.webSecurityGroupId = webNodes.securityGroup.id;
    this.loadBalancerSecurityGroupId = loadBalancer.securityGroup.id;
    this.stateServerSecurityGroupId = sessions.outputs.stateServerSecurityGroupId ?? none;
    this.sessionStoreSecurityGroupId = sessions.outputs.sessionStoreSecurityGroupId ?? none;
    // The release's own output, so the version is reported only once CodeDeploy succeeded.
    this.releaseVersion = application?.release ? application.release.version : none;
    this.releaseCommand = application ? application.releaseCommand : none;
    this.codeDeployApplication = application ? application.applicationName : none;
    this.codeDeployDeploymentGroup = application ? application.deploymentGroupName : none;
    this.dashboardUrl = pulumi
      .all([partition, region, dashboard.dashboardName])
      .apply(([p, r, d]) => dashboardUrl(p, r, d));
    this.logGroups = pulumi.output(context.logs.logGroupNames);

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
    const store = partsOf.get(this)!.sessions.component;
    return store instanceof StateServer ? store : undefined;
  }
  /** With sqlServer: the RDS instance, its security group, the nodes' login secret, the setup. */
  get sessionStore(): SqlSessionStore | undefined {
    const store = partsOf.get(this)!.sessions.component;
    return store instanceof SqlSessionStore ? store : undefined;
  }
  /** The session store the arguments chose, whichever it is: what the farm needs of it, and its component. */
  get sessions(): SessionStore {
    return partsOf.get(this)!.sessions;
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
