// The diff of two offline plans (`npm run plan:diff`): what is added, removed and changed, what
// each change does on AWS (engine/disruption.ts), and what a reviewer must read: wider access,
// the session store (state server or session database) replaced or lost, releases, disruptions.
import { costDelta, estimateMonthlyCost } from "./cost";
import { ROLE_TAG } from "../components";
import { RELEASE_WAIT_ONLY_INPUTS } from "../components/releases/release";
import { classifyChange, deletedFirst, disruptions, Effect, groupReplacement, updateBehaviour } from "./disruption";
import { Plan, PlanResource, RELEASE_TYPE, scriptText, SECRET } from "./planModel";
import { describeRule, inboundRules } from "./planSummary";
import { ruleCovered } from "./reach";

const AUTO_SCALING_GROUP = "aws:autoscaling/group:Group";

/** One changed property of a resource. */
export interface PropertyChange {
  /** Where: "inputs.<path>", "options.<name>" or "parent". */
  path: string;
  before: unknown;
  after: unknown;
  /** For a changed script (or any multi-line value): the lines removed and added. */
  lines?: string[];
  /** What the change does on AWS (engine/disruption.ts). */
  effect?: Effect;
  /** The source that says so, or why the effect is unknown. */
  why?: string;
}

export interface PlanDiff {
  added: string[];
  removed: string[];
  changed: { resource: string; changes: PropertyChange[] }[];
  /** Changes that let more in: a new or wider inbound source or port, a public address, a wider IAM permission, a secret becoming plaintext. */
  securityBroadening: string[];
  /** Changes that replace, stop or delete the state server (it keeps sessions in memory: every one is lost). */
  stateServer: string[];
  /** Application releases: the version change, and whether nodes are replaced too. */
  releases: string[];
  /**
   * Disruptive changes a reviewer must read and approve (`plan:diff` exits 2 until then): a key
   * rotation, web nodes replaced or restarted, the load balancer, VPC or Auto Scaling group
   * replaced, the farm renamed or deleted, the session store switched, the state server or the
   * session database replaced, restarted or deleted.
   */
  mustRead: string[];
  /** Every resource replaced or interrupted (stop/start, restart), with why; cascades included. */
  disruptions: string[];
  /** Changes whose effect the update behaviour table cannot tell: confirm with `pulumi preview`. */
  unknown: string[];
  /** The monthly cost estimate before and after, and the lines that changed (engine/cost.ts). */
  cost: string[];
}

const keyOf = (r: PlanResource) => `${r.type}::${r.name}`;

/** Leaf values by path ("inputs.tags.Name", "inputs.rules[0].port"); an empty array is a leaf. */
function flatten(value: unknown, path = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === "object" && !(Array.isArray(value) && value.length === 0)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, out);
  } else {
    out[path] = value;
  }
  return out;
}

/**
 * Keeps a change unless the Release's provider diff ignores it: the inputs that only bound its wait
 * (RELEASE_WAIT_ONLY_INPUTS), for which Pulumi updates nothing.
 */
const notIgnored = (r: PlanResource) => (c: PropertyChange) =>
  r.type !== RELEASE_TYPE || !RELEASE_WAIT_ONLY_INPUTS.some((name) => c.path === `inputs.${name}`);

/** Every property (input, option, parent) whose value differs, by path. */
function propertyChanges(before: PlanResource, after: PlanResource): PropertyChange[] {
  const a = flatten({ inputs: before.inputs, options: before.options ?? {}, parent: before.parent });
  const b = flatten({ inputs: after.inputs, options: after.options ?? {}, parent: after.parent });
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((p) => JSON.stringify(a[p]) !== JSON.stringify(b[p]))
    .sort()
    .map((path) => ({ path, before: a[path], after: b[path] }));
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

/** What changes from one plan to the next, and what a reviewer must know of it. */
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
    cost: costChange(before, after),
  };
}

/** The estimate's change: a plan written before estimates existed is estimated from its resources. */
function costChange(before: Plan, after: Plan): string[] {
  const now = after.summary?.cost;
  if (!now) return [];
  const then = before.summary?.cost ?? estimateMonthlyCost(before.resources, now.region);
  return costDelta(then, now);
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

/** The diff as `npm run plan:diff` prints it. */
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
  if (diff.cost.length > 0)
    lines.push(
      "MONTHLY COST (an estimate from list prices; their dates are in the plan's .md)",
      ...diff.cost.map((l) => `  ${l}`),
      "",
    );
  const table = updateBehaviour();
  const source = table.sources as Record<string, Record<string, string>>;
  lines.push(
    `(effects from engine/updateBehaviour.json, generated ${table.generated}: provider ${source.replacement?.ref}, @pulumi/aws ${source.providerDocs?.version} docs, ${source.cloudFormation?.package} ${source.cloudFormation?.version})`,
    "",
  );
  return lines.join("\n");
}
