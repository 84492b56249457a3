// Reviewable changes: the offline plan is deterministic, secret-free and committed; its diff names
// what changes, flags security-broadening changes and state server replacements.
import { readFileSync } from "fs";
import { join } from "path";
import { stackConfig } from "../../infra/stackFile";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { ec2LaunchDocument } from "../../components/windows";
import { fixtures } from "../../engine/fixtures";
import {
  diffPlans,
  diffText,
  inboundRules,
  Plan,
  planJson,
  reachDiagram,
  scriptText,
  SECRET,
  summaryText,
} from "../../engine/plan";
import { renderPlan, renderRepoPlan } from "../../tools/plan/repoPlan";

const key = (k: string) => `aspnet-webfarm:${k}`;
const devWith = (overrides: Record<string, string>) => renderRepoPlan("dev", { ...stackConfig("dev"), ...overrides });

let dev: Plan;
beforeAll(async () => {
  dev = await renderPlan("dev");
});

describe("offline plan", () => {
  test("is deterministic: two runs with the same config give byte-identical plans", async () => {
    expect(planJson(await renderPlan("dev"))).toBe(planJson(dev));
  });

  // The committed plans pin every logical name, type and input: a rename shows up in review.
  test.each(["dev", "prod", "images", "asg"])(
    "the committed plans/%s.json, .md and scripts are what the program renders now",
    async (stack) => {
      const plan = stack === "dev" ? dev : await renderPlan(stack);
      expect(readFileSync(join(REPO_ROOT, "plans", `${stack}.json`), "utf8")).toBe(planJson(plan));
      expect(readFileSync(join(REPO_ROOT, "plans", `${stack}.md`), "utf8")).toBe(summaryText(plan));
      for (const [file, text] of Object.entries(plan.scripts)) {
        expect({ file, text: readFileSync(join(REPO_ROOT, "plans", stack, file), "utf8") }).toEqual({ file, text });
      }
    },
  );

  test("the plan draws who may reach whom: the internet the balancer only, the state port from the web nodes only", () => {
    const diagram = reachDiagram(inboundRules(dev.resources));
    expect(diagram[0]).toBe("```mermaid");
    expect(diagram.at(-1)).toBe("```");
    const arrows = diagram.filter((l) => l.includes("-->")).map((l) => l.replace(/n\d+\["([^"]+)"\]/g, "$1").trim());
    expect(arrows.sort()).toEqual([
      "0.0.0.0/0 -->|tcp/80| shop-dev-lb-sg",
      "shop-dev-lb-sg -->|tcp/80| shop-dev-web-sg",
      "shop-dev-web-sg -->|tcp/42424| shop-dev-state-sg",
    ]);
    expect(summaryText(dev)).toContain(diagram.join("\n"));
  });

  test("each generated script is stored once, however many instances run it", () => {
    expect(Object.keys(dev.scripts).sort()).toEqual([
      "shop-dev-app-bundle/appspec.yml",
      "shop-dev-app-bundle/hooks/install.ps1",
      "shop-dev-app-bundle/hooks/start.ps1",
      "shop-dev-app-bundle/hooks/validate.ps1",
      "shop-dev-app-bundle/release.json",
      "state-server.ps1",
      "web-node.ps1",
    ]);
    const refs = dev.resources.filter((r) => r.type === "aws:ec2/instance:Instance").map((r) => r.inputs.userData);
    expect(new Set(refs).size).toBe(2);
    for (const ref of refs) expect(scriptText(dev, ref)).toMatch(/^version: 1\.1\ntasks:\n- task: executeScript/);
  });

  test("keeps each user data readable (its compressed script expanded) and records its real size", () => {
    // The file's expanded script, packed again, is the user data EC2 gets: the size recorded is its size.
    const [, script] = dev.scripts["web-node.ps1"].split("# ---- payload 1, expanded (what the node runs) ----\n");
    expect(dev.summary.userDataBytes["web-node.ps1"]).toBe(Buffer.byteLength(ec2LaunchDocument(script.split("\n"))));
    expect(dev.summary.userDataBytes["web-node.ps1"]).toBeLessThanOrEqual(12 * 1024);
    expect(Object.keys(dev.summary.userDataBytes).sort()).toEqual(["state-server.ps1", "web-node.ps1"]);
    expect(dev.scripts["web-node.ps1"]).toContain("Step 'read the machine key from SSM Parameter Store' {");
    expect(dev.scripts["web-node.ps1"]).not.toMatch(/H4sI[A-Za-z0-9+/]{20}/);
    expect(summaryText(dev)).toContain(`- web-node.ps1: ${dev.summary.userDataBytes["web-node.ps1"]} bytes`);
  });

  test("secrets are shown as [secret] and no key material reaches the plan file", () => {
    const parameter = dev.resources.find((r) => r.type === "aws:ssm/parameter:Parameter")!;
    expect(parameter.inputs.value).toBe(SECRET);
    // The key the engine generated for this plan, recomputed: it is nowhere in the plan's files.
    const text = [planJson(dev), ...Object.values(dev.scripts)].join("\n").toUpperCase();
    const bytes = dev.resources.filter((r) => r.type === "random:index/randomBytes:RandomBytes");
    expect(bytes).toHaveLength(2);
    for (const r of bytes) {
      const { hex } = fixtures().outputs(r.type, r.name, r.inputs, "");
      expect(hex.length).toBeGreaterThanOrEqual(64);
      expect(text).not.toContain(hex.toUpperCase());
    }
  });

  test("lists every resource with its type, logical name, parent and inputs", () => {
    const node = dev.resources.find((r) => r.name === "shop-dev-web-0" && r.type === "aws:ec2/instance:Instance")!;
    expect(node.parent).toBe("shop-dev-web");
    expect(node.inputs).toMatchObject({ associatePublicIpAddress: false, subnetId: "Subnet.shop-dev-net-private-0" });
    expect(scriptText(dev, node.inputs.userData)).toContain("tcpip=state.shop-dev.internal:42424");
  });

  test("the summary says who may reach what, and what each node does at boot", () => {
    expect(dev.summary.inbound).toEqual([
      "shop-dev-lb-sg <- 0.0.0.0/0 on tcp/80",
      "shop-dev-state-sg <- group shop-dev-web-sg on tcp/42424",
      "shop-dev-web-sg <- group shop-dev-lb-sg on tcp/80",
    ]);
    expect(dev.summary.boot["web-node"]).toContain("read the machine key from SSM Parameter Store");
    expect(dev.summary.boot["state-server"]).toContain("allow remote connections on the state port");
    expect(dev.summary.countsByType["aws:ec2/instance:Instance"]).toBe(3);
  });
});

describe("plan diff", () => {
  test("node count 2 -> 3 adds exactly one node and its attachment, nothing broadening", async () => {
    const diff = diffPlans(dev, await devWith({ [key("nodesCount")]: "3" }));
    expect(diff.added).toEqual([
      "aws:ec2/instance:Instance::shop-dev-web-2",
      "aws:lb/targetGroupAttachment:TargetGroupAttachment::shop-dev-web-2",
      "pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate::shop-dev-web-2-serving",
    ]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed).toEqual([]);
    expect(diff.securityBroadening).toEqual([]);
    expect(diff.stateServer).toEqual([]);
    expect(diff.releases).toEqual([]);
    expect(diff.mustRead).toEqual([]);
    // The estimate's delta names the new node: one more Windows instance, 730 hours.
    const node = (dev.summary.cost?.lines ?? []).find((l) => l.name === "shop-dev-web-0")!;
    expect(diff.cost[0]).toMatch(
      new RegExp(
        `\\$${dev.summary.cost!.total.min.toFixed(2)} → \\$${(dev.summary.cost!.total.min + node.monthly!.min).toFixed(2)}`,
      ),
    );
    expect(diff.cost.join("\n")).toContain("shop-dev-web-2");
  });

  test("a machine key rotation is must-read: everyone logged out, every node replaced", async () => {
    const diff = diffPlans(dev, await devWith({ [key("machineKeyVersion")]: "2" }));
    expect(diff.mustRead).toEqual([
      "the machine key is rotated (version 1 -> 2): every user is logged out (forms authentication), pages open in a browser fail one postback, and every web node is replaced",
      "2 of 2 web nodes are replaced (inputs.userData): new ones must pass the health check before the old ones go",
    ]);
    expect(diffText(diff)).toContain(
      "MUST READ: disruptive changes (users notice; approve with --approve-disruption) (2)",
    );
  });

  test("a changed session timeout replaces the web nodes, and says how many and why", async () => {
    const diff = diffPlans(dev, await devWith({ [key("sessionTimeoutMinutes")]: "30" }));
    expect(diff.mustRead).toEqual([
      "2 of 2 web nodes are replaced (inputs.userData): new ones must pass the health check before the old ones go",
    ]);
  });

  test("in Auto Scaling mode a changed template is a refresh of every node, must-read", async () => {
    const scaled = await devWith({ [key("nodesMode")]: "autoscaling" });
    const diff = diffPlans(
      scaled,
      await devWith({ [key("nodesMode")]: "autoscaling", [key("sessionTimeoutMinutes")]: "30" }),
    );
    expect(diff.mustRead).toEqual([
      expect.stringMatching(
        /^every node of the Auto Scaling group is replaced by an instance refresh \(shop-dev-web-template: inputs\.userData\)$/,
      ),
    ]);
  });

  test("a new application version is named as a release: in place, no node replaced", async () => {
    const diff = diffPlans(dev, await devWith({ [key("appVersion")]: "v2" }));
    expect(diff.releases).toEqual(["application v1 -> v2, in place through CodeDeploy, no node replaced"]);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
    expect(diff.securityBroadening).toEqual([]);
    const bundle = diff.changed.find((c) => c.resource.endsWith("::shop-dev-app-bundle"))!;
    // Only the manifest changes: the appspec and the hooks are the same for every release.
    expect(bundle.changes.map((c) => c.path)).toEqual(["inputs.source.release.json"]);
    expect(diffText(diff)).toContain("APPLICATION RELEASES (node by node, sessions kept) (1)");
  });

  test("narrowing allowedCidrs is not broadening; widening it back is", async () => {
    const narrow = await devWith({ [key("loadBalancerAllowedCidrs")]: JSON.stringify(["203.0.113.0/24"]) });
    const narrowing = diffPlans(dev, narrow);
    expect(narrowing.added).toEqual([
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::shop-dev-lb-http-203-0-113-0-24",
    ]);
    expect(narrowing.removed).toEqual([
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::shop-dev-lb-http-0-0-0-0-0",
    ]);
    expect(narrowing.securityBroadening).toEqual([]);

    const widening = diffPlans(narrow, dev);
    expect(widening.securityBroadening).toEqual(["new inbound access: shop-dev-lb-sg <- 0.0.0.0/0 on tcp/80"]);
  });

  test("a new state port is a new inbound port, and it replaces the state server", async () => {
    const diff = diffPlans(dev, await devWith({ [key("stateServerPort")]: "42500" }));
    expect(diff.securityBroadening).toEqual([
      "new inbound access: shop-dev-state-sg <- group shop-dev-web-sg on tcp/42500",
    ]);
    expect(diff.stateServer).toEqual([
      "state server replaced: aws:ec2/instance:Instance::shop-dev-state (inputs.userData)",
    ]);
    expect(diff.mustRead).toContain(
      "state server replaced: aws:ec2/instance:Instance::shop-dev-state (inputs.userData): every session is lost",
    );
    const rule = diff.changed.find((c) => c.resource.endsWith("::shop-dev-web-to-state-in"))!;
    expect(rule.changes.map((c) => [c.path, c.before, c.after])).toEqual(
      expect.arrayContaining([["inputs.fromPort", 42424, 42500]]),
    );
  });

  test("switching the session store is must-read both ways: every current session is lost, once", async () => {
    const sql = await devWith({ [key("sessionStore")]: "sqlServer" });
    const toSql = diffPlans(dev, sql);
    expect(toSql.mustRead).toEqual(
      expect.arrayContaining([
        "state server deleted: aws:ec2/instance:Instance::shop-dev-state: every session is lost",
        "the session store changes from the ASP.NET State Service to SQL Server (RDS): every current session is lost, once",
      ]),
    );
    expect(diffPlans(sql, dev).mustRead).toEqual(
      expect.arrayContaining([
        "the session store changes from SQL Server (RDS) to the ASP.NET State Service: every current session is lost, once",
        "the session database is deleted: aws:rds/instance:Instance::shop-dev-sessions-db: every session is lost",
      ]),
    );
    // A bigger class or Multi-AZ is an in-place change of the database, not a loss.
    const bigger = diffPlans(
      sql,
      await devWith({ [key("sessionStore")]: "sqlServer", [key("sqlServerInstanceClass")]: "db.t3.medium" }),
    );
    expect(bigger.mustRead).toEqual([]);
    const newEdition = diffPlans(
      sql,
      await devWith({ [key("sessionStore")]: "sqlServer", [key("sqlServerEdition")]: "web" }),
    );
    expect(newEdition.mustRead).toEqual([
      "the session database is replaced: aws:rds/instance:Instance::shop-dev-sessions-db (inputs.engine): every session is lost",
    ]);
  });

  test("renaming the farm is must-read: everything recreated, a new URL, the state server deleted", async () => {
    const diff = diffPlans(dev, await devWith({ [key("farmName")]: "shop2-dev" }));
    expect(diff.stateServer).toContain("state server deleted: aws:ec2/instance:Instance::shop-dev-state");
    expect(diff.mustRead).toEqual([
      "the farm is renamed shop-dev -> shop2-dev: every resource is deleted and created anew, the URL changes, every session is lost",
      "state server deleted: aws:ec2/instance:Instance::shop-dev-state: every session is lost",
    ]);
  });

  test("a secret input becoming plaintext, a public address and a wider IAM permission are flagged", () => {
    const after: Plan = JSON.parse(JSON.stringify(dev));
    const parameter = after.resources.find((r) => r.type === "aws:ssm/parameter:Parameter")!;
    parameter.inputs.value = '{"validationKey":"…"}';
    const node = after.resources.find((r) => r.name === "shop-dev-web-0" && r.type === "aws:ec2/instance:Instance")!;
    node.inputs.associatePublicIpAddress = true;
    const policy = after.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy")!;
    const doc = JSON.parse(String(policy.inputs.policy));
    doc.Statement.push({ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: ["*"] });
    policy.inputs.policy = JSON.stringify(doc);

    const flags = diffPlans(dev, after).securityBroadening;
    expect(flags).toEqual(
      expect.arrayContaining([
        "secret input now plaintext: aws:ssm/parameter:Parameter::shop-dev-key-parameter inputs.value",
        "public address turned on: aws:ec2/instance:Instance::shop-dev-web-0 inputs.associatePublicIpAddress",
        expect.stringMatching(/^new IAM permission: .*ssm:GetParameter on \*$/),
      ]),
    );
    expect(flags).toHaveLength(3);
  });

  test("natPerAz adds public addresses, flagged for review", async () => {
    const diff = diffPlans(dev, await devWith({ [key("networkNatPerAz")]: "true" }));
    expect(diff.securityBroadening).toEqual(["new public address: aws:ec2/eip:Eip::shop-dev-net-nat-1"]);
  });
});

describe("resource options that keep changes deliberate", () => {
  const options = (plan: Plan, name: string) =>
    plan.resources.find((r) => r.name === name && r.type === "aws:ec2/instance:Instance")!.options ?? {};

  test("an image resolved from Amazon's latest is ignored on existing instances; a pinned one is not", async () => {
    expect(options(dev, "shop-dev-web-0")).toMatchObject({ ignoreChanges: ["ami"] });
    expect(options(dev, "shop-dev-state")).toMatchObject({ ignoreChanges: ["ami"] });
    const pinned = await devWith({ [key("imageAmiId")]: "ami-0123456789abcdef0" });
    expect(options(pinned, "shop-dev-web-0")).not.toHaveProperty("ignoreChanges");
  });

  test("web nodes are replaced create-before-destroy; dev's state server is not protected", () => {
    expect(options(dev, "shop-dev-web-0")).not.toHaveProperty("deleteBeforeReplace");
    expect(options(dev, "shop-dev-state")).not.toHaveProperty("protect");
  });
});
