// A release: one AWS CodeDeploy deployment of the farm's current bundle, started by `pulumi up`
// and waited for, so the update ends with the release's outcome (or the node, hook and reason it
// failed with, and CodeDeploy's rollback). CodeDeploy does the work on the nodes; this resource
// only starts it and reads its progress. The Pulumi AWS provider has no deployment resource, so
// this is a dynamic provider (TypeScript programs only: see the README).
import {
  BatchGetDeploymentTargetsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentTargetsCommand,
} from "@aws-sdk/client-codedeploy";
import * as pulumi from "@pulumi/pulumi";

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
   * Auto Scaling mode: the group released to. A new group (a switch from instances mode) starts
   * with no release of its own: its first nodes serve the kit's placeholder health page, and
   * CodeDeploy's launch hook serves only nodes launched after the deployment group names the group.
   */
  autoScalingGroupName?: string;
}

/**
 * How long `pulumi up` waits for a release: a fixed allowance, and this much per batch of nodes.
 * The release may start while instances-mode nodes still boot, and CodeDeploy waits up to an hour
 * for a node's agent (CodeDeploy, "Troubleshooting Amazon EC2 Auto Scaling issues"): the fixed part
 * covers that hour, which covers the boot's own waits (userData.ts APPLICATION_WAITS_SECONDS).
 */
export const WAIT_MINUTES = { fixed: 60, perBatch: 15 };

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

export interface ReleaseClock {
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

const DONE = ["Succeeded", "Failed", "Stopped"];

/** Waits for a deployment to end (bounded); returns its last state. */
export async function waitForDeployment(
  calls: CodeDeployCalls,
  deploymentId: string,
  deadline: number,
  clock: ReleaseClock,
  pollMs = 15000,
): Promise<DeploymentState> {
  let last = "";
  for (;;) {
    const state = await calls.get(deploymentId);
    if (state.status !== last) clock.log(`deployment ${deploymentId}: ${state.status}`);
    last = state.status;
    if (DONE.includes(state.status)) return state;
    if (clock.now() >= deadline) {
      throw new Error(
        `deployment ${deploymentId} is still ${state.status} after the release's time limit; it goes on in CodeDeploy (aws deploy get-deployment --deployment-id ${deploymentId})`,
      );
    }
    await clock.sleep(pollMs);
  }
}

/** The first failed node, hook and reason of a deployment, in one sentence. */
export function describeFailure(targets: TargetState[], deployment: DeploymentState): string {
  const failed = targets.find((t) => t.status === "Failed");
  const event = failed?.events.find((e) => e.status === "Failed");
  if (!failed || !event) return deployment.errorMessage ?? "CodeDeploy gave no reason";
  const tail = event.logTail?.trim().split(/\r?\n/).slice(-5).join(" | ");
  return `node ${failed.targetId}, hook ${event.name}: ${[event.errorCode, event.message].filter(Boolean).join(": ")}${tail ? ` (log: ${tail})` : ""}`;
}

/**
 * Starts the deployment and waits for it. On failure, waits for CodeDeploy's automatic rollback
 * and throws one error naming the node, the hook and the reason, and what the rollback did.
 */
export async function runRelease(calls: CodeDeployCalls, inputs: ReleaseInputs, clock: ReleaseClock): Promise<string> {
  const started = clock.now();
  const deploymentId = await calls.create(inputs);
  const batches = Math.ceil(Math.max(await calls.targetCount(deploymentId), 1) / inputs.nodesAtOnce);
  // Give up waiting (the deployment itself goes on in CodeDeploy) after the allowance.
  const deadline = started + (WAIT_MINUTES.fixed + WAIT_MINUTES.perBatch * batches) * 60000;
  clock.log(
    `release ${inputs.version}: deployment ${deploymentId} started (${batches} batch(es) of ${inputs.nodesAtOnce})`,
  );
  const state = await waitForDeployment(calls, deploymentId, deadline, clock);
  if (state.status === "Succeeded") return deploymentId;
  const reason = describeFailure(await calls.targets(deploymentId), state);
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

/** The calls through the AWS SDK for JavaScript, with the deployer's usual credentials. */
export function sdkCalls(region: string): CodeDeployCalls {
  const client = new CodeDeployClient({ region });
  return {
    create: async (i) =>
      (
        await client.send(
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
      const info = (await client.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
      return {
        status: info?.status ?? "Unknown",
        rollbackDeploymentId: info?.rollbackInfo?.rollbackDeploymentId,
        errorMessage: info?.errorInformation?.message,
      };
    },
    targetCount: async (id) =>
      ((await client.send(new ListDeploymentTargetsCommand({ deploymentId: id }))).targetIds ?? []).length,
    targets: async (id) => {
      const ids = (await client.send(new ListDeploymentTargetsCommand({ deploymentId: id }))).targetIds ?? [];
      if (ids.length === 0) return [];
      const found = await client.send(
        new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: ids.slice(0, 25) }),
      );
      return (found.deploymentTargets ?? []).map((t) => ({
        targetId: t.instanceTarget?.targetId ?? "?",
        status: t.instanceTarget?.status ?? "?",
        events: (t.instanceTarget?.lifecycleEvents ?? []).map((e) => ({
          name: e.lifecycleEventName ?? "?",
          status: e.status ?? "?",
          errorCode: e.diagnostics?.errorCode,
          message: e.diagnostics?.message,
          logTail: e.diagnostics?.logTail,
        })),
      }));
    },
  };
}

const realClock: ReleaseClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  log: (line) => console.log(line),
};

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
    const deploymentId = await runRelease(sdkCalls(inputs.region), inputs, realClock);
    return { id: deploymentId, outs: { ...inputs, deploymentId } };
  },
  async update(_id, _olds, news) {
    const deploymentId = await runRelease(sdkCalls(news.region), news, realClock);
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

  constructor(name: string, args: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(releaseProvider, name, { deploymentId: undefined, ...args }, opts, "aspnet-webfarm", "Release");
  }
}
