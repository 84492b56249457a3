// `pulumi up` starts a release and ends with its outcome: the runner against a scripted CodeDeploy.
import {
  CodeDeployCalls,
  describeFailure,
  ReleaseClock,
  ReleaseInputs,
  releaseChanged,
  runRelease,
  TargetState,
} from "../components/release";

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
function scripted(statuses: Record<string, string[]>, extra: { rollback?: string; targets?: TargetState[] } = {}) {
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
    targetCount: async () => 3,
  };
  return { calls, created };
}

function clock(): ReleaseClock & { lines: string[]; t: number } {
  const c = {
    t: 0,
    lines: [] as string[],
    sleep: async (ms: number) => void (c.t += ms),
    now: () => c.t,
    log: (line: string) => void c.lines.push(line),
  };
  return c;
}

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
  // 60 minutes plus 15 per batch of one node, three nodes: 105 minutes of polling.
  expect(c.t).toBeGreaterThanOrEqual(105 * 60000);
  expect(c.t).toBeLessThan(106 * 60000);
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
});
