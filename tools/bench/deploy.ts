// The deployment critical path: run a stack's program under the offline engine with a creation
// latency per resource type, so the SDK's own dependency waits play out as in `pulumi up`, then
// read the modeled duration and the chain of resources that set it.
import { program } from "../../infra/program";
import { keysSetByStack, stackConfig } from "../../infra/stackFile";
import { REPO_ROOT } from "../scripts/repoRoot";
import { RecordedResource, runProgram } from "../../engine/engine";
import { planFixtures } from "../../engine/plan";

/**
 * Typical creation times in seconds: how long `pulumi up` waits for AWS to report each resource
 * ready. These are modeling assumptions, not measurements from this machine (there is no AWS
 * account here). Where each comes from:
 * - NAT gateway 120 s, load balancer 180 s: the AWS APIs report them "pending"/"provisioning"
 *   until ready; the provider polls until "available"/"active". The EC2 and ELB user guides
 *   describe this state change; one to three minutes is the commonly reported range.
 * - Instance 45 s: the provider waits for the "running" state only. Windows' own setup and the
 *   user data come after that; tools/bench/model.ts models them, and in instances mode the serving
 *   gates make `pulumi up` wait for them (run.ts adds that wait to this resource timeline).
 * - Route 53 zone 40 s, record 40 s: the provider waits for the change to be INSYNC, which Route 53
 *   documents as usually within 60 seconds.
 * - Instance profile 10 s: the provider waits for IAM's eventual consistency before EC2 accepts it.
 * - Auto Scaling group 60 s: the provider waits for the group's capacity to be in service.
 * - RDS for SQL Server 1500 s: an assumption (tools/bench/model.ts, SESSION_STORE_STEPS).
 * - Everything else (VPC, subnets, routes, security groups and rules, IAM role and policy, SSM
 *   parameter, target group, listener, attachments, alarms, S3): 1-3 s, a single API call.
 */
export const CREATION_SECONDS: Record<string, number> = {
  "aws:ec2/natGateway:NatGateway": 120,
  "aws:lb/loadBalancer:LoadBalancer": 180,
  "aws:ec2/instance:Instance": 45,
  "aws:route53/zone:Zone": 40,
  "aws:route53/record:Record": 40,
  "aws:iam/instanceProfile:InstanceProfile": 10,
  "aws:autoscaling/group:Group": 60,
  // SQL Server sessions: see SESSION_STORE_STEPS in tools/bench/model.ts (an assumption, 25 minutes).
  "aws:rds/instance:Instance": 1500,
  "aws:ec2/vpc:Vpc": 3,
  "aws:ec2/subnet:Subnet": 2,
  "aws:ec2/securityGroup:SecurityGroup": 3,
  "aws:ec2/eip:Eip": 2,
  "aws:ec2/internetGateway:InternetGateway": 2,
  "aws:lb/targetGroup:TargetGroup": 2,
  "aws:lb/listener:Listener": 2,
  "aws:iam/role:Role": 2,
  "aws:s3/bucket:Bucket": 3,
  "random:index/randomBytes:RandomBytes": 0,
  // Waiting for nodes to serve and for the first release is modeled in tools/bench/model.ts.
  "pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate": 0,
  "pulumi-nodejs:dynamic/aspnet-webfarm:Release": 0,
};
const DEFAULT_SECONDS = 1;
/** Real milliseconds per modeled second: large enough that the SDK's own overhead is noise. */
export const MS_PER_SECOND = 20;

export interface Timeline {
  /** From the first creation to the last: the resources alone, without waiting for nodes to serve. */
  totalSeconds: number;
  /** When the first web node is launched (its instance's creation starts). */
  nodesLaunchedSeconds: number;
  /**
   * When the last web node is registered with the target group (attachment or group done): not
   * when it serves, which needs Windows' setup and its boot first (tools/bench/model.ts).
   */
  nodesRegisteredSeconds: number;
  chain: { resource: string; startSeconds: number; endSeconds: number }[];
  resources: RecordedResource[];
}

/** The resources r waited for: named in its dependsOn, or whose ids or computed outputs are in its inputs. */
export function dependenciesOf(r: RecordedResource, all: RecordedResource[]): RecordedResource[] {
  const text = JSON.stringify(r.inputs);
  // dependsOn names resources or components (a component stands for the resources under it).
  const explicit = new Set(r.options.dependsOn ?? []);
  return all.filter(
    (o) =>
      o !== r &&
      o.finishedAt !== undefined &&
      (explicit.has(o.name) ||
        (o.parent !== undefined && explicit.has(o.parent)) ||
        (o.id && text.includes(`"${o.id}"`)) ||
        Object.entries(o.state).some(
          ([k, v]) =>
            k !== "name" &&
            typeof v === "string" &&
            v.length > 6 &&
            !(k in o.inputs) &&
            // A computed output that only repeats an input (a record's fqdn) was known before: no wait.
            !Object.values(o.inputs).includes(v) &&
            text.includes(v),
        )),
  );
}

const firstStart = (resources: RecordedResource[]) =>
  Math.min(...resources.filter((r) => r.startedAt !== undefined).map((r) => r.startedAt!));

export function criticalChain(resources: RecordedResource[]): Timeline {
  const t0 = firstStart(resources);
  const at = (ms: number) => (ms - t0) / MS_PER_SECOND;
  const timed = resources.filter((r) => r.finishedAt !== undefined);
  const last = timed.reduce((a, b) => (b.finishedAt! > a.finishedAt! ? b : a));
  const chain: Timeline["chain"] = [];
  const latest = (list: RecordedResource[]) =>
    list.length ? list.reduce((a, b) => (b.finishedAt! > a.finishedAt! ? b : a)) : undefined;
  let inferred = false;
  for (let r: RecordedResource | undefined = last; r;) {
    chain.unshift({
      resource: `${r.type.split(":").pop()} ${r.name}${inferred ? " (≈, by timing)" : ""}`,
      startSeconds: at(r.startedAt!),
      endSeconds: at(r.finishedAt!),
    });
    const start = r.startedAt!;
    let next = latest(dependenciesOf(r, timed));
    // A wait the inputs do not show (a name known in advance, passed as an Output): the resource
    // that finished last before r started is what it waited for, marked as inferred.
    inferred = next === undefined || at(start) - at(next.finishedAt!) > 1;
    if (inferred)
      next = latest(timed.filter((o) => o !== r && o.finishedAt! <= start && at(start) - at(o.finishedAt!) <= 1));
    r = next;
  }
  const registered = timed.filter(
    (r) => r.type === "aws:lb/targetGroupAttachment:TargetGroupAttachment" || r.type === "aws:autoscaling/group:Group",
  );
  const launched = timed.filter(
    (r) =>
      (r.type === "aws:ec2/instance:Instance" && /-web-\d+$/.test(r.name)) || r.type === "aws:autoscaling/group:Group",
  );
  return {
    totalSeconds: at(last.finishedAt!),
    nodesLaunchedSeconds: Math.min(...launched.map((r) => at(r.startedAt!))),
    nodesRegisteredSeconds: Math.max(...registered.map((r) => at(r.finishedAt!))),
    chain,
    resources,
  };
}

export async function modelDeployment(stack: string): Promise<Timeline> {
  const config = stackConfig(stack);
  // Once without latencies first: loading the providers' modules on first use would otherwise
  // count as modeled seconds of whichever resource came first.
  await runProgram(() => program(keysSetByStack(stack, REPO_ROOT)), {
    stack,
    config,
    fixtures: planFixtures(config["aws:region"]),
  });
  const { mocks } = await runProgram(() => program(keysSetByStack(stack, REPO_ROOT)), {
    stack,
    config,
    fixtures: planFixtures(config["aws:region"]),
    latencyMs: (type) => (CREATION_SECONDS[type] ?? DEFAULT_SECONDS) * MS_PER_SECOND,
  });
  return criticalChain(mocks.resources);
}

/**
 * The chain no design avoids: the load balancer needs a VPC, and a subnet and its security group
 * in it, before it can be created; its listener needs it.
 */
export function floorSeconds(): { seconds: number; chain: string[] } {
  const t = (type: string) => CREATION_SECONDS[type] ?? DEFAULT_SECONDS;
  const beforeLb = Math.max(t("aws:ec2/subnet:Subnet"), t("aws:ec2/securityGroup:SecurityGroup"));
  return {
    seconds: t("aws:ec2/vpc:Vpc") + beforeLb + t("aws:lb/loadBalancer:LoadBalancer") + t("aws:lb/listener:Listener"),
    chain: ["Vpc", "Subnet / SecurityGroup", "LoadBalancer", "Listener"],
  };
}

/**
 * The earlier design, for comparison: the nodes' user data named the state server's private IP,
 * so no node could be created before the state server was running. Computed on the recorded graph
 * with that edge added back: each node then starts when both it and the state server could.
 */
export function withNodesWaitingForStateServer(t: Timeline): { totalSeconds: number; nodesRegisteredSeconds: number } {
  const t0 = firstStart(t.resources);
  const at = (ms: number) => (ms - t0) / MS_PER_SECOND;
  const state = t.resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.name.endsWith("-state"));
  const nodes = t.resources.filter((r) => r.type === "aws:ec2/instance:Instance" && /-web-\d+$/.test(r.name));
  if (!state || nodes.length === 0)
    return { totalSeconds: t.totalSeconds, nodesRegisteredSeconds: t.nodesRegisteredSeconds };
  const nodeCreate = CREATION_SECONDS["aws:ec2/instance:Instance"];
  const registered = Math.max(
    ...nodes.map((n) => Math.max(at(n.startedAt!), at(state.finishedAt!)) + nodeCreate + DEFAULT_SECONDS),
  );
  return { totalSeconds: Math.max(t.totalSeconds, registered), nodesRegisteredSeconds: registered };
}
