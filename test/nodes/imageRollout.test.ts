// A FarmImage's parameter (image.amiParameter): read at `pulumi up` and announced by default; with
// image.autoRollout the launch template resolves it at each launch, and the parameter's write
// starts an instance refresh through a one-task Step Functions state machine, each role allowed
// only its one call.
import { WebFarmArgs } from "../../components";
import { fixtureFarmAmi } from "../../engine/fixtures";
import { ANNOUNCEMENT } from "../../components/image/imageWatch";
import { REFRESH_WARMUP_SECONDS } from "../../components/nodes/autoScaling";
import { REFRESH_IN_PROGRESS, RESOURCE_CONTENTION, START_INSTANCE_REFRESH } from "../../components/nodes/imageRollout";
import { buildFarm, Graph, REAL_TARGET_GROUPS, sharedFarm, T } from "../support/graph";

const PARAMETER = "/imagebuilder/shop-image-recipe-1a2b3c4/1.0.0/ami";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const MACHINE = "aws:sfn/stateMachine:StateMachine";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops";
const following = {
  nodes: { count: 2, mode: "autoscaling" },
  image: { amiParameter: PARAMETER, autoRollout: true },
  observability: { alarmTopicArn: TOPIC },
} as unknown as WebFarmArgs;

describe("a farm that rolls onto each new build by itself (autoRollout)", () => {
  let graph: Graph;
  beforeAll(async () => {
    ({ graph } = await buildFarm(following));
  });
  const machine = () => graph.one(MACHINE);
  const rule = () => graph.one(RULE, (r) => r.name === "shop-web-new-image");

  test("the launch template resolves the parameter at each launch, with nothing ignored", () => {
    const template = graph.one(T.template);
    expect(template.inputs.imageId).toBe(`resolve:ssm:${PARAMETER}`);
    expect(template.options.ignoreChanges ?? []).not.toContain("imageId");
  });

  test("the group's own refresh gives up auto rollback (refused with an AMI from a parameter)", () => {
    expect(graph.one(T.group).inputs.instanceRefresh.preferences).toEqual({
      minHealthyPercentage: 100,
      maxHealthyPercentage: 200,
      instanceWarmup: String(REFRESH_WARMUP_SECONDS),
      autoRollback: false,
    });
  });

  test("the rule matches the validated write of this one parameter, not the image's AVAILABLE, nor a failed write", () => {
    expect(JSON.parse(rule().inputs.eventPattern)).toEqual({
      source: ["aws.ssm"],
      "detail-type": ["Parameter Store Change"],
      detail: { name: [PARAMETER], operation: ["Create", "Update"], exception: [{ exists: false }] },
    });
  });

  test("the rule starts the state machine with the trigger role, after its policy, and announces on the topic", () => {
    const targets = graph.ofType(TARGET).filter((t) => t.inputs.rule === rule().state.name);
    expect(targets.map((t) => t.inputs.targetId).sort()).toEqual(["announce", "rollout"]);
    const target = targets.find((t) => t.inputs.targetId === "rollout")!;
    expect(target.inputs).toMatchObject({ arn: machine().state.arn, targetId: "rollout" });
    const role = graph.one(T.role, (r) => r.state.arn === target.inputs.roleArn);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "events.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const policy = graph.one(T.rolePolicy, (p) => p.inputs.role === role.id);
    expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
      { Sid: "StartRollout", Effect: "Allow", Action: ["states:StartExecution"], Resource: [machine().state.arn] },
    ]);
    expect(target.options.dependsOn).toContain(policy.name);
  });

  test("the state machine is STANDARD (a history, long retries) with one task: a rolling refresh of this group, 100-200%, no rollback", () => {
    expect(machine().inputs.type).toBe("STANDARD");
    expect(JSON.parse(machine().inputs.definition)).toEqual({
      Comment: expect.any(String),
      StartAt: "StartInstanceRefresh",
      States: {
        StartInstanceRefresh: {
          Type: "Task",
          Resource: START_INSTANCE_REFRESH,
          Parameters: {
            AutoScalingGroupName: graph.one(T.group).state.name,
            Strategy: "Rolling",
            Preferences: {
              MinHealthyPercentage: 100,
              MaxHealthyPercentage: 200,
              InstanceWarmup: REFRESH_WARMUP_SECONDS,
              AutoRollback: false,
            },
          },
          // A refresh already running is waited out (it may predate this image), not taken for this one.
          Retry: [
            { ErrorEquals: [REFRESH_IN_PROGRESS], IntervalSeconds: 300, MaxAttempts: 24, BackoffRate: 1 },
            { ErrorEquals: [RESOURCE_CONTENTION], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 },
          ],
          End: true,
        },
      },
    });
    expect(REFRESH_IN_PROGRESS).toBe("AutoScaling.InstanceRefreshInProgressException");
  });

  test("a failed rollout raises an alarm to the farm's topic (the nodes keep their image)", () => {
    const alarm = graph.one(T.alarm, (a) => a.name === "shop-web-rollout-failed");
    expect(alarm.inputs).toMatchObject({
      namespace: "AWS/States",
      metricName: "ExecutionsFailed",
      dimensions: { StateMachineArn: machine().state.arn },
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      alarmActions: [TOPIC],
      okActions: [TOPIC],
    });
  });

  test("the dashboard counts new images and the rollouts they started, succeeded and failed", () => {
    const widgets = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody).widgets;
    const images = widgets.find((w: { properties: { title: string } }) => w.properties.title === "New farm images");
    expect(images.properties.metrics.map((m: unknown[]) => m.slice(0, 4))).toEqual([
      ["AWS/Events", "TriggeredRules", "RuleName", rule().state.name],
      ["AWS/Events", "FailedInvocations", "RuleName", rule().state.name],
      ...["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"].map((m) => [
        "AWS/States",
        m,
        "StateMachineArn",
        machine().state.arn,
      ]),
    ]);
  });

  test("the state machine's role may start a refresh of this group only, and read the one parameter", () => {
    const role = graph.one(T.role, (r) => r.state.arn === machine().inputs.roleArn);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "states.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const policy = graph.one(T.rolePolicy, (p) => p.inputs.role === role.id);
    const group = graph.one(T.group).inputs.name;
    expect(JSON.parse(policy.inputs.policy).Statement).toEqual([
      {
        Sid: "StartRefresh",
        Effect: "Allow",
        Action: ["autoscaling:StartInstanceRefresh"],
        Resource: [`arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/${group}`],
      },
      {
        Sid: "ReadImageParameter",
        Effect: "Allow",
        Action: ["ssm:GetParameters"],
        Resource: [`arn:aws:ssm:eu-west-1:123456789012:parameter${PARAMETER}`],
      },
    ]);
    expect(machine().options.dependsOn).toContain(policy.name);
  });
});

describe("a farm that takes its image's parameter at `pulumi up` (the default)", () => {
  const args = (over: Record<string, unknown>) =>
    ({
      nodes: { count: 2, mode: "autoscaling" },
      image: { amiParameter: PARAMETER },
      ...over,
    }) as unknown as WebFarmArgs;

  test("the template names the AMI read at `pulumi up`, pinned (a new build is a visible roll), and the refresh rolls back", async () => {
    const { graph } = await buildFarm(args({ observability: { alarmTopicArn: TOPIC } }));
    const template = graph.one(T.template);
    expect(template.inputs.imageId).toBe(fixtureFarmAmi(PARAMETER));
    expect(template.options.ignoreChanges ?? []).not.toContain("imageId");
    expect(graph.one(T.group).inputs.instanceRefresh.preferences.autoRollback).toBe(true);
    expect(graph.count(MACHINE)).toBe(0);
  });

  test("each new build is announced on the alarm topic in one readable line, and counted on the dashboard", async () => {
    const { graph } = await buildFarm(args({ observability: { alarmTopicArn: TOPIC } }));
    const rule = graph.one(RULE, (r) => r.name === "shop-web-new-image");
    expect(JSON.parse(rule.inputs.eventPattern).detail).toEqual({
      name: [PARAMETER],
      operation: ["Create", "Update"],
      exception: [{ exists: false }],
    });
    const target = graph.one(TARGET, (t) => t.inputs.rule === rule.state.name);
    expect(target.inputs).toMatchObject({ arn: TOPIC, targetId: "announce", inputTransformer: ANNOUNCEMENT });
    expect(target.inputs.roleArn).toBeUndefined();
    expect(JSON.parse(ANNOUNCEMENT.inputTemplate)).toContain("<parameter>");
    const widgets = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody).widgets;
    const images = widgets.find((w: { properties: { title: string } }) => w.properties.title === "New farm images");
    expect(images.properties.metrics.map((m: unknown[]) => m.slice(0, 4))).toEqual([
      ["AWS/Events", "TriggeredRules", "RuleName", rule.state.name],
      ["AWS/Events", "FailedInvocations", "RuleName", rule.state.name],
    ]);
  });

  test("separate instances and Spot nodes take it too", async () => {
    const instances = await buildFarm(args({ nodes: { count: 2 } }));
    for (const node of instances.graph.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-")))
      expect(node.inputs.ami).toBe(fixtureFarmAmi(PARAMETER));
    const spot = await buildFarm(
      args({ nodes: { count: 2, mode: "autoscaling", maxCount: 4, spot: true } }),
      "shop",
      REAL_TARGET_GROUPS,
    );
    expect(spot.graph.one(T.template).inputs.imageId).toBe(fixtureFarmAmi(PARAMETER));
  });

  test("without an alarm topic there is nothing to announce to: no rule, no widget", async () => {
    const { graph } = await buildFarm(args({}));
    expect(graph.ofType(RULE).filter((r) => r.name.includes("new-image"))).toEqual([]);
    expect(graph.one(T.dashboard).inputs.dashboardBody).not.toContain("New farm images");
  });
});

describe("a farm that does not follow a parameter", () => {
  test("registers no rollout, and its refresh still rolls back", async () => {
    const { graph } = await sharedFarm({ nodes: { count: 2, mode: "autoscaling" } } as unknown as WebFarmArgs);
    expect(graph.count(MACHINE)).toBe(0);
    expect(graph.ofType(RULE).filter((r) => r.name.includes("new-image"))).toEqual([]);
    expect(graph.ofType(T.role).filter((r) => r.name.includes("rollout"))).toEqual([]);
    expect(graph.one(T.group).inputs.instanceRefresh.preferences.autoRollback).toBe(true);
    expect(graph.one(T.template).inputs.imageId).not.toMatch(/^resolve:ssm:/);
  });
});
