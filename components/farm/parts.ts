// The farm's parts built from their groups of the validated arguments and the shared context: what
// each part's constructor takes, spelled out once, so WebFarm itself only wires them together.
import * as pulumi from "@pulumi/pulumi";
import { ResolvedWebFarmArgs, whenKnown } from "../args/args";
import { FARM_TAG } from "../aws/tags";
import { FarmLoadBalancer } from "../loadBalancer/loadBalancer";
import { MachineKey } from "../machineKey/machineKey";
import { WebNodes } from "../nodes/webNodes";
import { codeDeployNames, FarmApplication } from "../releases/application";
import { resourcesOf, SessionStore } from "../sessions/contract";
import { farmWebConfigFragment } from "../windows/webConfig";
import { FarmContext } from "./context";

/** The secret machineKey every node shares, in SSM. */
export function farmMachineKey(context: FarmContext, farm: ResolvedWebFarmArgs): MachineKey {
  return new MachineKey(
    `${context.name}-key`,
    {
      version: farm.machineKey.version,
      validation: farm.machineKey.validation,
      parameterName: farm.machineKey.parameterName ?? context.names.keyParameter,
      tags: context.tags,
    },
    { parent: context.parent },
  );
}

/** The Application Load Balancer in the public subnets, with its target group, listeners and alarms. */
export function farmLoadBalancer(context: FarmContext, farm: ResolvedWebFarmArgs): FarmLoadBalancer {
  const { name, network } = context;
  const { certificateArn } = farm.loadBalancer;
  return new FarmLoadBalancer(
    `${name}-lb`,
    {
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      allowedCidrs: whenKnown(name, "allowedCidrs", farm.loadBalancer.allowedCidrs),
      certificateArn: certificateArn === undefined ? undefined : whenKnown(name, "certificateArn", certificateArn),
      healthCheckPath: farm.loadBalancer.healthCheckPath,
      deletionProtection: farm.deletionProtection,
      accessLogs: farm.loadBalancer.accessLogs,
      alarmTopicArn: context.alarmTopicArn,
      tags: context.tags,
    },
    { parent: context.parent },
  );
}

/** With an application: the CodeDeploy agent; in instances mode, the current release at boot. */
export function codeDeployOf(name: string, farm: ResolvedWebFarmArgs) {
  return farm.app && { currentRelease: farm.nodes.mode === "instances" ? codeDeployNames(name) : undefined };
}

/** With an application: its build, bundle, CodeDeploy application and group, and the release. */
export function farmApplication(
  context: FarmContext,
  farm: ResolvedWebFarmArgs,
  parts: { loadBalancer: FarmLoadBalancer; webNodes: WebNodes; sessions: SessionStore },
): FarmApplication | undefined {
  const { name } = context;
  const { loadBalancer, webNodes, sessions } = parts;
  if (!farm.app) return undefined;
  return new FarmApplication(
    `${name}-app`,
    {
      farmName: name,
      app: farm.app,
      nodeCount: farm.nodes.count,
      region: context.region,
      partition: context.partition,
      accountId: context.account.accountId,
      healthCheckPath: farm.loadBalancer.healthCheckPath,
      targetGroupName: loadBalancer.targetGroup.name,
      nodeTag: { key: FARM_TAG, value: name },
      autoScalingGroupName: webNodes.autoScalingGroup?.name,
      nodeRoleName: webNodes.role.name,
      nodeRoleArn: webNodes.role.arn,
      rollbackAlarmName: loadBalancer.errorRateAlarm.name,
      // A node's agent comes up only once what its boot needs of the session store is there.
      nodes: [webNodes, ...resourcesOf(sessions.needs)],
      startRelease: farm.waitForDeployments,
      tags: context.tags,
    },
    { parent: context.parent },
  );
}

/** `<system.web><machineKey/><sessionState/></system.web>`: a secret whatever the store (SQL Server's carries a login). */
export function webConfigFragmentOf(
  machineKey: MachineKey,
  farm: ResolvedWebFarmArgs,
  sessions: SessionStore,
): pulumi.Output<string> {
  return pulumi.secret(
    pulumi
      .all([machineKey.validationKey, machineKey.decryptionKey, sessions.sessionState])
      .apply(([validationKey, decryptionKey, session]) =>
        farmWebConfigFragment({ validationKey, decryptionKey, validation: farm.machineKey.validation }, session),
      ),
  );
}
