// WebFarm wires the parts together: network, machine key, load balancer, state server, web nodes,
// and the security group connections between them. Each part lives in its own file.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedWebFarmArgs, validateWebFarmArgs, WebFarmArgs } from "./args";
import { FarmLoadBalancer, WEB_PORT } from "./loadBalancer";
import { windowsServer2022 } from "./machineImage";
import { MachineKey } from "./machineKey";
import { existingNetwork, FarmNetwork, FarmNetworkShape } from "./network";
import { allowBetweenGroups, allowOutbound } from "./securityGroups";
import { stateAddress, StateServer } from "./stateServer";
import { WebNodes } from "./webNodes";
import { stateServerUserData, webNodeUserData } from "./windows/userData";
import { farmWebConfigFragment } from "./windows/webConfig";

export const WEB_FARM_TYPE = "aspnet-webfarm:index:WebFarm";

/** The default key parameter path: unique per project, stack and farm, so farms never share one. */
export function defaultKeyParameterName(project: string, stack: string, farm: string): string {
  return `/${project}/${stack}/${farm}/machine-key`;
}

export class WebFarm extends pulumi.ComponentResource {
  /** http(s)://<load balancer>/ */
  public readonly url: pulumi.Output<string>;
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  /** The host the nodes put in stateConnectionString: state.<farm>.internal, which follows the state server. */
  public readonly stateServerAddress: pulumi.Output<string>;
  public readonly webNodeIds: pulumi.Output<string[]>;
  /** The shared machine key (secret): validation key, 128 or 256 hex characters. */
  public readonly validationKey: pulumi.Output<string>;
  /** The shared machine key (secret): AES decryption key, 64 hex characters. */
  public readonly decryptionKey: pulumi.Output<string>;
  /** `<system.web><machineKey/><sessionState/></system.web>` for an application's web.config (secret). */
  public readonly webConfigFragment: pulumi.Output<string>;
  public readonly keyParameterName: pulumi.Output<string>;
  public readonly vpcId: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly webSecurityGroupId: pulumi.Output<string>;
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  public readonly stateServerSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: WebFarmArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, the component included.
    const farm: ResolvedWebFarmArgs = validateWebFarmArgs(name, args);
    super(WEB_FARM_TYPE, name, {}, opts);
    const parent = { parent: this };
    const tags = farm.tags;

    const network: FarmNetworkShape =
      farm.network.kind === "own"
        ? new FarmNetwork(`${name}-net`, { ...farm.network, tags }, parent)
        : existingNetwork(farm.network, parent);

    const key = new MachineKey(`${name}-key`, {
      version: farm.machineKeyVersion,
      validation: farm.validation,
      parameterName: farm.keyParameterName ?? defaultKeyParameterName(pulumi.getProject(), pulumi.getStack(), name),
      tags,
    }, parent);

    const image = windowsServer2022(farm.amiId, parent);

    const lb = new FarmLoadBalancer(`${name}-lb`, {
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      allowedCidrs: farm.allowedCidrs,
      certificateArn: farm.certificateArn,
      healthCheckPath: farm.healthCheckPath,
      deletionProtection: farm.deletionProtection,
      accessLogs: farm.accessLogs,
      alarmTopicArn: farm.alarmTopicArn,
      tags,
    }, parent);

    const region = aws.getRegionOutput({}, parent).region;
    const state = new StateServer(`${name}-state`, {
      farmName: name,
      vpcId: network.vpcId,
      subnetId: network.privateSubnetIds[0],
      image,
      instanceType: farm.stateInstanceType,
      region,
      protect: farm.protectStateServer,
      terminationProtection: farm.deletionProtection,
      alarmTopicArn: farm.alarmTopicArn,
      userData: pulumi.all(network.privateSubnetCidrs).apply((webSubnetCidrs) =>
        stateServerUserData({ statePort: farm.statePort, webSubnetCidrs }),
      ),
      tags,
    }, parent);
    // The nodes name the state server by its DNS record, a plain string known now: they neither
    // wait for the state server nor change when it is replaced (the record moves instead).
    const stateHost = stateAddress(name).host;

    const nodes = new WebNodes(`${name}-web`, {
      mode: farm.nodeMode,
      count: farm.nodeCount,
      maxCount: farm.maxNodeCount,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      image,
      instanceType: farm.webInstanceType,
      keyParameterArn: key.parameterArn,
      targetGroupArn: lb.targetGroup.arn,
      userData: pulumi.all([key.parameterName, region]).apply(([keyParameterName, regionName]) =>
        webNodeUserData({
          keyParameterName,
          keyVersion: farm.machineKeyVersion,
          keyValidation: farm.validation,
          region: regionName,
          stateHost,
          statePort: farm.statePort,
          healthCheckPath: farm.healthCheckPath,
          sessionTimeoutMinutes: farm.sessionTimeoutMinutes,
        }),
      ),
      tags,
    }, parent);

    // Who may reach whom: internet -> balancer (in FarmLoadBalancer), balancer -> nodes on 80,
    // nodes -> state server on the state port. Nothing else reaches the nodes or the state server.
    allowBetweenGroups(`${name}-lb-to-web`, {
      from: lb.securityGroup, to: nodes.securityGroup, port: WEB_PORT,
      what: "HTTP", fromLabel: "the load balancer", toLabel: "the web nodes",
    }, tags, parent);
    allowBetweenGroups(`${name}-web-to-state`, {
      from: nodes.securityGroup, to: state.securityGroup, port: farm.statePort,
      what: "ASP.NET state service", fromLabel: "the web nodes", toLabel: "the state server",
    }, tags, parent);
    allowOutbound(`${name}-web`, nodes.securityGroup, tags, parent);
    allowOutbound(`${name}-state`, state.securityGroup, tags, parent);

    this.url = lb.url;
    this.loadBalancerDnsName = lb.dnsName;
    this.stateServerAddress = state.host;
    this.webNodeIds = pulumi.all(nodes.instanceIds);
    this.validationKey = key.validationKey;
    this.decryptionKey = key.decryptionKey;
    this.webConfigFragment = pulumi.secret(
      pulumi.all([key.validationKey, key.decryptionKey]).apply(([validationKey, decryptionKey]) =>
        farmWebConfigFragment(
          { validationKey, decryptionKey, validation: farm.validation },
          { stateHost, statePort: farm.statePort, timeoutMinutes: farm.sessionTimeoutMinutes },
        ),
      ),
    );
    this.keyParameterName = key.parameterName;
    this.vpcId = network.vpcId;
    this.publicSubnetIds = pulumi.all(network.publicSubnetIds);
    this.privateSubnetIds = pulumi.all(network.privateSubnetIds);
    this.webSecurityGroupId = nodes.securityGroup.id;
    this.loadBalancerSecurityGroupId = lb.securityGroup.id;
    this.stateServerSecurityGroupId = state.securityGroup.id;

    this.registerOutputs({
      url: this.url,
      loadBalancerDnsName: this.loadBalancerDnsName,
      stateServerAddress: this.stateServerAddress,
      webNodeIds: this.webNodeIds,
      keyParameterName: this.keyParameterName,
      vpcId: this.vpcId,
      webSecurityGroupId: this.webSecurityGroupId,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
    });
  }
}
