// An offline plan: what a stack's program would register (no AWS credentials, no Pulumi service),
// in a stable sorted form with secrets shown as [secret], a short human summary, and a diff
// between two plans that calls out security-broadening changes and state server replacements.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as ipaddr from "ipaddr.js";
import { ROLE_TAG } from "../components";
import { program } from "../infra/program";
import { stackConfig } from "../infra/stackFile";
import { InvokeHandler, OutputsFunction, RecordedResource, runProgram } from "./engine";

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
}

export interface PlanSummary {
  countsByType: Record<string, number>;
  /** "who may reach what on which port", one line per inbound rule. */
  inbound: string[];
  /** What each kind of instance does at boot (its user data's steps). */
  boot: Record<string, string[]>;
}

const shortType = (type: string) => type.split(":").pop() ?? type;
/** Plan ids name the resource: `Subnet.shop-dev-net-private-0` instead of a cloud id. */
export const planId = (type: string, name: string) => `${shortType(type)}.${name}`;

/** Unknown-until-deploy values stand in as `<Type>.<name>.<property>`, so a reader sees where they come from. */
export const planOutputs: OutputsFunction = (type, name, inputs, id) => {
  if (type === "random:index/randomBytes:RandomBytes") {
    // Never shown (the key is secret); it only has to be hex of the right length.
    const hex = createHash("sha256").update(name).digest("hex").repeat(16).slice(0, inputs.length * 2);
    return { hex, base64: Buffer.from(hex, "hex").toString("base64") };
  }
  return {
    arn: `${id}.arn`,
    arnSuffix: `${id}.arnSuffix`,
    dnsName: `${id}.dnsName`,
    privateIp: `${id}.privateIp`,
    zoneId: `${id}.zoneId`,
    latestVersion: `${id}.latestVersion`,
    bucket: inputs.bucket ?? `${id}.bucket`,
    fqdn: inputs.name ?? `${id}.fqdn`,
    name: inputs.name ?? `${id}.name`,
  };
};

export function planInvokes(region: string): Record<string, InvokeHandler> {
  return {
    // Offline, the region's AZs are assumed to be <region>a-f; `pulumi preview` checks the real ones.
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ id: region, names: "abcdef".split("").map((l) => `${region}${l}`), zoneIds: [] }),
    "aws:index/getRegion:getRegion": () => ({ id: region, name: region, region }),
    "aws:ssm/getParameter:getParameter": (inputs) => ({ name: inputs.name, type: "String", value: `resolved-at-deploy:${inputs.name}` }),
    "aws:elb/getServiceAccount:getServiceAccount": () => ({ id: "elb-account", arn: `<ELB log delivery account of ${region}>` }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ id: "account", accountId: "<account>", arn: "<caller>", userId: "<caller>" }),
    "aws:ec2/getSubnet:getSubnet": (inputs) => {
      throw new Error(`an offline plan cannot look up subnet ${inputs.id} of another network; use pulumi preview`);
    },
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
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
    Object.entries(r.options).filter(([, v]) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)),
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
  pulumi.runtime.setAllConfig(config);
  const { mocks } = await runProgram(program, { stack, invokes: planInvokes(region), outputs: planOutputs, idOf: planId });
  const resources = mocks.resources
    .map(toPlanResource)
    .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
  return {
    stack,
    note: "Generated offline by `npm run plan` from Pulumi.<stack>.yaml: every resource the program registers, with its inputs. Values known only after deployment appear as <Type>.<name>.<property>; secrets as [secret].",
    resources,
    summary: summarize(resources),
  };
}

export function renderPlan(stack: string): Promise<Plan> {
  return renderPlanFromConfig(stack, stackConfig(stack));
}

/** Stable text: the same program and config always give byte-identical files. */
export function planJson(plan: Plan): string {
  return JSON.stringify(plan, null, 2) + "\n";
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
    const found = resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && planId(r.type, r.name) === id);
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
        source: cidr ?? (i.referencedSecurityGroupId ? groupName(i.referencedSecurityGroupId) : i.prefixListId ?? "?"),
        sourceIsCidr: cidr !== undefined,
      };
    });
}

const describeRule = (r: InboundRule) =>
  `${r.group} <- ${r.sourceIsCidr ? r.source : `group ${r.source}`} on tcp/${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;

function summarize(resources: PlanResource[]): PlanSummary {
  const countsByType: Record<string, number> = {};
  for (const r of resources) countsByType[r.type] = (countsByType[r.type] ?? 0) + 1;
  const boot: Record<string, string[]> = {};
  for (const r of resources.filter((x) => x.type === "aws:ec2/instance:Instance")) {
    const role = String((r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] ?? r.name);
    const steps = [...String(r.inputs.userData ?? "").matchAll(/^Step '([^']+)'/gm)].map((m) => m[1]);
    boot[role] = steps;
  }
  return { countsByType: sortKeys(countsByType) as Record<string, number>, inbound: inboundRules(resources).map(describeRule).sort(), boot: sortKeys(boot) as Record<string, string[]> };
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
    "## What each instance does at first boot",
    ...Object.entries(s.boot).flatMap(([role, steps]) => [`- ${role}:`, ...steps.map((st, i) => `  ${i + 1}. ${st}`)]),
    "",
  ].join("\n");
}

// ---- diff ----------------------------------------------------------------------------------

export interface PropertyChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: { resource: string; changes: PropertyChange[] }[];
  /** Changes that let more in: a new or wider inbound source or port, a public address, a wider IAM permission, a secret becoming plaintext. */
  securityBroadening: string[];
  /** Changes that replace or delete the state server (every user's session is lost). */
  stateServer: string[];
}

const keyOf = (r: PlanResource) => `${r.type}::${r.name}`;

function flatten(value: unknown, path = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !(Array.isArray(value) && value.length === 0)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out);
  } else {
    out[path] = value;
  }
  return out;
}

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
  return old.some((o) => o.group === rule.group && o.from <= rule.from && o.to >= rule.to &&
    (rule.sourceIsCidr ? o.sourceIsCidr && cidrCovers(o.source, rule.source) : !o.sourceIsCidr && o.source === rule.source));
}

/** Every (action, resource) pair a plan's IAM policies grant, per role-ish owner. */
function grants(resources: PlanResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") out.add(`${r.inputs.role} attaches ${r.inputs.policyArn}`);
    const doc = r.inputs.policy;
    if (typeof doc !== "string" || doc === SECRET) continue;
    let statements: any[] = [];
    try { statements = ([] as any[]).concat(JSON.parse(doc).Statement ?? []); } catch { out.add(`${r.name} unparsable policy ${doc}`); }
    for (const s of statements) {
      if (s.Effect !== "Allow") continue;
      for (const action of [].concat(s.Action ?? s.NotAction ?? [])) for (const resource of [].concat(s.Resource ?? s.NotResource ?? [])) out.add(`${r.inputs.role ?? r.name}: ${action} on ${resource}`);
    }
  }
  return out;
}

/** Properties whose change replaces an EC2 instance (userData because the farm sets userDataReplaceOnChange). */
const INSTANCE_REPLACING = ["inputs.ami", "inputs.subnetId", "inputs.userData", "inputs.availabilityZone", "inputs.privateIp", "inputs.rootBlockDevice", "inputs.keyName", "inputs.tenancy", "inputs.hostId"];

const isStateServer = (r: PlanResource) => r.type === "aws:ec2/instance:Instance" && (r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] === "state-server";

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((r) => [keyOf(r), r]));
  const now = new Map(after.resources.map((r) => [keyOf(r), r]));
  const added = [...now.keys()].filter((k) => !old.has(k)).sort();
  const removed = [...old.keys()].filter((k) => !now.has(k)).sort();
  const changed = [...now.keys()].filter((k) => old.has(k))
    .map((k) => ({ resource: k, changes: propertyChanges(old.get(k)!, now.get(k)!) }))
    .filter((c) => c.changes.length > 0);

  const broadening: string[] = [];
  const oldRules = inboundRules(before.resources);
  for (const rule of inboundRules(after.resources)) {
    if (!ruleCovered(rule, oldRules)) broadening.push(`new inbound access: ${describeRule(rule)}`);
  }
  for (const k of added) {
    const r = now.get(k)!;
    if (r.type === "aws:ec2/eip:Eip") broadening.push(`new public address: ${k}`);
    if (r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.internal !== true) broadening.push(`new internet-facing load balancer: ${k}`);
    if (r.type === "aws:ec2/instance:Instance" && r.inputs.associatePublicIpAddress !== false) broadening.push(`new instance without associatePublicIpAddress=false: ${k}`);
  }
  for (const { resource, changes } of changed) {
    for (const c of changes) {
      if (/associatePublicIpAddress$|mapPublicIpOnLaunch$/.test(c.path) && c.after === true) broadening.push(`public address turned on: ${resource} ${c.path}`);
      if (c.path === "inputs.internal" && c.before === true && c.after !== true) broadening.push(`load balancer made internet-facing: ${resource}`);
      if (c.before === SECRET && c.after !== SECRET) broadening.push(`secret input now plaintext: ${resource} ${c.path}`);
    }
  }
  const oldGrants = grants(before.resources);
  for (const g of grants(after.resources)) if (!oldGrants.has(g)) broadening.push(`new IAM permission: ${g}`);

  const stateServer: string[] = [];
  for (const k of removed) if (isStateServer(old.get(k)!)) stateServer.push(`state server deleted: ${k}`);
  for (const { resource, changes } of changed) {
    if (!isStateServer(now.get(resource)!)) continue;
    const replacing = changes.filter((c) => INSTANCE_REPLACING.some((p) => c.path === p || c.path.startsWith(`${p}.`) || c.path.startsWith(`${p}[`)));
    if (replacing.length > 0) stateServer.push(`state server replaced: ${resource} (${replacing.map((c) => c.path).join(", ")})`);
  }
  return { added, removed, changed, securityBroadening: broadening.sort(), stateServer };
}

function show(value: unknown): string {
  const text = value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Line-level view of a changed multi-line value (user data): lines removed and added. */
function lineChanges(before: unknown, after: unknown): string[] {
  if (typeof before !== "string" || typeof after !== "string" || (!before.includes("\n") && !after.includes("\n"))) return [];
  const a = before.split(/\r?\n/), b = after.split(/\r?\n/);
  const inA = new Set(a), inB = new Set(b);
  return [...a.filter((l) => !inB.has(l)).map((l) => `        - ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `        + ${l}`)];
}

export function diffText(diff: PlanDiff): string {
  const lines: string[] = [];
  const section = (title: string, items: string[]) => { lines.push(`${title} (${items.length})`, ...items.map((i) => `  ${i}`), ""); };
  section("added", diff.added);
  section("removed", diff.removed);
  lines.push(`changed (${diff.changed.length})`);
  for (const c of diff.changed) {
    lines.push(`  ${c.resource}`);
    for (const p of c.changes) lines.push(`      ${p.path}: ${show(p.before)} -> ${show(p.after)}`, ...lineChanges(p.before, p.after));
  }
  lines.push("");
  section("SECURITY-BROADENING changes", diff.securityBroadening);
  section("changes that replace or delete the STATE SERVER (every session is lost)", diff.stateServer);
  return lines.join("\n");
}
