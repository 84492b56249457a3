// A release: one AWS CodeDeploy deployment of the farm's current bundle, started by `pulumi up`
// and waited for, so the update ends with the release's outcome (or the node, hook and reason it
// failed with, and CodeDeploy's rollback). CodeDeploy does the work on the nodes; this resource
// only starts it and reads its progress. The Pulumi AWS provider has no deployment resource, so
// this is a dynamic provider (TypeScript programs only: see docs/languages.md).
import {
  BatchGetDeploymentTargetsCommand,
  BatchGetDeploymentTargetsCommandOutput,
  CodeDeployClient,
  CreateDeploymentCommand,
  CreateDeploymentCommandOutput,
  GetDeploymentCommand,
  GetDeploymentCommandOutput,
  ListDeploymentTargetsCommand,
  ListDeploymentTargetsCommandOutput,
} from "@aws-sdk/client-codedeploy";
import * as pulumi from "@pulumi/pulumi";
import { DynamicArgs, pollUntil, realClock, WaitClock } from "../aws/waiter";
import { HOOK_TIMEOUT_SECONDS } from "./windows/hooks";

export interface ReleaseInputs {
  region: string;
  applicationName: string;
  deploymentGroupName: string;
  /** The bundle (appspec, hooks, release.json) in S3. */
  bucket: string;
  key: string;
  versionId?: string;
  /** The release's label. */
  version: string;
  /** Nodes CodeDeploy works on at once: the release waits for each batch in turn. */
  nodesAtOnce: number;
  /**
   * The farm's node count: the fewest nodes the release waits for, when CodeDeploy lists no target
   * yet right after CreateDeployment. Not a reason for a new release by itself (releaseChanged).
   */
  nodeCount?: number;
  /**
   * Auto Scaling mode: the group released to. A new group (a switch from instances mode) starts
   * with no release of its own: its first nodes serve the kit's placeholder health page, and
   * CodeDeploy's launch hook serves only nodes launched after the deployment group names the group.
   */
  autoScalingGroupName?: string;
}

/**
 * Beyond its hooks, what one batch may take: BlockTraffic (the target group's deregistration delay,
 * loadBalancer.ts, 30 s), AllowTraffic (the health checks that make a node healthy again), and the
 * agent's polling between events.
 */
const BATCH_MARGIN_MINUTES = 10;

/**
 * How long `pulumi up` waits for a release: a fixed allowance, and this much per batch of nodes.
 * The release may start while instances-mode nodes still boot, and CodeDeploy waits up to an hour
 * for a node's agent (CodeDeploy, "Troubleshooting Amazon EC2 Auto Scaling issues"): the fixed part
 * covers that hour, which covers the boot's own waits (userData.ts APPLICATION_WAITS_SECONDS).
 * A batch may take every hook's full timeout (the appspec's, HOOK_TIMEOUT_SECONDS: CodeDeploy stops
 * a hook only at its timeout) and the traffic events around them.
 */
export const WAIT_MINUTES = {
  fixed: 60,
  perBatch:
    Math.ceil(Object.values(HOOK_TIMEOUT_SECONDS).reduce((sum, seconds) => sum + seconds, 0) / 60) +
    BATCH_MARGIN_MINUTES,
};

export interface DeploymentState {
  status: string;
  rollbackDeploymentId?: string;
  errorMessage?: string;
}

export interface LifecycleEvent {
  name: string;
  status: string;
  errorCode?: string;
  message?: string;
  logTail?: string;
}

export interface TargetState {
  targetId: string;
  status: string;
  events: LifecycleEvent[];
}

/** The CodeDeploy calls a release makes: the SDK's in a deployment, a script in tests. */
export interface CodeDeployCalls {
  create(inputs: ReleaseInputs): Promise<string>;
  get(deploymentId: string): Promise<DeploymentState>;
  targets(deploymentId: string): Promise<TargetState[]>;
  /** How many nodes the deployment has. */
  targetCount(deploymentId: string): Promise<number>;
}

/** The clock a release waits with (aws/waiter.ts). */
export type ReleaseClock = WaitClock;

const DONE = ["Succeeded", "Failed", "Stopped"];

/** Waits for a deployment to end (bounded); returns its last state. */
export async function waitForDeployment(
  calls: CodeDeployCalls,
  deploymentId: string,
  deadline: number,
  clock: ReleaseClock,
  pollMs = 15000,
): Promise<DeploymentState> {
  const last = await pollUntil(
    clock,
    deadline,
    pollMs,
    async () => {
      const state = await calls.get(deploymentId);
      const status = state.status;
      return { state, status, line: `deployment ${deploymentId}: ${status}`, done: DONE.includes(status) };
    },
    ({ status }) =>
      new Error(
        `deployment ${deploymentId} is still ${status} after the release's time limit; it goes on in CodeDeploy (aws deploy get-deployment --deployment-id ${deploymentId})`,
      ),
  );
  return last.state;
}

/** Failed nodes described in full in an error; the rest are named by id only. */
const DESCRIBED_FAILURES = 5;

function describeTarget(target: TargetState): string {
  const event = target.events.find((e) => e.status === "Failed");
  if (!event) return `node ${target.targetId}`;
  const tail = event.logTail?.trim().split(/\r?\n/).slice(-5).join(" | ");
  return `node ${target.targetId}, hook ${event.name}: ${[event.errorCode, event.message].filter(Boolean).join(": ")}${tail ? ` (log: ${tail})` : ""}`;
}

/** Every failed node of a deployment, with its hook and reason (the first few in full), in one sentence. */
export function describeFailure(targets: TargetState[], deployment: DeploymentState): string {
  const failed = targets.filter((t) => t.status === "Failed");
  if (failed.length === 0) return deployment.errorMessage ?? "CodeDeploy gave no reason";
  const described = failed.slice(0, DESCRIBED_FAILURES).map(describeTarget);
  const rest = failed.slice(DESCRIBED_FAILURES).map((t) => t.targetId);
  return [...described, ...(rest.length > 0 ? [`and ${rest.length} more node(s): ${rest.join(", ")}`] : [])].join("; ");
}

/**
 * Starts the deployment and waits for it. On failure, waits for CodeDeploy's automatic rollback
 * and throws one error naming the node, the hook and the reason, and what the rollback did.
 * "Succeeded" is not enough: CodeDeploy counts a deployment Succeeded while its minimum healthy
 * hosts hold, so with OneAtATime a failure on the last node, and with HOST_COUNT n-k up to k
 * failed nodes, still end Succeeded (CodeDeploy API reference, MinimumHealthyHosts; user guide,
 * "CodeDeploy instance health"). The release reads every node and fails if any one failed.
 */
export async function runRelease(calls: CodeDeployCalls, inputs: ReleaseInputs, clock: ReleaseClock): Promise<string> {
  const started = clock.now();
  const deploymentId = await calls.create(inputs);
  // Right after CreateDeployment CodeDeploy may list no target yet: the farm's node count is the least.
  const nodes = Math.max(await calls.targetCount(deploymentId), inputs.nodeCount ?? 0, 1);
  const batches = Math.ceil(nodes / inputs.nodesAtOnce);
  // Give up waiting (the deployment itself goes on in CodeDeploy) after the allowance.
  const deadline = started + (WAIT_MINUTES.fixed + WAIT_MINUTES.perBatch * batches) * 60000;
  clock.log(
    `release ${inputs.version}: deployment ${deploymentId} started (${batches} batch(es) of ${inputs.nodesAtOnce})`,
  );
  const state = await waitForDeployment(calls, deploymentId, deadline, clock);
  const targets = await calls.targets(deploymentId);
  // Every node must have Succeeded: a target may also be Failed, InProgress, Pending, Ready, Skipped
  // or Unknown (CodeDeploy API reference, ListDeploymentTargets, targetFilters: TargetStatus).
  const others = targets.filter((t) => t.status !== "Succeeded");
  if (state.status === "Succeeded" && others.length === 0) return deploymentId;
  const reason = describeFailure(targets, state);
  if (state.status === "Succeeded") {
    const failed = others.filter((t) => t.status === "Failed");
    const unfinished = others.filter((t) => t.status !== "Failed");
    const of = `of ${targets.length} node(s)`;
    const problems = [
      ...(failed.length > 0 ? [`${failed.length} ${of} failed: ${reason}`] : []),
      ...(unfinished.length > 0
        ? [
            `${unfinished.length} ${of} did not succeed: ${unfinished.map((t) => `node ${t.targetId} ${t.status}`).join(", ")}`,
          ]
        : []),
    ];
    // Automatic rollback is for DEPLOYMENT_FAILURE: a deployment CodeDeploy counts Succeeded is not rolled back.
    throw new Error(
      `release ${inputs.version}: CodeDeploy counts deployment ${deploymentId} Succeeded (enough nodes stayed healthy), ` +
        `but ${problems.join("; ")}. ` +
        "CodeDeploy rolls nothing back and ran no later hook on them (so they may be out of the load balancer): " +
        "fix the cause and run `pulumi up` again, which releases to every node.",
    );
  }
  let rollback = "CodeDeploy started no rollback: the nodes it reached may serve either release";
  if (state.rollbackDeploymentId) {
    const back = await waitForDeployment(calls, state.rollbackDeploymentId, deadline + 30 * 60000, clock);
    rollback =
      back.status === "Succeeded"
        ? `CodeDeploy rolled the nodes back to the previous release (deployment ${state.rollbackDeploymentId}); it serves everywhere`
        : `the rollback (deployment ${state.rollbackDeploymentId}) ended ${back.status} too: check the nodes`;
  }
  throw new Error(
    `release ${inputs.version} ${state.status.toLowerCase()} (deployment ${deploymentId}) on ${reason}. ${rollback}.`,
  );
}

/** The CodeDeploy API calls a release makes: the SDK client, or a scripted CodeDeploy in tests. */
export interface CodeDeployApi {
  send(command: CreateDeploymentCommand): Promise<CreateDeploymentCommandOutput>;
  send(command: GetDeploymentCommand): Promise<GetDeploymentCommandOutput>;
  send(command: ListDeploymentTargetsCommand): Promise<ListDeploymentTargetsCommandOutput>;
  send(command: BatchGetDeploymentTargetsCommand): Promise<BatchGetDeploymentTargetsCommandOutput>;
}

/** BatchGetDeploymentTargets takes at most 25 target ids a call (CodeDeploy API reference). */
export const TARGETS_PER_BATCH_GET = 25;
/** A bound on ListDeploymentTargets pages, so a token that never ends cannot hang `pulumi up`. */
const MAX_TARGET_PAGES = 1000;

/** Every target id of a deployment: ListDeploymentTargets answers a page at a time, with nextToken. */
export async function listTargetIds(api: CodeDeployApi, deploymentId: string): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_TARGET_PAGES; page++) {
    const answer = await api.send(new ListDeploymentTargetsCommand({ deploymentId, nextToken }));
    ids.push(...(answer.targetIds ?? []));
    nextToken = answer.nextToken;
    if (!nextToken) return ids;
  }
  throw new Error(`deployment ${deploymentId}: more than ${MAX_TARGET_PAGES} pages of targets`);
}

/** The calls through the AWS SDK for JavaScript (or any CodeDeployApi). */
export function sdkCalls(api: CodeDeployApi): CodeDeployCalls {
  return {
    create: async (i) =>
      (
        await api.send(
          new CreateDeploymentCommand({
            applicationName: i.applicationName,
            deploymentGroupName: i.deploymentGroupName,
            description: `aspnet-webfarm release ${i.version}`,
            revision: {
              revisionType: "S3",
              s3Location: { bucket: i.bucket, key: i.key, version: i.versionId, bundleType: "zip" },
            },
          }),
        )
      ).deploymentId!,
    get: async (id) => {
      const info = (await api.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
      return {
        status: info?.status ?? "Unknown",
        rollbackDeploymentId: info?.rollbackInfo?.rollbackDeploymentId,
        errorMessage: info?.errorInformation?.message,
      };
    },
    targetCount: async (id) => (await listTargetIds(api, id)).length,
    targets: async (id) => {
      const ids = await listTargetIds(api, id);
      const targets: TargetState[] = [];
      for (let i = 0; i < ids.length; i += TARGETS_PER_BATCH_GET) {
        const found = await api.send(
          new BatchGetDeploymentTargetsCommand({
            deploymentId: id,
            targetIds: ids.slice(i, i + TARGETS_PER_BATCH_GET),
          }),
        );
        for (const t of found.deploymentTargets ?? [])
          targets.push({
            targetId: t.instanceTarget?.targetId ?? "?",
            status: t.instanceTarget?.status ?? "?",
            events: (t.instanceTarget?.lifecycleEvents ?? []).map((e) => ({
              name: e.lifecycleEventName ?? "?",
              status: e.status ?? "?",
              errorCode: e.diagnostics?.errorCode,
              message: e.diagnostics?.message,
              logTail: e.diagnostics?.logTail,
            })),
          });
      }
      return targets;
    },
  };
}

/** Inputs that only bound the wait: the provider's diff ignores them, so a change to them alone updates nothing. */
export const RELEASE_WAIT_ONLY_INPUTS: readonly string[] = ["nodeCount"];

/** A new bundle (its version, object or versionId), or a new group to release to, is a new release; nothing else is. */
export function releaseChanged(olds: ReleaseInputs, news: ReleaseInputs): string[] {
  return (
    [
      "version",
      "bucket",
      "key",
      "versionId",
      "applicationName",
      "deploymentGroupName",
      "nodesAtOnce",
      "autoScalingGroupName",
    ] as const
  ).filter((k) => olds[k] !== news[k]);
}

const releaseProvider: pulumi.dynamic.ResourceProvider<ReleaseInputs, ReleaseInputs & { deploymentId: string }> = {
  async diff(_id, olds, news) {
    const changes = releaseChanged(olds, news);
    return { changes: changes.length > 0, replaces: [], stables: [] };
  },
  async create(inputs) {
    const deploymentId = await runRelease(sdkCalls(new CodeDeployClient({ region: inputs.region })), inputs, realClock);
    return { id: deploymentId, outs: { ...inputs, deploymentId } };
  },
  async update(_id, _olds, news) {
    const deploymentId = await runRelease(sdkCalls(new CodeDeployClient({ region: news.region })), news, realClock);
    return { outs: { ...news, deploymentId } };
  },
  // Nothing to undo: the nodes keep serving the release until they are replaced or destroyed.
  async delete() {},
};

/** One release of the farm's application: `pulumi up` starts it and ends with its outcome. */
export class Release extends pulumi.dynamic.Resource {
  /** The CodeDeploy deployment that made this release. */
  declare public readonly deploymentId: pulumi.Output<string>;
  declare public readonly version: pulumi.Output<string>;

  constructor(name: string, args: DynamicArgs<ReleaseInputs>, opts?: pulumi.CustomResourceOptions) {
    super(releaseProvider, name, { deploymentId: undefined, ...args }, opts, "aspnet-webfarm", "Release");
  }
}
