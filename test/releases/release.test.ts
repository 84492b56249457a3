// `pulumi up` starts a release and ends with its outcome: the runner against a scripted CodeDeploy.
import {
  BatchGetDeploymentTargetsCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentTargetsCommand,
} from "@aws-sdk/client-codedeploy";
import {
  CodeDeployApi,
  CodeDeployCalls,
  describeFailure,
  ReleaseInputs,
  releaseChanged,
  runRelease,
  sdkCalls,
  TargetState,
  RELEASE_WAIT_ONLY_INPUTS,
  TARGETS_PER_BATCH_GET,
  WAIT_MINUTES,
} from "../../components/releases/release";
import { HOOKS } from "../../components/releases/windows/hooks";
import { scriptedClock } from "../support/clock";

const inputs: ReleaseInputs = {
  region: "eu-west-1",
  applicationName: "shop",
  deploymentGroupName: "shop-web",
  bucket: "shop-releases",
  key: "shop/release.zip",
  versionId: "v-2",
  version: "v2",
  nodesAtOnce: 1,
};

/** CodeDeploy as a script: each deployment id answers its list of statuses in turn. */
function scripted(
  statuses: Record<string, string[]>,
  extra: { rollback?: string; targets?: TargetState[]; targetCount?: number } = {},
) {
  const created: ReleaseInputs[] = [];
  const calls: CodeDeployCalls = {
    create: async (i) => {
      created.push(i);
      return "d-NEW";
    },
    get: async (id) => {
      const list = statuses[id];
      const status = list.length > 1 ? list.shift()! : list[0];
      return { status, rollbackDeploymentId: id === "d-NEW" ? extra.rollback : undefined };
    },
    targets: async () => extra.targets ?? [],
    targetCount: async () => extra.targetCount ?? 3,
  };
  return { calls, created };
}

const clock = scriptedClock;

const failedOnNode2: TargetState[] = [
  { targetId: "i-0aaa", status: "Succeeded", events: [{ name: "ValidateService", status: "Succeeded" }] },
  {
    targetId: "i-0bbb",
    status: "Failed",
    events: [
      { name: "BeforeInstall", status: "Succeeded" },
      {
        name: "ValidateService",
        status: "Failed",
        errorCode: "ScriptFailed",
        message: "Script at specified location: hooks/validate.ps1 run as user System failed with exit code 1",
        logTail: "a\nb\nhttp://localhost/status.aspx did not answer 200 through IIS",
      },
    ],
  },
];

test("a release starts a deployment of the bundle and ends when CodeDeploy says it succeeded", async () => {
  const { calls, created } = scripted({ "d-NEW": ["Created", "InProgress", "InProgress", "Succeeded"] });
  const c = clock();
  expect(await runRelease(calls, inputs, c)).toBe("d-NEW");
  expect(created).toEqual([inputs]);
  expect(c.lines).toEqual([
    "release v2: deployment d-NEW started (3 batch(es) of 1)",
    "deployment d-NEW: Created",
    "deployment d-NEW: InProgress",
    "deployment d-NEW: Succeeded",
  ]);
});

test("a failed release names the node, the hook and the reason, and waits for CodeDeploy's rollback", async () => {
  const { calls } = scripted(
    { "d-NEW": ["InProgress", "Failed"], "d-BACK": ["InProgress", "Succeeded"] },
    { rollback: "d-BACK", targets: failedOnNode2 },
  );
  const error = await runRelease(calls, inputs, clock()).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error?.message).toContain(
    "release v2 failed (deployment d-NEW) on node i-0bbb, hook ValidateService: ScriptFailed: Script at specified location: hooks/validate.ps1",
  );
  expect(error?.message).toContain("http://localhost/status.aspx did not answer 200 through IIS");
  expect(error?.message).toContain(
    "CodeDeploy rolled the nodes back to the previous release (deployment d-BACK); it serves everywhere.",
  );
});

test("a rollback that fails too is said plainly", async () => {
  const { calls } = scripted(
    { "d-NEW": ["Stopped"], "d-BACK": ["Failed"] },
    { rollback: "d-BACK", targets: failedOnNode2 },
  );
  await expect(runRelease(calls, inputs, clock())).rejects.toThrow(
    /release v2 stopped .* the rollback \(deployment d-BACK\) ended Failed too: check the nodes/,
  );
});

test("the wait is bounded by the batches: a stuck deployment fails the update and says where to look", async () => {
  const { calls } = scripted({ "d-NEW": ["InProgress"] });
  const c = clock();
  await expect(runRelease(calls, inputs, c)).rejects.toThrow(
    /deployment d-NEW is still InProgress after the release's time limit; it goes on in CodeDeploy \(aws deploy get-deployment --deployment-id d-NEW\)/,
  );
  // 60 minutes plus one batch's allowance per node, three nodes.
  const minutes = WAIT_MINUTES.fixed + 3 * WAIT_MINUTES.perBatch;
  expect(c.t).toBeGreaterThanOrEqual(minutes * 60000);
  expect(c.t).toBeLessThan((minutes + 1) * 60000);
});

test("a batch's allowance covers every hook's full timeout in the appspec, and the traffic events around them", () => {
  const hookMinutes = HOOKS.reduce((sum, h) => sum + h.timeoutSeconds, 0) / 60;
  expect(hookMinutes).toBe(30);
  expect(WAIT_MINUTES.perBatch).toBeGreaterThanOrEqual(hookMinutes + 5);
  expect(WAIT_MINUTES.fixed).toBe(60);
});

test("no target listed yet right after CreateDeployment: the farm's node count sets the batches to wait for", async () => {
  const { calls } = scripted({ "d-NEW": ["InProgress"] }, { targetCount: 0 });
  const c = clock();
  await expect(runRelease(calls, { ...inputs, nodeCount: 4 }, c)).rejects.toThrow(/still InProgress/);
  expect(c.lines[0]).toBe("release v2: deployment d-NEW started (4 batch(es) of 1)");
  expect(c.t).toBeGreaterThanOrEqual((WAIT_MINUTES.fixed + 4 * WAIT_MINUTES.perBatch) * 60000);
});

test("without target details the deployment's own error message is the reason", () => {
  expect(
    describeFailure([], {
      status: "Failed",
      errorMessage: "The overall deployment failed because too many individual instances failed",
    }),
  ).toBe("The overall deployment failed because too many individual instances failed");
});

test("only a new bundle or version is a new release", () => {
  expect(releaseChanged(inputs, { ...inputs })).toEqual([]);
  expect(releaseChanged(inputs, { ...inputs, version: "v3", versionId: "v-3" })).toEqual(["version", "versionId"]);
  expect(releaseChanged(inputs, { ...inputs, region: "eu-west-2" })).toEqual([]);
  // The node count only bounds the wait: more nodes alone are not a new release.
  expect(releaseChanged(inputs, { ...inputs, nodeCount: 5 })).toEqual([]);
  expect(RELEASE_WAIT_ONLY_INPUTS).toEqual(["nodeCount"]);
});

/**
 * CodeDeploy's API as a script, at the level of the SDK's commands: ListDeploymentTargets answers
 * `pageSize` ids a page with a nextToken, BatchGetDeploymentTargets refuses more than 25 ids as the
 * service does (DeploymentTargetListSizeExceededException), GetDeployment answers `statuses` in turn.
 */
function scriptedApi(
  statuses: string[],
  targets: { id: string; status: string; failedHook?: string }[],
  pageSize = 20,
) {
  const batches: string[][] = [];
  const api = {
    send: async (command: unknown) => {
      if (command instanceof CreateDeploymentCommand) return { deploymentId: "d-NEW" };
      if (command instanceof GetDeploymentCommand)
        return { deploymentInfo: { status: statuses.length > 1 ? statuses.shift() : statuses[0] } };
      if (command instanceof ListDeploymentTargetsCommand) {
        const from = Number(command.input.nextToken ?? 0);
        const next = from + pageSize;
        return {
          targetIds: targets.slice(from, next).map((t) => t.id),
          nextToken: next < targets.length ? String(next) : undefined,
        };
      }
      if (command instanceof BatchGetDeploymentTargetsCommand) {
        const ids = command.input.targetIds ?? [];
        if (ids.length > 25) throw new Error("DeploymentTargetListSizeExceededException");
        batches.push(ids);
        return {
          deploymentTargets: ids.map((id) => {
            const t = targets.find((x) => x.id === id)!;
            return {
              instanceTarget: {
                targetId: id,
                status: t.status,
                lifecycleEvents: t.failedHook
                  ? [{ lifecycleEventName: t.failedHook, status: "Failed", diagnostics: { errorCode: "ScriptFailed" } }]
                  : [{ lifecycleEventName: "ValidateService", status: "Succeeded" }],
              },
            };
          }),
        };
      }
      throw new Error(`unscripted call ${String(command)}`);
    },
  } as CodeDeployApi;
  return { api, batches };
}

const fleet = (n: number) =>
  Array.from(
    { length: n },
    (_, i) =>
      ({ id: `i-${String(i).padStart(4, "0")}`, status: "Succeeded" }) as {
        id: string;
        status: string;
        failedHook?: string;
      },
  );

describe("a deployment CodeDeploy counts Succeeded is checked node by node", () => {
  test("every target is read: all pages of ListDeploymentTargets, BatchGetDeploymentTargets 25 ids at a time", async () => {
    const nodes = fleet(60);
    const { api, batches } = scriptedApi(["Succeeded"], nodes);
    const targets = await sdkCalls(api).targets("d-NEW");
    expect(targets.map((t) => t.targetId)).toEqual(nodes.map((n) => n.id));
    expect(batches.map((b) => b.length)).toEqual([25, 25, 10]);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(TARGETS_PER_BATCH_GET);
    expect(await sdkCalls(api).targetCount("d-NEW")).toBe(60);
  });

  test("OneAtATime: a failure on the last of 30 nodes, deployment Succeeded, fails the release and names the node", async () => {
    const nodes = fleet(30);
    nodes[29] = { id: "i-0029", status: "Failed", failedHook: "ValidateService" };
    const { api } = scriptedApi(["InProgress", "Succeeded"], nodes);
    await expect(runRelease(sdkCalls(api), inputs, clock())).rejects.toThrow(
      /release v2: CodeDeploy counts deployment d-NEW Succeeded .* but 1 of 30 node\(s\) failed: node i-0029, hook ValidateService: ScriptFailed\. CodeDeploy rolls nothing back/,
    );
  });

  test("HOST_COUNT: every silently failed node is named", async () => {
    const nodes = fleet(30);
    for (const i of [3, 26]) nodes[i] = { id: nodes[i].id, status: "Failed", failedHook: "BeforeInstall" };
    const { api } = scriptedApi(["Succeeded"], nodes);
    const error = await runRelease(sdkCalls(api), inputs, clock()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(
      "2 of 30 node(s) failed: node i-0003, hook BeforeInstall: ScriptFailed; node i-0026, hook BeforeInstall: ScriptFailed.",
    );
  });

  test.each(["Skipped", "Unknown", "Pending", "Ready", "InProgress"])(
    "a node left %s in a Succeeded deployment fails the release, named with its status",
    async (status) => {
      const nodes = fleet(4);
      nodes[2] = { id: nodes[2].id, status };
      const { api } = scriptedApi(["Succeeded"], nodes);
      await expect(runRelease(sdkCalls(api), inputs, clock())).rejects.toThrow(
        `release v2: CodeDeploy counts deployment d-NEW Succeeded (enough nodes stayed healthy), but 1 of 4 node(s) did not succeed: node i-0002 ${status}. CodeDeploy rolls nothing back`,
      );
    },
  );

  test("failed and unfinished nodes are both named", async () => {
    const nodes = fleet(5);
    nodes[0] = { id: nodes[0].id, status: "Failed", failedHook: "ApplicationStart" };
    nodes[4] = { id: nodes[4].id, status: "Skipped" };
    const { api } = scriptedApi(["Succeeded"], nodes);
    await expect(runRelease(sdkCalls(api), inputs, clock())).rejects.toThrow(
      "but 1 of 5 node(s) failed: node i-0000, hook ApplicationStart: ScriptFailed; 1 of 5 node(s) did not succeed: node i-0004 Skipped.",
    );
  });

  test("control: 30 nodes that all succeeded make a successful release", async () => {
    const { api } = scriptedApi(["InProgress", "Succeeded"], fleet(30));
    expect(await runRelease(sdkCalls(api), inputs, clock())).toBe("d-NEW");
  });
});

test("many failed nodes: the first five in full, every other one by id", () => {
  const targets: TargetState[] = Array.from({ length: 8 }, (_, i) => ({
    targetId: `i-${i}`,
    status: "Failed",
    events: [{ name: "ApplicationStart", status: "Failed", errorCode: "ScriptFailed" }],
  }));
  const text = describeFailure(targets, { status: "Failed" });
  expect(text).toContain("node i-4, hook ApplicationStart: ScriptFailed; and 3 more node(s): i-5, i-6, i-7");
});
