// Seeing inside the farm: log groups, the CloudWatch agent's configuration, the dashboard, and
// Session Manager without the account-wide managed policy.
import { WebFarm } from "../../components";
import { dashboardUrl } from "../../components/aws/names";
import { dashboardBody } from "../../components/observability/dashboard";
import { COUNTERS, counterMetric } from "../../components/observability/windows/cloudWatch";
import { BOOT_LOG } from "../../components/windows/boot";
import { RELEASE_LOG } from "../../components/releases/windows/hooks";
import { valueOf } from "../../engine/engine";
import { buildFarm, sharedFarm, Graph, inputsText, T } from "../support/graph";

interface Statement {
  Sid: string;
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const statementsOf = (graph: Graph, policyName: string): Statement[] =>
  JSON.parse(graph.one(T.rolePolicy, (p) => p.name === policyName).inputs.policy).Statement;

describe("a farm's monitoring", () => {
  let graph: Graph;
  let farm: WebFarm;
  beforeAll(async () => ({ graph, farm } = await sharedFarm({ nodeCount: 2 })));

  test("three log groups under the farm's own path, kept 30 days by default", async () => {
    const groups = graph.ofType(T.logGroup).map((g) => [g.inputs.name, g.inputs.retentionInDays]);
    expect(groups).toEqual([
      ["/aspnet-webfarm/test/shop/boot", 30],
      ["/aspnet-webfarm/test/shop/iis", 30],
      ["/aspnet-webfarm/test/shop/windows", 30],
      // The state server's patch window output (stateServer.patching): the store's, not an agent's.
      ["/aspnet-webfarm/test/shop/state-server-patching", 30],
    ]);
    expect(await valueOf(farm.logGroups)).toEqual(groups.slice(0, 3).map(([name]) => name));
  });

  test("a web node's agent ships its boot and release logs, IIS's logs and the Application and System event logs", () => {
    const config = JSON.parse(
      graph.one(T.parameter, (p) => p.inputs.name === "/aspnet-webfarm/test/shop/cloudwatch-agent/web-node").inputs
        .value,
    );
    const files = config.logs.logs_collected.files.collect_list;
    expect(files.map((f: Record<string, string>) => [f.file_path, f.log_group_name, f.log_stream_name])).toEqual([
      [BOOT_LOG, "/aspnet-webfarm/test/shop/boot", "{instance_id}/boot"],
      [RELEASE_LOG, "/aspnet-webfarm/test/shop/boot", "{instance_id}/release"],
      ["C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex*.log", "/aspnet-webfarm/test/shop/iis", "{instance_id}/iis"],
    ]);
    const events = config.logs.logs_collected.windows_events.collect_list;
    expect(events.map((e: Record<string, string>) => [e.event_name, e.log_group_name])).toEqual([
      ["Application", "/aspnet-webfarm/test/shop/windows"],
      ["System", "/aspnet-webfarm/test/shop/windows"],
    ]);
  });

  test("each role publishes the ASP.NET counters a farm operator watches, in the farm's namespace", () => {
    const configOf = (role: string) =>
      JSON.parse(
        graph.one(T.parameter, (p) => p.inputs.name === `/aspnet-webfarm/test/shop/cloudwatch-agent/${role}`).inputs
          .value,
      ).metrics;
    const web = configOf("web-node");
    const state = configOf("state-server");
    expect(web.namespace).toBe("aspnet-webfarm/test/shop");
    expect(web.metrics_collected["ASP.NET"].measurement).toEqual(
      expect.arrayContaining(["Requests Queued", "Request Execution Time"]),
    );
    expect(state.metrics_collected["ASP.NET"].measurement).toContain("State Server Sessions Active");
    // The state server has no IIS: it neither ships IIS logs nor asks for ASP.NET application counters.
    expect(state.metrics_collected["ASP.NET Applications"]).toBeUndefined();
    expect(web.append_dimensions).toEqual({ InstanceId: "${aws:InstanceId}" });
  });

  test("the dashboard shows requests, 5xx, response time, healthy nodes per AZ, the state server and the counters", () => {
    const dashboard = graph.one(T.dashboard);
    expect(dashboard.inputs.dashboardName).toBe("aspnet-webfarm-test-shop");
    const body = JSON.parse(dashboard.inputs.dashboardBody);
    const lb = graph.one(T.lb).state.arnSuffix;
    const tg = graph.one(T.tg).state.arnSuffix;
    const titles = body.widgets.map((w: { properties: { title: string } }) => w.properties.title);
    expect(titles).toEqual([
      "Requests and 5xx (load balancer)",
      "Response time (s)",
      "Healthy nodes per AZ",
      "ASP.NET on the web nodes (farm-wide)",
      "State server: health and sessions",
      "State server: patch window output (sessions are lost at its reboot)",
    ]);
    const metrics = JSON.stringify(body.widgets.map((w: { properties: { metrics: unknown } }) => w.properties.metrics));
    for (const m of ["RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count", "TargetResponseTime"])
      expect(metrics).toContain(JSON.stringify(["AWS/ApplicationELB", m, "LoadBalancer", lb]).slice(1, -1));
    // One healthy-host series per AZ: a SEARCH over the AvailabilityZone dimension of this farm's target group.
    expect(metrics).toContain(`AvailabilityZone,LoadBalancer,TargetGroup`);
    expect(metrics).toContain(`TargetGroup=\\"${tg}\\"`);
    const state = graph.stateServer().id;
    expect(metrics).toContain(
      JSON.stringify(["AWS/EC2", "StatusCheckFailed_System", "InstanceId", state]).slice(1, -1),
    );
    for (const c of [...COUNTERS["web-node"]["ASP.NET"].measurement])
      expect(metrics).toContain(JSON.stringify(["aspnet-webfarm/test/shop", counterMetric("ASP.NET", c)]).slice(1, -1));
    expect(metrics).toContain(counterMetric("ASP.NET", "State Server Sessions Active"));
  });

  test("the dashboard's address is an output, in the console of the farm's partition", async () => {
    expect(await valueOf(farm.dashboardUrl)).toBe(
      "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=aspnet-webfarm-test-shop",
    );
    expect(dashboardUrl("aws-cn", "cn-north-1", "d")).toBe(
      "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name=d",
    );
    expect(dashboardUrl("aws-us-gov", "us-gov-west-1", "d")).toMatch(/^https:\/\/console\.amazonaws-us-gov\.com\//);
  });

  test.each([
    ["web nodes", "shop-web-access"],
    ["state server", "shop-state-access"],
  ])(
    "the %s get Session Manager from a policy the kit writes, and may read no parameter but their own",
    (_, policy) => {
      const statements = statementsOf(graph, policy);
      const session = statements.find((s) => s.Sid === "SessionManager")!;
      expect(session.Action).toEqual(
        expect.arrayContaining(["ssm:UpdateInstanceInformation", "ssmmessages:OpenDataChannel"]),
      );
      // Run Command's channel is not Session Manager's (Systems Manager, "Create a custom IAM role for Session Manager").
      expect(session.Action.filter((a) => a.startsWith("ec2messages:"))).toEqual([]);
      // Nothing in it reads parameters, and no statement reads parameters on "*".
      expect(session.Action.filter((a) => /^ssm:Get/.test(a))).toEqual([]);
      for (const s of statements.filter((x) => x.Action.some((a) => /^ssm:GetParameter/.test(a)))) {
        expect([s.Sid, s.Resource]).not.toContainEqual("*");
        for (const r of [s.Resource].flat()) expect(r).toMatch(/:parameter\/aspnet-webfarm\/test\/shop\//);
      }
      // Metrics only into the farm's namespace.
      const metrics = statements.find((s) => s.Sid === "PublishMetrics")!;
      expect(metrics.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "aspnet-webfarm/test/shop" } });
    },
  );

  test("no role gets AWS's AmazonSSMManagedInstanceCore (or any managed policy)", () => {
    for (const role of graph.ofType(T.role)) expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
    expect(graph.count("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toBe(0);
    expect(graph.resources.map((r) => inputsText(r)).join("\n")).not.toContain("AmazonSSMManagedInstanceCore");
  });
});

test("log retention follows logRetentionDays", async () => {
  const { graph } = await buildFarm({ nodeCount: 1, logRetentionDays: 365 });
  expect(graph.ofType(T.logGroup).map((g) => g.inputs.retentionInDays)).toEqual([365, 365, 365, 365]);
});

describe("the dashboard of a group that scales", () => {
  const values = {
    region: "eu-west-1",
    farmName: "shop",
    loadBalancer: "app/shop/1",
    targetGroup: "targetgroup/shop/2",
    sessionWidgets: [{ title: "State server", metrics: [] }],
    namespace: "aspnet-webfarm/dev/shop",
  };
  type Widget = { x: number; y: number; properties: { title: string; metrics: unknown[][] } };
  const widgets = (v: Parameters<typeof dashboardBody>[0]): Widget[] => JSON.parse(dashboardBody(v)).widgets;

  test("shows the group's desired, in-service, pending and terminating nodes, after the session store's widgets", () => {
    const all = widgets({ ...values, autoScalingGroup: "shop-web" });
    const group = all[all.length - 1];
    expect(group.properties.metrics.map((m) => [m[0], m[1], m[2], m[3]])).toEqual(
      expect.arrayContaining(
        ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances", "GroupTerminatingInstances"].map(
          (name) => ["AWS/AutoScaling", name, "AutoScalingGroupName", "shop-web"],
        ),
      ),
    );
    expect({ x: group.x, y: group.y }).toEqual({ x: 12, y: 12 });
  });

  test("without a group that scales, the dashboard is what it was", () => {
    expect(dashboardBody({ ...values, autoScalingGroup: undefined })).toBe(dashboardBody(values));
    expect(dashboardBody(values)).not.toContain("AWS/AutoScaling");
  });
});
