// Auto Scaling that follows load: target tracking, scheduled actions, the warm-up, Spot capacity,
// and a group that does not scale registering what it always did.
import { join } from "path";
import { WebFarmArgs } from "../../components";
import { spotInstanceTypesFor } from "../../components/nodes/instanceTypes";
import { scheduleValues } from "../../components/nodes/scaling";
import { REFRESH_FAILED_MESSAGE } from "../../components/observability/scaling";
import { classifyChange } from "../../engine/disruption";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { bootTextOf, buildFarm, Graph, REAL_TARGET_GROUPS, sharedFarm, T } from "../support/graph";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ops";
const SITE = join(REPO_ROOT, "tools", "local", "app");
const APP = { path: SITE, version: "v1" };
const policy = "aws:autoscaling/policy:Policy";
const schedule = "aws:autoscaling/schedule:Schedule";
const deploymentGroup = "aws:codedeploy/deploymentGroup:DeploymentGroup";
const atMaximum = (g: Graph) =>
  g
    .ofType(T.alarm)
    .filter((a) =>
      (a.inputs.metricQueries ?? []).some(
        (q: { metric?: { namespace?: string } }) => q.metric?.namespace === "AWS/AutoScaling",
      ),
    );
const nodes = (extra: Record<string, unknown>) =>
  ({ nodes: { count: 2, mode: "autoscaling", ...extra } }) as unknown as WebFarmArgs;

/** The group's inputs before issue 24: a group that does not scale must register exactly these. */
// A fixed-size group's inputs: those it had before scaling existed, and the maintenance policy
// every group now has (launch before terminating).
const GROUP_INPUTS_BEFORE = [
  "desiredCapacity",
  "healthCheckGracePeriod",
  "healthCheckType",
  "initialLifecycleHooks",
  "instanceMaintenancePolicy",
  "instanceRefresh",
  "launchTemplate",
  "maxSize",
  "minSize",
  "name",
  "tags",
  "targetGroupArns",
  "vpcZoneIdentifiers",
  "waitForCapacityTimeout",
  "waitForElbCapacity",
];

describe("a group that scales on load", () => {
  let graph: Graph;
  beforeAll(async () => {
    ({ graph } = await buildFarm({
      ...nodes({
        maxCount: 6,
        targetRequestsPerNode: 600,
        targetCpuPercent: 60,
        warmupSeconds: 45,
        schedules: [
          { name: "weekday-peak", cron: "0 8 * * MON-FRI", timeZone: "Europe/Paris", minCount: 4, desiredCount: 4 },
          { name: "night", cron: "0 20 * * *", minCount: 2 },
        ],
      }),
      observability: { alarmTopicArn: TOPIC },
      app: APP,
    } as WebFarmArgs));
  });

  test("tracks requests per node on the farm's own load balancer and target group, after its listeners", () => {
    const requests = graph.one(policy, (p) => p.name === "shop-web-requests-per-node");
    expect(requests.inputs).toEqual({
      autoscalingGroupName: graph.one(T.group).state.name,
      policyType: "TargetTrackingScaling",
      targetTrackingConfiguration: {
        predefinedMetricSpecification: {
          predefinedMetricType: "ALBRequestCountPerTarget",
          resourceLabel: `${graph.one(T.lb).state.arnSuffix}/${graph.one(T.tg).state.arnSuffix}`,
        },
        targetValue: 600,
      },
    });
    // The load balancer component holds the listeners: a target group no listener uses is no label.
    expect(requests.options.dependsOn).toContain("shop-lb");
  });

  test("with targetCpuPercent, a second policy tracks the nodes' average CPU", () => {
    const cpu = graph.one(policy, (p) => p.name === "shop-web-cpu");
    expect(cpu.inputs.targetTrackingConfiguration).toEqual({
      predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
      targetValue: 60,
    });
    expect(graph.count(policy)).toBe(2);
  });

  test("each schedule is one scheduled action named by it, every size given, -1 where it changes nothing", () => {
    const byName = Object.fromEntries(graph.ofType(schedule).map((s) => [s.name, s.inputs]));
    const group = graph.one(T.group).state.name;
    expect(byName).toEqual({
      "shop-web-schedule-weekday-peak": {
        autoscalingGroupName: group,
        scheduledActionName: "weekday-peak",
        recurrence: "0 8 * * MON-FRI",
        timeZone: "Europe/Paris",
        minSize: 4,
        maxSize: -1,
        desiredCapacity: 4,
      },
      "shop-web-schedule-night": {
        autoscalingGroupName: group,
        scheduledActionName: "night",
        recurrence: "0 20 * * *",
        timeZone: "Etc/UTC",
        minSize: 2,
        maxSize: -1,
        desiredCapacity: -1,
      },
    });
  });

  test("the warm-up is the group's default, counted from InService: no policy repeats the boot", () => {
    expect(graph.one(T.group).inputs.defaultInstanceWarmup).toBe(45);
    for (const p of graph.ofType(policy)) expect(p.inputs).not.toHaveProperty("estimatedInstanceWarmup");
  });

  test("`pulumi up` leaves the autoscaler's desired size alone, and still waits for count healthy nodes on create", () => {
    const group = graph.one(T.group);
    expect(group.inputs).not.toHaveProperty("desiredCapacity");
    // At least count healthy targets on create; never an exact target count the autoscaler may exceed.
    expect(group.inputs).toMatchObject({ minSize: 2, maxSize: 6, minElbCapacity: 2, waitForCapacityTimeout: "90m" });
    expect(group.inputs).not.toHaveProperty("waitForElbCapacity");
    // A new count is still an in-place update (minSize), never a replacement.
    const asPlan = { type: group.type, name: group.name, inputs: group.inputs, options: { ...group.options } };
    expect(classifyChange(asPlan, "inputs.minSize").effect).toBe("update");
  });

  test("the group sends the metrics its dashboard widget and alarm read", () => {
    expect(graph.one(T.group).inputs).toMatchObject({
      metricsGranularity: "1Minute",
      enabledMetrics: expect.arrayContaining([
        "GroupDesiredCapacity",
        "GroupInServiceInstances",
        "GroupPendingInstances",
        "GroupTerminatingInstances",
      ]),
    });
    const body = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody);
    const widget = body.widgets.find((w: { properties: { title: string } }) =>
      w.properties.title.includes("Auto Scaling group"),
    );
    const metrics = widget.properties.metrics.map((m: string[]) => [m[0], m[1], m[3]]);
    const group = graph.one(T.group).state.name;
    for (const name of ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances"])
      expect(metrics).toContainEqual(["AWS/AutoScaling", name, group]);
  });

  test("an alarm to the farm's topic when the group sits at its maximum for several periods", () => {
    const [alarm] = atMaximum(graph);
    expect(atMaximum(graph)).toHaveLength(1);
    const group = { AutoScalingGroupName: graph.one(T.group).state.name };
    // Against the group's own maximum, which a schedule may move, not the maxCount it was made with.
    expect(alarm.inputs).toMatchObject({
      metricQueries: [
        { id: "inService", metric: { metricName: "GroupInServiceInstances", dimensions: group, stat: "Minimum" } },
        { id: "maxSize", metric: { metricName: "GroupMaxSize", dimensions: group, stat: "Maximum" } },
        { id: "atMaximum", expression: "IF(inService >= maxSize, 1, 0)", returnData: true },
      ],
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      alarmActions: [TOPIC],
      okActions: [TOPIC],
    });
    expect(alarm.inputs.evaluationPeriods).toBeGreaterThan(1);
  });

  test("a failed instance refresh of this group is told to the alarm topic, a cancelled one is not", () => {
    const rule = graph.one("aws:cloudwatch/eventRule:EventRule", (r) => r.name === "shop-web-refresh-failed");
    expect(JSON.parse(rule.inputs.eventPattern)).toEqual({
      source: ["aws.autoscaling"],
      "detail-type": ["EC2 Auto Scaling Instance Refresh Failed"],
      detail: { AutoScalingGroupName: [graph.one(T.group).state.name] },
    });
    const target = graph.one("aws:cloudwatch/eventTarget:EventTarget", (t) => t.inputs.rule === rule.state.name);
    expect(target.inputs).toMatchObject({ arn: TOPIC, inputTransformer: REFRESH_FAILED_MESSAGE });
  });

  test("CodeDeploy runs a termination deployment on a node the group takes away", () => {
    expect(graph.one(deploymentGroup).inputs).toMatchObject({
      autoscalingGroups: [graph.one(T.group).state.name],
      terminationHookEnabled: true,
    });
  });
});

describe("a schedule's sizes", () => {
  test("a size left out is -1 (unchanged), never Auto Scaling's default of 0", () => {
    expect(scheduleValues({ name: "n", cron: "0 1 * * *", desiredCount: 3 })).toMatchObject({
      minSize: -1,
      maxSize: -1,
      desiredCapacity: 3,
    });
  });
});

describe("Spot web nodes", () => {
  let graph: Graph;
  let based: Graph;
  beforeAll(async () => {
    graph = (await buildFarm(nodes({ maxCount: 6, spot: true }), "shop", REAL_TARGET_GROUPS)).graph;
    based = (
      await buildFarm(
        nodes({
          maxCount: 6,
          instanceType: "m5.large",
          spot: true,
          onDemandBaseCount: 1,
          spotInstanceTypes: ["m5.large", "m6i.large"],
        }),
        "shop",
        REAL_TARGET_GROUPS,
      )
    ).graph;
  });

  test("the template comes through a mixed instances policy: On-Demand base of count, Spot above, several types", () => {
    const group = graph.one(T.group).inputs;
    const template = graph.one(T.template);
    expect(group).not.toHaveProperty("launchTemplate");
    expect(group.capacityRebalance).toBe(true);
    expect(group.mixedInstancesPolicy).toEqual({
      launchTemplate: {
        launchTemplateSpecification: {
          launchTemplateId: template.id,
          version: String(template.state.latestVersion),
        },
        overrides: spotInstanceTypesFor("t3.medium").map((instanceType) => ({ instanceType })),
      },
      instancesDistribution: {
        onDemandBaseCapacity: 2,
        onDemandPercentageAboveBaseCapacity: 0,
        spotAllocationStrategy: "price-capacity-optimized",
      },
    });
    expect(spotInstanceTypesFor("t3.medium").length).toBeGreaterThan(1);
  });

  test("onDemandBaseCount and spotInstanceTypes, when given, are the base and the overrides", () => {
    const policy = based.one(T.group).inputs.mixedInstancesPolicy;
    expect(policy.instancesDistribution.onDemandBaseCapacity).toBe(1);
    expect(policy.launchTemplate.overrides).toEqual([{ instanceType: "m5.large" }, { instanceType: "m6i.large" }]);
  });

  test("a new template still rolls the group through an instance refresh that rolls back", () => {
    expect(graph.one(T.group).inputs.instanceRefresh.preferences).toMatchObject({ autoRollback: true });
  });

  test("a draining node's requests finish within the 2-minute interruption notice", () => {
    expect(graph.one(T.tg).inputs.deregistrationDelay).toBeLessThan(120);
  });

  test("each node boots with the interruption watch on the farm's target group; a group without Spot has none", async () => {
    expect(bootTextOf(graph.one(T.template))).toContain("start the Spot interruption watch");
    expect(bootTextOf(graph.one(T.template))).toContain(graph.one(T.tg).state.arn);
    const fixed = (await sharedFarm(nodes({ maxCount: 6 }))).graph;
    expect(bootTextOf(fixed.one(T.template))).not.toContain("start the Spot interruption watch");
  });

  test("a node may take itself out of the farm's target group, and no other", () => {
    const statements = JSON.parse(graph.one(T.rolePolicy, (p) => p.name === "shop-web-access").inputs.policy)
      .Statement as { Action: string[]; Resource: string[] }[];
    const deregister = statements.filter((s) => s.Action.includes("elasticloadbalancing:DeregisterTargets"));
    expect(deregister.map((s) => s.Resource)).toEqual([[graph.one(T.tg).state.arn]]);
  });
});

describe("a farm that does not scale registers what it did before issue 24", () => {
  test("an Auto Scaling group at a fixed size: its inputs as before but the maintenance policy, no policy, schedule, alarm or widget", async () => {
    const { graph } = await sharedFarm(nodes({}));
    expect(Object.keys(graph.one(T.group).inputs).sort()).toEqual(GROUP_INPUTS_BEFORE);
    expect(graph.one(T.group).inputs.desiredCapacity).toBe(2);
    expect(graph.count(policy) + graph.count(schedule) + atMaximum(graph).length).toBe(0);
    expect(graph.one(T.dashboard).inputs.dashboardBody).not.toContain("AWS/AutoScaling");
    const statements = JSON.parse(graph.one(T.rolePolicy, (p) => p.name === "shop-web-access").inputs.policy);
    expect(JSON.stringify(statements)).not.toContain("DeregisterTargets");
  });

  test("instances mode: no Auto Scaling resource and no termination hook", async () => {
    const { graph } = await buildFarm({ nodeCount: 2, app: APP } as WebFarmArgs);
    expect(graph.resources.filter((r) => r.type.startsWith("aws:autoscaling/"))).toEqual([]);
    expect(graph.one(deploymentGroup).inputs).not.toHaveProperty("terminationHookEnabled");
    expect(atMaximum(graph)).toHaveLength(0);
  });
});
