// The WebFarm contract: what it registers, how the parts connect, what it exposes.
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import { ROLE_TAG, WebFarm } from "../../components";
import { knownValueProblems, whenKnown } from "../../components/args/args";
import { valueOf } from "../../engine/engine";
import { EXISTING_NETWORK, FIXTURE_WINDOWS_AMI } from "../../engine/fixtures";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { bootTextOf, buildFarm, sharedFarm, Graph, record, T } from "../support/graph";

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
const TOPIC = "arn:aws:sns:eu-west-1:123456789012:farm-alarms";

describe("a two-node farm with defaults", () => {
  let graph: Graph;
  let farm: WebFarm;
  beforeAll(async () => ({ graph, farm } = await sharedFarm({ nodeCount: 2 })));

  test("registers the component under its type token, every resource below it", () => {
    const root = graph.one(T.farm);
    expect(root.name).toBe("shop");
    expect(root.parent).toBeUndefined();
    const components = new Map(
      graph.resources.filter((r) => r.type.startsWith("aspnet-webfarm:")).map((r) => [r.name, r]),
    );
    for (const r of graph.resources.filter((x) => x !== root)) {
      expect(r.name.startsWith("shop-")).toBe(true);
      let top: string | undefined = r.parent;
      for (let hops = 0; top && top !== "shop" && hops < 5; hops++) top = components.get(top)?.parent;
      expect({ name: r.name, top }).toEqual({ name: r.name, top: "shop" });
    }
  });

  test("the state server accepts the state port from the web nodes' group only", () => {
    expect(graph.inbound("state-server")).toEqual(["tcp/42424-42424 from web nodes"]);
  });

  test("web nodes accept port 80 from the load balancer's group only", () => {
    expect(graph.inbound("web-node")).toEqual(["tcp/80-80 from load balancer"]);
  });

  test("the load balancer accepts 80 from the internet by default, and may send only to the web nodes on 80", () => {
    expect(graph.inbound("load balancer")).toEqual(["tcp/80-80 from 0.0.0.0/0"]);
    const out = graph.rulesOf(T.egress, "load balancer");
    expect(
      out.map((r) => [r.inputs.fromPort, r.inputs.toPort, graph.describeGroup(r.inputs.referencedSecurityGroupId)]),
    ).toEqual([[80, 80, "web nodes"]]);
  });

  test("every rule is a separate resource with a description; no group has inline rules", () => {
    for (const g of graph.ofType(T.sg)) {
      expect(g.inputs.ingress ?? []).toEqual([]);
      expect(g.inputs.egress ?? []).toEqual([]);
    }
    const rules = [...graph.ofType(T.ingress), ...graph.ofType(T.egress)];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(r.inputs.description).toMatch(/\S{3,}/);
  });

  test("every instance requires IMDSv2 and has an encrypted root volume", () => {
    for (const i of graph.ofType(T.instance)) {
      expect(i.inputs.metadataOptions.httpTokens).toBe("required");
      expect(i.inputs.rootBlockDevice.encrypted).toBe(true);
    }
  });

  test("instances run Amazon's latest Windows Server 2022 from its public parameter", () => {
    expect(graph.invokes.map((i) => i.inputs.name)).toContain(
      "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base",
    );
    for (const i of graph.ofType(T.instance)) expect(i.inputs.ami).toBe(FIXTURE_WINDOWS_AMI);
  });

  test("without a certificate there is only an HTTP listener, forwarding to the target group", () => {
    const listeners = graph.ofType(T.listener);
    expect(listeners.map((l) => l.inputs.port)).toEqual([80]);
    expect(listeners[0].inputs.defaultActions[0]).toMatchObject({
      type: "forward",
      targetGroupArn: graph.one(T.tg).state.arn,
    });
  });

  test("target group: HTTP 80, health check on the session-free path, stickiness off", () => {
    const tg = graph.one(T.tg);
    expect(tg.inputs).toMatchObject({ port: 80, protocol: "HTTP", targetType: "instance" });
    expect(tg.inputs.healthCheck).toMatchObject({ path: "/health.aspx", matcher: "200" });
    expect(tg.inputs.stickiness.enabled).toBe(false);
  });

  test("exposes the url, the balancer's DNS name, ARN and zone id, the target group, the state server's name and the nodes", async () => {
    const lb = graph.one(T.lb);
    expect(await valueOf(farm.url)).toBe(`http://${lb.state.dnsName}/`);
    expect(await valueOf(farm.loadBalancerDnsName)).toBe(lb.state.dnsName);
    expect(await valueOf(farm.loadBalancerArn)).toBe(lb.state.arn);
    expect(await valueOf(farm.loadBalancerZoneId)).toBe(lb.state.zoneId);
    expect(await valueOf(farm.targetGroupArn)).toBe(graph.one(T.tg).state.arn);
    expect(await valueOf(farm.stateServerAddress)).toBe("state.shop.internal");
    expect((await valueOf(farm.webNodeIds)).sort()).toEqual(
      graph
        .webNodes()
        .map((n) => n.id)
        .sort(),
    );
    expect(await valueOf(farm.autoScalingGroupName)).toBeUndefined();
  });

  test("exposes the nodes' role, so a program can let the nodes read its own buckets or secrets", async () => {
    const role = graph.one(T.role, (r) => r.name === "shop-web-role");
    const profile = graph.one(T.profile, (p) => p.inputs.role === role.state.name);
    expect(profile.inputs.role).toBe(role.state.name);
    expect(await valueOf(farm.nodeRoleArn)).toBe(role.state.arn);
    expect(await valueOf(farm.nodeRoleName)).toBe(role.state.name);
  });

  test("exposes its parts to TypeScript programs: network, key, load balancer, state server, web nodes", async () => {
    expect(await valueOf(farm.loadBalancer.loadBalancer.arn)).toBe(graph.one(T.lb).state.arn);
    expect(await valueOf(farm.stateServer!.instance.id)).toBe(graph.stateServer().id);
    expect(farm.webNodes.instances).toHaveLength(2);
    expect(await valueOf(farm.machineKey.parameterName)).toBe(
      graph.one(T.parameter, (p) => p.inputs.type === "SecureString").inputs.name,
    );
    expect(await valueOf(farm.network.vpcId)).toBe(graph.one(T.vpc).id);
  });

  test("registers every output it exposes, each documented", () => {
    const outputs = Object.keys(WebFarm.outputsOf(farm)).sort();
    expect(outputs).toEqual(
      expect.arrayContaining([
        "url",
        "loadBalancerArn",
        "loadBalancerZoneId",
        "targetGroupArn",
        "autoScalingGroupName",
        "nodeRoleArn",
        "nodeRoleName",
        "stateServerSecurityGroupId",
      ]),
    );
    expect(outputs).not.toContain("urn");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { memberDocs } = require("../../tools/scripts/docs") as typeof import("../../tools/scripts/docs");
    const docs = memberDocs(join(REPO_ROOT, "components", "farm", "webFarm.ts"), "WebFarm");
    expect(Object.keys(docs).sort()).toEqual(outputs);
    for (const name of outputs)
      expect({ name, described: docs[name].description.length > 10 }).toEqual({ name, described: true });
  });

  test("the web.config fragment output is secret and names the state server", async () => {
    expect(await pulumi.isSecret(farm.webConfigFragment)).toBe(true);
    expect(await valueOf(farm.webConfigFragment)).toContain('stateConnectionString="tcpip=state.shop.internal:42424"');
  });
});

test("registerOutputs records every exposed output", async () => {
  const spy = jest.spyOn(
    pulumi.ComponentResource.prototype as unknown as { registerOutputs(o: unknown): void },
    "registerOutputs",
  );
  try {
    const { farm } = await buildFarm({ nodeCount: 1 });
    const call = spy.mock.calls.find(
      ([outputs]) => outputs && typeof outputs === "object" && "loadBalancerZoneId" in outputs,
    );
    expect(Object.keys(call![0] as object).sort()).toEqual(Object.keys(WebFarm.outputsOf(farm)).sort());
  } finally {
    spy.mockRestore();
  }
});

describe("nodes", () => {
  test.each([1, 3, 10])(
    "nodeCount %i gives that many nodes, each attached to the target group, named by index",
    async (n) => {
      const { graph } = await sharedFarm({ nodeCount: n });
      const nodes = graph.webNodes();
      const attachments = graph.ofType(T.attachment);
      expect(nodes).toHaveLength(n);
      expect(nodes.map((i) => i.name).sort()).toEqual([...Array(n).keys()].map((i) => `shop-web-${i}`).sort());
      expect(attachments.map((a) => a.inputs.targetId).sort()).toEqual(nodes.map((i) => i.id).sort());
      const tg = graph.one(T.tg);
      expect(attachments.every((a) => a.inputs.targetGroupArn === tg.state.arn && a.inputs.port === 80)).toBe(true);
      expect(graph.stateServer().name).toBe("shop-state");
    },
  );
});

describe("the security posture holds over three AZs with a NAT per AZ", () => {
  let graph: Graph;
  beforeAll(async () => ({ graph } = await buildFarm({ nodeCount: 3, azCount: 3, natPerAz: true })));

  test("nothing but the load balancer has a public address or a route to the internet gateway", () => {
    for (const i of graph.ofType(T.instance)) expect(i.inputs.associatePublicIpAddress).toBe(false);
    for (const s of graph.ofType(T.subnet)) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
    const igw = graph.one(T.igw);
    const igwTables = graph
      .ofType(T.route)
      .filter((r) => r.inputs.gatewayId === igw.id)
      .map((r) => r.inputs.routeTableId);
    const behindIgw = graph
      .ofType(T.association)
      .filter((a) => igwTables.includes(a.inputs.routeTableId))
      .map((a) => a.inputs.subnetId);
    const lb = graph.one(T.lb);
    expect(lb.inputs.internal).toBe(false);
    expect([...lb.inputs.subnets].sort()).toEqual([...behindIgw].sort());
    for (const i of graph.ofType(T.instance)) expect(behindIgw).not.toContain(i.inputs.subnetId);
  });
});

describe("options that change the shape", () => {
  test("pinned images are used as given, and Amazon's parameter is not read", async () => {
    const { graph } = await buildFarm({
      nodeCount: 1,
      amiId: "ami-0fedcba9876543210",
      stateAmiId: "ami-0123456789abcdef0",
    });
    for (const i of graph.webNodes()) expect(i.inputs.ami).toBe("ami-0fedcba9876543210");
    expect(graph.stateServer().inputs.ami).toBe("ami-0123456789abcdef0");
    expect(graph.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter")).toHaveLength(0);
  });

  test("Amazon's parameter is read once when neither role pins its image", async () => {
    const { graph } = await sharedFarm({ nodeCount: 2 });
    expect(graph.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter")).toHaveLength(1);
  });

  test("HTTPS listener on 443 when a certificate is given, and 80 redirects to it", async () => {
    const { graph } = await buildFarm({
      nodeCount: 2,
      certificateArn: CERT,
      allowedCidrs: ["203.0.113.0/24", "198.51.100.0/24"],
    });
    const https = graph.one(T.listener, (l) => l.inputs.port === 443);
    expect(https.inputs).toMatchObject({ protocol: "HTTPS", certificateArn: CERT });
    expect(https.inputs.defaultActions[0].type).toBe("forward");
    const http = graph.one(T.listener, (l) => l.inputs.port === 80);
    expect(http.inputs.defaultActions[0]).toMatchObject({
      type: "redirect",
      redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
    });
    expect(graph.inbound("load balancer")).toEqual([
      "tcp/443-443 from 198.51.100.0/24",
      "tcp/443-443 from 203.0.113.0/24",
      "tcp/80-80 from 198.51.100.0/24",
      "tcp/80-80 from 203.0.113.0/24",
    ]);
  });

  test("every instance carries its role, Name and the caller's tags; every taggable resource gets Name and the tags", async () => {
    const { graph } = await buildFarm({ nodeCount: 2, tags: { env: "test", team: "web" } });
    for (const i of graph.ofType(T.instance)) {
      expect(i.inputs.tags).toMatchObject({ Name: i.name, env: "test", team: "web" });
      expect(["web-node", "state-server"]).toContain(i.inputs.tags[ROLE_TAG]);
    }
    const untaggable = new Set([
      T.route,
      T.association,
      T.attachment,
      T.rolePolicy,
      T.randomBytes,
      T.record,
      T.dashboard,
      T.gate,
      T.lifecycleHook,
      // No tags in the provider (@pulumi/aws 7.48.0): the state server's patch window's target and task.
      "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
      "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
    ]);
    const taggable = graph.resources.filter((r) => !r.type.startsWith("aspnet-webfarm:") && !untaggable.has(r.type));
    expect(taggable.length).toBeGreaterThan(20);
    for (const r of taggable)
      expect({ r: r.name, tags: r.inputs.tags }).toMatchObject({
        r: r.name,
        tags: { Name: expect.any(String), env: "test", team: "web" },
      });
  });

  test("two farms in one stack do not collide", async () => {
    const { graph } = await record(() => {
      new WebFarm("shop", { nodeCount: 2 });
      new WebFarm("admin", { nodeCount: 1 });
    });
    const keys = graph.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const parameters = graph.ofType(T.parameter).map((p) => p.inputs.name);
    expect(parameters).toHaveLength(6);
    expect(new Set(parameters).size).toBe(6);
  });
});

describe("values computed in the same program", () => {
  // A certificate, a topic and the CIDRs of a partner, as another resource's Outputs.
  const fromProgram = {
    nodeCount: 2,
    certificateArn: pulumi.output(CERT),
    alarmTopicArn: pulumi.output(TOPIC),
    allowedCidrs: pulumi.output(["203.0.113.0/24", "198.51.100.0/24"]),
    tags: pulumi.output({ env: "test" }),
    amiId: pulumi.output("ami-0fedcba9876543210"),
  };
  let graph: Graph;
  beforeAll(async () => ({ graph } = await buildFarm(fromProgram)));

  test("a certificate Output gives the HTTPS listener that certificate", () => {
    expect(graph.one(T.listener, (l) => l.inputs.port === 443).inputs.certificateArn).toBe(CERT);
  });

  test("a topic Output is every alarm's action", () => {
    const alarms = graph.ofType(T.alarm);
    expect(alarms.length).toBeGreaterThan(2);
    for (const a of alarms) expect(a.inputs.alarmActions).toContain(TOPIC);
  });

  test("CIDRs known only later go into a managed prefix list, and each port admits that list only", () => {
    const list = graph.one(T.prefixList);
    expect(list.inputs).toMatchObject({ addressFamily: "IPv4", maxEntries: 2 });
    expect(list.inputs.entries.map((e: { cidr: string }) => e.cidr)).toEqual(["198.51.100.0/24", "203.0.113.0/24"]);
    expect(graph.inbound("load balancer")).toEqual([
      `tcp/443-443 from prefix list ${list.name}`,
      `tcp/80-80 from prefix list ${list.name}`,
    ]);
  });

  test("tags and the nodes' image from Outputs reach the resources", () => {
    for (const i of graph.ofType(T.instance)) expect(i.inputs.tags).toMatchObject({ env: "test", Name: i.name });
    for (const i of graph.webNodes()) expect(i.inputs.ami).toBe("ami-0fedcba9876543210");
  });

  test.each([
    [
      "certificateArn",
      pulumi.output("arn:aws:iam::123456789012:server-certificate/x"),
      /certificateArn: must be an ACM certificate ARN/,
    ],
    ["allowedCidrs", pulumi.output(["10.0.0.1/8"]), /allowedCidrs\[0\]: has host bits set/],
    ["allowedCidrs", [pulumi.output("10.0.0.1/8")], /allowedCidrs\[0\]: has host bits set/],
    ["tags", pulumi.output({ "aws:x": "y" }), /tags\.aws:x: the aws: prefix is reserved/],
  ] as const)(
    "a bad %s Output is checked once its value is known, with the message a literal gets",
    async (field, value, message) => {
      const known = await valueOf(pulumi.output(value as pulumi.Input<unknown>));
      const problems = knownValueProblems(field, known);
      expect(problems.map((p) => `${p.propertyPath}: ${p.reason}`).join("\n")).toMatch(message);
    },
  );

  test("values holding an Output are wrapped for that check; literals pass through (checked before anything was registered)", async () => {
    const later = whenKnown("shop", "allowedCidrs", [pulumi.output("10.0.0.0/8")]);
    expect(pulumi.Output.isInstance(later)).toBe(true);
    expect(await valueOf(later as pulumi.Output<string[]>)).toEqual(["10.0.0.0/8"]);
    const cidrs = ["10.0.0.0/8"];
    expect(whenKnown("shop", "allowedCidrs", cidrs)).toBe(cidrs);
    expect(knownValueProblems("allowedCidrs", cidrs)).toEqual([]);
  });
});

describe("bring your own network", () => {
  test("no VPC, subnet or NAT is created, and the farm uses the given ids", async () => {
    const { graph, farm } = await buildFarm({ nodeCount: 3, ...EXISTING_NETWORK });
    for (const t of [T.vpc, T.subnet, T.nat, T.igw, T.eip, T.routeTable]) expect(graph.count(t)).toBe(0);
    expect(graph.one(T.lb).inputs.subnets).toEqual(EXISTING_NETWORK.publicSubnetIds);
    const [a, b] = EXISTING_NETWORK.privateSubnetIds;
    expect(
      graph
        .webNodes()
        .sort((x, y) => x.name.localeCompare(y.name))
        .map((i) => i.inputs.subnetId),
    ).toEqual([a, b, a]);
    for (const g of graph.ofType(T.sg)) expect(g.inputs.vpcId).toBe(EXISTING_NETWORK.vpcId);
    expect(await valueOf(farm.vpcId)).toBe(EXISTING_NETWORK.vpcId);
    // the state server's firewall admits the brought VPC's CIDR, looked up by its id
    expect(graph.invokes.find((i) => i.token === "aws:ec2/getVpc:getVpc")?.inputs.id).toBe(EXISTING_NETWORK.vpcId);
    expect(bootTextOf(graph.stateServer())).toContain("$WebCidrs = @('172.20.0.0/16')");
  });

  test("accepts Outputs from another stack for the brought network", async () => {
    const { graph } = await buildFarm({
      nodeCount: 2,
      vpcId: pulumi.output(EXISTING_NETWORK.vpcId),
      publicSubnetIds: EXISTING_NETWORK.publicSubnetIds.map((s) => pulumi.output(s)),
      privateSubnetIds: EXISTING_NETWORK.privateSubnetIds.map((s) => pulumi.output(s)),
    });
    expect(graph.count(T.instance)).toBe(3);
  });
});
