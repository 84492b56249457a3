// Instances mode: a new node must pass the load balancer's health check before `pulumi up` goes
// on. Pulumi deletes replaced resources at the end of an update, so when a change replaces the
// nodes, the old ones keep serving until every new one is healthy; and if one never becomes
// healthy, the update fails with the node, its boot status and where its log is, and the old
// nodes stay. The AWS provider has no resource that waits for target health, so this is a
// dynamic provider (like the release, TypeScript programs only).
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from "@aws-sdk/client-resource-groups-tagging-api";
import * as pulumi from "@pulumi/pulumi";
import { DynamicArgs, pollUntil, realClock, WaitClock } from "../aws/waiter";

export interface ServingGateInputs {
  region: string;
  targetGroupArn: string;
  instanceId: string;
  instanceArn: string;
  /** The node's logical name, for the message. */
  node: string;
  /** Where the node's boot log is shipped. */
  bootLogGroup: string;
  timeoutMinutes: number;
}

/** How long `pulumi up` waits for a new node to serve: a stock Windows boot, IIS, the key, checks. */
export const SERVING_TIMEOUT_MINUTES = 45;

export interface TargetHealth {
  state: string;
  reason?: string;
  description?: string;
}

export interface HealthCalls {
  targetHealth(targetGroupArn: string, instanceId: string): Promise<TargetHealth>;
  /** The instance's webfarm:boot tag, when it has one. */
  bootStatus(instanceArn: string): Promise<string | undefined>;
}

/** The clock a gate waits with (aws/waiter.ts). */
export type GateClock = WaitClock;

function unhealthyMessage(i: ServingGateInputs, health: TargetHealth, boot: string | undefined, why: string): string {
  const target = [health.state, health.reason, health.description].filter(Boolean).join(": ");
  return [
    `node ${i.node} (${i.instanceId}) ${why}.`,
    `Load balancer: ${target}.`,
    `Boot status (tag webfarm:boot): ${boot ?? "none yet (the boot script has not started, or cannot tag)"}.`,
    `Its boot log: CloudWatch Logs ${i.bootLogGroup}, stream ${i.instanceId}/boot; or a session: aws ssm start-session --target ${i.instanceId}.`,
    "The nodes it was to replace keep serving.",
  ].join(" ");
}

/** Waits until the node is healthy in the target group; fails early when its boot failed. */
export async function waitUntilServing(
  calls: HealthCalls,
  i: ServingGateInputs,
  clock: GateClock,
  pollMs = 20000,
): Promise<void> {
  const deadline = clock.now() + i.timeoutMinutes * 60000;
  await pollUntil(
    clock,
    deadline,
    pollMs,
    async () => {
      const health = await calls.targetHealth(i.targetGroupArn, i.instanceId);
      if (health.state === "healthy")
        return {
          health,
          boot: undefined,
          status: "healthy",
          line: `${i.node}: healthy in the target group`,
          done: true,
        };
      const boot = await calls.bootStatus(i.instanceArn);
      return {
        health,
        boot,
        status: `${health.state}/${boot ?? "-"}`,
        line: `${i.node}: ${health.state}; boot ${boot ?? "not reported yet"}`,
        done: false,
        failure: boot?.startsWith("failed")
          ? new Error(unhealthyMessage(i, health, boot, "failed to boot"))
          : undefined,
      };
    },
    ({ health, boot }) =>
      new Error(unhealthyMessage(i, health, boot, `did not pass the health check within ${i.timeoutMinutes} minutes`)),
  );
}

export function sdkHealthCalls(region: string): HealthCalls {
  const elb = new ElasticLoadBalancingV2Client({ region });
  const tagging = new ResourceGroupsTaggingAPIClient({ region });
  return {
    targetHealth: async (targetGroupArn, instanceId) => {
      const found = await elb.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: instanceId }] }),
      );
      const t = found.TargetHealthDescriptions?.[0]?.TargetHealth;
      return { state: t?.State ?? "unknown", reason: t?.Reason, description: t?.Description };
    },
    bootStatus: async (instanceArn) => {
      const found = await tagging.send(new GetResourcesCommand({ ResourceARNList: [instanceArn] }));
      return found.ResourceTagMappingList?.[0]?.Tags?.find((t) => t.Key === "webfarm:boot")?.Value;
    },
  };
}

/** A new node or target group means a new wait; the message fields and timeout do not. */
export function gateReplaces(olds: ServingGateInputs, news: ServingGateInputs): string[] {
  return (["instanceId", "targetGroupArn"] as const).filter((k) => olds[k] !== news[k]);
}

const gateProvider: pulumi.dynamic.ResourceProvider<ServingGateInputs, ServingGateInputs> = {
  async diff(_id, olds, news) {
    const replaces = gateReplaces(olds, news);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs) {
    await waitUntilServing(sdkHealthCalls(inputs.region), inputs, realClock);
    return { id: `${inputs.instanceId}@serving`, outs: inputs };
  },
  // Nothing to undo: the gate only waited.
  async delete() {},
};

/** Completes once the node serves behind the load balancer. */
export class ServingGate extends pulumi.dynamic.Resource {
  constructor(name: string, args: DynamicArgs<ServingGateInputs>, opts?: pulumi.CustomResourceOptions) {
    super(gateProvider, name, args, opts, "aspnet-webfarm", "ServingGate");
  }
}
