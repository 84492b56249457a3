// What a change does on AWS, read from the committed update behaviour table: replace, interrupt,
// update or unknown; a replacement cascades through id references; the plan diff names the
// consequence. Built on small plans (no program run), so it stays well under a second.
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { classifyChange, deletedFirst, disruptions, updateBehaviour, UNKNOWN } from "../../engine/disruption";
import { diffPlans, diffText, Plan, PlanResource } from "../../engine/plan";
import { farmInstance } from "../../components/aws/instance";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { record } from "../support/graph";

const committedPlan = (stack: string): Plan => ({
  ...JSON.parse(readFileSync(join(REPO_ROOT, "plans", `${stack}.json`), "utf8")),
  scripts: {},
});
const dev = committedPlan("dev");

/** `plan` with `change` applied to copies of the resources it selects. */
function changed(plan: Plan, select: (r: PlanResource) => boolean, change: (r: PlanResource) => void): Plan {
  const copy: Plan = JSON.parse(JSON.stringify(plan));
  for (const r of copy.resources.filter(select)) change(r);
  return copy;
}
const isType = (type: string) => (r: PlanResource) => r.type === type;
const role = (r: PlanResource) => (r.inputs.tags as Record<string, string> | undefined)?.["webfarm:role"];
const INSTANCE = "aws:ec2/instance:Instance";
const webNode = (r: PlanResource) => r.type === INSTANCE && role(r) === "web-node";
const stateServer = (r: PlanResource) => r.type === INSTANCE && role(r) === "state-server";

describe("the update behaviour table", () => {
  const table = updateBehaviour();

  test("says when and from what it was generated, and how to regenerate it", () => {
    expect(table.generated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(table.regenerate).toContain("npm run disruption:table -- --tf-index");
    expect(table.sources.replacement).toMatchObject({
      ref: expect.stringMatching(/^v6\./),
      commit: expect.any(String),
    });
    expect(table.sources.providerDocs).toMatchObject({ package: "@pulumi/aws", version: "7.48.0" });
    expect(table.sources.cloudFormation).toMatchObject({ package: "@aws-cdk/aws-service-spec" });
    expect(Object.entries(table.types).filter(([, t]) => t.sources.length === 0)).toEqual([]);
  });

  test("covers every resource type of the committed plans", () => {
    const planTypes = new Set(["dev", "prod", "images"].flatMap((s) => committedPlan(s).resources.map((r) => r.type)));
    const cloudTypes = [...planTypes].filter((t) => !/^aspnet-webfarm:index:|^pulumi:pulumi:/.test(t));
    expect(Object.keys(table.types)).toEqual(expect.arrayContaining(cloudTypes));
  });

  test("maps every aws: resource type of the installed @pulumi/aws, or says why it could not", () => {
    // The SDK's own list: the tokens each module registers for `construct`.
    const root = join(REPO_ROOT, "node_modules", "@pulumi", "aws");
    const installed = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, d.name, "index.js")))
      .flatMap((d) => [...readFileSync(join(root, d.name, "index.js"), "utf8").matchAll(/case "(aws:[\w/]+:\w+)":/g)])
      .map((m) => m[1]);
    expect(installed.length).toBeGreaterThan(1500);
    const unmapped = table.unmappedTypes ?? {};
    const missing = installed.filter((t) => !table.types[t] && !unmapped[t]);
    expect(missing).toEqual([]);
    expect(Object.entries(unmapped).filter(([, why]) => !/^no resource of the provider snapshot/.test(why))).toEqual(
      [],
    );
    // A gap is the exception: under 5% of the provider's types.
    expect(Object.keys(unmapped).length).toBeLessThan(installed.length * 0.05);
  });

  test("holds what the provider's schema and docs say of the properties the kit relies on", () => {
    expect(table.types["aws:ec2/vpc:Vpc"].replace.cidrBlock).toBe("ForceNew");
    expect(table.types["aws:ec2/subnet:Subnet"].replace.vpcId).toBe("ForceNew");
    expect(table.types[INSTANCE].replace.subnetId).toBe("ForceNew");
    expect(table.types[INSTANCE].interrupt?.instanceType).toMatch(/trigger a stop\/start of the EC2 instance/);
    expect(table.types["aws:lb/loadBalancer:LoadBalancer"].replace.internal).toBe("ForceNew");
    expect(table.types["random:index/randomBytes:RandomBytes"].replace.keepers).toMatch(/recreation/);
  });
});

describe("classifying a changed property", () => {
  const node = dev.resources.find(webNode)!;
  const state = dev.resources.find(stateServer)!;

  test("replace, interrupt, update, and the kit's own options", () => {
    expect(classifyChange(node, "inputs.subnetId").effect).toBe("replace");
    expect(classifyChange(node, "inputs.rootBlockDevice.encrypted").effect).toBe("replace");
    expect(classifyChange(node, "inputs.tags.Name")).toEqual({ effect: "update", why: "in place" });
    // userDataReplaceOnChange (an input) and ignoreChanges (an option) are the kit's choices.
    expect(classifyChange(node, "inputs.userData")).toEqual({ effect: "replace", why: "kit: userDataReplaceOnChange" });
    expect(classifyChange(node, "inputs.ami").effect).toBe("ignored");
    // The web nodes replace on a new type (components/aws/instance.ts); the state server stops and starts.
    const typed = { ...node, options: { ...node.options, replaceOnChanges: ["instanceType"] } };
    expect(classifyChange(typed, "inputs.instanceType")).toEqual({ effect: "replace", why: "kit: replaceOnChanges" });
    expect(classifyChange(state, "inputs.instanceType").effect).toBe("interrupt");
  });

  test("an unmapped type or property is unknown, never a plain change", () => {
    const stranger = { type: "aws:nosuch/thing:Thing", name: "q", inputs: {} };
    expect(classifyChange(stranger, "inputs.delaySeconds")).toEqual({
      effect: "unknown",
      why: `${UNKNOWN} (type not in the update behaviour table)`,
    });
    // A provider type the generator could not match says why.
    const table = { ...updateBehaviour(), unmappedTypes: { "aws:new/thing:Thing": "no resource matches" } };
    expect(classifyChange({ type: "aws:new/thing:Thing", name: "u", inputs: {} }, "inputs.name", table)).toEqual({
      effect: "unknown",
      why: `${UNKNOWN} (type not mapped: no resource matches)`,
    });
    expect(classifyChange(node, "inputs.noSuchProperty")).toMatchObject({ effect: "unknown" });
  });

  test("a team's own resources, outside the farm, are classified from the provider's schema", () => {
    const own = (type: string) => ({ type, name: "team", inputs: {} });
    const fn = own("aws:lambda/function:Function");
    // The bridge calls function_name `name`: ForceNew upstream.
    expect(classifyChange(fn, "inputs.name")).toEqual({ effect: "replace", why: "ForceNew" });
    expect(classifyChange(fn, "inputs.memorySize")).toEqual({ effect: "update", why: "in place" });
    expect(classifyChange(own("aws:s3/bucketV2:BucketV2"), "inputs.bucket").effect).toBe("replace");
    expect(classifyChange(own("aws:s3/bucket:Bucket"), "inputs.tags.team")).toEqual({
      effect: "update",
      why: "in place",
    });
    expect(classifyChange(own("aws:rds/instance:Instance"), "inputs.engine").effect).toBe("replace");
    expect(classifyChange(own("aws:sqs/queue:Queue"), "inputs.fifoQueue").effect).toBe("replace");
    expect(classifyChange(own("aws:sqs/queue:Queue"), "inputs.visibilityTimeoutSeconds").effect).toBe("update");
    // The provider replaces a resource moved to another region, not one that only names its own: unknown.
    expect(classifyChange(fn, "inputs.region")).toEqual({
      effect: "unknown",
      why: expect.stringMatching(
        /^unknown: confirm with `pulumi preview` \(replaces in some cases: provider: forceNewIfRegionChanges/,
      ),
    });
    // Where the mapping came from is on the type.
    expect(updateBehaviour().types["aws:lambda/function:Function"].sources[0]).toMatch(
      /^provider: aws_lambda_function \(internal\/service\/lambda\/.*; matched by name, \d+% of attributes\)$/,
    );
  });
});

describe("the plan diff names what a change does on AWS", () => {
  test("vpcCidr: the VPC and everything in it is replaced, a must-read that says so", () => {
    const after = changed(
      dev,
      (r) => r.type === "aws:ec2/vpc:Vpc" || r.type === "aws:ec2/subnet:Subnet",
      (r) => (r.inputs.cidrBlock = String(r.inputs.cidrBlock).replace(/^10\.20\./, "10.30.")),
    );
    const diff = diffPlans(dev, after);
    expect(diff.changed).toHaveLength(5);
    expect(diff.changed.flatMap((c) => c.changes.map((x) => x.effect))).toEqual(Array(5).fill("replace"));
    expect(diff.disruptions).toEqual(
      expect.arrayContaining([
        "replaced: aws:ec2/vpc:Vpc::shop-dev-net-vpc (inputs.cidrBlock)",
        "replaced (cascade): aws:ec2/instance:Instance::shop-dev-state (inputs.subnetId <- aws:ec2/subnet:Subnet::shop-dev-net-private-0 replaced)",
        "replaced (cascade): aws:lb/targetGroup:TargetGroup::shop-dev-lb-tg (inputs.vpcId <- aws:ec2/vpc:Vpc::shop-dev-net-vpc replaced)",
        "replaced (cascade): aws:lb/targetGroupAttachment:TargetGroupAttachment::shop-dev-web-0 (inputs.targetId <- aws:ec2/instance:Instance::shop-dev-web-0 replaced)",
      ]),
    );
    // The load balancer's subnets replace it only in some cases (the provider's CustomizeDiff): not
    // counted as replaced, listed to confirm with pulumi preview.
    expect(diff.disruptions.some((l) => l.includes("LoadBalancer::"))).toBe(false);
    expect(diff.unknown).toContainEqual(
      expect.stringMatching(
        /^aws:lb\/loadBalancer:LoadBalancer::shop-dev-lb inputs\.subnets <- aws:ec2\/subnet:Subnet::shop-dev-net-public-0 replaced: unknown: confirm with `pulumi preview` \(replaces in some cases/,
      ),
    );
    expect(diff.mustRead).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^the VPC is replaced: .*everything in it is replaced too .*every session lost/),
        expect.stringMatching(/^2 of 2 web nodes are replaced \(inputs\.subnetId <- /),
        expect.stringMatching(/^state server replaced: .*every session is lost$/),
      ]),
    );
    expect(diffText(diff)).toContain("inputs.cidrBlock: 10.20.0.0/16 -> 10.30.0.0/16  [replace: ForceNew]");
    // Where the effects come from, and when, is on the diff itself.
    expect(diffText(diff)).toMatch(
      /\(effects from engine\/updateBehaviour\.json, generated \d{4}-\d{2}-\d{2}: provider v6\.\d+\.\d+, @pulumi\/aws 7\.48\.0 docs, @aws-cdk\/aws-service-spec [\d.]+\)/,
    );
  });

  test("webInstanceType: new nodes pass their gates before the old ones go, none stopped in place", () => {
    const replacing = (plan: Plan) =>
      changed(plan, webNode, (r) => (r.options = { ...r.options, replaceOnChanges: ["instanceType"] }));
    const before = replacing(dev);
    const diff = diffPlans(
      before,
      changed(before, webNode, (r) => (r.inputs.instanceType = "t3.large")),
    );
    expect(diff.mustRead).toEqual([
      "2 of 2 web nodes are replaced (inputs.instanceType): new ones must pass the health check before the old ones go",
    ]);
    expect(diff.disruptions).toContain(
      "replaced (cascade): pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate::shop-dev-web-0-serving (inputs.instanceId <- aws:ec2/instance:Instance::shop-dev-web-0 replaced)",
    );
    // Control: without the option the provider stops and starts every node at once, and the diff says so.
    const plain = changed(dev, webNode, (r) => delete r.options?.replaceOnChanges);
    const inPlace = diffPlans(
      plain,
      changed(plain, webNode, (r) => (r.inputs.instanceType = "t3.large")),
    );
    expect(inPlace.mustRead).toEqual([
      expect.stringMatching(/^2 of 2 web nodes are stopped and started in place, all at once .*: all web nodes down/),
    ]);
  });

  test("the kit registers web nodes, and only them, with replaceOnChanges instanceType", async () => {
    const { graph } = await record(() =>
      (["web-node", "state-server"] as const).map((role) =>
        farmInstance(
          role,
          {
            role,
            image: { imageId: pulumi.output("ami-0123456789abcdef0"), pinned: true },
            instanceType: "t3.medium",
            subnetId: "subnet-1",
            securityGroupIds: [],
            userData: "",
            tags: {},
          },
          {},
        ),
      ),
    );
    const options = (name: string) => graph.resources.find((r) => r.name === name)!.options;
    expect(options("web-node").replaceOnChanges).toEqual(["instanceType"]);
    expect(options("state-server").replaceOnChanges).toBeUndefined();
  });

  test("stateInstanceType: a must-read that every session is lost", () => {
    const diff = diffPlans(
      dev,
      changed(dev, stateServer, (r) => (r.inputs.instanceType = "t3.large")),
    );
    expect(diff.mustRead).toEqual([
      expect.stringMatching(
        /^state server stopped and started: aws:ec2\/instance:Instance::shop-dev-state \(inputs\.instanceType\): every session is lost$/,
      ),
    ]);
  });

  test("the session database: a restart makes sessions unavailable, a replacement loses them", () => {
    const prod = committedPlan("prod");
    const database = isType("aws:rds/instance:Instance");
    const restart = diffPlans(
      prod,
      changed(prod, database, (r) => (r.inputs.parameterGroupName = "sessions-params")),
    );
    expect(restart.mustRead).toEqual([
      expect.stringMatching(
        /^the session database restarts: .*\(inputs\.parameterGroupName\): every session is unavailable until it is back$/,
      ),
    ]);
    const replace = diffPlans(
      prod,
      changed(prod, database, (r) => (r.inputs.storageEncrypted = false)),
    );
    expect(replace.mustRead).toEqual([
      expect.stringMatching(
        /^the session database is replaced: .*\(inputs\.storageEncrypted\): every session is lost$/,
      ),
    ]);
  });

  test("a load balancer made internal is replaced: its DNS name changes", () => {
    const lb = isType("aws:lb/loadBalancer:LoadBalancer");
    const diff = diffPlans(
      dev,
      changed(dev, lb, (r) => (r.inputs.internal = true)),
    );
    expect(diff.mustRead).toEqual([expect.stringMatching(/^the load balancer is replaced: .*its DNS name changes/)]);
  });

  test("an unmapped change is listed as unknown, to confirm with pulumi preview", () => {
    const diff = diffPlans(
      dev,
      changed(dev, webNode, (r) => (r.inputs.noSuchProperty = 1)),
    );
    expect(diff.unknown).toEqual([
      expect.stringMatching(/^aws:ec2\/instance:Instance::shop-dev-web-\d inputs\.noSuchProperty: unknown: confirm/),
      expect.anything(),
    ]);
    expect(diffText(diff)).toContain("UNKNOWN: confirm with `pulumi preview` (2)");
  });

  test("tags and a dependency are not disruptions", () => {
    const diff = diffPlans(
      dev,
      changed(dev, webNode, (r) => {
        r.inputs.tags = { ...(r.inputs.tags as object), owner: "ops" };
        r.options = { ...r.options, dependsOn: ["x"] };
      }),
    );
    expect(diff.changed.flatMap((c) => c.changes.map((x) => x.effect))).not.toContain("unknown");
    expect(diff.disruptions).toEqual([]);
    expect(diff.mustRead).toEqual([]);
  });

  test("a team's own resource around the farm: a replacing change is listed, an in-place one is not", () => {
    const fn: PlanResource = {
      type: "aws:lambda/function:Function",
      name: "team-thumbnails",
      inputs: { name: "thumbnails", memorySize: 128, role: "arn:aws:iam::123456789012:role/x" },
    } as PlanResource;
    const before = { ...dev, resources: [...dev.resources, fn] };
    const renamed = changed(
      before,
      (r) => r.name === fn.name,
      (r) => {
        r.inputs.name = "thumbnails-2";
        r.inputs.memorySize = 256;
      },
    );
    const diff = diffPlans(before, renamed);
    expect(diff.disruptions).toEqual([
      "replaced: aws:lambda/function:Function::team-thumbnails (inputs.name), deleted before its replacement exists",
    ]);
    expect(diff.unknown).toEqual([]);
    expect(diffText(diff)).toContain("inputs.name: thumbnails -> thumbnails-2  [replace: ForceNew]");
    expect(diffText(diff)).toContain("inputs.memorySize: 128 -> 256  [update]");
  });

  test("a cascade needs a property that itself replaces: a reference in an updatable one does not", () => {
    const subnet = dev.resources.find((r) => r.type === "aws:ec2/subnet:Subnet")!;
    const out = disruptions(dev.resources, [
      { resource: `${subnet.type}::${subnet.name}`, paths: ["inputs.cidrBlock"] },
    ]);
    // The load balancer lists the public subnets (an in-place update); a node in the subnet is replaced.
    expect([...out.keys()].some((k) => k.startsWith("aws:lb/loadBalancer:"))).toBe(false);
    expect(out.get(`${subnet.type}::${subnet.name}`)).toEqual({
      effect: "replace",
      why: ["inputs.cidrBlock"],
      cascaded: false,
    });
  });
});

// Issue 22, F1 and F2: a named Auto Scaling group is replaced delete-first, and a release in the
// same `pulumi up` as an instance refresh races it.
describe("the Auto Scaling group in the plan diff", () => {
  const asg = committedPlan("asg");
  // The kit's group ignores its initial hooks; a group that does not shows what a hook change costs.
  const hooksTracked = () =>
    changed(asg, isType(GROUP), (r) => {
      r.options = { ...r.options, ignoreChanges: undefined };
    });
  const GROUP = "aws:autoscaling/group:Group";
  const TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
  const RELEASE = "pulumi-nodejs:dynamic/aspnet-webfarm:Release";
  const renamed = (options: Record<string, unknown> = {}) =>
    changed(asg, isType(GROUP), (r) => {
      r.inputs.name = `${r.inputs.name}-2`;
      r.options = { ...r.options, ...options };
    });

  test("a named resource is replaced delete-first unless deleteBeforeReplace is false; an autonamed one create-first", () => {
    const group = asg.resources.find(isType(GROUP))!;
    expect(deletedFirst(group)).toBe(true);
    expect(deletedFirst({ ...group, options: { deleteBeforeReplace: false } })).toBe(false);
    expect(deletedFirst({ ...group, inputs: { ...group.inputs, name: undefined } })).toBe(false);
    expect(deletedFirst({ ...group, type: RELEASE })).toBe(false);
  });

  test("a replaced group is a must-read: every web node is terminated before new ones exist", () => {
    const diff = diffPlans(asg, renamed());
    expect(diff.mustRead).toEqual([
      expect.stringMatching(
        /^the Auto Scaling group is replaced: aws:autoscaling\/group:Group::shop-asg-web-group \(inputs\.name\), deleted before its replacement exists \(it is named\): every web node is terminated before new ones exist/,
      ),
    ]);
    expect(diff.disruptions).toContainEqual(
      "replaced: aws:autoscaling/group:Group::shop-asg-web-group (inputs.name), deleted before its replacement exists",
    );
    // With deleteBeforeReplace: false (the kit's) a new name comes first; the same name cannot.
    expect(diffPlans(asg, renamed({ deleteBeforeReplace: false })).mustRead).toEqual([
      expect.stringMatching(
        /^the Auto Scaling group is replaced: .*\(inputs\.name\): the new group is created first and its nodes must serve before the old group's go/,
      ),
    ]);
    const sameName = changed(hooksTracked(), isType(GROUP), (r) => {
      (r.inputs.initialLifecycleHooks as Record<string, unknown>[])[0].defaultResult = "CONTINUE";
      r.options = { ...r.options, deleteBeforeReplace: false };
    });
    expect(diffPlans(hooksTracked(), sameName).mustRead).toEqual([
      expect.stringMatching(
        /^the Auto Scaling group would be replaced under the same name: .*`pulumi up` fails creating it \(AlreadyExists\) and changes nothing/,
      ),
    ]);
  });

  test("a changed launch hook on a group that ignores it is no replacement; one that does not is", () => {
    const ignoring = changed(
      asg,
      isType(GROUP),
      (r) => (r.options = { ...r.options, ignoreChanges: ["initialLifecycleHooks"] }),
    );
    const longer = (plan: Plan) =>
      changed(plan, isType(GROUP), (r) => {
        (r.inputs.initialLifecycleHooks as Record<string, unknown>[])[0].heartbeatTimeout = 1800;
      });
    const ignored = diffPlans(ignoring, longer(ignoring));
    expect(ignored.changed.flatMap((c) => c.changes.map((x) => x.effect))).toEqual(["ignored"]);
    expect(ignored.mustRead).toEqual([]);
    expect(diffPlans(hooksTracked(), longer(hooksTracked())).mustRead).toEqual([
      expect.stringMatching(
        /^the Auto Scaling group is replaced: .*initialLifecycleHooks.*every web node is terminated/,
      ),
    ]);
  });

  test("a new template and a release in one `pulumi up`: a must-read that the release races the refresh", () => {
    const template = (plan: Plan) => changed(plan, isType(TEMPLATE), (r) => (r.inputs.instanceType = "m6i.xlarge"));
    const release = (plan: Plan) => changed(plan, isType(RELEASE), (r) => (r.inputs.version = "2.0"));
    const race =
      /^the release starts while the instance refresh replaces nodes; CodeDeploy deploys the last successful revision to the refresh's new nodes/;
    expect(diffPlans(asg, release(template(asg))).mustRead).toContainEqual(expect.stringMatching(race));
    // Either alone: no race.
    expect(diffPlans(asg, template(asg)).mustRead).not.toContainEqual(expect.stringMatching(race));
    expect(diffPlans(asg, release(asg)).mustRead).toEqual([]);
  });
});
