// docs/testing.md: begin (the page's example, with the kit's package name for these paths)
import * as aws from "@pulumi/aws";
import { WebFarm } from "../../components";
import { recordStack } from "../../engine/testing";

test("the office may reach the web nodes by RDP, the internet may not", async () => {
  const graph = await recordStack(() => {
    const farm = new WebFarm("shop", { nodes: { count: 2 } });
    const rdp = { ipProtocol: "tcp", fromPort: 3389, toPort: 3389, cidrIpv4: "203.0.113.0/24" };
    new aws.vpc.SecurityGroupIngressRule("office-rdp", { securityGroupId: farm.webSecurityGroupId, ...rdp });
  });
  const [node] = graph.byRole("web-node");
  expect(graph.canReach("203.0.113.7", node, 3389)).toBe(true);
  expect(graph.canReach("0.0.0.0/0", node, 3389)).toBe(false);
  expect(graph.converges().problems).toEqual([]);
});
// docs/testing.md: end

import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";
import { StackGraph, valueOf } from "../../engine/testing";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

const STATE_PORT = 42424;
const TEAM_AMI = "ami-0123456789abcdef0";
const OFFICE = "198.51.100.0/24";

/** A team's program: a farm, a bastion of its own (lookup, group, rules) and a planted widening. */
async function teamProgram() {
  const farm = new WebFarm("shop", { nodes: { count: 2 } });
  const ami = await aws.ec2.getAmi({ owners: ["self"], mostRecent: true, nameRegex: "^bastion-" });
  const bastionGroup = new aws.ec2.SecurityGroup("bastion-sg", {
    vpcId: farm.vpcId,
    ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [OFFICE] }],
  });
  new aws.ec2.SecurityGroupRule("bastion-to-web", {
    type: "ingress",
    securityGroupId: farm.webSecurityGroupId,
    protocol: "tcp",
    fromPort: 3389,
    toPort: 3389,
    sourceSecurityGroupId: bastionGroup.id,
  });
  new aws.ec2.Instance("bastion", {
    ami: ami.id,
    instanceType: "t3.micro",
    subnetId: farm.publicSubnetIds[0],
    vpcSecurityGroupIds: [bastionGroup.id],
  });
  // The widening a review must catch: the state server's port open to every address.
  new aws.vpc.SecurityGroupIngressRule("debug-state", {
    securityGroupId: farm.stateServerSecurityGroupId.apply((id) => id ?? ""),
    ipProtocol: "tcp",
    fromPort: STATE_PORT,
    toPort: STATE_PORT,
    cidrIpv4: "0.0.0.0/0",
  });
  new aws.ssm.Parameter(
    "db-password",
    { type: "SecureString", value: pulumi.secret("hunter2") },
    { protect: true, ignoreChanges: ["value"] },
  );
  return farm;
}

const teamFixtures = {
  invokes: { "aws:ec2/getAmi:getAmi": () => ({ id: TEAM_AMI, name: "bastion-7" }) },
  outputs: (type: string) => (type === "aws:ec2/instance:Instance" ? { publicIp: "192.0.2.10" } : {}),
};

describe("a team's stack recorded with recordStack", () => {
  let graph: StackGraph<WebFarm>;
  beforeAll(async () => {
    graph = await recordStack(teamProgram, { fixtures: teamFixtures });
  });

  test("byRole finds the farm's web nodes and state server by their role tag, not the team's instance", () => {
    expect(graph.byRole("web-node").map((r) => r.name)).toEqual(["shop-web-0", "shop-web-1"]);
    expect(graph.byRole("state-server").map((r) => r.name)).toEqual(["shop-state"]);
    expect(graph.ofType("aws:ec2/instance:Instance").map((r) => r.name)).toContain("bastion");
    expect(graph.byRole("web-node").every((r) => r.type === "aws:ec2/instance:Instance")).toBe(true);
  });

  test("the load balancer's group may reach the web nodes on 80, and nothing else of theirs", () => {
    const [lb] = graph.ofType("aws:lb/loadBalancer:LoadBalancer");
    const [node] = graph.byRole("web-node");
    const [lbGroup] = graph.securityGroupsOf(lb);
    const [webGroup] = graph.securityGroupsOf(node);
    expect(graph.canReach(lb, node, 80)).toBe(true);
    expect(graph.canReach(lbGroup, webGroup, 80)).toBe(true);
    expect(graph.canReach(lb, node, 443)).toBe(false);
    expect(graph.canReach("0.0.0.0/0", node, 80)).toBe(false);
  });

  test("the planted rule makes the state port reachable from 0.0.0.0/0 and names itself in inbound()", () => {
    const [state] = graph.byRole("state-server");
    const [stateGroup] = graph.securityGroupsOf(state);
    expect(graph.canReach("0.0.0.0/0", state, STATE_PORT)).toBe(true);
    expect(graph.canReach("0.0.0.0/0", stateGroup, STATE_PORT)).toBe(true);
    expect(graph.canReach("192.0.2.1", state, STATE_PORT)).toBe(true);
    // Open to every address is open to every group too, the load balancer's included.
    expect(graph.canReach(graph.ofType("aws:lb/loadBalancer:LoadBalancer")[0], state, STATE_PORT)).toBe(true);
    expect(graph.canReach("0.0.0.0/0", state, STATE_PORT + 1)).toBe(false);
    const open = graph.inbound().filter((r) => r.group === stateGroup && r.sourceIsCidr);
    expect(open).toEqual([
      {
        rule: "debug-state",
        group: stateGroup,
        source: "0.0.0.0/0",
        sourceIsCidr: true,
        protocol: "tcp",
        from: STATE_PORT,
        to: STATE_PORT,
        ports: `tcp/${STATE_PORT}`,
      },
    ]);
  });

  test("an ec2.SecurityGroupRule and a group's inline ingress count as inbound rules too", () => {
    const bastion = graph.named("bastion", "aws:ec2/instance:Instance");
    const [node] = graph.byRole("web-node");
    expect(graph.securityGroupsOf(bastion)).toEqual(["bastion-sg"]);
    expect(graph.canReach(bastion, node, 3389)).toBe(true);
    expect(graph.canReach("bastion-sg", node, 80)).toBe(false);
    expect(graph.canReach("198.51.100.20", bastion, 22)).toBe(true);
    expect(graph.canReach("0.0.0.0/0", bastion, 22)).toBe(false);
    expect(graph.inbound().filter((r) => r.rule.startsWith("bastion"))).toEqual([
      expect.objectContaining({ rule: "bastion-sg", group: "bastion-sg", source: OFFICE, ports: "tcp/22" }),
      expect.objectContaining({ rule: "bastion-to-web", source: "bastion-sg", ports: "tcp/3389" }),
    ]);
  });

  test("the team's lookups and outputs are answered by its fixtures, the kit's by the kit's", () => {
    const bastion = graph.named("bastion", "aws:ec2/instance:Instance");
    expect(bastion.inputs.ami).toBe(TEAM_AMI);
    expect(bastion.state.publicIp).toBe("192.0.2.10");
    const tokens = graph.invokes.map((i) => i.token);
    expect(tokens).toContain("aws:ec2/getAmi:getAmi");
    expect(tokens).toContain("aws:index/getRegion:getRegion");
    expect(graph.result).toBeInstanceOf(WebFarm);
  });

  test("valueOf reads the program's Outputs after the run", async () => {
    expect(await valueOf(graph.result.loadBalancerDnsName)).toBe("LoadBalancer.shop-lb.dnsName");
  });

  test("secrets and resource options are shown as the program gave them", () => {
    const parameter = graph.named("db-password");
    expect(parameter.secretPaths).toEqual(["value"]);
    expect(parameter.options).toMatchObject({ protect: true, ignoreChanges: ["value"] });
  });

  test("named() throws when no resource or several have the name", () => {
    expect(() => graph.named("no-such-thing")).toThrow(/expected one resource named no-such-thing, found 0/);
  });

  test("converges() says the team's stack finishes", () => {
    expect(graph.converges()).toMatchObject({ converges: true, problems: [] });
  });
});

test("in Auto Scaling mode byRole finds the launch template that tags the nodes, and the load balancer reaches it", async () => {
  const args = { nodes: { count: 2, mode: "autoscaling" } } as unknown as ConstructorParameters<typeof WebFarm>[1];
  const graph = await recordStack(() => new WebFarm("shop", args));
  const [template, ...more] = graph.byRole("web-node");
  expect(more).toEqual([]);
  expect(template.type).toBe("aws:ec2/launchTemplate:LaunchTemplate");
  expect(graph.canReach(graph.ofType("aws:lb/loadBalancer:LoadBalancer")[0], template, 80)).toBe(true);
  expect(graph.canReach("0.0.0.0/0", template, 80)).toBe(false);
});

describe("recordStack's errors", () => {
  test("an unanswered lookup rejects naming the call and how to answer it", async () => {
    const run = recordStack(async () => aws.ec2.getInstance({ instanceTags: { Name: "legacy" } }));
    await expect(run).rejects.toThrow(
      /unmocked lookup aws:ec2\/getInstance:getInstance\(\{"instanceTags":\{"Name":"legacy"\}\}\).*fixtures: \{ invokes: \{ "aws:ec2\/getInstance:getInstance"/,
    );
  });

  test("an unanswered lookup inside an Output rejects too, instead of ending the test process", async () => {
    const run = recordStack(() => {
      aws.ec2.getAmiOutput({ owners: ["self"] }).apply((a) => new aws.ec2.Instance("x", { ami: a.id }));
    });
    await expect(run).rejects.toThrow(/unmocked lookup aws:ec2\/getAmi:getAmi/);
  });

  test("a lookup the kit answers only in part says how to answer the rest", async () => {
    const run = recordStack(async () => aws.ssm.getParameter({ name: "/shop/feature-flag" }));
    await expect(run).rejects.toThrow(
      /unmocked SSM parameter \/shop\/feature-flag.*"aws:ssm\/getParameter:getParameter"/,
    );
    // The team answers its own parameter and leaves the kit's to the kit (undefined).
    const graph = await recordStack(async () => (await aws.ssm.getParameter({ name: "/shop/feature-flag" })).value, {
      fixtures: {
        invokes: {
          "aws:ssm/getParameter:getParameter": (i) => (i.name === "/shop/feature-flag" ? { value: "on" } : undefined),
        },
      },
    });
    expect(graph.result).toBe("on");
  });

  test("stack, project and config reach the program as the CLI would hand them", async () => {
    const graph = await recordStack(
      () => [pulumi.getStack(), pulumi.getProject(), new pulumi.Config("shop").require("size")],
      {
        stack: "prod",
        project: "shop",
        config: { "shop:size": "large" },
      },
    );
    expect(graph.result).toEqual(["prod", "shop", "large"]);
  });
});

test("docs/testing.md's example is the first test of this file, word for word", () => {
  const fenced = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(REPO_ROOT, "docs", "testing.md"), "utf8"));
  const source = readFileSync(join(REPO_ROOT, "test", "engine", "testing.test.ts"), "utf8");
  const example = /\/\/ docs\/testing\.md: begin[^\n]*\n([\s\S]*?)\/\/ docs\/testing\.md: end/.exec(source);
  const asPublished = example![1]
    .replace('"../../components"', '"aspnet-webfarm"')
    .replace('"../../engine/testing"', '"aspnet-webfarm/testing"');
  expect(fenced?.[1]).toBe(asPublished);
  expect(asPublished.trimEnd().split("\n").length).toBeLessThanOrEqual(15);
});
