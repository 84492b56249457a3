// The WebFarm contract: what it registers, how the parts connect, what it exports.
import * as pulumi from "@pulumi/pulumi";
import { ROLE_TAG, WebFarm } from "../components";
import { buildFarm, inboundSources, rulesOf, T } from "./farm";
import { isSecret, runProgram, valueOf } from "./mocks";

describe("WebFarm", () => {
  test.each([1, 3, 10])("nodeCount %i gives that many nodes, each attached to the target group", async (n) => {
    const { mocks } = await buildFarm({ nodeCount: n });
    const nodes = mocks.ofType(T.instance).filter((i) => i.inputs.tags[ROLE_TAG] === "web-node");
    const attachments = mocks.ofType(T.attachment);
    expect(nodes).toHaveLength(n);
    expect(attachments).toHaveLength(n);
    const tg = mocks.ofType(T.tg)[0];
    expect(attachments.map((a) => a.inputs.targetId).sort()).toEqual(nodes.map((i) => i.id).sort());
    expect(attachments.every((a) => a.inputs.targetGroupArn === tg.state.arn && a.inputs.port === 80)).toBe(true);
  });

  test("registers the component under its type token, children named after it and parented to it", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const root = mocks.named("shop", "aspnet-webfarm:index:WebFarm");
    expect(root.parent).toBeUndefined();
    const children = mocks.resources.filter((r) => r !== root);
    expect(children.every((r) => r.name.startsWith("shop-"))).toBe(true);
    // every resource hangs below the farm: its parent chain reaches "shop"
    const components = new Map(mocks.resources.filter((r) => r.type.startsWith("aspnet-webfarm:")).map((r) => [r.name, r]));
    for (const r of children) {
      let parent = r.parent;
      for (let hops = 0; parent && parent !== "shop" && hops < 5; hops++) parent = components.get(parent)?.parent;
      expect({ name: r.name, top: parent }).toEqual({ name: r.name, top: "shop" });
    }
  });

  test("nodes are named by index, state server by role", async () => {
    const { mocks } = await buildFarm({ nodeCount: 3 });
    expect(mocks.ofType(T.instance).map((i) => i.name).sort()).toEqual(["shop-state", "shop-web-0", "shop-web-1", "shop-web-2"]);
  });

  test("the state server accepts the state port from the web nodes' group only", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    expect(inboundSources(mocks, "shop-state-sg")).toEqual(["tcp/42424-42424 from shop-web-sg"]);
  });

  test("a custom state port is the one opened, still from the web group only", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2, statePort: 42500 });
    expect(inboundSources(mocks, "shop-state-sg")).toEqual(["tcp/42500-42500 from shop-web-sg"]);
  });

  test("web nodes accept port 80 from the load balancer's group only", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    expect(inboundSources(mocks, "shop-web-sg")).toEqual(["tcp/80-80 from shop-lb-sg"]);
  });

  test("the load balancer accepts 80 from allowedCidrs (the internet by default)", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    expect(inboundSources(mocks, "shop-lb-sg")).toEqual(["tcp/80-80 from 0.0.0.0/0"]);
    const narrowed = await buildFarm({ nodeCount: 2, allowedCidrs: ["203.0.113.0/24", "198.51.100.0/24"] });
    expect(inboundSources(narrowed.mocks, "shop-lb-sg")).toEqual(["tcp/80-80 from 198.51.100.0/24", "tcp/80-80 from 203.0.113.0/24"]);
  });

  test("the load balancer may send only to the web nodes, on 80", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const out = rulesOf(mocks, T.egress, "shop-lb-sg");
    expect(out).toHaveLength(1);
    expect(out[0].inputs).toMatchObject({ fromPort: 80, toPort: 80, referencedSecurityGroupId: mocks.named("shop-web-sg", T.sg).id });
  });

  test("every rule is a separate resource with a description; no group has inline rules", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2, certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" });
    for (const g of mocks.ofType(T.sg)) {
      expect(g.inputs.ingress ?? []).toEqual([]);
      expect(g.inputs.egress ?? []).toEqual([]);
    }
    const rules = [...mocks.ofType(T.ingress), ...mocks.ofType(T.egress)];
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) expect(r.inputs.description).toMatch(/\S{3,}/);
  });

  test("nothing but the load balancer has a public address or a route to the internet gateway", async () => {
    const { mocks } = await buildFarm({ nodeCount: 3, azCount: 3, natPerAz: true });
    for (const i of mocks.ofType(T.instance)) expect(i.inputs.associatePublicIpAddress).toBe(false);
    for (const s of mocks.ofType(T.subnet)) expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
    const igw = mocks.ofType(T.igw)[0];
    const igwTables = mocks.ofType(T.route).filter((r) => r.inputs.gatewayId === igw.id).map((r) => r.inputs.routeTableId);
    const subnetsBehindIgw = mocks.ofType(T.association).filter((a) => igwTables.includes(a.inputs.routeTableId)).map((a) => a.inputs.subnetId);
    const publicSubnets = mocks.ofType(T.subnet).filter((s) => s.name.includes("-public-")).map((s) => s.id);
    expect(subnetsBehindIgw.sort()).toEqual(publicSubnets.sort());
    const instanceSubnets = mocks.ofType(T.instance).map((i) => i.inputs.subnetId);
    for (const s of instanceSubnets) expect(subnetsBehindIgw).not.toContain(s);
    const lb = mocks.ofType(T.lb)[0];
    expect(lb.inputs.internal).toBe(false);
    expect([...lb.inputs.subnets].sort()).toEqual(publicSubnets.sort());
  });

  test("every instance requires IMDSv2 and has an encrypted root volume", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    for (const i of mocks.ofType(T.instance)) {
      expect(i.inputs.metadataOptions.httpTokens).toBe("required");
      expect(i.inputs.rootBlockDevice.encrypted).toBe(true);
    }
  });

  test("instances run Windows Server 2022 from Amazon's public parameter unless pinned", async () => {
    const latest = await buildFarm({ nodeCount: 1 });
    expect(latest.mocks.invokes.map((i) => i.inputs.name)).toContain("/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base");
    for (const i of latest.mocks.ofType(T.instance)) expect(i.inputs.ami).toBe("ami-0123456789abcdef0");
    const pinned = await buildFarm({ nodeCount: 1, amiId: "ami-0fedcba9876543210" });
    for (const i of pinned.mocks.ofType(T.instance)) expect(i.inputs.ami).toBe("ami-0fedcba9876543210");
    expect(pinned.mocks.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter")).toHaveLength(0);
  });

  test("every instance carries its role, Name and the caller's tags; every taggable resource gets Name and the tags", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2, tags: { env: "test", team: "web" } });
    for (const i of mocks.ofType(T.instance)) {
      expect(i.inputs.tags).toMatchObject({ Name: i.name, env: "test", team: "web" });
      expect(["web-node", "state-server"]).toContain(i.inputs.tags[ROLE_TAG]);
    }
    expect(mocks.named("shop-state", T.instance).inputs.tags[ROLE_TAG]).toBe("state-server");
    const untaggable = new Set([T.route, T.association, T.attachment, T.rolePolicy, T.randomBytes, "aws:route53/record:Record"]);
    const resources = mocks.resources.filter((r) => !r.type.startsWith("aspnet-webfarm:") && !untaggable.has(r.type));
    expect(resources.length).toBeGreaterThan(20);
    for (const r of resources) expect({ r: r.name, tags: r.inputs.tags }).toMatchObject({ r: r.name, tags: { Name: expect.any(String), env: "test", team: "web" } });
  });

  test("exports url, balancer DNS name, the state server's stable name the nodes use, and the node ids", async () => {
    const { mocks, farm } = await buildFarm({ nodeCount: 2 });
    const lb = mocks.ofType(T.lb)[0];
    expect(await valueOf(farm.url)).toBe(`http://${lb.state.dnsName}/`);
    expect(await valueOf(farm.loadBalancerDnsName)).toBe(lb.state.dnsName);
    expect(await valueOf(farm.stateServerAddress)).toBe("state.shop.internal");
    expect((await valueOf(farm.webNodeIds)).sort()).toEqual(["instance-shop-web-0", "instance-shop-web-1"]);
  });

  test("HTTPS listener on 443 when a certificate is given, and 80 redirects to it", async () => {
    const arn = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
    const { mocks } = await buildFarm({ nodeCount: 2, certificateArn: arn });
    const https = mocks.named("shop-lb-https", T.listener);
    expect(https.inputs).toMatchObject({ port: 443, protocol: "HTTPS", certificateArn: arn });
    expect(https.inputs.defaultActions[0].type).toBe("forward");
    const http = mocks.named("shop-lb-http", T.listener);
    expect(http.inputs.defaultActions[0]).toMatchObject({ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } });
    expect(inboundSources(mocks, "shop-lb-sg")).toEqual(["tcp/443-443 from 0.0.0.0/0", "tcp/80-80 from 0.0.0.0/0"]);
  });

  test("without a certificate there is only an HTTP listener, forwarding to the target group", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const listeners = mocks.ofType(T.listener);
    expect(listeners.map((l) => l.inputs.port)).toEqual([80]);
    expect(listeners[0].inputs.defaultActions[0]).toMatchObject({ type: "forward", targetGroupArn: mocks.ofType(T.tg)[0].state.arn });
  });

  test("target group: HTTP 80, health check on the session-free path, stickiness off", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const tg = mocks.ofType(T.tg)[0];
    expect(tg.inputs).toMatchObject({ port: 80, protocol: "HTTP", targetType: "instance" });
    expect(tg.inputs.healthCheck).toMatchObject({ path: "/health.aspx", matcher: "200" });
    expect(tg.inputs.stickiness.enabled).toBe(false);
  });

  test("two farms in one stack do not collide", async () => {
    const { mocks } = await runProgram(() => {
      new WebFarm("shop", { nodeCount: 2 });
      new WebFarm("admin", { nodeCount: 1 });
    });
    const keys = mocks.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const parameters = mocks.ofType(T.parameter).map((p) => p.inputs.name);
    expect(new Set(parameters).size).toBe(2);
  });

  test("bring your own network: no VPC, subnet or NAT is created, and the farm uses the given ids", async () => {
    const { mocks, farm } = await buildFarm({
      nodeCount: 3,
      vpcId: "vpc-0e00000000000000e",
      publicSubnetIds: ["subnet-0a00000000000000a", "subnet-0b00000000000000b"],
      privateSubnetIds: ["subnet-0c00000000000000c", "subnet-0d00000000000000d"],
    });
    for (const t of [T.vpc, T.subnet, T.nat, T.igw, T.eip, T.routeTable]) expect(mocks.ofType(t)).toHaveLength(0);
    expect(mocks.ofType(T.lb)[0].inputs.subnets).toEqual(["subnet-0a00000000000000a", "subnet-0b00000000000000b"]);
    expect(mocks.ofType(T.instance).filter((i) => i.name.startsWith("shop-web-")).map((i) => i.inputs.subnetId))
      .toEqual(["subnet-0c00000000000000c", "subnet-0d00000000000000d", "subnet-0c00000000000000c"]);
    for (const g of mocks.ofType(T.sg)) expect(g.inputs.vpcId).toBe("vpc-0e00000000000000e");
    expect(await valueOf(farm.vpcId)).toBe("vpc-0e00000000000000e");
    // the state server's firewall admits the brought private subnets, looked up by id
    expect(mocks.named("shop-state", T.instance).inputs.userData).toContain("$WebSubnets = @('172.20.10.0/24', '172.20.11.0/24')");
  });

  test("accepts Outputs from another stack for the brought network", async () => {
    const { mocks } = await buildFarm({
      nodeCount: 2,
      vpcId: pulumi.output("vpc-0e00000000000000e"),
      publicSubnetIds: [pulumi.output("subnet-0a00000000000000a"), pulumi.output("subnet-0b00000000000000b")],
      privateSubnetIds: [pulumi.output("subnet-0c00000000000000c"), pulumi.output("subnet-0d00000000000000d")],
    });
    expect(mocks.ofType(T.instance)).toHaveLength(3);
  });

  test("the web.config fragment output is secret and names the state server", async () => {
    const { farm } = await buildFarm({ nodeCount: 2 });
    expect(await isSecret(farm.webConfigFragment)).toBe(true);
    expect(await valueOf(farm.webConfigFragment)).toContain('stateConnectionString="tcpip=state.shop.internal:42424"');
  });
});
