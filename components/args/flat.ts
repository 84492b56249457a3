// The 0.1 flat arguments, kept for one minor version (removed in 0.3): each is moved to its place
// in the grouped arguments, with a warning naming that place once per process; the flat and the
// grouped spelling of one setting both given is a problem. docs/UPGRADE.md lists the same table.
import * as pulumi from "@pulumi/pulumi";
import { Problem } from "./problems";

/** Each 0.1 flat argument and its place in the grouped arguments (sessionStore: see below). */
export const FLAT_ARGUMENTS = {
  nodeCount: "nodes.count",
  nodeMode: "nodes.mode",
  maxNodeCount: "nodes.maxCount",
  webInstanceType: "nodes.instanceType",
  vpcCidr: "network.vpcCidr",
  azCount: "network.azCount",
  natPerAz: "network.natPerAz",
  availabilityZones: "network.availabilityZones",
  vpcId: "existingNetwork.vpcId",
  publicSubnetIds: "existingNetwork.publicSubnetIds",
  privateSubnetIds: "existingNetwork.privateSubnetIds",
  allowedCidrs: "loadBalancer.allowedCidrs",
  certificateArn: "loadBalancer.certificateArn",
  healthCheckPath: "loadBalancer.healthCheckPath",
  accessLogs: "loadBalancer.accessLogs",
  statePort: "stateServer.port",
  stateInstanceType: "stateServer.instanceType",
  protectStateServer: "stateServer.protect",
  amiId: "image.amiId",
  stateAmiId: "image.stateAmiId",
  validation: "machineKey.validation",
  machineKeyVersion: "machineKey.version",
  keyParameterName: "machineKey.parameterName",
  logRetentionDays: "observability.logRetentionDays",
  alarmTopicArn: "observability.alarmTopicArn",
} as const;
export type FlatArgument = keyof typeof FLAT_ARGUMENTS | "sessionStore";

/** sessionStore's place: the store is chosen by the group given. */
export const SESSION_STORE_PLACE =
  "stateServer or sqlServer (the group given chooses the store; sqlServer: {} for SQL Server with its defaults)";

/** Where a flat argument now lives, in words (warnings, docs/UPGRADE.md). */
export const newPlaceOf = (flat: FlatArgument) =>
  flat === "sessionStore" ? SESSION_STORE_PLACE : FLAT_ARGUMENTS[flat];

const warned = new Set<string>();
/** Forgets which settings were warned about (tests only: the warning is once per process). */
export const forgetWarnings = () => warned.clear();
/** Logs once per process that `setting` (of `what`) is the 0.1 spelling, naming its new place. */
export function warnOnce(setting: string, message: string): void {
  if (warned.has(setting)) return;
  warned.add(setting);
  void pulumi.log.warn(message);
}

export interface Regrouped {
  /** The arguments in their grouped spelling. */
  args: Record<string, unknown>;
  /** Both spellings of one setting given, or an unknown sessionStore. */
  problems: Problem[];
  /** The settings given in the flat spelling (nodes.mode -> nodeMode): their problems are reported so. */
  spelledFlat: Map<string, string>;
  /** The groups built from flat arguments only. */
  flatGroups: Set<string>;
  /** How the user named a group given only in 0.1 spellings: existingNetwork as vpcId, sqlServer as sessionStore. */
  groupSpelling: Map<string, string>;
}

const isGroup = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The 0.1 flat arguments moved into their groups (a copy; the input is not changed). A flat
 * argument given with its grouped spelling is a problem naming both, and the flat one is dropped.
 */
export function regroupFlatArguments(raw: Record<string, unknown>): Regrouped {
  const args: Record<string, unknown> = { ...raw };
  const problems: Problem[] = [];
  const flatGroups = new Set<string>();
  const spelledFlat = new Map<string, string>();
  const groupSpelling = new Map<string, string>();
  for (const [flat, place] of Object.entries(FLAT_ARGUMENTS)) {
    delete args[flat];
    if (raw[flat] === undefined) continue;
    warnOnce(flat, `WebFarm argument ${flat} is the 0.1 spelling: use ${place} (docs/UPGRADE.md); it goes in 0.3`);
    const [group, child] = place.split(".");
    const given = raw[group];
    if (isGroup(given) && given[child] !== undefined) {
      problems.push({
        propertyPath: flat,
        reason: `is the 0.1 spelling of ${place}, which is given too: give ${place} only`,
      });
      continue;
    }
    if (given !== undefined && !isGroup(given)) continue; // the schema reports the group itself
    if (given === undefined) flatGroups.add(group);
    spelledFlat.set(place, flat);
    if (flatGroups.has(group)) groupSpelling.set(group, [groupSpelling.get(group), flat].filter(Boolean).join(", "));
    args[group] = { ...(args[group] as object | undefined), [child]: raw[flat] };
  }
  if (raw.sessionStore !== undefined) {
    delete args.sessionStore;
    warnOnce(
      "sessionStore",
      `WebFarm argument sessionStore is the 0.1 spelling: use ${SESSION_STORE_PLACE} (docs/UPGRADE.md); it goes in 0.3`,
    );
    if (raw.sessionStore === "sqlServer") {
      if (args.sqlServer === undefined) groupSpelling.set("sqlServer", 'sessionStore "sqlServer"');
      args.sqlServer ??= {};
      // 0.1 accepted protectStateServer: false beside SQL Server (it is the default): still so.
      const state = args.stateServer as Record<string, unknown> | undefined;
      if (flatGroups.has("stateServer") && state?.protect === false) {
        delete state.protect;
        if (Object.keys(state).length === 0) delete args.stateServer;
      }
    } else if (raw.sessionStore === "stateServer") {
      if (raw.sqlServer !== undefined)
        problems.push({ propertyPath: "sqlServer", reason: 'applies only with sessionStore "sqlServer"' });
      else args.stateServer ??= {};
    } else {
      problems.push({
        propertyPath: "sessionStore",
        reason: `must be one of stateServer, sqlServer; got ${JSON.stringify(raw.sessionStore)}`,
      });
    }
  }
  return { args, problems, spelledFlat, flatGroups, groupSpelling };
}

const FLAT_OF = new Map<string, string>(Object.entries(FLAT_ARGUMENTS).map(([flat, place]) => [place, flat]));

/**
 * A problem in the spelling the user wrote, setting by setting: nodes.mode as nodeMode when nodeMode
 * was given, in its path and in its reason ("is 2, below nodeCount 3"); a group given only in 0.1
 * spellings as the user gave it, in a reason ("but vpcId is given too"). Only camelCase group names
 * are replaced in reasons: "network" or "nodes" there may be plain words.
 */
export function inUsersSpelling(
  problem: Problem,
  { spelledFlat, flatGroups, groupSpelling }: Omit<Regrouped, "args" | "problems">,
): Problem {
  if (spelledFlat.size === 0 && groupSpelling.size === 0) return problem;
  const m = /^((\w+)\.\w+)(.*)$/.exec(problem.propertyPath);
  // A setting not given, in a group given only flat (vpcId without publicSubnetIds): its flat name too.
  const flat = m ? (spelledFlat.get(m[1]) ?? (flatGroups.has(m[2]) ? FLAT_OF.get(m[1]) : undefined)) : undefined;
  let reason = problem.reason.replace(/\b(\w+\.\w+)\b/g, (place) => spelledFlat.get(place) ?? place);
  for (const [group, named] of groupSpelling)
    if (/[A-Z]/.test(group)) reason = reason.replace(new RegExp(`(?<!")\\b${group}\\b(?![."])`, "g"), named);
  return { propertyPath: flat ? flat + m![3] : problem.propertyPath, reason };
}
