// The rules that need several arguments at once. They run on the raw (grouped) input, so they are
// reported alongside the schema's field problems, all in one error.
import { artifactProblems } from "../releases/artifact";
import * as rules from "./rules";
import { SqlServerEdition } from "./constants";
import { farmNameProblems, Problem } from "./problems";
import { spotInstanceTypesFor } from "../nodes/instanceTypes";
import { defaultsOf, fieldDefaults, nodesSchema, ownNetworkSchema, sqlServerSchema } from "./schema";

type Raw = Record<string, unknown>;
const group = (a: Raw, key: string): Raw | undefined =>
  a[key] !== null && typeof a[key] === "object" && !Array.isArray(a[key]) ? (a[key] as Raw) : undefined;

/** Every rule across arguments, for a farm named `name`. */
export function crossFieldProblems(name: string, a: Raw): Problem[] {
  const problems: Problem[] = [];
  if (a.nodes === undefined)
    problems.push({ propertyPath: "nodes", reason: "is required: give at least nodes.count (how many web nodes)" });
  problems.push(
    ...bothGroups(a, ["network", "existingNetwork"], "the network", "a setting of the farm's own network"),
    ...bothGroups(a, ["stateServer", "sqlServer"], "the session store", "a state server setting"),
    ...existingNetworkProblems(group(a, "existingNetwork")),
    ...nodesProblems(group(a, "nodes")),
    ...imageProblems(group(a, "image"), group(a, "nodes")),
    ...azListProblems(group(a, "network") ?? {}),
    ...farmNameProblems(name),
    ...appProblems(group(a, "app"), group(a, "nodes")),
    ...sqlServerProblems(group(a, "sqlServer")),
  );
  return problems;
}

/**
 * A choice made by a group's presence (`chooses` what): both groups given is a problem at each field
 * of the first (`what` each field is), or at the first group itself when it is empty.
 */
function bothGroups(a: Raw, [first, second]: [string, string], chooses: string, what: string): Problem[] {
  const given = group(a, first);
  if (!given || a[second] === undefined) return [];
  const fields = Object.keys(given).filter((k) => given[k] !== undefined);
  const why = `the group given chooses ${chooses}`;
  if (fields.length === 0)
    return [{ propertyPath: first, reason: `is given with ${second}: give one of them (${why})` }];
  const reason = `is ${what}, but ${second} is given too: give one of them (${why})`;
  return fields.map((k) => ({ propertyPath: `${first}.${k}`, reason }));
}

function existingNetworkProblems(net: Raw | undefined): Problem[] {
  if (!net) return [];
  const problems: Problem[] = [];
  for (const k of ["publicSubnetIds", "privateSubnetIds"]) {
    const list = net[k];
    if (!Array.isArray(list)) continue;
    const at = `existingNetwork.${k}`;
    if (list.length < 2)
      problems.push({
        propertyPath: at,
        reason: "needs at least two subnets in different AZs (the load balancer requires two AZs)",
      });
    const literals = list.filter((v) => typeof v === "string");
    if (new Set(literals).size !== literals.length) problems.push({ propertyPath: at, reason: "lists a subnet twice" });
  }
  const [pub, priv] = [net.publicSubnetIds, net.privateSubnetIds];
  if (Array.isArray(pub) && Array.isArray(priv) && pub.length >= 2 && priv.length >= 2 && pub.length !== priv.length)
    problems.push({
      propertyPath: "existingNetwork.privateSubnetIds",
      reason: `has ${priv.length} subnets but publicSubnetIds has ${pub.length}: give one public and one private subnet per AZ`,
    });
  return problems;
}

/**
 * A FarmImage's parameter is the nodes' image, so not with amiId. Rolling out by itself
 * (autoRollout) resolves it at each launch (`resolve:ssm:` in the launch template) and needs a group
 * to refresh with a plain launch template: a mixed instances policy refused `resolve:ssm:` ("you
 * cannot use a launch template that specifies a Systems Manager parameter instead of an AMI ID on an
 * Auto Scaling group with a mixed instances policy": the EC2 Auto Scaling user guide's Systems
 * Manager parameters page, limitations, in its 2023 text; the current page's limitations could not
 * be read from here; terraform-provider-aws#38767, 2024: "Invalid id: "resolve:ssm:****" expecting
 * ami-"). Refused here until AWS says otherwise. Separate instances have no group to refresh.
 */
function imageProblems(image: Raw | undefined, nodes: Raw | undefined): Problem[] {
  const problems: Problem[] = [];
  if (image?.amiParameter !== undefined && image.amiId !== undefined)
    problems.push({
      propertyPath: "image.amiParameter",
      reason: "is given with image.amiId: give one of them (the nodes' image)",
    });
  if (image?.autoRollout !== true) return problems;
  const at = "image.autoRollout";
  if (image.amiParameter === undefined)
    problems.push({ propertyPath: at, reason: "needs image.amiParameter (the image to follow)" });
  if (nodes?.mode !== "autoscaling")
    problems.push({ propertyPath: at, reason: `applies only with nodes.mode "autoscaling" (a group to refresh)` });
  else if (nodes.spot === true)
    problems.push({
      propertyPath: at,
      reason: "cannot be used with nodes.spot: a mixed instances policy refuses an AMI from an SSM parameter",
    });
  return problems;
}

/** The nodes' settings that only an Auto Scaling group has. */
const AUTO_SCALING_ONLY = [
  "maxCount",
  "targetRequestsPerNode",
  "targetCpuPercent",
  "warmupSeconds",
  "schedules",
  "spot",
  "onDemandBaseCount",
  "spotInstanceTypes",
] as const;

function nodesProblems(nodes: Raw | undefined): Problem[] {
  if (!nodes) return [];
  const at = (field: string) => `nodes.${field}`;
  // Set to something other than its default (stack config hands every default over).
  const defaults = fieldDefaults(nodesSchema);
  const given = (field: string) =>
    nodes[field] !== undefined && JSON.stringify(nodes[field]) !== JSON.stringify(defaults[field] ?? false);
  if (nodes.mode !== "autoscaling")
    return AUTO_SCALING_ONLY.filter(given).map((f) => ({
      propertyPath: at(f),
      reason: `applies only with nodes.mode "autoscaling"`,
    }));
  const problems: Problem[] = [];
  const count = typeof nodes.count === "number" ? nodes.count : undefined;
  const max = typeof nodes.maxCount === "number" ? nodes.maxCount : count;
  if (count !== undefined && max !== undefined && max < count)
    problems.push({ propertyPath: at("maxCount"), reason: `is ${max}, below nodes.count ${count}` });
  const scales = count !== undefined && max !== undefined && max > count;
  if (count !== undefined && !scales)
    for (const f of ["targetRequestsPerNode", "targetCpuPercent"].filter(given))
      problems.push({
        propertyPath: at(f),
        reason: `needs nodes.maxCount above nodes.count (${count}): with neither, the group never scales`,
      });
  const scheduled = Array.isArray(nodes.schedules) && nodes.schedules.length > 0;
  if (count !== undefined && !scales && !scheduled && given("warmupSeconds"))
    problems.push({
      propertyPath: at("warmupSeconds"),
      reason: "applies only to a group that scales (nodes.maxCount above nodes.count, or nodes.schedules)",
    });
  if (nodes.spot !== true)
    for (const f of ["onDemandBaseCount", "spotInstanceTypes"].filter(given))
      problems.push({ propertyPath: at(f), reason: "applies only with nodes.spot true" });
  else problems.push(...spotProblems(nodes, count, max));
  if (Array.isArray(nodes.schedules)) problems.push(...scheduleProblems(nodes.schedules));
  return problems;
}

function spotProblems(nodes: Raw, count: number | undefined, max: number | undefined): Problem[] {
  const problems: Problem[] = [];
  const base = typeof nodes.onDemandBaseCount === "number" ? nodes.onDemandBaseCount : count;
  if (base !== undefined && max !== undefined && base >= max)
    problems.push({
      propertyPath: `nodes.${nodes.onDemandBaseCount === undefined ? "spot" : "onDemandBaseCount"}`,
      reason: `launches no Spot node: the On-Demand base (${base}) reaches maxCount (${max}); lower nodes.onDemandBaseCount or raise nodes.maxCount`,
    });
  const type = String(nodes.instanceType ?? fieldDefaults(nodesSchema).instanceType);
  const size = (t: string) => t.split(".")[1];
  if (Array.isArray(nodes.spotInstanceTypes)) {
    const other = nodes.spotInstanceTypes.filter((t) => typeof t === "string" && size(t) !== size(type));
    if (other.length > 0)
      problems.push({
        propertyPath: "nodes.spotInstanceTypes",
        reason: `must all be the size of nodes.instanceType (${type}): ${other.join(", ")} ${other.length === 1 ? "is" : "are"} not`,
      });
  } else if (spotInstanceTypesFor(type).length < 2)
    problems.push({
      propertyPath: "nodes.spotInstanceTypes",
      reason: `is needed: the kit knows no sibling of ${type}; list at least two x86_64 types of its size`,
    });
  return problems;
}

function scheduleProblems(schedules: unknown[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<unknown>();
  schedules.forEach((raw, i) => {
    if (raw === null || typeof raw !== "object") return;
    const s = raw as Raw;
    const at = `nodes.schedules[${i}]`;
    if (seen.has(s.name)) problems.push({ propertyPath: `${at}.name`, reason: `repeats the name "${s.name}"` });
    seen.add(s.name);
    const [min, max, desired] = [s.minCount, s.maxCount, s.desiredCount].map((v) =>
      typeof v === "number" ? v : undefined,
    );
    if (min === undefined && max === undefined && desired === undefined)
      problems.push({ propertyPath: at, reason: "changes nothing: give minCount, maxCount or desiredCount" });
    if (min !== undefined && max !== undefined && min > max)
      problems.push({ propertyPath: `${at}.minCount`, reason: `is ${min}, above its maxCount ${max}` });
    if (desired !== undefined && ((min !== undefined && desired < min) || (max !== undefined && desired > max)))
      problems.push({ propertyPath: `${at}.desiredCount`, reason: `is ${desired}, outside its minCount-maxCount` });
  });
  return problems;
}

/** azCount against the AZ names given (or looked up for the region). Paths are relative to the network. */
export function azListProblems(net: Raw, at = "network."): Problem[] {
  const azs = typeof net.azCount === "number" ? net.azCount : defaultsOf(ownNetworkSchema).azCount;
  const zones = net.availabilityZones;
  if (!Array.isArray(zones)) return [];
  const problems: Problem[] = [];
  if (zones.length < azs)
    problems.push({
      propertyPath: `${at}azCount`,
      reason: `is ${azs} but only ${zones.length} AZs are available (${zones.join(", ")})`,
    });
  if (new Set(zones).size !== zones.length)
    problems.push({ propertyPath: `${at}availabilityZones`, reason: "lists an AZ twice" });
  return problems;
}

/** What RDS offers each edition. */
function sqlServerProblems(sql: Raw | undefined): Problem[] {
  if (!sql) return [];
  const problems: Problem[] = [];
  const defaults = defaultsOf(sqlServerSchema);
  const edition = (typeof sql.edition === "string" ? sql.edition : defaults.edition) as SqlServerEdition;
  if (sql.multiAz === true && edition === "express")
    problems.push({
      propertyPath: "sqlServer.multiAz",
      reason: "is not offered for the express edition (RDS runs Multi-AZ SQL Server on web, standard and enterprise)",
    });
  problems.push(...windowProblems(sql, defaults));
  const cls = typeof sql.instanceClass === "string" ? sql.instanceClass : defaults.instanceClass;
  const tooSmall = rules.dbClassBelowEdition(cls, edition);
  if (tooSmall) problems.push({ propertyPath: "sqlServer.instanceClass", reason: tooSmall });
  return problems;
}

/** The application's rules that need several fields (or the file system): where it comes from, batches. */
function appProblems(app: Raw | undefined, nodes: Raw | undefined): Problem[] {
  if (!app) return [];
  const problems: Problem[] = [];
  const at = (field: string, reason: string) => problems.push({ propertyPath: `app.${field}`, reason });
  const fromS3 = app.bucket !== undefined || app.key !== undefined;
  if (typeof app.path === "string" && fromS3) at("path", "give either path or bucket and key, not both");
  else if (app.path === undefined && !fromS3) at("path", "is required (or bucket and key of a build in S3)");
  else if (fromS3 && (app.bucket === undefined || app.key === undefined)) {
    at(app.bucket === undefined ? "bucket" : "key", "bucket and key go together");
  }
  if (app.versionId !== undefined && !fromS3) at("versionId", "applies only to a build in S3 (bucket and key)");
  if (app.uploadBucket !== undefined && app.path === undefined)
    at("uploadBucket", "applies only to path (the kit uploads nothing else)");
  if (typeof app.path === "string") for (const reason of artifactProblems(app.path)) at("path", reason);
  if (Array.isArray(app.validateStatuses) && app.validateStatuses.length > 0 && app.validatePath === undefined)
    at("validateStatuses", "applies only to validatePath (the health page must answer 200)");
  const count = typeof nodes?.count === "number" ? nodes.count : undefined;
  if (typeof app.nodesAtOnce === "number" && count !== undefined && count > 1 && app.nodesAtOnce >= count)
    at(
      "nodesAtOnce",
      `is ${app.nodesAtOnce} of ${count} nodes: a release would take every node out of service at once`,
    );
  for (const [plain, secret] of [
    ["settings", "secretSettings"],
    ["connectionStrings", "secretConnectionStrings"],
  ] as const) {
    const names = (field: string) =>
      Object.keys((app[field] as Record<string, unknown> | undefined) ?? {}).map((n) => n.toLowerCase());
    for (const name of names(secret).filter((n) => names(plain).includes(n)))
      at(`${secret}.${name}`, `is also in ${plain}: give each name once`);
  }
  return problems;
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEK = 7 * 1440;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** RDS's windows: each at least 30 minutes, and the weekly maintenance apart from the daily backup. */
function windowProblems(sql: Raw, defaults: Raw): Problem[] {
  const problems: Problem[] = [];
  const backup = String(sql.backupWindow ?? defaults.backupWindow);
  const maintenance = String(sql.maintenanceWindow ?? defaults.maintenanceWindow);
  const b = /^(\d\d:\d\d)-(\d\d:\d\d)$/.exec(backup);
  const m = /^(\w{3}):(\d\d:\d\d)-(\w{3}):(\d\d:\d\d)$/.exec(maintenance);
  if (!b || !m) return []; // the field's own rule reports it
  const [b1, b2] = [minutesOf(b[1]), minutesOf(b[2])];
  const backupLength = (b2 - b1 + 1440) % 1440;
  const m1 = DAYS.indexOf(m[1]) * 1440 + minutesOf(m[2]);
  const maintenanceLength = (DAYS.indexOf(m[3]) * 1440 + minutesOf(m[4]) - m1 + WEEK) % WEEK;
  if (backupLength < 30)
    problems.push({ propertyPath: "sqlServer.backupWindow", reason: "must last at least 30 minutes (RDS)" });
  if (maintenanceLength < 30)
    problems.push({ propertyPath: "sqlServer.maintenanceWindow", reason: "must last at least 30 minutes (RDS)" });
  // Does any day's backup window meet the maintenance window? Compare on the week's minutes.
  const meets = DAYS.some((_, day) => {
    const start = day * 1440 + b1;
    const overlap = (a: number, aLength: number, c: number, cLength: number) =>
      [0, WEEK, -WEEK].some((shift) => a + shift < c + cLength && c < a + shift + aLength);
    return overlap(start, backupLength, m1, maintenanceLength);
  });
  if (backupLength >= 30 && maintenanceLength >= 30 && meets)
    problems.push({
      propertyPath: "sqlServer.maintenanceWindow",
      reason: `overlaps the backup window ${backup} (RDS requires them apart)`,
    });
  return problems;
}
