// The state server's patch window (stateServer.patching, on by default): a Systems Manager maintenance
// window running AWS-RunPatchBaseline on it, its output in its own log group, on the dashboard.
import { PATCH_WINDOW_CUTOFF_HOURS, PATCH_WINDOW_HOURS } from "../../../components/sessions/stateServer/patching";
import { attempt, buildFarm, Graph, sharedFarm, T } from "../../support/graph";

const WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow";
const TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget";
const TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask";
const PATCH_GROUP = "shop-state-patching";

type Statement = { Sid: string; Action: string[]; Resource: string | string[]; Condition?: unknown };
const statementsOf = (graph: Graph, policy: string): Statement[] =>
  JSON.parse(graph.one(T.rolePolicy, (p) => p.name === policy).inputs.policy).Statement;

describe("a state server farm with defaults is patched in its window", () => {
  let graph: Graph;
  beforeAll(async () => ({ graph } = await sharedFarm({ nodes: { count: 2 } })));

  test("a weekly window on Sunday 03:00 UTC, 2 hours long, no new task in its last hour, only registered targets", () => {
    expect(graph.one(WINDOW).inputs).toMatchObject({
      schedule: "cron(0 3 ? * SUN *)",
      scheduleTimezone: "Etc/UTC",
      duration: PATCH_WINDOW_HOURS,
      cutoff: PATCH_WINDOW_CUTOFF_HOURS,
      allowUnassociatedTargets: false,
      enabled: true,
    });
    expect([PATCH_WINDOW_HOURS, PATCH_WINDOW_CUTOFF_HOURS]).toEqual([2, 1]);
  });

  test("its one target is the state server, by instance id", () => {
    const window = graph.one(WINDOW);
    expect(graph.one(TARGET).inputs).toMatchObject({
      windowId: window.id,
      resourceType: "INSTANCE",
      targets: [{ key: "InstanceIds", values: [graph.stateServer().id] }],
    });
  });

  test("its task runs AWS-RunPatchBaseline: Install, reboot if needed, output to the patch log group", () => {
    const task = graph.one(TASK).inputs;
    expect(task).toMatchObject({
      windowId: graph.one(WINDOW).id,
      taskType: "RUN_COMMAND",
      taskArn: "AWS-RunPatchBaseline",
      maxConcurrency: "1",
      cutoffBehavior: "CONTINUE_TASK",
      targets: [{ key: "WindowTargetIds", values: [graph.one(TARGET).id] }],
    });
    const run = task.taskInvocationParameters.runCommandParameters;
    expect(run.parameters).toEqual([
      { name: "Operation", values: ["Install"] },
      { name: "RebootOption", values: ["RebootIfNeeded"] },
    ]);
    expect(run.cloudwatchConfig).toEqual({
      cloudwatchLogGroupName: "/aspnet-webfarm/test/shop/state-server-patching",
      cloudwatchOutputEnabled: true,
    });
  });

  test("the patch log group sits beside the farm's others, with their retention, before the state server boots", () => {
    const group = graph.named(PATCH_GROUP, T.logGroup).inputs;
    const boot = graph.ofType(T.logGroup).find((g) => g.inputs.name.endsWith("/boot"))!.inputs;
    expect(group.name).toBe(boot.name.replace(/\/boot$/, "/state-server-patching"));
    expect(group.retentionInDays).toBe(boot.retentionInDays);
    expect(group.kmsKeyId).toBe(boot.kmsKeyId);
    expect(graph.stateServer().options.dependsOn).toContain(PATCH_GROUP);
  });

  test("the task's own role may send only AWS-RunPatchBaseline, only to the state server; SSM assumes it from this account", () => {
    const task = graph.one(TASK).inputs;
    const role = graph.named("shop-state-patch-window", T.role);
    expect(task.serviceRoleArn).toBe(role.state.arn);
    const trust = JSON.parse(role.inputs.assumeRolePolicy).Statement;
    expect(trust).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "ssm.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ]);
    const send = statementsOf(graph, "shop-state-patch-window").find((s) => s.Action.includes("ssm:SendCommand"))!;
    expect(send.Action).toEqual(["ssm:SendCommand"]);
    expect(send.Resource).toEqual([
      "arn:aws:ssm:eu-west-1::document/AWS-RunPatchBaseline",
      `arn:aws:ec2:eu-west-1:123456789012:instance/${graph.stateServer().id}`,
    ]);
  });

  test("the state server's role gets Run Command's channel and writes only the patch group's streams", () => {
    const statements = statementsOf(graph, "shop-state-access");
    const sids = statements.map((s) => s.Sid);
    expect(sids).toEqual(expect.arrayContaining(["RunCommandChannel", "PatchBaseline", "PatchOutput"]));
    expect(statements.find((s) => s.Sid === "PatchOutput")!.Resource).toBe(
      "arn:aws:logs:eu-west-1:123456789012:log-group:/aspnet-webfarm/test/shop/state-server-patching:log-stream:*",
    );
    for (const s of statements) expect(s.Action).not.toContain("logs:CreateLogGroup");
  });

  test("the dashboard shows the patch window's output beside the state server's health", () => {
    const body = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody);
    const widget = body.widgets.find((w: { properties: { title: string } }) =>
      w.properties.title.startsWith("State server: patch window output"),
    );
    expect(widget.properties.metrics[0].slice(0, 4)).toEqual([
      "AWS/Logs",
      "IncomingLogEvents",
      "LogGroupName",
      "/aspnet-webfarm/test/shop/state-server-patching",
    ]);
  });
});

test("the window follows stateServer.patchSchedule and patchTimeZone", async () => {
  const { graph } = await buildFarm({
    nodes: { count: 2 },
    stateServer: { patchSchedule: "cron(30 1 ? * SAT *)", patchTimeZone: "Europe/Paris" },
  });
  expect(graph.one(WINDOW).inputs).toMatchObject({
    schedule: "cron(30 1 ? * SAT *)",
    scheduleTimezone: "Europe/Paris",
  });
});

test("patching off registers no window, target, task, role or log group, and no patch grant", async () => {
  const { graph } = await buildFarm({ nodes: { count: 2 }, stateServer: { patching: false } });
  for (const type of [WINDOW, TARGET, TASK]) expect(graph.count(type)).toBe(0);
  expect(graph.ofType(T.logGroup).map((g) => g.name)).not.toContain(PATCH_GROUP);
  expect(graph.ofType(T.role).map((r) => r.name)).not.toContain("shop-state-patch-window");
  const sids = statementsOf(graph, "shop-state-access").map((s) => s.Sid);
  expect(sids).not.toContain("RunCommandChannel");
  expect(sids).not.toContain("PatchOutput");
  const body = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody);
  expect(JSON.stringify(body)).not.toContain("patch window");
});

test("bad patch input: one error naming each problem", async () => {
  const { error } = await attempt(() =>
    buildFarm({ nodes: { count: 2 }, stateServer: { patchSchedule: "0 3 * * SUN", patchTimeZone: "Mars/Olympus" } }),
  );
  expect(error?.message).toMatch(/2 problems/);
  expect(error?.message).toContain("stateServer.patchSchedule");
  expect(error?.message).toContain("stateServer.patchTimeZone");
});

test("SQL Server sessions have no state server, so no patch window", async () => {
  const { graph } = await sharedFarm({ nodes: { count: 2 }, sqlServer: {} });
  for (const type of [WINDOW, TARGET, TASK]) expect(graph.count(type)).toBe(0);
});
