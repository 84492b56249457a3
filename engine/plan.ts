// An offline plan: what a stack's program would register (no AWS credentials, no Pulumi service),
// in a stable sorted form with secrets shown as [secret], a short human summary, and a diff
// between two plans that calls out security-broadening changes and state server replacements.
import { createHash } from "crypto";
import * as ipaddr from "ipaddr.js";
import { ROLE_TAG } from "../components";
import { RELEASE_WAIT_ONLY_INPUTS } from "../components/releases/release";
import { expandUserData, USER_DATA_BUDGET_BYTES, USER_DATA_LIMIT_BYTES } from "../components/windows/loader";
import { program } from "../infra/program";
import { stackConfig } from "../infra/stackFile";
import { checkConvergence, convergenceLines } from "./convergence";
import { classifyChange, deletedFirst, disruptions, Effect, groupReplacement, updateBehaviour } from "./disruption";
import { ASSET_MARKERS, RecordedResource, runProgram } from "./engine";
import { fixtures, Fixtures, resourceIdOf } from "./fixtures";

export const SECRET = "[secret]";

export interface PlanResource {
  type: string;
  name: string;
  parent?: string;
  inputs: Record<string, unknown>;
  options?: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  note: string;
  resources: PlanResource[];
  summary: PlanSummary;
  /** The generated scripts, once each, by file name (plans/<stack>/<file>); inputs refer to them. */
  scripts: Record<string, string>;
}

export interface PlanSummary {
  countsByType: Record<string, number>;
  /** "who may reach what on which port", one line per inbound rule. */
  inbound: string[];
  /** What each kind of instance does at boot (its user data's steps), and an image build's steps. */
  boot: Record<string, string[]>;
  /** The application release, when the farm has one: label, CodeDeploy group, batch. */
  release?: string;
  /** Each user data document's real size in bytes (what EC2 counts), by the plan file that shows it expanded. */
  userDataBytes: Record<string, number>;
  /** Does `pulumi up` finish: "converges" and every wait, or each cycle, race or missing prerequisite. */
  convergence: string[];
}

const RELEASE_TYPE = "pulumi-nodejs:dynamic/aspnet-webfarm:Release";
const AUTO_SCALING_GROUP = "aws:autoscaling/group:Group";

/** The offline plan's view of a region: AZs <region>a-f; another stack's subnets cannot be looked up. */
export function planFixtures(region: string): Fixtures {
  return fixtures({
    region,
    zoneLetters: "abcdef",
    subnets: {},
    subnetMissing: (id) => `an offline plan cannot look up subnet ${id} of another network; use pulumi preview`,
  });
}

/** Inputs that hold a generated script: kept in a file of its own, referred to from the plan. */
const SCRIPT_INPUTS: { type: string; path: string; base64?: boolean; extension?: string; userData?: boolean }[] = [
  // User data: kept expanded (the compressed boot script readable, and diffed line by line).
  { type: "aws:ec2/instance:Instance", path: "userData", userData: true },
  { type: "aws:ec2/launchTemplate:LaunchTemplate", path: "userData", base64: true, userData: true },
  // The farm image's build steps: an Image Builder component document (YAML with PowerShell).
  { type: "aws:imagebuilder/component:Component", path: "data", extension: "yml" },
];
const SCRIPT_REF = /^\[script (\S+) sha256:([0-9a-f]{12})\]$/;
const scriptRef = (file: string, text: string) =>
  `[script ${file} sha256:${createHash("sha256").update(text).digest("hex").slice(0, 12)}]`;

const { sig: SIG, asset: ASSET_SIG, archive: ARCHIVE_SIG } = ASSET_MARKERS;

/** Stores `text` once under a name (a different text under a taken name gets the resource's name). */
function store(scripts: Record<string, string>, file: string, text: string, fallback: string): string {
  const existing = Object.entries(scripts).find(([, t]) => t === text)?.[0];
  if (existing) return existing;
  const name = scripts[file] === undefined ? file : fallback;
  scripts[name] = text;
  return name;
}

/**
 * Assets and archives as a reader wants them: a file or folder as its path, a text asset inside
 * an archive (a release bundle's appspec, hooks, manifest) as a script file of the plan.
 */
function renderAssets(value: unknown, scripts: Record<string, string>, folder: string): unknown {
  if (Array.isArray(value)) return value.map((v) => renderAssets(v, scripts, folder));
  if (value === null || typeof value !== "object") return value;
  const v = value as Record<string, any>;
  if (v[SIG] === ASSET_SIG) {
    if (typeof v.text === "string") return scriptRef(store(scripts, folder, v.text, folder), v.text);
    return `[file ${v.path ?? v.uri}]`;
  }
  if (v[SIG] === ARCHIVE_SIG) {
    if (v.assets) {
      return Object.fromEntries(
        Object.entries(v.assets as Record<string, unknown>).map(([path, asset]) => [
          path,
          renderAssets(asset, scripts, `${folder}/${path}`),
        ]),
      );
    }
    return `[archive ${v.path ?? v.uri}]`;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderAssets(x, scripts, folder)]));
}

/**
 * Moves each script input into `scripts` (one file per distinct script) and leaves a reference;
 * returns each user data document's real size by file.
 */
function extractScripts(resources: PlanResource[], scripts: Record<string, string>): Record<string, number> {
  const userDataBytes: Record<string, number> = {};
  for (const r of resources) {
    for (const s of SCRIPT_INPUTS.filter((x) => x.type === r.type)) {
      const raw = r.inputs[s.path];
      if (typeof raw !== "string") continue;
      const decoded = s.base64 ? Buffer.from(raw, "base64").toString("utf8") : raw;
      const text = s.userData ? expandUserData(decoded) : decoded;
      const role = String((r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] ?? r.name);
      const extension = s.extension ?? "ps1";
      const file = store(scripts, `${role}.${extension}`, text, `${r.name}.${extension}`);
      if (s.userData) userDataBytes[file] = Buffer.byteLength(decoded, "utf8");
      r.inputs[s.path] = scriptRef(file, text);
    }
    // A dynamic provider's serialized code is the kit's own source, not configuration.
    if (typeof r.inputs.__provider === "string") r.inputs.__provider = "[dynamic provider code]";
    r.inputs = renderAssets(r.inputs, scripts, r.name) as Record<string, unknown>;
  }
  return userDataBytes;
}

/** A script reference's text in `plan`, or undefined when the value is not a reference. */
export function scriptText(plan: Pick<Plan, "scripts">, value: unknown): string | undefined {
  const m = typeof value === "string" ? SCRIPT_REF.exec(value) : null;
  return m ? plan.scripts[m[1]] : undefined;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string, replacement: unknown): void {
  const parts = path.match(/[^.[\]]+/g) ?? [];
  let node: any = target;
  for (const part of parts.slice(0, -1)) node = node?.[part];
  if (node && parts.length > 0) node[parts[parts.length - 1]] = replacement;
}

function toPlanResource(r: RecordedResource): PlanResource {
  const inputs = JSON.parse(JSON.stringify(r.inputs)) as Record<string, unknown>;
  for (const path of r.secretPaths) {
    if (path === "") return { type: r.type, name: r.name, parent: r.parent, inputs: { [SECRET]: true } };
    setPath(inputs, path, SECRET);
  }
  const options = Object.fromEntries(
    Object.entries(r.options).filter(
      ([, v]) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0),
    ),
  );
  return sortKeys({
    type: r.type,
    name: r.name,
    ...(r.parent ? { parent: r.parent } : {}),
    inputs,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  }) as PlanResource;
}

/** Renders a stack's plan from its config map (as `stackConfig` reads it). */
export async function renderPlanFromConfig(stack: string, config: Record<string, string>): Promise<Plan> {
  const region = config["aws:region"];
  if (!region) throw new Error(`Pulumi.${stack}.yaml sets no aws:region`);
  const { mocks } = await runProgram(program, { stack, config, fixtures: planFixtures(region) });
  const resources = mocks.resources
    .map(toPlanResource)
    .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
  const scripts: Record<string, string> = {};
  const userDataBytes = extractScripts(resources, scripts);
  const convergence = convergenceLines(checkConvergence(mocks.resources, mocks.waits));
  return {
    stack,
    note: `Generated offline by \`npm run plan\` from Pulumi.<stack>.yaml: every resource the program registers, with its inputs. Values known only after deployment appear as <Type>.<name>.<property>; secrets as [secret]; generated scripts as [script <file>], a file in plans/${stack}/.`,
    resources,
    summary: { ...summarize(resources, scripts, userDataBytes), convergence },
    scripts,
  };
}

export function renderPlan(stack: string): Promise<Plan> {
  return renderPlanFromConfig(stack, stackConfig(stack));
}

/** Stable text: the same program and config always give byte-identical files (scripts apart). */
export function planJson(plan: Plan): string {
  const { scripts: _scripts, ...rest } = plan;
  return JSON.stringify(rest, null, 2) + "\n";
}

// ---- summary -------------------------------------------------------------------------------

interface InboundRule {
  group: string;
  from: number;
  to: number;
  source: string;
  sourceIsCidr: boolean;
}

/** Inbound rules with groups and sources named, from a plan's resources. */
export function inboundRules(resources: PlanResource[]): InboundRule[] {
  const groupName = (id: unknown) => {
    const found = resources.find(
      (r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && resourceIdOf(r.type, r.name) === id,
    );
    return found ? found.name : String(id);
  };
  return resources
    .filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    .map((r) => {
      const i = r.inputs as Record<string, any>;
      const cidr = i.cidrIpv4 ?? i.cidrIpv6;
      const allPorts = i.ipProtocol === "-1";
      return {
        group: groupName(i.securityGroupId),
        from: allPorts ? 0 : i.fromPort,
        to: allPorts ? 65535 : i.toPort,
        source:
          cidr ?? (i.referencedSecurityGroupId ? groupName(i.referencedSecurityGroupId) : (i.prefixListId ?? "?")),
        sourceIsCidr: cidr !== undefined,
      };
    });
}

/**
 * The inbound rules as a Mermaid flowchart (GitHub renders it in a pull request): one node per group
 * or address range, one arrow per rule from the source to the group it may reach, with its port.
 */
export function reachDiagram(rules: InboundRule[]): string[] {
  const ids = new Map<string, string>();
  const node = (name: string) => {
    if (!ids.has(name)) ids.set(name, `n${ids.size}`);
    return `${ids.get(name)}["${name.replace(/"/g, "'")}"]`;
  };
  const port = (r: InboundRule) => `tcp/${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;
  const arrows = rules
    .map((r) => ({ from: r.source, to: r.group, label: port(r) }))
    .sort((a, b) => `${a.to} ${a.from} ${a.label}`.localeCompare(`${b.to} ${b.from} ${b.label}`))
    .map((a) => `  ${node(a.from)} -->|${a.label}| ${node(a.to)}`);
  return ["```mermaid", "flowchart LR", ...arrows, "```"];
}

const describeRule = (r: InboundRule) =>
  `${r.group} <- ${r.sourceIsCidr ? r.source : `group ${r.source}`} on tcp/${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;

function summarize(
  resources: PlanResource[],
  scripts: Record<string, string>,
  userDataBytes: Record<string, number>,
): Omit<PlanSummary, "convergence"> {
  const countsByType: Record<string, number> = {};
  for (const r of resources) countsByType[r.type] = (countsByType[r.type] ?? 0) + 1;
  const boot: Record<string, string[]> = {};
  for (const r of resources.filter((x) => x.type === "aws:ec2/instance:Instance")) {
    const role = String((r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] ?? r.name);
    const steps = [...(scriptText({ scripts }, r.inputs.userData) ?? "").matchAll(/^\s*Step '([^']+)'/gm)].map(
      (m) => m[1],
    );
    boot[role] = steps;
  }
  // A farm image's build: its component's phases and steps.
  for (const r of resources.filter((x) => x.type === "aws:imagebuilder/component:Component")) {
    const text = scriptText({ scripts }, r.inputs.data) ?? "";
    boot[`image build (${r.name})`] = [...text.matchAll(/^ {2}- name: (\w+)$|^ {6}- name: (\w+)$/gm)].map((m) =>
      m[1] ? `phase ${m[1]}` : m[2],
    );
  }
  const release = resources.find((r) => r.type === RELEASE_TYPE);
  const group = resources.find((r) => r.type === "aws:codedeploy/deploymentGroup:DeploymentGroup");
  return {
    countsByType: sortKeys(countsByType) as Record<string, number>,
    inbound: inboundRules(resources).map(describeRule).sort(),
    boot: sortKeys(boot) as Record<string, string[]>,
    userDataBytes: sortKeys(userDataBytes) as Record<string, number>,
    ...(release && group
      ? {
          release: `${release.inputs.version}, released by CodeDeploy (${release.inputs.applicationName} / ${release.inputs.deploymentGroupName}, ${group.inputs.deploymentConfigName}, through the target group, rolled back on failure)`,
        }
      : {}),
  };
}

export function summaryText(plan: Plan): string {
  const s = plan.summary;
  return [
    `# Plan of stack ${plan.stack}`,
    "",
    "Generated offline by `npm run plan`; see plans/" + plan.stack + ".json for every input.",
    "",
    "## Resources by type",
    ...Object.entries(s.countsByType).map(([t, n]) => `- ${t}: ${n}`),
    "",
    "## Who may reach what (inbound rules)",
    ...s.inbound.map((l) => `- ${l}`),
    "",
    ...reachDiagram(inboundRules(plan.resources)),
    "",
    "## What each instance does at first boot (or at an image build)",
    ...Object.entries(s.boot).flatMap(([role, steps]) => [`- ${role}:`, ...steps.map((st, i) => `  ${i + 1}. ${st}`)]),
    "",
    `## User data sizes (EC2 takes ${USER_DATA_LIMIT_BYTES} bytes; the kit's budget is ${USER_DATA_BUDGET_BYTES})`,
    ...Object.entries(s.userDataBytes).map(([file, bytes]) => `- ${file}: ${bytes} bytes`),
    "",
    ...(s.release ? ["## Application", `- release ${s.release}`, ""] : []),
    "## Does `pulumi up` finish (waits and what they need)",
    ...(s.convergence ?? []).map((l) => `- ${l}`),
    "",
  ].join("\n");
}

// ---- diff ----------------------------------------------------------------------------------

export interface PropertyChange {
  path: string;
  before: unknown;
  after: unknown;
  /** For a changed script (or any multi-line value): the lines removed and added. */
  lines?: string[];
  /** What the change does on AWS (engine/disruption.ts), and the source that says so. */
  effect?: Effect;
  why?: string;
}

export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: { resource: string; changes: PropertyChange[] }[];
  /** Changes that let more in: a new or wider inbound source or port, a public address, a wider IAM permission, a secret becoming plaintext. */
  securityBroadening: string[];
  /** Changes that replace or delete the state server (every user's session is lost). */
  stateServer: string[];
  /** Application releases: the version change, and whether nodes are replaced too. */
  releases: string[];
  /**
   * Disruptive changes a reviewer must read and approve (`plan:diff` exits 2 until then): a key
   * rotation, web nodes replaced, the farm renamed, the state server replaced or deleted.
   */
  mustRead: string[];
  /** Every resource replaced or interrupted (stop/start, restart), with why; cascades included. */
  disruptions: string[];
  /** Changes whose effect the update behaviour table cannot tell: confirm with `pulumi preview`. */
  unknown: string[];
}

const keyOf = (r: PlanResource) => `${r.type}::${r.name}`;

function flatten(value: unknown, path = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !(Array.isArray(value) && value.length === 0)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out);
  } else {
    out[path] = value;
  }
  return out;
}

/** The Release's provider diff ignores the inputs that only bound its wait: Pulumi updates nothing for them. */
const notIgnored = (r: PlanResource) => (c: PropertyChange) =>
  r.type !== RELEASE_TYPE || !RELEASE_WAIT_ONLY_INPUTS.some((name) => c.path === `inputs.${name}`);

function propertyChanges(before: PlanResource, after: PlanResource): PropertyChange[] {
  const a = flatten({ inputs: before.inputs, options: before.options ?? {}, parent: before.parent });
  const b = flatten({ inputs: after.inputs, options: after.options ?? {}, parent: after.parent });
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((p) => JSON.stringify(a[p]) !== JSON.stringify(b[p]))
    .sort()
    .map((path) => ({ path, before: a[path], after: b[path] }));
}

function cidrCovers(outer: string, inner: string): boolean {
  try {
    const [oAddr, oBits] = ipaddr.parseCIDR(outer);
    const [iAddr, iBits] = ipaddr.parseCIDR(inner);
    return oAddr.kind() === iAddr.kind() && iBits >= oBits && iAddr.match(oAddr, oBits);
  } catch {
    return outer === inner;
  }
}

function ruleCovered(rule: InboundRule, old: InboundRule[]): boolean {
  return old.some(
    (o) =>
      o.group === rule.group &&
      o.from <= rule.from &&
      o.to >= rule.to &&
      (rule.sourceIsCidr
        ? o.sourceIsCidr && cidrCovers(o.source, rule.source)
        : !o.sourceIsCidr && o.source === rule.source),
  );
}

/** Every (action, resource) pair a plan's IAM policies grant, per role-ish owner. */
function grants(resources: PlanResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      out.add(`${r.inputs.role} attaches ${r.inputs.policyArn}`);
    const doc = r.inputs.policy;
    if (typeof doc !== "string" || doc === SECRET) continue;
    let statements: any[] = [];
    try {
      statements = ([] as any[]).concat(JSON.parse(doc).Statement ?? []);
    } catch {
      out.add(`${r.name} unparsable policy ${doc}`);
    }
    for (const s of statements) {
      if (s.Effect !== "Allow") continue;
      for (const action of [].concat(s.Action ?? s.NotAction ?? []))
        for (const resource of [].concat(s.Resource ?? s.NotResource ?? []))
          out.add(`${r.inputs.role ?? r.name}: ${action} on ${resource}`);
    }
  }
  return out;
}

const SESSION_DATABASE_TYPE = "aws:rds/instance:Instance";
const roleOf = (r: PlanResource) => (r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG];

const isStateServer = (r: PlanResource) =>
  r.type === "aws:ec2/instance:Instance" &&
  (r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] === "state-server";

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((r) => [keyOf(r), r]));
  const now = new Map(after.resources.map((r) => [keyOf(r), r]));
  const added = [...now.keys()].filter((k) => !old.has(k)).sort();
  const removed = [...old.keys()].filter((k) => !now.has(k)).sort();
  const changed = [...now.keys()]
    .filter((k) => old.has(k))
    .map((k) => ({ resource: k, changes: propertyChanges(old.get(k)!, now.get(k)!).filter(notIgnored(now.get(k)!)) }))
    .filter((c) => c.changes.length > 0);
  for (const { resource, changes } of changed) {
    for (const c of changes) {
      const lines = lineChanges(scriptText(before, c.before) ?? c.before, scriptText(after, c.after) ?? c.after);
      if (lines.length > 0) c.lines = lines;
      Object.assign(c, classifyChange(now.get(resource)!, c.path));
    }
  }
  // What each change does on AWS, with the replacements it cascades to.
  const uncertain: string[] = [];
  const disrupted = disruptions(
    after.resources,
    changed.map((c) => ({ resource: c.resource, paths: c.changes.map((x) => x.path) })),
    undefined,
    uncertain,
  );
  const replaced = (k: string) => disrupted.get(k)?.effect === "replace";
  const whyOf = (k: string) => disrupted.get(k)!.why.join(", ");

  const broadening: string[] = [];
  const oldRules = inboundRules(before.resources);
  for (const rule of inboundRules(after.resources)) {
    if (!ruleCovered(rule, oldRules)) broadening.push(`new inbound access: ${describeRule(rule)}`);
  }
  for (const k of added) {
    const r = now.get(k)!;
    if (r.type === "aws:ec2/eip:Eip") broadening.push(`new public address: ${k}`);
    if (r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.internal !== true)
      broadening.push(`new internet-facing load balancer: ${k}`);
    if (r.type === "aws:ec2/instance:Instance" && r.inputs.associatePublicIpAddress !== false)
      broadening.push(`new instance without associatePublicIpAddress=false: ${k}`);
  }
  for (const { resource, changes } of changed) {
    for (const c of changes) {
      if (/associatePublicIpAddress$|mapPublicIpOnLaunch$/.test(c.path) && c.after === true)
        broadening.push(`public address turned on: ${resource} ${c.path}`);
      if (c.path === "inputs.internal" && c.before === true && c.after !== true)
        broadening.push(`load balancer made internet-facing: ${resource}`);
      if (c.before === SECRET && c.after !== SECRET)
        broadening.push(`secret input now plaintext: ${resource} ${c.path}`);
    }
  }
  const oldGrants = grants(before.resources);
  for (const g of grants(after.resources)) if (!oldGrants.has(g)) broadening.push(`new IAM permission: ${g}`);

  const stateServer: string[] = [];
  for (const k of removed) if (isStateServer(old.get(k)!)) stateServer.push(`state server deleted: ${k}`);
  for (const [k, d] of disrupted) {
    if (!isStateServer(now.get(k)!)) continue;
    // An in-place stop/start restarts the State Service, which keeps sessions in memory only.
    stateServer.push(`state server ${d.effect === "replace" ? "replaced" : "stopped and started"}: ${k} (${whyOf(k)})`);
  }
  const releases: string[] = [];
  const webNodeKeys = [...now.keys()].filter((k) => {
    const r = now.get(k)!;
    return r.type === "aws:ec2/instance:Instance" && roleOf(r) === "web-node";
  });
  const webReplaced = webNodeKeys.filter(replaced).map((resource) => ({ resource }));
  const webInterrupted = webNodeKeys.filter((k) => disrupted.get(k)?.effect === "interrupt");
  for (const k of [...now.keys()].filter((key) => now.get(key)!.type === RELEASE_TYPE)) {
    const from = old.get(k)?.inputs.version;
    const to = now.get(k)!.inputs.version;
    if (from === to) continue;
    const nodes =
      webReplaced.length === 0
        ? "no node replaced"
        : `and ${webReplaced.length} web node(s) replaced: ${webReplaced.map((c) => c.resource.split("::")[1]).join(", ")}`;
    releases.push(
      from === undefined
        ? `application ${to}: first release, through CodeDeploy`
        : `application ${from} -> ${to}, in place through CodeDeploy, ${nodes}`,
    );
  }
  const mustRead: string[] = [];
  const rotated = changed.filter(
    ({ resource, changes }) =>
      now.get(resource)!.type === "random:index/randomBytes:RandomBytes" &&
      changes.some((c) => c.path.startsWith("inputs.keepers")),
  );
  if (rotated.length > 0) {
    const keepers = (c: { changes: PropertyChange[] }) =>
      c.changes
        .filter((x) => x.path.startsWith("inputs.keepers"))
        .map((x) => `${x.path.replace("inputs.keepers.", "")} ${show(x.before)} -> ${show(x.after)}`);
    mustRead.push(
      `the machine key is rotated (${[...new Set(rotated.flatMap(keepers))].join(", ")}): every user is logged out (forms authentication), pages open in a browser fail one postback, and every web node is replaced`,
    );
  }
  const why = (keys: string[]) => [...new Set(keys.flatMap((k) => disrupted.get(k)!.why))].join(", ");
  if (webReplaced.length > 0)
    mustRead.push(
      `${webReplaced.length} of ${webNodeKeys.length} web nodes are replaced (${why(webReplaced.map((c) => c.resource))}): new ones must pass the health check before the old ones go`,
    );
  // The provider updates independent resources in parallel: every node stops at the same time.
  if (webInterrupted.length > 0)
    mustRead.push(
      `${webInterrupted.length} of ${webNodeKeys.length} web nodes are stopped and started in place, all at once (${why(webInterrupted)}): ${webInterrupted.length === webNodeKeys.length ? "all web nodes down" : "those nodes down"} until they boot`,
    );
  for (const k of [...disrupted.keys()].filter(
    (x) => now.get(x)!.type === "aws:lb/loadBalancer:LoadBalancer" && replaced(x),
  ))
    mustRead.push(
      `the load balancer is replaced: ${k} (${whyOf(k)}): its DNS name changes (update every record pointing at it), the farm is unreachable until the new one serves`,
    );
  for (const k of [...disrupted.keys()].filter((x) => now.get(x)!.type === "aws:ec2/vpc:Vpc" && replaced(x))) {
    const inside = [...disrupted.entries()].filter(([x, d]) => x !== k && d.effect === "replace");
    const counts = new Map<string, number>();
    for (const [x] of inside) counts.set(x.split("::")[0], (counts.get(x.split("::")[0]) ?? 0) + 1);
    mustRead.push(
      `the VPC is replaced: ${k} (${whyOf(k)}): everything in it is replaced too (${inside.length} resources: ${[...counts].map(([t, n]) => `${n} ${t.split(":").pop()}`).join(", ")}): every node and the state server are new instances, every session lost; a load balancer cannot move to another VPC in place: confirm with \`pulumi preview\``,
    );
  }
  for (const { resource, changes } of changed.filter(
    (c) => now.get(c.resource)!.type === "aws:ec2/launchTemplate:LaunchTemplate",
  )) {
    const why = changes.filter((c) => c.path.startsWith("inputs.")).map((c) => c.path);
    if (why.length > 0)
      mustRead.push(
        `every node of the Auto Scaling group is replaced by an instance refresh (${resource.split("::")[1]}: ${why.join(", ")})`,
      );
    // Nothing waits for the refresh (the provider starts it and returns): CodeDeploy, "Integrating
    // CodeDeploy with Amazon EC2 Auto Scaling", deploys the last successful revision to new nodes.
    if (why.length > 0 && releases.length > 0)
      mustRead.push(
        "the release starts while the instance refresh replaces nodes; CodeDeploy deploys the last successful revision to the refresh's new nodes: release in a separate `pulumi up` once the refresh is done",
      );
  }
  for (const k of [...disrupted.keys()].filter((x) => now.get(x)!.type === AUTO_SCALING_GROUP && replaced(x)))
    mustRead.push(groupReplacement(k, now.get(k)!, disrupted.get(k)!));
  const farms = (plan: Map<string, PlanResource>) =>
    [...plan.values()].filter((r) => r.type === "aspnet-webfarm:index:WebFarm").map((r) => r.name);
  const gone = farms(old).filter((f) => !farms(now).includes(f));
  const come = farms(now).filter((f) => !farms(old).includes(f));
  if (gone.length > 0 && come.length > 0) {
    mustRead.push(
      `the farm is renamed ${gone.join(", ")} -> ${come.join(", ")}: every resource is deleted and created anew, the URL changes, every session is lost`,
    );
  } else {
    for (const f of gone) mustRead.push(`the farm ${f} is deleted: every resource of it goes`);
  }
  mustRead.push(...stateServer.map((line) => `${line}: every session is lost`));
  // The session store: switching modes, or the session database replaced or deleted.
  const stores = (plan: Map<string, PlanResource>) => ({
    state: [...plan.values()].some(isStateServer),
    sql: [...plan.values()].some((r) => r.type === SESSION_DATABASE_TYPE),
  });
  const [storeBefore, storeAfter] = [stores(old), stores(now)];
  const modeName = (x: { sql: boolean }) => (x.sql ? "SQL Server (RDS)" : "the ASP.NET State Service");
  if (
    (storeBefore.state || storeBefore.sql) &&
    (storeAfter.state || storeAfter.sql) &&
    storeBefore.sql !== storeAfter.sql
  )
    mustRead.push(
      `the session store changes from ${modeName(storeBefore)} to ${modeName(storeAfter)}: every current session is lost, once`,
    );
  for (const k of removed.filter((k) => old.get(k)!.type === SESSION_DATABASE_TYPE))
    mustRead.push(`the session database is deleted: ${k}: every session is lost`);
  for (const [k, d] of [...disrupted].filter(([x]) => now.get(x)!.type === SESSION_DATABASE_TYPE))
    mustRead.push(
      d.effect === "replace"
        ? `the session database is replaced: ${k} (${whyOf(k)}): every session is lost`
        : // Sessions are persisted (aspnet_regsql -sstype p) and survive; the farm cannot reach them meanwhile.
          `the session database restarts: ${k} (${whyOf(k)}): every session is unavailable until it is back`,
    );
  // deleteBeforeReplace: the old resource goes before the new one exists, a gap the reader must know.
  const firstDeleted = (k: string) => (deletedFirst(now.get(k)!) ? ", deleted before its replacement exists" : "");
  const disruptionLines = [...disrupted]
    .map(
      ([k, d]) =>
        `${d.effect === "replace" ? "replaced" : "interrupted"}${d.cascaded ? " (cascade)" : ""}: ${k} (${whyOf(k)})${d.effect === "replace" ? firstDeleted(k) : ""}`,
    )
    .sort();
  const unknown = [
    ...changed.flatMap(({ resource, changes }) =>
      changes.filter((c) => c.effect === "unknown").map((c) => `${resource} ${c.path}: ${c.why}`),
    ),
    ...new Set(uncertain),
  ];
  return {
    added,
    removed,
    changed,
    securityBroadening: broadening.sort(),
    stateServer,
    releases,
    mustRead,
    disruptions: disruptionLines,
    unknown,
  };
}

function show(value: unknown): string {
  const text = value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Line-level view of a changed multi-line value (user data): lines removed and added. */
function lineChanges(before: unknown, after: unknown): string[] {
  if (typeof before !== "string" || typeof after !== "string" || (!before.includes("\n") && !after.includes("\n")))
    return [];
  const a = before.split(/\r?\n/),
    b = after.split(/\r?\n/);
  const inA = new Set(a),
    inB = new Set(b);
  return [
    ...a.filter((l) => !inB.has(l)).map((l) => `        - ${l}`),
    ...b.filter((l) => !inA.has(l)).map((l) => `        + ${l}`),
  ];
}

export function diffText(diff: PlanDiff): string {
  const lines: string[] = [];
  const section = (title: string, items: string[]) => {
    lines.push(`${title} (${items.length})`, ...items.map((i) => `  ${i}`), "");
  };
  section("added", diff.added);
  section("removed", diff.removed);
  lines.push(`changed (${diff.changed.length})`);
  for (const c of diff.changed) {
    lines.push(`  ${c.resource}`);
    for (const p of c.changes)
      lines.push(
        `      ${p.path}: ${show(p.before)} -> ${show(p.after)}  [${p.effect ?? "unknown"}${p.effect === "update" || p.effect === "option" ? "" : `: ${p.why}`}]`,
        ...(p.lines ?? []),
      );
  }
  lines.push("");
  section("SECURITY-BROADENING changes", diff.securityBroadening);
  section("MUST READ: disruptive changes (users notice; approve with --approve-disruption)", diff.mustRead);
  section("REPLACED OR INTERRUPTED (from engine/updateBehaviour.json and the kit's options)", diff.disruptions);
  section("UNKNOWN: confirm with `pulumi preview`", diff.unknown);
  section("APPLICATION RELEASES (node by node, sessions kept)", diff.releases);
  const table = updateBehaviour();
  const source = table.sources as Record<string, Record<string, string>>;
  lines.push(
    `(effects from engine/updateBehaviour.json, generated ${table.generated}: provider ${source.replacement?.ref}, @pulumi/aws ${source.providerDocs?.version} docs, ${source.cloudFormation?.package} ${source.cloudFormation?.version})`,
    "",
  );
  return lines.join("\n");
}
