// The opt-in automatic rollout of a new farm image (image.amiParameter): the launch template
// resolves the image's SSM parameter at launch, and the image's AVAILABLE event starts an instance
// refresh through a one-task Step Functions state machine, each role allowed only its one call.
import { WebFarmArgs } from "../../components";
import { REFRESH_WARMUP_SECONDS } from "../../components/nodes/autoScaling";
import { REFRESH_IN_PROGRESS, RESOURCE_CONTENTION, START_INSTANCE_REFRESH } from "../../components/nodes/imageRollout";
import { buildFarm, Graph, sharedFarm, T } from "../support/graph";

const PARAMETER = "/imagebuilder/shop-image-recipe-1a2b3c4/1.0.0/ami";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const MACHINE = "aws:sfn/stateMachine:StateMachine";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops";
const following = {
  nodes: { count: 2, mode: "autoscaling" },
  image: { amiParameter: PARAMETER },
  observability: { alarmTopicArn: TOPIC },
} as unknown as WebFarmArgs;

describe("a farm that follows its image's parameter", () => {
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

  test("the rule matches the write of this one parameter, not the image's AVAILABLE (its value is validated after)", () => {
    expect(JSON.parse(rule().inputs.eventPattern)).toEqual({
      source: ["aws.ssm"],
      "detail-type": ["Parameter Store Change"],
      detail: { name: [PARAMETER], operation: ["Create", "Update"] },
    });
  });

  test("the rule's one target is the state machine, started with the trigger role, after its policy", () => {
    const target = graph.one(TARGET, (t) => t.inputs.rule === rule().state.name);
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
