// `npm run disruption:table -- --tf-index <dir> [--ref v6.58.0]` (DISRUPTION_COMMAND; `--help` prints it): writes engine/updateBehaviour.json,
// which property of which resource type the kit creates REPLACES the resource and which INTERRUPTS
// it (stop/start, restart), from maintained sources, never a hand list:
//  - replacement: the upstream Terraform provider's schema (ForceNew / RequiresReplace, and the
//    ForceNew calls of its CustomizeDiff), read from a local snapshot of
//    github.com/lonegunmanb/terraform-provider-aws-index (the provider's Go functions, one file each,
//    tagged per provider release; a git directory or a checkout), plus the provider docs' "will
//    trigger recreation" (@pulumi/random's keepers);
//  - interruption: the provider docs in @pulumi/aws ("Updates to this field will trigger a stop/start
//    of the EC2 instance") and CloudFormation's update behaviour in @aws-cdk/aws-service-spec (what
//    `cdk diff` uses): a conditional update ('maybe') whose documentation says it restarts/reboots;
//  - the kit's own dynamic resources, from their diff code (components/nodes/servingGate.ts gateReplaces).
// The kit's resource options (userDataReplaceOnChange, replaceOnChanges, ignoreChanges,
// deleteBeforeReplace) are read from each plan resource when a diff is classified (engine/disruption.ts).
// Only the types the kit creates are kept (the committed plans, and every provider resource the components construct), so the file stays small.
import { execFileSync } from "child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { gunzipSync } from "zlib";
import { gateReplaces, ServingGateInputs } from "../../components/nodes/servingGate";
import { UPDATE_BEHAVIOUR_FILE, UpdateBehaviour, TypeBehaviour } from "../../engine/disruption";
import { CliCommand, helpText, parseCli, wantsHelp } from "../../cli/options";
import { customizeDiffForceNew, goAttributes } from "./goSchema";
import { REPO_ROOT } from "./repoRoot";
import { UPSTREAM } from "./upstreamTypes";

const NODE_MODULES = join(REPO_ROOT, "node_modules");

export const DISRUPTION_COMMAND = {
  usage: "npm run disruption:table -- --tf-index <dir> [options]",
  summary:
    "Writes engine/updateBehaviour.json: which property of each resource type the kit creates replaces the resource\nand which interrupts it, from the Terraform provider's schema, the provider docs and CloudFormation's spec.",
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

function openSnapshot(dir: string, ref: string): Snapshot {
  const isGitDir = existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects"));
  const git = (...args: string[]) =>
    execFileSync("git", isGitDir ? ["--git-dir", dir, ...args] : ["-C", dir, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
  const commit = git("rev-parse", `${ref}^{commit}`).trim();
  return {
    read: (path) => {
      try {
        return isGitDir || ref !== "HEAD" ? git("show", `${commit}:${path}`) : readFileSync(join(dir, path), "utf8");
      } catch {
        return undefined;
      }
    },
    list: (path) =>
      isGitDir || ref !== "HEAD"
        ? git("ls-tree", "--name-only", `${commit}:${path}`).split("\n").filter(Boolean)
        : readdirSync(join(dir, path)),
    describe: {
      repository:
        "github.com/lonegunmanb/terraform-provider-aws-index (the Go source of hashicorp/terraform-provider-aws, per release)",
      ref,
      commit,
      date: git("log", "-1", "--format=%cs", commit).trim(),
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

// ---- Pulumi property names ----------------------------------------------------------------------

/** Key under which a Terraform name and a Pulumi name meet: lower case, no underscores. */
export const meet = (name: string) => name.replace(/_/g, "").toLowerCase();

/** The Args interface's properties of a Pulumi type, from its .d.ts (its doc comment kept). */
function pulumiArgs(type: string): { file: string; props: Map<string, string> } {
  const [pkg, mod, res] = (() => {
    const [p, rest] = type.split(":", 2);
    const [m, r] = rest.split("/");
    return [p, m, r.split(":")[0]];
  })();
  const file = join(NODE_MODULES, "@pulumi", pkg, ...(mod === "index" ? [] : [mod]), `${res}.d.ts`);
  const text = readFileSync(file, "utf8");
  const className = type.split(":")[2];
  const start = text.indexOf(`export interface ${className}Args {`);
  const body = start < 0 ? "" : text.slice(start, text.indexOf("\n}", start));
  const props = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n\s*(?:readonly )?(\w+)\??:/g))
    props.set(m[2], m[1].replace(/\s*\n\s*\*\s?/g, " ").trim());
  for (const m of body.matchAll(/^\s+(?:readonly )?(\w+)\??:/gm)) if (!props.has(m[1])) props.set(m[1], "");
  return { file: file.slice(REPO_ROOT.length + 1), props };
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
  return names.get(key) ?? names.get(`${key}s`) ?? names.get(`${key.replace(/y$/, "ie")}s`);
}

// ---- the sources per type -----------------------------------------------------------------------

const DOC_INTERRUPTS = /[^.]*\btrigger a stop\/start\b[^.]*\./;
const DOC_REPLACES =
  /[^.]*\b(?:trigger (?:a )?recreation|trigger a destroy and recreate|forces? (?:a )?new resource)\b[^.]*\./i;
const CFN_INTERRUPTS = /[^.\n>`]*\b(?:restarts?|reboots?|interruptions?)\b[^.]*\./i;

function loadCloudFormation(): Map<string, any> {
  const db = JSON.parse(
    gunzipSync(readFileSync(join(NODE_MODULES, "@aws-cdk", "aws-service-spec", "db.json.gz"))).toString("utf8"),
  );
  return new Map(
    Object.values(db.schema.resource.entities as Record<string, any>).map((r) => [r.cloudFormationType, r]),
  );
}

function terraformBehaviour(snapshot: Snapshot, tf: string, names: Map<string, string>, nested: Map<string, string>) {
  // The index files the ELBv2 resources under their aws_alb_* aliases (the same Go functions).
  const meta =
    snapshot.read(`index/resources/${tf}.json`) ??
    snapshot.read(`index/resources/${tf.replace(/^aws_lb/, "aws_alb")}.json`);
  if (!meta) throw new Error(`${tf} is not in the provider snapshot: is the type map right?`);
  const info = JSON.parse(meta);
  const dir = `index/internal/service/${String(info.namespace).split("/").pop()}`;
  // The index names the schema function; where that name is stale, it is the function that names
  // the resource's create function.
  const create = String(info.create_index ?? "").replace(/^func\.|\.goindex$/g, "");
  const candidates = [
    SCHEMA_LOCATOR[tf] ?? info.schema_index,
    ...snapshot.list(dir).filter((f) => /^func\.resource\w+\.goindex$/.test(f) && create && !f.includes(create)),
  ];
  const file = candidates
    .map((f) => `${dir}/${f}`)
    .find((f, i) => {
      const text = snapshot.read(f);
      return text !== undefined && (i === 0 || new RegExp(`:\\s*${create},`).test(text));
    });
  if (!file) throw new Error(`${tf}: no schema function in the snapshot (${info.schema_index}, none naming ${create})`);
  // The schema may be a function of its own (SchemaFunc: resourceInstanceSchema).
  const schemaFuncs = [...snapshot.read(file)!.matchAll(/\bSchema(?:Func)?:\s*(\w+)(?:\(\))?,/g)].map((m) => m[1]);
  const text = [file, ...schemaFuncs.map((f) => `${dir}/func.${f}.goindex`)]
    .map((f) => snapshot.read(f) ?? "")
    .join("\n");
  const replace: Record<string, string> = {};
  const replaceIf: Record<string, string> = {};
  const unmapped: string[] = [];
  const toPulumi = (path: string[]) => {
    const parts = path.map((p, i) => pulumiName(p, i === 0 ? names : nested));
    if (parts.some((p) => p === undefined)) {
      unmapped.push(path.join("."));
      return undefined;
    }
    return parts.join(".");
  };
  const attributes = goAttributes(text);
  // The Pulumi properties the provider's schema has: any other property is unknown, never "update".
  const properties = attributes
    .filter((a) => a.path.length === 1)
    .map((a) => pulumiName(a.name, names))
    .filter((p): p is string => p !== undefined);
  for (const a of attributes) {
    if (!a.replaces) continue;
    const name = toPulumi(a.path);
    if (!name) continue;
    if (a.replaces === "always") replace[name] = "ForceNew";
    else replaceIf[name] = "RequiresReplaceIf";
  }
  // CustomizeDiff: in the schema function itself, or in functions of its package that it names.
  const customizers = [
    ...new Set(
      [...text.matchAll(/\b(\w*[Cc]ustomizeDiff\w*)\b/g)].map((m) => m[1]).filter((f) => f !== "CustomizeDiff"),
    ),
  ];
  const customText = [text, ...customizers.map((f) => snapshot.read(`${dir}/func.${f}.goindex`) ?? "")].join("\n");
  for (const attr of customizeDiffForceNew(customText)) {
    const name = toPulumi(attr.split("."));
    if (name && !replace[name]) replaceIf[name] = "CustomizeDiff ForceNew";
  }
  return {
    file: file.replace(/^index\//, ""),
    properties: [...new Set(properties)].sort(),
    replace,
    replaceIf,
    unmapped: [...new Set(unmapped)].sort(),
  };
}

/**
 * The types the kit creates: every committed plan's, every provider resource the components
 * construct (`new ec2.Instance(` with `import * as ec2 from "@pulumi/aws/ec2"`), whose type token
 * is the class's __pulumiType in the installed SDK, and every type they register lean
 * (`components/aws/lean.ts`: a `token:` of its own).
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
      [...text.matchAll(/import \* as (\w+) from "(@pulumi\/(?:aws|random)(?:\/\w+)?)"/g)].map((m) => [m[1], m[2]]),
    );
    for (const m of text.matchAll(/\btoken: "((?:aws|random):[\w/]+:\w+)"/g)) types.add(m[1]);
    for (const m of text.matchAll(/new (\w+)\.([A-Z]\w*)\(/g)) {
      const mod = modules.get(m[1]);
      if (!mod) continue;
      const js = join(NODE_MODULES, mod, `${m[2][0].toLowerCase()}${m[2].slice(1)}.js`);
      const token = existsSync(js) ? /__pulumiType = '([^']+)'/.exec(readFileSync(js, "utf8"))?.[1] : undefined;
      if (!token) throw new Error(`components/${f}: cannot find the type of ${m[1]}.${m[2]} in ${mod}`);
      types.add(token);
    }
  }
  // Components and stack references register nothing in the cloud.
  return [...types].filter((t) => !/^aspnet-webfarm:index:|^pulumi:pulumi:/.test(t)).sort();
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
  const snapshot = openSnapshot(values["tf-index"]!, values.ref ?? DISRUPTION_COMMAND.options.ref.default);
  const cfn = loadCloudFormation();
  const version = (pkg: string) =>
    JSON.parse(readFileSync(join(NODE_MODULES, ...pkg.split("/"), "package.json"), "utf8")).version as string;
  const types: Record<string, TypeBehaviour> = {};
  for (const type of kitTypes()) {
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
    const { file, props } = pulumiArgs(type);
    const names = new Map([...props.keys()].map((p) => [meet(p), p]));
    const behaviour: TypeBehaviour = { sources: [`docs: ${file}`], properties: [...props.keys()].sort(), replace: {} };
    const upstream = UPSTREAM[type];
    if (upstream?.terraform) {
      const tf = terraformBehaviour(snapshot, upstream.terraform, names, nestedNames(type.split(":")[0]));
      behaviour.sources.unshift(`provider: ${upstream.terraform} (${tf.file})`);
      behaviour.properties = tf.properties;
      Object.assign(behaviour.replace, tf.replace);
      if (Object.keys(tf.replaceIf).length > 0) behaviour.replaceIf = tf.replaceIf;
      if (tf.unmapped.length > 0) behaviour.unmapped = tf.unmapped;
    }
    for (const [prop, doc] of props) {
      // "If X is set then updates ... trigger a destroy and recreate": only in that case.
      const replaces = DOC_REPLACES.exec(doc);
      if (replaces && /^\s*If\b|\bin combination\b|\bwhen set\b/i.test(replaces[0]))
        (behaviour.replaceIf ??= {})[prop] ??= `docs: ${replaces[0].trim()}`;
      else if (replaces && !behaviour.replace[prop]) behaviour.replace[prop] = `docs: ${replaces[0].trim()}`;
      const interrupts = DOC_INTERRUPTS.exec(doc);
      if (interrupts) (behaviour.interrupt ??= {})[prop] = `docs: ${interrupts[0].trim()}`;
    }
    if (upstream?.cloudFormation) {
      const resource = cfn.get(upstream.cloudFormation);
      if (!resource) throw new Error(`${upstream.cloudFormation} is not in @aws-cdk/aws-service-spec`);
      behaviour.sources.push(`cloudformation: ${upstream.cloudFormation}`);
      // CloudFormation names are PascalCase; the Pulumi property is the same words in camelCase.
      for (const [name, p] of Object.entries(resource.properties as Record<string, any>)) {
        const said = p.causesReplacement === "maybe" ? CFN_INTERRUPTS.exec(p.documentation ?? "") : null;
        if (!said) continue;
        // Or without the type's own prefix: DBParameterGroupName is parameterGroupName on aws:rds/instance.
        const typeName: string = upstream.cloudFormation.split("::")[2];
        const prefixes = [typeName, /^[A-Z]+(?=[A-Z][a-z])/.exec(typeName)?.[0]].filter(
          (x): x is string => !!x && name.startsWith(x) && name.length > x.length,
        );
        const prop = prefixes.reduce<string | undefined>(
          (found, x) => found ?? pulumiName(name.slice(x.length), names),
          pulumiName(name, names),
        );
        if (!prop) (behaviour.unmapped ??= []).push(`cloudformation ${name}`);
        else if (!behaviour.replace[prop])
          (behaviour.interrupt ??= {})[prop] ??= `cloudformation: ${said[0].trim().replace(/\s+/g, " ")}`;
      }
    }
    types[type] = behaviour;
  }
  const table: UpdateBehaviour = {
    generated: values.date ?? new Date().toISOString().slice(0, 10),
    regenerate:
      "npm run disruption:table -- --tf-index <clone of github.com/lonegunmanb/terraform-provider-aws-index> [--ref <provider tag>]",
    scope:
      "only the resource types the kit creates (the committed plans, and every provider resource class the components construct); any other type is unknown",
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
      mapping:
        "Terraform snake_case and CloudFormation PascalCase names meet Pulumi's camelCase ones case-insensitively without underscores (a list may be pluralized; a CloudFormation name may drop its type's prefix, DBParameterGroupName -> parameterGroupName); nested names are checked against @pulumi/aws types/input.d.ts; names that meet none are listed as unmapped",
    },
    types,
  };
  // Formatted as the repository's Prettier checks it.
  const prettier = await import("prettier");
  const options = (await prettier.resolveConfig(UPDATE_BEHAVIOUR_FILE)) ?? {};
  writeFileSync(
    UPDATE_BEHAVIOUR_FILE,
    await prettier.format(JSON.stringify(table), { ...options, filepath: UPDATE_BEHAVIOUR_FILE }),
  );
  console.log(`wrote ${UPDATE_BEHAVIOUR_FILE}: ${Object.keys(types).length} types`);
}

if (require.main === module)
  main().catch((err) => {
    console.error(`disruption:table: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
