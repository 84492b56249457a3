// WebFarmArgs: the component's public input, its defaults, and the one validation step that
// reports every problem at once before anything is registered.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { isNetworkAddress, isPrivateBlock, MAX_AZS, parseIpv4Cidr, SMALLEST_VPC_PREFIX } from "./cidr";
import { ROLE_TAG } from "./tags";
import { VALIDATION_ALGORITHMS, ValidationAlgorithm } from "./windows/values";

export const MAX_NODES = 200;
export const NODE_MODES = ["instances", "autoscaling"] as const;
export type NodeMode = (typeof NODE_MODES)[number];
export const DEFAULT_STATE_PORT = 42424;
export const DEFAULT_HEALTH_CHECK_PATH = "/health.aspx";
/** ALB and target group names are limited to 32 characters; Pulumi appends "-" and 7 characters. */
export const AWS_LB_NAME_LIMIT = 32;
export const PULUMI_SUFFIX_LENGTH = 8;
/** The longest child name derived from the farm's, the target group's: `${name}-lb-tg`. */
export const LONGEST_LB_CHILD_SUFFIX = "-lb-tg";
export const MAX_FARM_NAME_LENGTH = AWS_LB_NAME_LIMIT - PULUMI_SUFFIX_LENGTH - LONGEST_LB_CHILD_SUFFIX.length;

export interface WebFarmArgs {
  /** How many Windows/IIS web nodes (1-200). */
  nodeCount: number;

  /** Own network: the VPC's CIDR (private, /16 to /23). Default 10.0.0.0/16. */
  vpcCidr?: string;
  /** Own network: how many AZs (2-8), each with a public and a private subnet. Default 2. */
  azCount?: number;
  /** Own network: one NAT gateway per AZ instead of one for the farm. Default false. */
  natPerAz?: boolean;
  /** Own network: AZ names to use, in order. Default: the region's first `azCount` AZs. */
  availabilityZones?: string[];

  /** Bring your own network: the VPC and its subnets (at least two of each, in different AZs). */
  vpcId?: pulumi.Input<string>;
  publicSubnetIds?: pulumi.Input<string>[];
  privateSubnetIds?: pulumi.Input<string>[];

  /** Who may reach the load balancer. Default ["0.0.0.0/0"] (the internet). */
  allowedCidrs?: string[];
  /** An ACM certificate ARN: adds HTTPS on 443 and turns port 80 into a redirect. */
  certificateArn?: string;
  /** The load balancer's health check path, served session-free on every node. Default /health.aspx. */
  healthCheckPath?: string;

  /** Default t3.medium. */
  webInstanceType?: string;
  /** Default t3.medium. */
  stateInstanceType?: string;
  /** Pin the Windows Server 2022 image; default resolves Amazon's latest once, then keeps it. */
  amiId?: string;

  /** The ASP.NET State Service port. Default 42424. */
  statePort?: number;
  /** Session timeout in minutes. Default 20. */
  sessionTimeoutMinutes?: number;
  /** Refuse to delete or replace the state server without an explicit step. Default false. */
  protectStateServer?: boolean;
  /** AWS-side protection: load balancer deletion protection and state server termination protection. Default false. */
  deletionProtection?: boolean;

  /** "instances" (default): nodeCount separate instances; "autoscaling": a launch template and an Auto Scaling group. */
  nodeMode?: NodeMode;
  /** Auto Scaling mode: the group's maximum (default: nodeCount). Its minimum and desired size are nodeCount. */
  maxNodeCount?: number;
  /** Write the load balancer's access logs to an encrypted, private S3 bucket. Default false. */
  accessLogs?: boolean;
  /** An SNS topic ARN that the farm's alarms notify. */
  alarmTopicArn?: string;

  /** machineKey validation algorithm. Default HMACSHA256. */
  validation?: ValidationAlgorithm;
  /** Change it to rotate the machine key (and replace the nodes). Default "1". */
  machineKeyVersion?: string;
  /** Override the SSM parameter that holds the key. Default /<project>/<stack>/<farm>/machine-key. */
  keyParameterName?: string;

  /** Added to every taggable resource. */
  tags?: Record<string, string>;
}

export interface ResolvedOwnNetwork {
  kind: "own";
  vpcCidr: string;
  azCount: number;
  natPerAz: boolean;
  availabilityZones?: string[];
}
export interface ResolvedExistingNetwork {
  kind: "existing";
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  privateSubnetIds: pulumi.Input<string>[];
}

/** WebFarmArgs after validation, with every default filled in. */
export interface ResolvedWebFarmArgs {
  nodeCount: number;
  network: ResolvedOwnNetwork | ResolvedExistingNetwork;
  allowedCidrs: string[];
  certificateArn?: string;
  healthCheckPath: string;
  webInstanceType: string;
  stateInstanceType: string;
  amiId?: string;
  statePort: number;
  sessionTimeoutMinutes: number;
  protectStateServer: boolean;
  deletionProtection: boolean;
  nodeMode: NodeMode;
  maxNodeCount: number;
  accessLogs: boolean;
  alarmTopicArn?: string;
  validation: ValidationAlgorithm;
  machineKeyVersion: string;
  keyParameterName?: string;
  tags: Record<string, string>;
}

export interface Problem {
  propertyPath: string;
  reason: string;
}

const isInputObject = (v: unknown) => pulumi.Output.isInstance(v) || v instanceof Promise;

/** A resource id: a literal with the given prefix, or an Output/Promise resolved later. */
const resourceId = (prefix: string) =>
  z.custom<pulumi.Input<string>>(
    (v) => (typeof v === "string" ? new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(v) : isInputObject(v)),
    { error: `must be a ${prefix}-… id (or an Output of one)` },
  );

const cidrText = z.string({ error: "must be an IPv4 CIDR such as 10.0.0.0/16" }).superRefine((v, ctx) => {
  const cidr = parseIpv4Cidr(v);
  if (!cidr) ctx.addIssue({ code: "custom", message: "must be an IPv4 CIDR such as 10.0.0.0/16" });
  else if (!isNetworkAddress(cidr)) ctx.addIssue({ code: "custom", message: "has host bits set: use the network address" });
});

const instanceType = z
  .string({ error: "must be an EC2 instance type name such as t3.medium" })
  .regex(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, { error: "must be an EC2 instance type name such as t3.medium" })
  // Graviton families (t4g, m6g, c7gn, ...) cannot run Windows.
  .refine((v) => !/^[a-z]+\d+g/.test(v), { error: "is an Arm (Graviton) type; Windows needs x86_64 (e.g. t3.medium)" });

const tagKey = z
  .string()
  .min(1, { error: "tag keys must be 1-128 characters" })
  .max(128, { error: "tag keys must be 1-128 characters" })
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, { error: "tag keys may use letters, digits, spaces and _ . : / = + - @" })
  .refine((k) => !k.toLowerCase().startsWith("aws:"), { error: "the aws: prefix is reserved for AWS" })
  .refine((k) => k !== "Name" && k !== ROLE_TAG, { error: `Name and ${ROLE_TAG} are set by the farm` });

const tagValue = z
  .string({ error: "tag values must be strings" })
  .max(256, { error: "tag values must be at most 256 characters" })
  .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, { error: "tag values may use letters, digits, spaces and _ . : / = + - @" });

/** AWS allows 50 tags per resource; the farm adds Name and webfarm:role. */
export const MAX_CALLER_TAGS = 48;

const argsSchema = z.strictObject({
  nodeCount: z
    .number({ error: `must be a whole number 1-${MAX_NODES}` })
    .int({ error: `must be a whole number 1-${MAX_NODES}` })
    .min(1, { error: `must be a whole number 1-${MAX_NODES}` })
    .max(MAX_NODES, { error: `must be a whole number 1-${MAX_NODES}` }),
  vpcCidr: cidrText
    .refine((v) => { const c = parseIpv4Cidr(v); return !c || isPrivateBlock(c); }, { error: "must lie in private space (10/8, 172.16/12, 192.168/16)" })
    .refine((v) => { const c = parseIpv4Cidr(v); return !c || c.prefix >= 16; }, { error: "AWS allows VPC prefixes /16 and smaller" })
    .refine((v) => { const c = parseIpv4Cidr(v); return !c || c.prefix <= SMALLEST_VPC_PREFIX; }, { error: `is too small for the farm's subnets: use /16 to /${SMALLEST_VPC_PREFIX}` })
    .optional(),
  azCount: z
    .number({ error: `must be a whole number 2-${MAX_AZS}` })
    .int({ error: `must be a whole number 2-${MAX_AZS}` })
    .min(2, { error: `must be at least 2: the load balancer needs two AZs` })
    .max(MAX_AZS, { error: `must be at most ${MAX_AZS}` })
    .optional(),
  natPerAz: z.boolean({ error: "must be true or false" }).optional(),
  availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { error: "must be an AZ name such as eu-west-1a" }), { error: "must be a list of AZ names" }).optional(),
  vpcId: resourceId("vpc").optional(),
  publicSubnetIds: z.array(resourceId("subnet"), { error: "must be a list of subnet ids" }).optional(),
  privateSubnetIds: z.array(resourceId("subnet"), { error: "must be a list of subnet ids" }).optional(),
  allowedCidrs: z.array(cidrText, { error: "must be a list of IPv4 CIDRs" }).min(1, { error: "must name at least one CIDR (use 0.0.0.0/0 for the internet)" }).optional(),
  certificateArn: z
    .string({ error: "must be an ACM certificate ARN" })
    .regex(/^arn:aws(-cn|-us-gov)?:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f-]{36}$/, {
      error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)",
    })
    .optional(),
  healthCheckPath: z
    .string({ error: "must be a path such as /health.aspx" })
    .regex(/^\/[A-Za-z0-9._\-/]{0,1023}$/, { error: "must be an absolute path of letters, digits, . - _ / (e.g. /health.aspx)" })
    .refine((v) => !v.endsWith("/"), { error: "must name a file (e.g. /health.aspx), not a folder" })
    .optional(),
  webInstanceType: instanceType.optional(),
  stateInstanceType: instanceType.optional(),
  amiId: z.string({ error: "must be an AMI id (ami-…)" }).regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, { error: "must be an AMI id (ami- and 8 or 17 hex digits)" }).optional(),
  statePort: z
    .number({ error: "must be a whole number 1-65535" })
    .int({ error: "must be a whole number 1-65535" })
    .min(1, { error: "must be a whole number 1-65535" })
    .max(65535, { error: "must be a whole number 1-65535" })
    .refine((p) => p !== 80 && p !== 443, { error: "must differ from the web ports 80 and 443" })
    .optional(),
  sessionTimeoutMinutes: z.number({ error: "must be whole minutes 1-525600" }).int({ error: "must be whole minutes 1-525600" }).min(1, { error: "must be whole minutes 1-525600" }).max(525600, { error: "must be whole minutes 1-525600" }).optional(),
  protectStateServer: z.boolean({ error: "must be true or false" }).optional(),
  deletionProtection: z.boolean({ error: "must be true or false" }).optional(),
  nodeMode: z.enum(NODE_MODES, { error: `must be one of ${NODE_MODES.join(", ")}` }).optional(),
  maxNodeCount: z
    .number({ error: `must be a whole number 1-${MAX_NODES}` })
    .int({ error: `must be a whole number 1-${MAX_NODES}` })
    .min(1, { error: `must be a whole number 1-${MAX_NODES}` })
    .max(MAX_NODES, { error: `must be a whole number 1-${MAX_NODES}` })
    .optional(),
  accessLogs: z.boolean({ error: "must be true or false" }).optional(),
  alarmTopicArn: z
    .string({ error: "must be an SNS topic ARN" })
    .regex(/^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/, { error: "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)" })
    .optional(),
  validation: z.enum(VALIDATION_ALGORITHMS, { error: `must be one of ${VALIDATION_ALGORITHMS.join(", ")}` }).optional(),
  machineKeyVersion: z
    .string({ error: "must be a simple token such as 1 or 2026-11" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "must be a simple token (1-64 letters, digits, . _ -), such as 1 or 2026-11" })
    .optional(),
  keyParameterName: z
    .string({ error: "must be an SSM parameter path" })
    .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, { error: "must be an SSM parameter path: /, then letters, digits, . _ - /" })
    .refine((v) => !/^\/(aws|ssm)/i.test(v), { error: "must not start with /aws or /ssm (reserved)" })
    .optional(),
  tags: z
    .record(tagKey, tagValue, { error: "must be a map of strings" })
    .refine((t) => Object.keys(t).length <= MAX_CALLER_TAGS, { error: `at most ${MAX_CALLER_TAGS} tags (AWS allows 50; the farm adds 2)` })
    .optional(),
});

/** Checks that need several fields at once. Runs on the raw input, so it reports alongside field errors. */
function crossFieldProblems(name: string, a: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const byo = ["vpcId", "publicSubnetIds", "privateSubnetIds"].filter((k) => a[k] !== undefined);
  const own = ["vpcCidr", "azCount", "natPerAz", "availabilityZones"].filter((k) => a[k] !== undefined);
  if (byo.length > 0) {
    for (const k of ["vpcId", "publicSubnetIds", "privateSubnetIds"]) {
      if (a[k] === undefined) problems.push({ propertyPath: k, reason: "is required when bringing your own network (vpcId, publicSubnetIds and privateSubnetIds go together)" });
    }
    for (const k of own) {
      problems.push({ propertyPath: k, reason: "applies only to the farm's own network; it cannot be combined with vpcId/subnet ids" });
    }
    for (const k of ["publicSubnetIds", "privateSubnetIds"]) {
      const list = a[k];
      if (Array.isArray(list)) {
        if (list.length < 2) problems.push({ propertyPath: k, reason: "needs at least two subnets in different AZs (the load balancer requires two AZs)" });
        const literals = list.filter((v) => typeof v === "string");
        if (new Set(literals).size !== literals.length) problems.push({ propertyPath: k, reason: "lists a subnet twice" });
      }
    }
    const pub = a.publicSubnetIds, priv = a.privateSubnetIds;
    if (Array.isArray(pub) && Array.isArray(priv) && pub.length >= 2 && priv.length >= 2 && pub.length !== priv.length) {
      problems.push({ propertyPath: "privateSubnetIds", reason: `has ${priv.length} subnets but publicSubnetIds has ${pub.length}: give one public and one private subnet per AZ` });
    }
  }
  if (typeof a.maxNodeCount === "number" && typeof a.nodeCount === "number") {
    if (a.nodeMode !== "autoscaling") problems.push({ propertyPath: "maxNodeCount", reason: `applies only with nodeMode "autoscaling"` });
    else if (a.maxNodeCount < a.nodeCount) problems.push({ propertyPath: "maxNodeCount", reason: `is ${a.maxNodeCount}, below nodeCount ${a.nodeCount}` });
  }
  const azCount = typeof a.azCount === "number" ? a.azCount : 2;
  if (Array.isArray(a.availabilityZones)) {
    if (a.availabilityZones.length < azCount) {
      problems.push({ propertyPath: "azCount", reason: `is ${azCount} but only ${a.availabilityZones.length} AZs are available (${a.availabilityZones.join(", ")})` });
    }
    if (new Set(a.availabilityZones).size !== a.availabilityZones.length) {
      problems.push({ propertyPath: "availabilityZones", reason: "lists an AZ twice" });
    }
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    problems.push({ propertyPath: "name", reason: `"${name}" must be letters, digits and inner hyphens (it prefixes AWS resource names)` });
  } else if (name.length > MAX_FARM_NAME_LENGTH) {
    problems.push({
      propertyPath: "name",
      reason: `"${name}" is ${name.length} characters; at most ${MAX_FARM_NAME_LENGTH}, so the target group name (${name}${LONGEST_LB_CHILD_SUFFIX} plus Pulumi's ${PULUMI_SUFFIX_LENGTH}-character suffix) fits AWS's ${AWS_LB_NAME_LIMIT}`,
    });
  } else if (/^internal-/i.test(name)) {
    problems.push({ propertyPath: "name", reason: "must not start with internal- (AWS reserves it for load balancer names)" });
  }
  return problems;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  if (pulumi.Output.isInstance(v) || v instanceof Promise) return "an Output";
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "");
}

/** Every problem with a farm's name and args (empty when they are fine). Exported for testing. */
export function webFarmArgProblems(name: string, args: unknown): Problem[] {
  if (args === null || typeof args !== "object") return [{ propertyPath: "args", reason: "must be an object with at least nodeCount" }];
  const parsed = argsSchema.safeParse(args);
  const problems: Problem[] = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => {
        if (issue.code === "unrecognized_keys") {
          return issue.keys.map((k) => ({ propertyPath: formatPath([...issue.path, k]), reason: "is not a WebFarm argument (check the spelling)" }));
        }
        const path = issue.path as PropertyKey[];
        return [{ propertyPath: formatPath(path) || "args", reason: `${issue.message}; got ${describeValue(valueAt(args, path))}` }];
      });
  return [...problems, ...crossFieldProblems(name, args as Record<string, unknown>)];
}

/** The one error a user sees: every problem, one per line. */
export function farmConfigError(subject: string, problems: Problem[]): pulumi.InputPropertiesError {
  const lines = problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
  return new pulumi.InputPropertiesError({
    message: `${subject} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was created:\n${lines.join("\n")}`,
    errors: problems,
  });
}

/** Validates and fills in defaults; throws one InputPropertiesError naming every problem. */
export function validateWebFarmArgs(name: string, args: WebFarmArgs): ResolvedWebFarmArgs {
  const problems = webFarmArgProblems(name, args);
  if (problems.length > 0) throw farmConfigError(`WebFarm "${name}"`, problems);
  const network: ResolvedWebFarmArgs["network"] =
    args.vpcId !== undefined
      ? { kind: "existing", vpcId: args.vpcId, publicSubnetIds: args.publicSubnetIds!, privateSubnetIds: args.privateSubnetIds! }
      : {
          kind: "own",
          vpcCidr: args.vpcCidr ?? "10.0.0.0/16",
          azCount: args.azCount ?? 2,
          natPerAz: args.natPerAz ?? false,
          availabilityZones: args.availabilityZones,
        };
  return {
    nodeCount: args.nodeCount,
    network,
    allowedCidrs: args.allowedCidrs ?? ["0.0.0.0/0"],
    certificateArn: args.certificateArn,
    healthCheckPath: args.healthCheckPath ?? DEFAULT_HEALTH_CHECK_PATH,
    webInstanceType: args.webInstanceType ?? "t3.medium",
    stateInstanceType: args.stateInstanceType ?? "t3.medium",
    amiId: args.amiId,
    statePort: args.statePort ?? DEFAULT_STATE_PORT,
    sessionTimeoutMinutes: args.sessionTimeoutMinutes ?? 20,
    protectStateServer: args.protectStateServer ?? false,
    deletionProtection: args.deletionProtection ?? false,
    nodeMode: args.nodeMode ?? "instances",
    maxNodeCount: args.maxNodeCount ?? args.nodeCount,
    accessLogs: args.accessLogs ?? false,
    alarmTopicArn: args.alarmTopicArn,
    validation: args.validation ?? "HMACSHA256",
    machineKeyVersion: args.machineKeyVersion ?? "1",
    keyParameterName: args.keyParameterName,
    tags: args.tags ?? {},
  };
}
