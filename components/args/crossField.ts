// The rules that need several arguments at once. They run on the raw (grouped) input, so they are
// reported alongside the schema's field problems, all in one error.
import { artifactProblems } from "../releases/artifact";
import * as rules from "./rules";
import { SqlServerEdition } from "./constants";
import { farmNameProblems, Problem } from "./problems";
import { defaultsOf, ownNetworkSchema, sqlServerSchema } from "./schema";

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

function nodesProblems(nodes: Raw | undefined): Problem[] {
  if (!nodes || typeof nodes.maxCount !== "number" || typeof nodes.count !== "number") return [];
  if (nodes.mode !== "autoscaling")
    return [{ propertyPath: "nodes.maxCount", reason: `applies only with nodes.mode "autoscaling"` }];
  if (nodes.maxCount < nodes.count)
    return [{ propertyPath: "nodes.maxCount", reason: `is ${nodes.maxCount}, below nodes.count ${nodes.count}` }];
  return [];
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
  if (sql.multiAz === true && (edition === "express" || edition === "web"))
    problems.push({
      propertyPath: "sqlServer.multiAz",
      reason: `is not offered for the ${edition} edition (RDS runs Multi-AZ SQL Server on standard and enterprise)`,
    });
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
