// The convergence proof: in every mode the kit offers, and across the updates the docs promise,
// every wait in the graph needs only resources created before it (no cycle, no race, nothing
// missing), and every resource that waits declares what it waits for. Controls show the check
// fails on a planted cycle (row 2's old shape), a race and a missing prerequisite.
import * as autoscaling from "@pulumi/aws/autoscaling";
import * as iam from "@pulumi/aws/iam";
import { WebFarm, WebFarmArgs } from "../../components";
import { releaseChanged, WAIT_MINUTES } from "../../components/releases/release";
import {
  CAPACITY_TIMEOUT,
  CAPACITY_TIMEOUT_MINUTES,
  LAUNCH_TIMEOUT_SECONDS,
  REFRESH_WARMUP_SECONDS,
} from "../../components/nodes/webNodes";
import { APPLICATION_WAITS_SECONDS } from "../../components/windows/userData";
import { declareWait, WAITING_TYPES } from "../../components/aws/waits";
import { checkConvergence, checkUpdate, convergenceLines } from "../../engine/convergence";
import { RecordedResource, RecordedWait, runProgram } from "../../engine/engine";
import { bootTextOf } from "../support/graph";

interface Recorded {
  resources: RecordedResource[];
  waits: RecordedWait[];
}

const built = new Map<string, Recorded>();
/** The farm's recorded graph; each distinct set of arguments is built once. */
async function farmGraph(args: WebFarmArgs): Promise<Recorded> {
  const key = JSON.stringify(args);
  if (!built.has(key)) {
    const { mocks } = await runProgram(() => new WebFarm("shop", args));
    built.set(key, { resources: mocks.resources, waits: mocks.waits });
  }
  return built.get(key)!;
}

const APP = { bucket: "shop-builds", key: "shop/site.zip", version: "1.0" };
type Mode = { nodeMode: "instances" | "autoscaling"; app: boolean; sessionStore: "stateServer" | "sqlServer" };
const argsOf = (m: Mode, extra: Partial<WebFarmArgs> = {}): WebFarmArgs => ({
  nodeCount: 2,
  nodeMode: m.nodeMode,
  sessionStore: m.sessionStore,
  ...(m.app ? { app: APP } : {}),
  ...extra,
});
const mode = (nodeMode: Mode["nodeMode"], app: boolean, sessionStore: Mode["sessionStore"]): Mode => ({
  nodeMode,
  app,
  sessionStore,
});
// Every pair of (node mode, application, session store) values, and the hardest shape, Auto Scaling
// with an application and SQL Server: the suite's budget allows five farms here. Every other farm
// the suite builds is checked too (test/support/graph.ts).
const ASG_APP_SQL = mode("autoscaling", true, "sqlServer");
const INSTANCES_APP_SQL = mode("instances", true, "sqlServer");
const ASG_APP_STATE = mode("autoscaling", true, "stateServer");
const INSTANCES_NOAPP_STATE = mode("instances", false, "stateServer");
const ASG_NOAPP_STATE = mode("autoscaling", false, "stateServer");
const MODES: Mode[] = [
  INSTANCES_NOAPP_STATE,
  INSTANCES_APP_SQL,
  mode("autoscaling", false, "sqlServer"),
  ASG_APP_STATE,
  ASG_APP_SQL,
];
const label = (m: Mode) => `${m.nodeMode}, ${m.app ? "with" : "without"} an application, ${m.sessionStore}`;

const graphs = new Map<string, Recorded>();
beforeAll(async () => {
  for (const m of MODES) graphs.set(label(m), await farmGraph(argsOf(m)));
  // The other end of a switch between node modes without an application.
  graphs.set(label(ASG_NOAPP_STATE), await farmGraph(argsOf(ASG_NOAPP_STATE)));
});

describe("the first `pulumi up` converges", () => {
  test.each(MODES.map((m) => [label(m), m] as const))("%s", (name) => {
    const { resources, waits } = graphs.get(name)!;
    const result = checkConvergence(resources, waits);
    expect(result.problems).toEqual([]);
    // The waits this mode has: the group or a gate per node; the release; the session database.
    const waiting = resources.filter((r) => WAITING_TYPES[r.type]?.waits(r.inputs)).map((r) => r.type);
    expect(waiting.length).toBe(waits.length);
    expect(waiting).toContain(
      name.startsWith("autoscaling")
        ? "aws:autoscaling/group:Group"
        : "pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate",
    );
  });

  test("Auto Scaling: the group waits for nodes that can complete their launch hook and serve a health page", () => {
    const { resources, waits } = graphs.get(label(ASG_APP_SQL))!;
    const group = resources.find((r) => r.type === "aws:autoscaling/group:Group")!;
    const launch = resources.find((r) => r.name === "shop-web-launch")!;
    // Row 2: the policy names the group by the name it will have, and the group depends on it.
    expect(group.inputs.name).toBe("aspnet-webfarm-test-shop-web");
    expect(JSON.parse(launch.inputs.policy).Statement[0].Resource).toEqual([
      "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/aspnet-webfarm-test-shop-web",
    ]);
    expect(group.dependencies).toContain(launch.urn);
    expect(launch.dependencies).not.toContain(group.urn);
    // Row 3: the deployment group and the release come after the group, whose nodes are healthy
    // before any release because the boot writes the health page.
    const wait = waits.find((w) => w.waiter === group.urn)!;
    expect(wait.needs.find((n) => n.what.startsWith("a health page"))?.holds).toBe(true);
    const deploymentGroup = resources.find((r) => r.type === "aws:codedeploy/deploymentGroup:DeploymentGroup")!;
    expect(deploymentGroup.propertyDependencies.autoscalingGroups).toEqual([group.urn]);
    const release = resources.find((r) => r.type === "pulumi-nodejs:dynamic/aspnet-webfarm:Release")!;
    expect(release.dependencies).toContain(group.urn);
  });

  // Row 3: the boot writes the health page in Auto Scaling mode with an application; in instances
  // mode the page comes with the release (a node is healthy only once it serves the application).
  test("with an application, Auto Scaling nodes serve the kit's health page at boot; instances get it with the release", () => {
    const userData = (g: Recorded) => {
      const template = g.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
      if (template) return bootTextOf(template);
      return bootTextOf(g.resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.name === "shop-web-0")!);
    };
    const scaled = userData(graphs.get(label(ASG_APP_STATE))!);
    expect(scaled).toContain("Step 'pin the site id and write the health check file'");
    expect(scaled).toContain("$HealthFile = 'health.aspx'");
    expect(scaled).toContain("Step 'restart IIS and check the health page answers 200'");
    expect(userData(graphs.get(label(INSTANCES_APP_SQL))!)).not.toContain("$HealthFile");
  });
});

describe("the updates the docs promise converge, and run a wait that confirms the nodes serve", () => {
  // A new image, a key rotation and a release change what existing resources hold, not the graph:
  // the graph after them is the mode's own, with these resources changed. azCount and the node mode
  // change the graph itself: built for real.
  const SEEDED: { name: string; changes: (r: RecordedResource) => boolean; app?: boolean }[] = [
    {
      name: "image change",
      changes: (r) =>
        (r.type === "aws:ec2/instance:Instance" && r.inputs.tags?.["webfarm:role"] === "web-node") ||
        r.type === "aws:ec2/launchTemplate:LaunchTemplate",
    },
    {
      name: "key rotation",
      changes: (r) => r.type === "random:index/randomBytes:RandomBytes" && r.name.startsWith("shop-key"),
    },
    { name: "application release", changes: (r) => r.name === "shop-app-bundle", app: true },
  ];
  const serving = (m: Mode) => (m.nodeMode === "autoscaling" ? /\(Group\)$/ : /-serving \(ServingGate\)$/);

  test.each(SEEDED.flatMap((u) => MODES.filter((m) => !u.app || m.app).map((m) => [u.name, label(m), u, m] as const)))(
    "%s, %s",
    (_u, name, update, m) => {
      const { resources, waits } = graphs.get(name)!;
      const seeds = new Set(resources.filter(update.changes).map((r) => r.urn));
      expect(seeds.size).toBeGreaterThan(0);
      const result = checkUpdate(resources, resources, waits, seeds);
      expect(result.problems).toEqual([]);
      if (update.app) expect(result.running).toContain("shop-app-release (Release)");
      // Auto Scaling: a new template version starts an instance refresh, which nothing waits for.
      else expect(result.running.some((w) => serving(m).test(w))).toBe(m.nodeMode === "instances");
    },
  );

  test.each([ASG_APP_SQL, INSTANCES_NOAPP_STATE].map((m) => [label(m), m] as const))(
    "azCount 2 -> 3, %s",
    async (_name, m) => {
      const result = checkUpdate(
        graphs.get(label(m))!.resources,
        ...graphOf(await farmGraph(argsOf(m, { azCount: 3 }))),
      );
      expect(result.problems).toEqual([]);
      // New subnets change the group in place, without a capacity wait; new instances wait to serve.
      expect(result.running.some((w) => serving(m).test(w))).toBe(m.nodeMode === "instances");
    },
  );

  // Issue 22, F2: the provider waits for capacity on update only when desired_capacity or min_size
  // change (terraform-provider-aws, internal/service/autoscaling/group.go, resourceGroupUpdate).
  test("Auto Scaling: the group's update waits only when nodeCount changes, whatever else changed", () => {
    const before = graphs.get(label(ASG_APP_SQL))!;
    // nodeCount 2 -> 3: the group's minSize and desiredCapacity (test/nodes/webNodes.test.ts checks both follow it).
    const bigger = before.resources.map((r) =>
      r.type === "aws:autoscaling/group:Group" ? { ...r, inputs: { ...r.inputs, minSize: 3, desiredCapacity: 3 } } : r,
    );
    const result = checkUpdate(before.resources, bigger, before.waits);
    expect(result.problems).toEqual([]);
    expect(result.running).toContain("shop-web-group (Group)");
    // Everything the group depends on changed (seeded), its own capacity not: no wait.
    const all = new Set(before.resources.map((r) => r.urn));
    expect(checkUpdate(before.resources, before.resources, before.waits, all).running).not.toContain(
      "shop-web-group (Group)",
    );
  });

  test.each([
    [label(INSTANCES_APP_SQL), label(ASG_APP_SQL), ASG_APP_SQL],
    [label(ASG_APP_SQL), label(INSTANCES_APP_SQL), INSTANCES_APP_SQL],
    [label(INSTANCES_NOAPP_STATE), label(ASG_NOAPP_STATE), ASG_NOAPP_STATE],
    [label(ASG_NOAPP_STATE), label(INSTANCES_NOAPP_STATE), INSTANCES_NOAPP_STATE],
  ] as const)("instances <-> Auto Scaling: %s -> %s", (other, name, m) => {
    const result = checkUpdate(graphs.get(other)!.resources, ...graphOf(graphs.get(name)!));
    expect(result.problems).toEqual([]);
    expect(result.running.some((w) => serving(m).test(w))).toBe(true);
    // A new group has no release of its own (CodeDeploy's launch hook serves only nodes launched
    // after the deployment group names it): the Release's inputs change, so it deploys again.
    // The Release provider's own diff decides whether it deploys.
    const release = (g: RecordedResource[]) => g.find((r) => r.type === "pulumi-nodejs:dynamic/aspnet-webfarm:Release");
    if (m.app)
      expect(
        releaseChanged(
          release(graphs.get(other)!.resources)!.inputs as any,
          release(graphs.get(name)!.resources)!.inputs as any,
        ),
      ).toEqual(["autoScalingGroupName"]);
  });
});

const graphOf = (g: Recorded): [RecordedResource[], RecordedWait[]] => [g.resources, g.waits];

// Issue 22, F3: a wait shorter than what it waits for ends in a failed `pulumi up` while nodes are
// still on their way.
describe("each waiter's timeout covers its prerequisites' allowances", () => {
  test("the group's capacity wait: a node's whole launch hook, then one replacement boot and the checks", () => {
    // A replacement node's user data may start up to 15 minutes late on Windows (docs/operations.md, "Bounds").
    const margin = 15 * 60 + REFRESH_WARMUP_SECONDS;
    expect(CAPACITY_TIMEOUT).toBe(`${CAPACITY_TIMEOUT_MINUTES}m`);
    expect(CAPACITY_TIMEOUT_MINUTES * 60).toBeGreaterThanOrEqual(LAUNCH_TIMEOUT_SECONDS + margin);
  });

  test("the release: a node still booting (the boot's waits, Windows setup, CodeDeploy's hour for an agent), then each batch", () => {
    // CodeDeploy waits up to an hour for an agent ("Troubleshooting Amazon EC2 Auto Scaling issues");
    // the boot's own waits end within APPLICATION_WAITS_SECONDS, Windows' setup comes before them.
    expect(WAIT_MINUTES.fixed * 60).toBeGreaterThanOrEqual(Math.max(3600, APPLICATION_WAITS_SECONDS + 15 * 60));
    expect(WAIT_MINUTES.perBatch).toBeGreaterThan(0);
  });
});

describe("controls: the check fails", () => {
  // Row 2's old shape: the policy the nodes need is built from the group's ARN.
  test("on a planted cycle, naming it", async () => {
    const { mocks } = await runProgram(() => {
      const role = new iam.Role("node", { assumeRolePolicy: "{}" });
      const group = new autoscaling.Group("group", { minSize: 1, maxSize: 1, waitForElbCapacity: 1 });
      const policy = new iam.RolePolicy("launch", {
        role: role.id,
        policy: group.arn.apply((arn) => JSON.stringify({ Resource: arn })),
      });
      declareWait(group, "healthy targets", [{ what: "the launch policy", resource: policy }]);
    });
    const result = checkConvergence(mocks.resources, mocks.waits);
    expect(result.problems).toEqual([
      "cycle: group (Group) waits for healthy targets; it needs the launch policy (launch (RolePolicy)), which is created only after it: launch (RolePolicy) -> group (Group)",
    ]);
    expect(convergenceLines(result)[0]).toBe("DOES NOT CONVERGE (1)");
  });

  test("on a race, a missing prerequisite and an undeclared wait", async () => {
    const { mocks } = await runProgram(() => {
      const role = new iam.Role("node", { assumeRolePolicy: "{}" });
      const beside = new iam.RolePolicy("beside", { role: role.id, policy: "{}" });
      const group = new autoscaling.Group("group", { minSize: 1, maxSize: 1 });
      new autoscaling.Group("silent", { minSize: 1, maxSize: 1 });
      // Not waiting: no declaration needed.
      new autoscaling.Group("nowait", { minSize: 1, maxSize: 1, waitForCapacityTimeout: "0" });
      declareWait(group, "healthy targets", [
        { what: "the node policy", resource: beside },
        { what: "a health page", holds: false },
      ]);
    });
    expect(checkConvergence(mocks.resources, mocks.waits).problems).toEqual([
      "undeclared wait: silent (Group) waits for capacity (waitForElbCapacity: healthy targets, on create and on an update of desiredCapacity or minSize; minElbCapacity: on create), and declares no wait (components/aws/waits.ts declareWait)",
      "race: group (Group) waits for healthy targets; it needs the node policy (beside (RolePolicy)), which is not a dependency of it: both are created at once",
      "missing prerequisite: group (Group) waits for healthy targets; it needs a health page, which the program does not provide",
    ]);
  });

  test("when the farm's health page is not written at boot in Auto Scaling mode with an application", () => {
    const { resources, waits } = graphs.get(label(ASG_APP_STATE))!;
    const withoutPage = waits.map((w) => ({
      ...w,
      needs: w.needs.map((n) => (n.what.startsWith("a health page") ? { ...n, holds: false } : n)),
    }));
    expect(checkConvergence(resources, withoutPage).problems).toEqual([
      expect.stringMatching(/^missing prerequisite: shop-web-group \(Group\) waits for 2 healthy targets/),
    ]);
  });
});
