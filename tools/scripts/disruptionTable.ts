// `npm run disruption:table -- --tf-index <dir> [--ref v6.58.0]` (DISRUPTION_COMMAND; `--help` prints it): writes engine/updateBehaviour.json,
// which property of which resource type REPLACES the resource and which INTERRUPTS it (stop/start,
// restart), for every resource type of the installed @pulumi/aws (a team's own resources around the
// farm too) and the kit's @pulumi/random and dynamic types, from maintained sources, never a hand list:
//  - replacement: the upstream Terraform provider's schema (ForceNew / RequiresReplace, and the
//    ForceNew calls of its CustomizeDiff), read from a local snapshot of
//    github.com/lonegunmanb/terraform-provider-aws-index (the provider's Go functions, one file each,
//    tagged per provider release; a git directory or a checkout), plus the provider docs' "will
//    trigger recreation" (@pulumi/random's keepers);
//  - interruption: the provider docs in @pulumi/aws ("Updates to this field will trigger a stop/start
//    of the EC2 instance") and CloudFormation's update behaviour in @aws-cdk/aws-service-spec (what
//    `cdk diff` uses): a conditional update ('maybe') whose documentation says it restarts/reboots;
//  - the kit's own dynamic resources, from their diff code (components/nodes/servingGate.ts gateReplaces).
// Which Terraform resource a Pulumi type is comes from names and attributes (matchTerraform; the
// bridge's own token map is not in the npm package); a type that cannot be matched with confidence
// is listed in unmappedTypes with why, and the diff calls its changes unknown.
// The kit's resource options (userDataReplaceOnChange, replaceOnChanges, ignoreChanges,
// deleteBeforeReplace) are read from each plan resource when a diff is classified (engine/disruption.ts).
import { execFileSync } from "child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { gunzipSync } from "zlib";
import { gateReplaces, ServingGateInputs } from "../../components/nodes/servingGate";
import { UpdateBehaviour, TypeBehaviour } from "../../engine/disruption";
import { CliCommand, helpText, parseCli, wantsHelp } from "../../cli/options";
import { customizeDiffForceNew, goAttributes } from "./goSchema";
import { REPO_ROOT } from "./repoRoot";
import { UPSTREAM } from "./upstreamTypes";

const NODE_MODULES = join(REPO_ROOT, "node_modules");
export const UPDATE_BEHAVIOUR_FILE = join(REPO_ROOT, "engine", "updateBehaviour.json");
const REGENERATE =
  "npm run disruption:table -- --tf-index <clone of github.com/lonegunmanb/terraform-provider-aws-index> [--ref <provider tag>]";

export const DISRUPTION_COMMAND = {
  usage: "npm run disruption:table -- --tf-index <dir> [options]",
  summary:
    "Writes engine/updateBehaviour.json: which property of each resource type of the installed @pulumi/aws (and the kit's own)\nreplaces the resource and which interrupts it, from the Terraform provider's schema, the provider docs and CloudFormation's spec.",
  options: {
    "tf-index": {
      type: "string",
      value: "<dir>",
      help: "a clone (or git directory) of github.com/lonegunmanb/terraform-provider-aws-index; required",
    },
    ref: { type: "string", value: "<tag>", default: "v6.58.0", help: "the provider release (tag) to read" },
    date: { type: "string", value: "<yyyy-mm-dd>", default: "today", help: "the date written as `generated`" },
  },
  examples: ["npm run disruption:table -- --tf-index ../terraform-provider-aws-index --ref v6.58.0"],
} as const satisfies CliCommand;

/** Types whose behaviour is the kit's own code (dynamic providers) or a provider without an upstream snapshot here. */
const GATE_TYPE = "pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate";
const RELEASE_TYPE = "pulumi-nodejs:dynamic/aspnet-webfarm:Release";

// ---- reading a snapshot of the provider index -----------------------------------------------

interface Snapshot {
  read(path: string): string | undefined;
  list(dir: string): string[];
  describe: { repository: string; ref: string; commit: string; date: string };
}

/**
 * The provider injects a top-level `region` into every regional resource (outside its schema
 * functions) and replaces the resource when it changes, unless the change only names the
 * provider's own region: SDK resources through this CustomizeDiff, framework ones through this plan
 * modifier.
 */
const REGION_FILES = [
  "index/internal/provider/sdkv2/func.forceNewIfRegionChanges.goindex",
  "index/internal/provider/framework/method.resourceForceNewIfRegionChangesInterceptor.modifyPlan.goindex",
];

/**
 * The index's resources and service sources at `ref`, read in one `git cat-file --batch` (one
 * `git show` per file took 50 s for 60 types; the whole index's 70 MB reads in a few seconds).
 */
function openSnapshot(dir: string, ref: string): Snapshot {
  const isGitDir = existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects"));
  const git = (args: string[], input?: string) =>
    execFileSync("git", [...(isGitDir ? ["--git-dir", dir] : ["-C", dir]), ...args], {
      input,
      stdio: ["pipe", "pipe", "ignore"],
      maxBuffer: 1024 * 1024 * 1024,
    });
  const commit = git(["rev-parse", `${ref}^{commit}`])
    .toString()
    .trim();
  const entries = git(["ls-tree", "-r", commit, "--", "index/resources", "index/internal/service", ...REGION_FILES])
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf("\t");
      return { path: line.slice(tab + 1), oid: line.slice(0, tab).split(" ")[2] };
    });
  const batch = git(["cat-file", "--batch"], entries.map((e) => e.oid).join("\n") + "\n");
  const files = new Map<string, string>();
  const dirs = new Map<string, string[]>();
  let at = 0;
  for (const { path } of entries) {
    const eol = batch.indexOf(10, at);
    const size = Number(batch.toString("latin1", at, eol).split(" ")[2]);
    files.set(path, batch.toString("utf8", eol + 1, eol + 1 + size));
    at = eol + 1 + size + 1;
    const slash = path.lastIndexOf("/");
    const listed = dirs.get(path.slice(0, slash)) ?? [];
    listed.push(path.slice(slash + 1));
    dirs.set(path.slice(0, slash), listed);
  }
  return {
    read: (path) => files.get(path),
    list: (path) => dirs.get(path) ?? [],
    describe: {
      repository:
        "github.com/lonegunmanb/terraform-provider-aws-index (the Go source of hashicorp/terraform-provider-aws, per release)",
      ref,
      commit,
      date: git(["log", "-1", "--format=%cs", commit]).toString().trim(),
    },
  };
}

/**
 * Where the index's entry leaves the schema unnamed: the egress rule's resource embeds the shared
 * securityGroupRuleResource (see its func.newSecurityGroupEgressRuleResource), whose Schema it uses.
 */
const SCHEMA_LOCATOR: Record<string, string> = {
  aws_vpc_security_group_egress_rule: "method.securityGroupRuleResource.Schema.goindex",
};

// ---- Pulumi types and property names ------------------------------------------------------------

/** Key under which a Terraform name and a Pulumi name meet: lower case, no underscores. */
export const meet = (name: string) => name.replace(/_/g, "").toLowerCase();

/**
 * Every resource type of the installed @pulumi/aws: the tokens each module's index.js registers
 * for `construct` (the SDK's own list; the same as its classes' __pulumiType), with the .d.ts of
 * the class it constructs (named after the class's lazyLoad: datasync/s3location.d.ts).
 */
export function providerTypes(nodeModules = NODE_MODULES): Map<string, string> {
  const root = join(nodeModules, "@pulumi", "aws");
  const types = new Map<string, string>();
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    const index = join(root, dir.name, "index.js");
    if (!dir.isDirectory() || !existsSync(index)) continue;
    const text = readFileSync(index, "utf8");
    const files = new Map(
      [...text.matchAll(/lazyLoad\(exports, \["(\w+)"\], \(\) => require\("\.\/(\w+)"\)\)/g)].map((m) => [m[1], m[2]]),
    );
    for (const m of text.matchAll(/case "(aws:[\w/]+:\w+)":\s*return new exports\.(\w+)\(/g))
      types.set(m[1], join(root, dir.name, `${files.get(m[2]) ?? m[2]}.d.ts`));
  }
  return new Map([...types].sort(([a], [b]) => (a < b ? -1 : 1)));
}

interface PulumiType {
  /** Its .d.ts, relative to the repository. */
  file: string;
  /** The Args interface's properties, with their doc comments. */
  args: Map<string, string>;
  /** The State interface's properties (every attribute, computed ones too): what a schema is matched on. */
  state: Set<string>;
}

function interfaceBody(text: string, name: string): string {
  const start = text.indexOf(`export interface ${name} {`);
  return start < 0 ? "" : text.slice(start, text.indexOf("\n}", start));
}

/** The Args and State interfaces of a Pulumi type, from its .d.ts (`file`, or the one its token names). */
function pulumiType(type: string, file?: string): PulumiType {
  if (!file) {
    const [pkg, rest] = type.split(":", 2);
    const [mod, res] = rest.split("/");
    file = join(NODE_MODULES, "@pulumi", pkg, ...(mod === "index" ? [] : [mod]), `${res}.d.ts`);
  }
  const text = readFileSync(file, "utf8");
  const className = type.split(":")[2];
  const body = interfaceBody(text, `${className}Args`);
  const args = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n\s*(?:readonly )?(\w+)\??:/g))
    args.set(m[2], m[1].replace(/\s*\n\s*\*\s?/g, " ").trim());
  for (const m of body.matchAll(/^\s+(?:readonly )?(\w+)\??:/gm)) if (!args.has(m[1])) args.set(m[1], "");
  const state = new Set(
    [...interfaceBody(text, `${className}State`).matchAll(/^\s+(?:readonly )?(\w+)\??:/gm)].map((m) => m[1]),
  );
  return { file: file.slice(REPO_ROOT.length + 1), args, state };
}

/** Every property name of the provider's nested input types: where nested Terraform names meet Pulumi's. */
function nestedNames(pkg: string): Map<string, string> {
  const out = new Map<string, string>();
  const file = join(NODE_MODULES, "@pulumi", pkg, "types", "input.d.ts");
  if (!existsSync(file)) return out;
  for (const m of readFileSync(file, "utf8").matchAll(/^\s+(\w+)\??: /gm)) out.set(meet(m[1]), m[1]);
  return out;
}

/** Pulumi's name for a Terraform attribute: the same words in camelCase; a list may be pluralized. */
export function pulumiName(tf: string, names: Map<string, string>): string | undefined {
  const key = meet(tf);
  return names.get(key) ?? names.get(`${key}s`) ?? names.get(`${key}es`) ?? names.get(`${key.replace(/y$/, "ie")}s`);
}

// ---- the provider's schema per Terraform resource -------------------------------------------------

type GoAttribute = ReturnType<typeof goAttributes>[number];

interface TfSchema {
  /** The Go service package (internal/service/<service>). */
  service: string;
  /** The schema function's file in the index. */
  file: string;
  attributes: GoAttribute[];
  /** Attribute paths a CustomizeDiff forces new (in some cases). */
  customized: string[];
}

/** A Terraform resource's schema from the index, or why it cannot be read. */
function tfSchema(snapshot: Snapshot, tf: string): TfSchema | string {
  // The index files the ELBv2 resources under their aws_alb_* aliases (the same Go functions).
  const meta =
    snapshot.read(`index/resources/${tf}.json`) ??
    snapshot.read(`index/resources/${tf.replace(/^aws_lb/, "aws_alb")}.json`);
  if (!meta) return `${tf} is not in the provider snapshot`;
  const info = JSON.parse(meta);
  const service = String(info.namespace).split("/").pop()!;
  const dir = `index/internal/service/${service}`;
  // The index names the schema function; where that name is stale, it is the function that names
  // the resource's create function.
  const create = String(info.create_index ?? "").replace(/^func\.|\.goindex$/g, "");
  const candidates = [
    SCHEMA_LOCATOR[tf] ?? info.schema_index,
    ...snapshot.list(dir).filter((f) => /^func\.[Rr]esource\w+\.goindex$/.test(f) && create && !f.includes(create)),
  ];
  const file = candidates
    .map((f) => `${dir}/${f}`)
    .find((f, i) => {
      const text = snapshot.read(f);
      return text !== undefined && (i === 0 || new RegExp(`:\\s*${create},`).test(text));
    });
  if (!file) return `${tf}: no schema function in the snapshot (${info.schema_index}, none naming ${create})`;
  // The schema may be a function of its own (SchemaFunc: resourceInstanceSchema) or a variable
  // (Schema: maps.Clone(queueSchema)).
  const schemaRefs = [...snapshot.read(file)!.matchAll(/\bSchema(?:Func)?:\s*(?:[\w.]+\()?(\w+)/g)].map((m) => m[1]);
  const text = [
    snapshot.read(file)!,
    ...schemaRefs.map(
      (f) => snapshot.read(`${dir}/func.${f}.goindex`) ?? snapshot.read(`${dir}/var.${f}.goindex`) ?? "",
    ),
  ].join("\n");
  // CustomizeDiff: in the schema function itself, or in functions of its package that it names.
  const customizers = [
    ...new Set(
      [...text.matchAll(/\b(\w*[Cc]ustomizeDiff\w*)\b/g)].map((m) => m[1]).filter((f) => f !== "CustomizeDiff"),
    ),
  ];
  const customText = [text, ...customizers.map((f) => snapshot.read(`${dir}/func.${f}.goindex`) ?? "")].join("\n");
  return {
    service,
    file: file.replace(/^index\//, ""),
    attributes: goAttributes(text),
    customized: customizeDiffForceNew(customText),
  };
}

/** Every resource of the index by its Terraform name (and the aws_lb_* names of its aws_alb_* ones). */
function tfResources(snapshot: Snapshot): Map<string, TfSchema | string> {
  const out = new Map<string, TfSchema | string>();
  for (const f of snapshot.list("index/resources").filter((x) => x.endsWith(".json"))) {
    const tf = f.slice(0, -".json".length);
    const schema = tfSchema(snapshot, tf);
    out.set(tf, schema);
    if (tf.startsWith("aws_alb")) out.set(tf.replace(/^aws_alb/, "aws_lb"), schema);
  }
  return out;
}

/** The Pulumi behaviour a Terraform schema gives: replacing paths, conditional ones, known properties. */
function terraformBehaviour(
  tfName: string,
  schema: TfSchema,
  args: Map<string, string>,
  nested: Map<string, string>,
  region: string | undefined,
) {
  const names = new Map(args);
  // The bridge names a resource's own name attribute `name` (function_name on aws_lambda_function).
  const own = schema.attributes.find(
    (a) => a.path.length === 1 && /_name$/.test(a.name) && tfName.endsWith(`_${a.name.replace(/_name$/, "")}`),
  );
  if (own && names.has("name") && !schema.attributes.some((a) => a.path.length === 1 && a.name === "name"))
    names.set(meet(own.name), "name");
  const replace: Record<string, string> = {};
  const replaceIf: Record<string, string> = {};
  const unmapped: string[] = [];
  // The bridge shortens some references: topic_arn -> topic, function_name -> function, log_group_name -> logGroup.
  const top = (tf: string) =>
    pulumiName(tf, names) ??
    (schema.attributes.some((a) => a.path.length === 1 && meet(a.name) === meet(tf).replace(/(arn|name|id)$/, ""))
      ? undefined
      : pulumiName(meet(tf).replace(/(arn|name|id)$/, ""), names));
  const toPulumi = (path: string[]) => {
    const parts = path.map((p, i) => (i === 0 ? top(p) : pulumiName(p, nested)));
    if (parts.some((p) => p === undefined)) {
      unmapped.push(path.join("."));
      // Something under a known property replaces, but which Pulumi path it is cannot be told: any change under it is unknown.
      if (parts[0]) replaceIf[parts[0]] ??= `ForceNew under it (${path.join(".")}: no Pulumi name)`;
      return undefined;
    }
    return parts.join(".");
  };
  // The Pulumi properties the provider's schema has: any other property is unknown, never "update".
  const properties = schema.attributes
    .filter((a) => a.path.length === 1)
    .map((a) => top(a.name))
    .filter((p): p is string => p !== undefined);
  for (const a of schema.attributes) {
    if (!a.replaces) continue;
    const name = toPulumi(a.path);
    if (!name) continue;
    if (a.replaces === "always") replace[name] = "ForceNew";
    else replaceIf[name] = "RequiresReplaceIf";
  }
  for (const attr of schema.customized) {
    const name = toPulumi(attr.split("."));
    if (name && !replace[name]) replaceIf[name] = "CustomizeDiff ForceNew";
  }
  if (region && names.has("region") && !properties.includes("region")) {
    properties.push("region");
    replaceIf.region ??= region;
  }
  return { properties: [...new Set(properties)].sort(), replace, replaceIf, unmapped: [...new Set(unmapped)].sort() };
}

// ---- which upstream resource a Pulumi type is ------------------------------------------------------

/**
 * An attribute name as matching compares it: Pulumi pluralizes lists (rule -> rules), and the
 * provider injects `region` into every regional resource outside its schema functions.
 */
const matchKey = (name: string) => meet(name).replace(/ies$/, "y").replace(/s$/, "");
const matchKeys = (names: Iterable<string>) =>
  new Set([...names].map(matchKey).filter((k) => k !== "region" && k !== "id"));

const jaccard = (a: Set<string>, b: Set<string>) => {
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return a.size + b.size === 0 ? 1 : both / (a.size + b.size - both);
};

/**
 * The Terraform resource a Pulumi type is bridged from. The bridge names a type after the resource
 * (aws_db_instance -> aws:rds/instance:Instance: a module, then the rest of the name in camelCase),
 * so the candidates are the resources whose name ends in the type's; the one whose attributes are
 * the type's State properties wins (the bridge keeps every attribute, renamed to camelCase), and a
 * resource in the type's module (its Go service or name prefix) is preferred. In a first pass
 * (`claimed` undefined) only such a match in the type's module counts; then a resource none of those
 * claimed may be matched by name from another module (aws_appintegrations_event_integration:
 * aws:appconfig/eventIntegration) or, with no name, on attributes alone within the module, if they
 * agree almost entirely (aws_ec2_host: aws:ec2/dedicatedHost). Anything less certain is left
 * unmapped: its changes are unknown.
 */
function matchTerraform(
  type: string,
  p: PulumiType,
  resources: Map<string, { key: string; service: string; attrs: Set<string> }>,
  claimed?: Set<string>,
): { tf: string; how: string } | { why: string } {
  const [mod, res] = type.split(":")[1].split("/");
  const name = meet(res);
  const names = [name, name.replace(/v2$/, "")];
  const props = matchKeys([...p.state, ...p.args.keys()]);
  const inModule = (r: { key: string; service: string }) => r.service === mod || r.key.startsWith(meet(mod));
  const best = {
    module: undefined as { tf: string; fit: number; score: number } | undefined,
    other: undefined as { tf: string; fit: number } | undefined,
    attrs: undefined as { tf: string; fit: number } | undefined,
  };
  for (const [tf, r] of resources) {
    const fit = jaccard(props, r.attrs);
    const named = names.some((n) => r.key.endsWith(n));
    if (named && inModule(r)) {
      const score = fit + (names.some((n) => r.key === n || r.key === meet(mod) + n) ? 0.1 : 0);
      if (!best.module || score > best.module.score) best.module = { tf, fit, score };
    } else if (claimed?.has(tf)) continue;
    else if (named && (!best.other || fit > best.other.fit)) best.other = { tf, fit };
    else if (!named && inModule(r) && (!best.attrs || fit > best.attrs.fit)) best.attrs = { tf, fit };
  }
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (best.module && best.module.fit >= 0.5)
    return { tf: best.module.tf, how: `name, ${pct(best.module.fit)} of attributes` };
  if (claimed && best.other && best.other.fit >= 0.8)
    return { tf: best.other.tf, how: `name, ${pct(best.other.fit)} of attributes` };
  if (claimed && best.attrs && best.attrs.fit >= 0.8)
    return { tf: best.attrs.tf, how: `module, ${pct(best.attrs.fit)} of attributes` };
  const seen = [best.module, best.other, best.attrs]
    .filter((x) => x !== undefined)
    .map((x) => `${x.tf} ${pct(x.fit)} of attributes`);
  return {
    why: `no resource of the provider snapshot has its name and attributes${seen.length > 0 ? ` (nearest: ${seen.join(", ")})` : ""}`,
  };
}

/** The CloudFormation type of a Pulumi type: the same service and resource name (DBInstance for rds/instance). */
function matchCloudFormation(type: string, cfn: Map<string, any>): string | undefined {
  const [, rest, className] = type.split(":");
  const mod = meet(rest.split("/")[0]);
  const found = [...cfn.keys()].filter((t) => {
    const [, service, resource] = t.split("::");
    if (meet(service) !== mod) return false;
    const acronym = /^[A-Z]+(?=[A-Z][a-z])/.exec(resource)?.[0] ?? "";
    return meet(resource) === meet(className) || meet(resource.slice(acronym.length)) === meet(className);
  });
  return found.length === 1 ? found[0] : undefined;
}

// ---- the sources per type -----------------------------------------------------------------------

const DOC_INTERRUPTS = /[^.]*\btrigger a stop\/start\b[^.]*\./;
const DOC_REPLACES =
  /[^.]*\b(?:trigger (?:a )?recreation|trigger a destroy and recreate|forces? (?:a )?new resource)\b[^.]*\./i;
const CFN_INTERRUPTS = /[^.\n>`]*\b(?:restarts?|reboots?|interruptions?)\b[^.]*\./gi;
/** The first sentence saying the update interrupts ("... without interruption" is about CloudFormation's update policies). */
const cfnInterrupts = (doc: string) =>
  [...doc.matchAll(CFN_INTERRUPTS)].find((m) => !/\b(?:without|no) interruptions?\b/i.test(m[0]));

function loadCloudFormation(): Map<string, any> {
  const db = JSON.parse(
    gunzipSync(readFileSync(join(NODE_MODULES, "@aws-cdk", "aws-service-spec", "db.json.gz"))).toString("utf8"),
  );
  return new Map(
    Object.values(db.schema.resource.entities as Record<string, any>).map((r) => [r.cloudFormationType, r]),
  );
}

/**
 * The types the kit creates outside @pulumi/aws: @pulumi/random's (every committed plan's, and the
 * components' `new random.X(`) and its own dynamic resources.
 */
function kitTypes(): string[] {
  const types = new Set<string>();
  for (const f of readdirSync(join(REPO_ROOT, "plans")).filter((x) => x.endsWith(".json")))
    for (const r of JSON.parse(readFileSync(join(REPO_ROOT, "plans", f), "utf8")).resources) types.add(r.type);
  const dir = join(REPO_ROOT, "components");
  for (const f of readdirSync(dir, { recursive: true })
    .map(String)
    .filter((x) => x.endsWith(".ts"))) {
    const text = readFileSync(join(dir, f), "utf8");
    const modules = new Map(
      [...text.matchAll(/import \* as (\w+) from "(@pulumi\/random(?:\/\w+)?)"/g)].map((m) => [m[1], m[2]]),
    );
    for (const m of text.matchAll(/new (\w+)\.([A-Z]\w*)\(/g)) {
      const mod = modules.get(m[1]);
      if (!mod) continue;
      const js = join(NODE_MODULES, mod, `${m[2][0].toLowerCase()}${m[2].slice(1)}.js`);
      const token = existsSync(js) ? /__pulumiType = '([^']+)'/.exec(readFileSync(js, "utf8"))?.[1] : undefined;
      if (!token) throw new Error(`components/${f}: cannot find the type of ${m[1]}.${m[2]} in ${mod}`);
      types.add(token);
    }
  }
  // Components and stack references register nothing in the cloud; aws: types are all listed anyway.
  return [...types].filter((t) => !/^aspnet-webfarm:index:|^pulumi:pulumi:|^aws:/.test(t)).sort();
}

async function main() {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) {
    console.log(helpText(DISRUPTION_COMMAND));
    return;
  }
  const { values, problems } = parseCli(DISRUPTION_COMMAND, args);
  if (!values["tf-index"])
    problems.push(
      "--tf-index <dir> is required: a clone (or git directory) of github.com/lonegunmanb/terraform-provider-aws-index",
    );
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const started = Date.now();
  const snapshot = openSnapshot(values["tf-index"]!, values.ref ?? DISRUPTION_COMMAND.options.ref.default);
  const cfn = loadCloudFormation();
  const schemas = tfResources(snapshot);
  if (process.env.DEBUG_TABLE) for (const [tf, s] of schemas) if (typeof s === "string") console.log("SCHEMA", tf, s);
  const matchable = new Map(
    [...schemas].flatMap(([tf, s]) =>
      typeof s === "string"
        ? []
        : [
            [
              tf,
              {
                key: meet(tf.replace(/^aws_/, "")),
                service: s.service,
                attrs: matchKeys(s.attributes.filter((a) => a.path.length === 1).map((a) => a.name)),
              },
            ] as const,
          ],
    ),
  );
  const region = REGION_FILES.every((f) => /ForceNew|RequiresReplace/.test(snapshot.read(f) ?? ""))
    ? "provider: forceNewIfRegionChanges, unless it names the provider's region"
    : undefined;
  if (!region)
    console.warn(`the region's replacement is not where it was (${REGION_FILES.join(", ")}): region left unknown`);
  const version = (pkg: string) =>
    JSON.parse(readFileSync(join(NODE_MODULES, ...pkg.split("/"), "package.json"), "utf8")).version as string;
  const nested = new Map([...["aws", "random"]].map((pkg) => [pkg, nestedNames(pkg)]));
  const provider = providerTypes();
  const types: Record<string, TypeBehaviour> = {};
  const unmappedTypes: Record<string, string> = {};
  const pulumiTypes = new Map([...provider].map(([type, file]) => [type, pulumiType(type, file)]));
  // First the resources a type of their own module names, then the rest (matchTerraform).
  const claimed = new Set(Object.values(UPSTREAM).flatMap((u) => (u.terraform ? [u.terraform] : [])));
  for (const [type, p] of pulumiTypes) {
    const m = matchTerraform(type, p, matchable);
    if ("tf" in m) claimed.add(m.tf);
  }
  for (const type of [...provider.keys(), ...kitTypes()]) {
    if (type === GATE_TYPE) {
      // The gate's own diff: which inputs, when they change, replace it.
      const inputs = (v: string) =>
        ({
          region: v,
          targetGroupArn: v,
          instanceId: v,
          instanceArn: v,
          node: v,
          bootLogGroup: v,
          timeoutMinutes: 1,
        }) as ServingGateInputs;
      types[type] = {
        sources: ["kit: components/nodes/servingGate.ts gateReplaces"],
        properties: Object.keys(inputs("a")).sort(),
        replace: Object.fromEntries(gateReplaces(inputs("a"), inputs("b")).map((p) => [p, "kit: gateReplaces"])),
      };
      continue;
    }
    if (type === RELEASE_TYPE) {
      // components/releases/release.ts: diff never replaces (a changed release is a deployment in place).
      types[type] = {
        sources: ["kit: components/releases/release.ts diff (replaces: [])"],
        properties: ["*"],
        replace: {},
      };
      continue;
    }
    const p = pulumiTypes.get(type) ?? pulumiType(type);
    const names = new Map([...p.args.keys()].map((k) => [meet(k), k]));
    const behaviour: TypeBehaviour = {
      sources: [`docs: ${p.file}`],
      properties: [...p.args.keys()].sort(),
      replace: {},
    };
    const upstream = UPSTREAM[type];
    if (type.startsWith("aws:")) {
      // The kit's own types are mapped by hand (upstreamTypes.ts); the match must agree with it.
      const matched = matchTerraform(type, p, matchable, claimed);
      if (upstream?.terraform && ("why" in matched || meet(matched.tf) !== meet(upstream.terraform)))
        console.warn(
          `${type}: matched ${"why" in matched ? matched.why : matched.tf}, the kit's map says ${upstream.terraform}`,
        );
      const match = upstream?.terraform ? { tf: upstream.terraform, how: "the kit's map" } : matched;
      if ("why" in match) {
        unmappedTypes[type] = match.why;
        continue;
      }
      const schema = schemas.get(match.tf);
      if (typeof schema !== "object") {
        if (upstream) throw new Error(`${type}: ${schema ?? `${match.tf} is not in the provider snapshot`}`);
        unmappedTypes[type] = schema ?? `${match.tf} is not in the provider snapshot`;
        continue;
      }
      const tf = terraformBehaviour(match.tf, schema, names, nested.get("aws")!, region);
      behaviour.sources.unshift(`provider: ${match.tf} (${schema.file}; matched by ${match.how})`);
      behaviour.properties = tf.properties;
      Object.assign(behaviour.replace, tf.replace);
      if (Object.keys(tf.replaceIf).length > 0) behaviour.replaceIf = tf.replaceIf;
      if (tf.unmapped.length > 0) behaviour.unmapped = tf.unmapped;
    }
    for (const [prop, doc] of p.args) {
      // "If X is set then updates ... trigger a destroy and recreate": only in that case.
      const replaces = DOC_REPLACES.exec(doc);
      if (replaces && /^\s*If\b|\bin combination\b|\bwhen set\b/i.test(replaces[0]))
        (behaviour.replaceIf ??= {})[prop] ??= `docs: ${replaces[0].trim()}`;
      else if (replaces && !behaviour.replace[prop]) behaviour.replace[prop] = `docs: ${replaces[0].trim()}`;
      const interrupts = DOC_INTERRUPTS.exec(doc);
      if (interrupts) (behaviour.interrupt ??= {})[prop] = `docs: ${interrupts[0].trim()}`;
    }
    const cfnType = upstream?.cloudFormation ?? (type.startsWith("aws:") ? matchCloudFormation(type, cfn) : undefined);
    if (cfnType) {
      const resource = cfn.get(cfnType);
      if (!resource) throw new Error(`${cfnType} is not in @aws-cdk/aws-service-spec`);
      behaviour.sources.push(`cloudformation: ${cfnType}`);
      // CloudFormation names are PascalCase; the Pulumi property is the same words in camelCase.
      for (const [name, prop] of Object.entries(resource.properties as Record<string, any>)) {
        const said = prop.causesReplacement === "maybe" ? cfnInterrupts(prop.documentation ?? "") : undefined;
        if (!said) continue;
        // Or without the type's own prefix: DBParameterGroupName is parameterGroupName on aws:rds/instance.
        const typeName: string = cfnType.split("::")[2];
        const prefixes = [typeName, /^[A-Z]+(?=[A-Z][a-z])/.exec(typeName)?.[0]].filter(
          (x): x is string => !!x && name.startsWith(x) && name.length > x.length,
        );
        const found = prefixes.reduce<string | undefined>(
          (at, x) => at ?? pulumiName(name.slice(x.length), names),
          pulumiName(name, names),
        );
        if (!found) (behaviour.unmapped ??= []).push(`cloudformation ${name}`);
        else if (!behaviour.replace[found])
          (behaviour.interrupt ??= {})[found] ??= `cloudformation: ${said[0].trim().replace(/\s+/g, " ")}`;
      }
    }
    types[type] = behaviour;
  }
  const table: UpdateBehaviour = {
    generated: values.date ?? new Date().toISOString().slice(0, 10),
    regenerate: REGENERATE,
    scope: `every resource type of the installed @pulumi/aws (${provider.size}: the tokens its modules register), the kit's @pulumi/random and dynamic types; a type in unmappedTypes, or any other, is unknown`,
    sources: {
      replacement: {
        ...snapshot.describe,
        note: "ForceNew / RequiresReplace per attribute (CustomizeDiff ForceNew as replaceIf). The pinned @pulumi/aws is bridged from a release of this provider; the newest release in the snapshot is used.",
      },
      providerDocs: { package: "@pulumi/aws", version: version("@pulumi/aws"), random: version("@pulumi/random") },
      cloudFormation: {
        package: "@aws-cdk/aws-service-spec",
        version: version("@aws-cdk/aws-service-spec"),
        rule: "a conditional update (causesReplacement 'maybe') whose documentation says the resource restarts, reboots or is interrupted",
      },
      types:
        "a Pulumi type is the Terraform resource whose name ends in the type's (aws_db_instance: aws:rds/instance) and whose attributes are the type's State properties, one in the type's module preferred; failing a name, one of its module with 80% of the attributes; the kit's own types by hand (tools/scripts/upstreamTypes.ts). Its CloudFormation type: the same service and resource name (the kit's by hand)",
      mapping:
        "Terraform snake_case and CloudFormation PascalCase names meet Pulumi's camelCase ones case-insensitively without underscores (a list may be pluralized; a CloudFormation name may drop its type's prefix, DBParameterGroupName -> parameterGroupName); nested names are checked against @pulumi/aws types/input.d.ts; names that meet none are listed as unmapped",
    },
    types,
    unmappedTypes,
  };
  // Formatted as the repository's Prettier checks it (1.2 MB; about 140 kB gzipped in the package).
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(UPDATE_BEHAVIOUR_FILE)) ?? {};
  writeFileSync(
    UPDATE_BEHAVIOUR_FILE,
    await prettier.format(JSON.stringify(table), { ...options, filepath: UPDATE_BEHAVIOUR_FILE }),
  );
  const mapped = [...provider.keys()].filter((t) => types[t]).length;
  console.log(
    `wrote ${UPDATE_BEHAVIOUR_FILE}: ${Object.keys(types).length} types (${mapped} of @pulumi/aws's ${provider.size}, ${Object.keys(unmappedTypes).length} unmapped) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

if (require.main === module)
  main().catch((err) => {
    console.error(`disruption:table: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
