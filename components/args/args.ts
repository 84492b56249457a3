// WebFarmArgs: the component's public input. One schema (below) holds every rule and default; the
// resolved type is derived from it, and the stack config and its documentation are generated from
// it and from the doc comments here (tools/scripts/config-docs.ts; a test keeps them in step).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { MAX_AZS, parseIpv4Cidr, isPrivateBlock, SMALLEST_VPC_PREFIX } from "../network/cidr";
import * as rules from "./rules";
import { artifactProblems } from "../releases/artifact";
import { settingName, settingValue } from "../releases/windows/hooks";
import { validationAlgorithm } from "../windows/values";

export const MAX_NODES = 200;
export const NODE_MODES = ["instances", "autoscaling"] as const;
export const SESSION_STORES = ["stateServer", "sqlServer"] as const;
export type SessionStore = (typeof SESSION_STORES)[number];
export type NodeMode = (typeof NODE_MODES)[number];
export const DEFAULT_STATE_PORT = 42424;
export const DEFAULT_HEALTH_CHECK_PATH = "/health.aspx";
/** ALB and target group names are limited to 32 characters; Pulumi appends "-" and 7 characters. */
export const AWS_LB_NAME_LIMIT = 32;
export const PULUMI_SUFFIX_LENGTH = 8;
/** The longest child name derived from the farm's, the target group's: `${name}-lb-tg`. */
export const LONGEST_LB_CHILD_SUFFIX = "-lb-tg";
export const MAX_FARM_NAME_LENGTH = AWS_LB_NAME_LIMIT - PULUMI_SUFFIX_LENGTH - LONGEST_LB_CHILD_SUFFIX.length;
// Caps on what reaches the nodes' user data, so every user data document stays within the kit's
// budget (12 KB, 75% of EC2's 16 KB) at the longest values allowed (test/windows/userData.test.ts).
/** healthCheckPath: the load balancer would take 1024 characters; the node writes the page at boot. */
export const MAX_HEALTH_CHECK_PATH_LENGTH = 256;
/** keyParameterName: SSM would take 1011; the default at the longest project, stack and farm is 233. */
export const MAX_KEY_PARAMETER_NAME_LENGTH = 256;
/**
 * Project and stack names reach user data through the names of the farm's SSM parameters and
 * secret (names.ts). Pulumi allows 100 characters for each (pulumi/pulumi: "project names are
 * limited to 100 characters", "stack names are limited to 100 characters"); the stack name is also
 * one part of the farm's CloudWatch namespace, which the kit takes as a 1-64 character token.
 */
export const MAX_PROJECT_NAME_LENGTH = 100;
export const MAX_STACK_NAME_LENGTH = 64;

/**
 * The arguments of a WebFarm. Every argument a program may compute from another resource is a
 * `pulumi.Input`: a literal is validated before anything is registered, an Output when its value
 * is known (during `pulumi up`; a preview cannot see it). Types are plain interfaces of inputs, so
 * the component can be served to every Pulumi language (no union types).
 */
export interface WebFarmArgs {
  /** How many Windows/IIS web nodes (1-200); in Auto Scaling mode the group's minimum and desired size. */
  nodeCount: number;

  /**
   * Own network: the VPC's CIDR (private range, /16 to /23).
   * @default "10.0.0.0/16"
   */
  vpcCidr?: string;
  /**
   * Own network: how many availability zones (2-8), each with a public and a private subnet.
   * @default 2
   */
  azCount?: number;
  /**
   * Own network: one NAT gateway per AZ (resilient) instead of one for the farm (cheaper).
   * @default false
   */
  natPerAz?: boolean;
  /**
   * Own network: the AZ names to use, in order.
   * @default the region's first `azCount` AZs
   */
  availabilityZones?: string[];

  /**
   * Bring your own network: an existing VPC id (with publicSubnetIds and privateSubnetIds; not with vpcCidr, azCount or natPerAz).
   * @default none: the farm builds its own VPC
   */
  vpcId?: pulumi.Input<string>;
  /**
   * Bring your own network: public subnets for the load balancer, one per AZ (at least two).
   * @default none
   */
  publicSubnetIds?: pulumi.Input<string>[];
  /**
   * Bring your own network: private subnets (with NAT) for the nodes and the state server, one per AZ, in the same AZs as the public ones.
   * @default none
   */
  privateSubnetIds?: pulumi.Input<string>[];

  /**
   * IPv4 CIDRs allowed to reach the load balancer. Literal CIDRs get one rule each; a list that holds an Output goes into a managed prefix list.
   * @default ["0.0.0.0/0"]
   */
  allowedCidrs?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * An ACM certificate ARN: adds HTTPS on 443 (TLS 1.3/1.2 policy) and turns port 80 into a redirect.
   * @default none: HTTP only
   */
  certificateArn?: pulumi.Input<string>;
  /**
   * The load balancer's health check path, served without a session on every node (at most 256 characters).
   * @default "/health.aspx"
   */
  healthCheckPath?: string;

  /**
   * EC2 instance type of the web nodes (x86_64; Graviton types cannot run Windows).
   * @default "t3.medium"
   */
  webInstanceType?: string;
  /**
   * EC2 instance type of the ASP.NET state server (x86_64).
   * @default "t3.medium"
   */
  stateInstanceType?: string;
  /**
   * The web nodes' Windows Server 2022 image: an AMI id, or a FarmImage's imageId (nodes then serve in minutes). A changed id replaces the nodes, new ones serving before old ones go. Without it, Amazon's latest is resolved once and kept on existing nodes.
   * @default none: Amazon's latest Windows Server 2022
   */
  amiId?: pulumi.Input<string>;
  /**
   * The state server's image, apart from the nodes' so a new farm image never replaces it (every session would be lost). Without it, Amazon's latest is resolved once and kept.
   * @default none: Amazon's latest Windows Server 2022
   */
  stateAmiId?: pulumi.Input<string>;

  /**
   * TCP port of the ASP.NET State Service.
   * @default 42424
   */
  statePort?: number;
  /**
   * Session timeout in minutes (1-525600).
   * @default 20
   */
  sessionTimeoutMinutes?: number;
  /**
   * Refuse to delete or replace the state server without an explicit step (Pulumi `protect`; on in prod).
   * @default false
   */
  protectStateServer?: boolean;
  /**
   * AWS-side protection: load balancer deletion protection and state server termination protection (on in prod).
   * @default false
   */
  deletionProtection?: boolean;

  /**
   * Where sessions live: "stateServer" (the ASP.NET State Service on one instance; sessions are lost when it fails) or "sqlServer" (SQL Server session state on Amazon RDS; sessions survive a node, an AZ with Multi-AZ, and the store's restart).
   * @default "stateServer"
   */
  sessionStore?: string;
  /**
   * sessionStore "sqlServer": the RDS for SQL Server instance that keeps the sessions.
   * @default Express edition on db.t3.small, single-AZ, 20 GB, 7 days of backups
   */
  sqlServer?: SqlServerArgs;
  /**
   * "instances": nodeCount separate EC2 instances; "autoscaling": a launch template and an Auto Scaling group.
   * @default "instances"
   */
  nodeMode?: string;
  /**
   * `pulumi up` starts each release and waits for it, and in instances mode waits for each new node to serve: Node.js dynamic resources, for TypeScript programs. Programs in other languages (the component package) turn it off: releases then start from the releaseCommand output, and nodeMode "autoscaling" keeps changes without an outage.
   * @default true
   */
  waitForDeployments?: boolean;
  /**
   * Auto Scaling mode: the group's maximum size (at least nodeCount).
   * @default nodeCount
   */
  maxNodeCount?: number;
  /**
   * Write the load balancer's access logs to an encrypted, private S3 bucket (on in prod).
   * @default false
   */
  accessLogs?: boolean;
  /**
   * How long the farm's CloudWatch Logs (boot and release logs, IIS, Windows event logs) are kept, in days (one of CloudWatch's periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...).
   * @default 30
   */
  logRetentionDays?: number;
  /**
   * An SNS topic ARN the farm's alarms notify.
   * @default none: alarms only show in CloudWatch
   */
  alarmTopicArn?: pulumi.Input<string>;

  /**
   * machineKey validation algorithm: HMACSHA256, HMACSHA384, HMACSHA512 or SHA1.
   * @default "HMACSHA256"
   */
  validation?: string;
  /**
   * Change it to rotate the machine key on purpose (new keys; every web node is replaced).
   * @default "1"
   */
  machineKeyVersion?: string;
  /**
   * The SSM parameter that holds the machine key (at most 256 characters).
   * @default "/<project>/<stack>/<farm>/machine-key"
   */
  keyParameterName?: string;

  /**
   * Tags for every taggable resource (no `aws:` prefix; `Name` and `webfarm:role` are set by the farm).
   * @default {}
   */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;

  /**
   * The team's ASP.NET application, released to every node through AWS CodeDeploy.
   * @default none: the nodes serve an empty site and the health page
   */
  app?: AppArgs;
}

/** The SQL Server session store (sessionStore "sqlServer"): Amazon RDS for SQL Server. */
export interface SqlServerArgs {
  /**
   * RDS for SQL Server edition: "express" (free licence, 10 GB per database, no Multi-AZ), "web" (no Multi-AZ), "standard" or "enterprise".
   * @default "express"
   */
  edition?: string;
  /**
   * RDS instance class, at least the edition's smallest (express: db.t3.micro; web: db.t3.small; standard and enterprise: db.t3.xlarge or a large m/r class).
   * @default "db.t3.small"
   */
  instanceClass?: string;
  /**
   * A standby in a second AZ that RDS fails over to (standard and enterprise only).
   * @default false
   */
  multiAz?: boolean;
  /**
   * Storage in GB (20-16384), encrypted.
   * @default 20
   */
  storageGb?: number;
  /**
   * Days of automated backups (1-35).
   * @default 7
   */
  backupRetentionDays?: number;
}

/**
 * The application: a published site from this machine (`path`) or from S3 (`bucket` and `key`),
 * with its settings. A new build is a new release: CodeDeploy takes the nodes out of the load
 * balancer a few at a time, installs, validates and puts them back, and rolls back on failure.
 */
export interface AppArgs {
  /**
   * A published site on this machine: a folder (or .zip) holding web.config and/or bin/, as "Publish to folder" or msbuild /p:DeployOnBuild=true writes it. The kit uploads it.
   * @default none: give bucket and key instead
   */
  path?: string;
  /**
   * The S3 bucket of a build your CI uploaded (a .zip of the published site), with key.
   * @default none: give path instead
   */
  bucket?: pulumi.Input<string>;
  /**
   * The S3 key of that build.
   * @default none
   */
  key?: pulumi.Input<string>;
  /**
   * The S3 version of that build (a versioned bucket).
   * @default the object's current version, read by each node at install time
   */
  versionId?: pulumi.Input<string>;
  /**
   * With path: a bucket of yours to upload the site and the release bundle into.
   * @default a private, encrypted, versioned bucket the farm creates
   */
  uploadBucket?: pulumi.Input<string>;
  /**
   * The release's label, shown by CodeDeploy, `npm run plan:diff` and the appSettings key webfarm:release.
   * @default "sha-" and 12 characters of the build's content hash (path), or of bucket, key and versionId
   */
  version?: string;
  /**
   * An application URL that must answer 200 (or a status in validateStatuses) through IIS on each node before it takes traffic, after the health page.
   * @default none: the health page alone, which runs in the release's own application, so a release passes when the application starts
   */
  validatePath?: string;
  /**
   * Statuses besides 200 that validatePath may answer (e.g. 302 for a page that redirects to a login); redirects are not followed.
   * @default []
   */
  validateStatuses?: number[];
  /**
   * How many nodes a release takes out of the load balancer at once (fewer than nodeCount).
   * @default 1
   */
  nodesAtOnce?: number;
  /**
   * appSettings written into the release's web.config, the same on every node.
   * @default {}
   */
  settings?: Record<string, string>;
  /**
   * connectionStrings written into the release's web.config, the same on every node.
   * @default {}
   */
  connectionStrings?: Record<string, string>;
  /**
   * appSettings read on each node at install time from SSM (SecureString) or Secrets Manager; never in Pulumi's state.
   * @default {}
   */
  secretSettings?: Record<string, SecretReference>;
  /**
   * connectionStrings read on each node at install time from SSM (SecureString) or Secrets Manager.
   * @default {}
   */
  secretConnectionStrings?: Record<string, SecretReference>;
}

/** Where a secret setting comes from: exactly one of the two. */
export interface SecretReference {
  /**
   * An SSM parameter name (a SecureString), e.g. /shop/prod/payment-key.
   * @default none
   */
  ssmParameter?: string;
  /**
   * A Secrets Manager secret name or ARN.
   * @default none
   */
  secretsManagerSecret?: string;
}

export interface Problem {
  propertyPath: string;
  reason: string;
}

const isInputObject = (v: unknown) => pulumi.Output.isInstance(v) || v instanceof Promise;

/**
 * An argument that may be an Output: a literal is checked by `literal` now, an Output or Promise
 * passes here and is checked by `whenKnown` once its value arrives.
 */
export function input<T>(literal: z.ZodType<T>) {
  const schema = z.custom<pulumi.Input<T>>().superRefine((v, ctx) => {
    if (isInputObject(v)) return;
    const result = literal.safeParse(v);
    if (!result.success) {
      for (const issue of result.error.issues)
        ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
    }
  });
  LITERAL_OF.set(schema, literal);
  return schema;
}
/** The literal rule behind an `input(...)` schema (config derivation reads it). */
export const LITERAL_OF = new WeakMap<z.ZodType, z.ZodType>();

const vpcCidr = rules.cidr
  .refine((v) => !parseIpv4Cidr(v) || isPrivateBlock(parseIpv4Cidr(v)!), {
    error: "must lie in private space (10/8, 172.16/12, 192.168/16)",
  })
  .refine((v) => (parseIpv4Cidr(v)?.prefix ?? 16) >= 16, { error: "AWS allows VPC prefixes /16 and smaller" })
  .refine((v) => (parseIpv4Cidr(v)?.prefix ?? 0) <= SMALLEST_VPC_PREFIX, {
    error: `is too small for the farm's subnets: use /16 to /${SMALLEST_VPC_PREFIX}`,
  });

const azCount = z
  .number({ error: `must be a whole number 2-${MAX_AZS}` })
  .int({ error: `must be a whole number 2-${MAX_AZS}` })
  .min(2, { error: "must be at least 2: the load balancer needs two AZs" })
  .max(MAX_AZS, { error: `must be at most ${MAX_AZS}` });

const allowedCidrs = z
  .array(input(rules.cidr), { error: "must be a list of IPv4 CIDRs" })
  .min(1, { error: "must name at least one CIDR (use 0.0.0.0/0 for the internet)" });

const tags = z
  .record(rules.tagKey, input(rules.tagValue), { error: "must be a map of strings" })
  .refine((t) => Object.keys(t).length <= rules.MAX_CALLER_TAGS, {
    error: `at most ${rules.MAX_CALLER_TAGS} tags (AWS allows 50; the farm adds 2)`,
  });

const bool = z.boolean({ error: "must be true or false" });

const secretReference = z
  .strictObject({
    ssmParameter: rules.ssmParameterReference.optional(),
    secretsManagerSecret: rules.secretsManagerSecret.optional(),
  })
  .refine((r) => (r.ssmParameter === undefined) !== (r.secretsManagerSecret === undefined), {
    error: "must name exactly one of ssmParameter and secretsManagerSecret",
  });

const settingsMap = z.record(settingName, settingValue, { error: "must be a map of names to text" });
const secretsMap = z.record(settingName, secretReference, { error: "must be a map of names to secret references" });

/** The application's rules and defaults (cross-field rules in appProblems). */
export const appSchema = z.strictObject({
  path: z
    .string({ error: "must be a folder or .zip path" })
    .min(1, { error: "must be a folder or .zip path" })
    .optional(),
  bucket: input(rules.s3Bucket).optional(),
  key: input(rules.s3Key).optional(),
  versionId: input(rules.s3VersionId).optional(),
  uploadBucket: input(rules.s3Bucket).optional(),
  version: rules.token.optional(),
  validatePath: rules.appPath.optional(),
  // Config gives lists as strings: each status is read as a number.
  validateStatuses: z
    .array(z.coerce.number({ error: "must be an HTTP status" }).pipe(rules.wholeNumber(100, 599)), {
      error: "must be a list of HTTP statuses",
    })
    .max(10, { error: "at most 10 statuses" })
    .default([]),
  nodesAtOnce: rules.wholeNumber(1, MAX_NODES).default(1),
  settings: settingsMap.default({}),
  connectionStrings: settingsMap.default({}),
  secretSettings: secretsMap.default({}),
  secretConnectionStrings: secretsMap.default({}),
});

/** Every argument's rule and default: the one definition the resolved type is derived from. */
/** RDS for SQL Server's editions, by the name the kit takes, and RDS's engine for each. */
export const SQL_SERVER_EDITIONS = {
  express: "sqlserver-ex",
  web: "sqlserver-web",
  standard: "sqlserver-se",
  enterprise: "sqlserver-ee",
} as const;
export type SqlServerEdition = keyof typeof SQL_SERVER_EDITIONS;
const editionNames = Object.keys(SQL_SERVER_EDITIONS) as [SqlServerEdition, ...SqlServerEdition[]];

export const sqlServerSchema = z.strictObject({
  edition: z.enum(editionNames, { error: `must be one of ${editionNames.join(", ")}` }).default("express"),
  instanceClass: rules.dbInstanceClass.default("db.t3.small"),
  multiAz: bool.default(false),
  storageGb: rules.wholeNumber(20, 16384).default(20),
  backupRetentionDays: rules.wholeNumber(1, 35).default(7),
});

export const argsSchema = z.strictObject({
  nodeCount: rules.wholeNumber(1, MAX_NODES),
  vpcCidr: vpcCidr.default("10.0.0.0/16"),
  azCount: azCount.default(2),
  natPerAz: bool.default(false),
  availabilityZones: z.array(rules.availabilityZone, { error: "must be a list of AZ names" }).optional(),
  vpcId: input(rules.resourceId("vpc")).optional(),
  publicSubnetIds: z.array(input(rules.resourceId("subnet")), { error: "must be a list of subnet ids" }).optional(),
  privateSubnetIds: z.array(input(rules.resourceId("subnet")), { error: "must be a list of subnet ids" }).optional(),
  allowedCidrs: input(allowedCidrs).default(["0.0.0.0/0"]),
  certificateArn: input(rules.certificateArn).optional(),
  healthCheckPath: rules.urlPath
    .max(MAX_HEALTH_CHECK_PATH_LENGTH, { error: `must be at most ${MAX_HEALTH_CHECK_PATH_LENGTH} characters` })
    .default(DEFAULT_HEALTH_CHECK_PATH),
  webInstanceType: rules.instanceType.default("t3.medium"),
  stateInstanceType: rules.instanceType.default("t3.medium"),
  amiId: input(rules.amiId).optional(),
  stateAmiId: input(rules.amiId).optional(),
  statePort: rules.port
    .refine((p) => p !== 80 && p !== 443, { error: "must differ from the web ports 80 and 443" })
    .default(DEFAULT_STATE_PORT),
  sessionTimeoutMinutes: rules.wholeNumber(1, 525600, "must be whole minutes 1-525600").default(20),
  protectStateServer: bool.default(false),
  deletionProtection: bool.default(false),
  sessionStore: z.enum(SESSION_STORES, { error: `must be one of ${SESSION_STORES.join(", ")}` }).default("stateServer"),
  sqlServer: sqlServerSchema.optional(),
  nodeMode: z.enum(NODE_MODES, { error: `must be one of ${NODE_MODES.join(", ")}` }).default("instances"),
  waitForDeployments: bool.default(true),
  maxNodeCount: rules.wholeNumber(1, MAX_NODES).optional(),
  accessLogs: bool.default(false),
  logRetentionDays: z
    .number({ error: "must be a whole number of days" })
    .refine((d) => (rules.LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      error: `must be one of CloudWatch's periods: ${rules.LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(30),
  alarmTopicArn: input(rules.snsTopicArn).optional(),
  validation: validationAlgorithm.default("HMACSHA256"),
  machineKeyVersion: z
    .string({ error: "must be a simple token such as 1 or 2026-11" })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
      error: "must be a simple token (1-64 letters, digits, . _ -), such as 1 or 2026-11",
    })
    .default("1"),
  keyParameterName: rules.ssmParameterName
    .max(MAX_KEY_PARAMETER_NAME_LENGTH, { error: `must be at most ${MAX_KEY_PARAMETER_NAME_LENGTH} characters` })
    .optional(),
  tags: input(tags).default({}),
  app: appSchema.optional(),
});

// The interface and the schema name the same arguments (checked when this file compiles).
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
const argumentsMatchSchema: SameKeys<WebFarmArgs, z.input<typeof argsSchema>> = true;
const appArgumentsMatchSchema: SameKeys<AppArgs, z.input<typeof appSchema>> = true;
const sqlArgumentsMatchSchema: SameKeys<SqlServerArgs, z.input<typeof sqlServerSchema>> = true;
void sqlArgumentsMatchSchema;
void argumentsMatchSchema;
void appArgumentsMatchSchema;

type Parsed = z.output<typeof argsSchema>;
export interface OwnNetwork {
  kind: "own";
  vpcCidr: string;
  azCount: number;
  natPerAz: boolean;
  availabilityZones?: string[];
}
export interface ExistingNetwork {
  kind: "existing";
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  privateSubnetIds: pulumi.Input<string>[];
}

type AppOutput = NonNullable<Parsed["app"]>;
type SqlServerOutput = z.output<typeof sqlServerSchema>;

/**
 * WebFarmArgs after validation, grouped by part, every default filled in and each choice made
 * (own or existing network; the state server or SQL Server). The parts read only this.
 */
export interface ResolvedWebFarmArgs {
  network: OwnNetwork | ExistingNetwork;
  nodes: { count: number; mode: NodeMode; maxCount: number; instanceType: string };
  loadBalancer: {
    allowedCidrs: Parsed["allowedCidrs"];
    certificateArn?: Parsed["certificateArn"];
    healthCheckPath: string;
    accessLogs: boolean;
  };
  /** The web nodes' image and the state server's (also the SQL Server setup instance's). */
  image: { amiId?: Parsed["amiId"]; stateAmiId?: Parsed["stateAmiId"] };
  /** Exactly one of stateServer and sqlServer: the session store. */
  stateServer?: { port: number; instanceType: string; protect: boolean };
  sqlServer?: SqlServerOutput;
  sessionTimeoutMinutes: number;
  machineKey: { validation: Parsed["validation"]; version: string; parameterName?: string };
  observability: { logRetentionDays: number; alarmTopicArn?: Parsed["alarmTopicArn"] };
  app?: AppOutput;
  deletionProtection: boolean;
  waitForDeployments: boolean;
  tags: Parsed["tags"];
}

/** Checks that need several fields at once. Runs on the raw input, so it reports alongside field errors. */
function crossFieldProblems(name: string, a: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const byoKeys = ["vpcId", "publicSubnetIds", "privateSubnetIds"];
  const byo = byoKeys.filter((k) => a[k] !== undefined);
  const own = ["vpcCidr", "azCount", "natPerAz", "availabilityZones"].filter((k) => a[k] !== undefined);
  if (byo.length > 0) {
    for (const k of byoKeys) {
      if (a[k] === undefined) {
        problems.push({
          propertyPath: k,
          reason:
            "is required when bringing your own network (vpcId, publicSubnetIds and privateSubnetIds go together)",
        });
      }
    }
    for (const k of own) {
      problems.push({
        propertyPath: k,
        reason: "applies only to the farm's own network; it cannot be combined with vpcId/subnet ids",
      });
    }
    for (const k of ["publicSubnetIds", "privateSubnetIds"]) {
      const list = a[k];
      if (Array.isArray(list)) {
        if (list.length < 2) {
          problems.push({
            propertyPath: k,
            reason: "needs at least two subnets in different AZs (the load balancer requires two AZs)",
          });
        }
        const literals = list.filter((v) => typeof v === "string");
        if (new Set(literals).size !== literals.length)
          problems.push({ propertyPath: k, reason: "lists a subnet twice" });
      }
    }
    const pub = a.publicSubnetIds;
    const priv = a.privateSubnetIds;
    if (
      Array.isArray(pub) &&
      Array.isArray(priv) &&
      pub.length >= 2 &&
      priv.length >= 2 &&
      pub.length !== priv.length
    ) {
      problems.push({
        propertyPath: "privateSubnetIds",
        reason: `has ${priv.length} subnets but publicSubnetIds has ${pub.length}: give one public and one private subnet per AZ`,
      });
    }
  }
  if (typeof a.maxNodeCount === "number" && typeof a.nodeCount === "number") {
    if (a.nodeMode !== "autoscaling") {
      problems.push({ propertyPath: "maxNodeCount", reason: `applies only with nodeMode "autoscaling"` });
    } else if (a.maxNodeCount < a.nodeCount) {
      problems.push({ propertyPath: "maxNodeCount", reason: `is ${a.maxNodeCount}, below nodeCount ${a.nodeCount}` });
    }
  }
  problems.push(...azListProblems(a), ...farmNameProblems(name), ...appProblems(a), ...sessionStoreProblems(a));
  return problems;
}

/** Settings of one session store given with the other, and what RDS offers each edition. */
function sessionStoreProblems(a: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  if (a.sessionStore === "sqlServer") {
    for (const k of STATE_SERVER_ONLY)
      if (a[k] !== undefined && !(k === "protectStateServer" && a[k] === false))
        problems.push({
          propertyPath: k,
          reason: 'applies only to sessionStore "stateServer" (there is no state server with "sqlServer")',
        });
  } else if (a.sqlServer !== undefined) {
    problems.push({ propertyPath: "sqlServer", reason: 'applies only with sessionStore "sqlServer"' });
  }
  const sql = a.sqlServer as Record<string, unknown> | undefined;
  if (sql && typeof sql === "object") {
    const edition = (typeof sql.edition === "string" ? sql.edition : "express") as SqlServerEdition;
    if (sql.multiAz === true && (edition === "express" || edition === "web"))
      problems.push({
        propertyPath: "sqlServer.multiAz",
        reason: `is not offered for the ${edition} edition (RDS runs Multi-AZ SQL Server on standard and enterprise)`,
      });
    const cls = typeof sql.instanceClass === "string" ? sql.instanceClass : "db.t3.small";
    const tooSmall = rules.dbClassBelowEdition(cls, edition);
    if (tooSmall) problems.push({ propertyPath: "sqlServer.instanceClass", reason: tooSmall });
  }
  return problems;
}

/** Arguments that configure the state server, meaningless with the SQL Server session store. */
export const STATE_SERVER_ONLY = ["statePort", "stateInstanceType", "stateAmiId", "protectStateServer"] as const;

/** The application's rules that need several fields (or the file system): where it comes from, batches. */
function appProblems(a: Record<string, unknown>): Problem[] {
  const app = a.app as Record<string, unknown> | undefined;
  if (app === undefined || app === null || typeof app !== "object") return [];
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
  const nodes = typeof a.nodeCount === "number" ? a.nodeCount : undefined;
  if (typeof app.nodesAtOnce === "number" && nodes !== undefined && nodes > 1 && app.nodesAtOnce >= nodes) {
    at(
      "nodesAtOnce",
      `is ${app.nodesAtOnce} of ${nodes} nodes: a release would take every node out of service at once`,
    );
  }
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

/** azCount against the AZ names given (or looked up for the region). */
function azListProblems(a: Record<string, unknown>): Problem[] {
  const azs = typeof a.azCount === "number" ? a.azCount : 2;
  const zones = a.availabilityZones;
  if (!Array.isArray(zones)) return [];
  const problems: Problem[] = [];
  if (zones.length < azs) {
    problems.push({
      propertyPath: "azCount",
      reason: `is ${azs} but only ${zones.length} AZs are available (${zones.join(", ")})`,
    });
  }
  if (new Set(zones).size !== zones.length)
    problems.push({ propertyPath: "availabilityZones", reason: "lists an AZ twice" });
  return problems;
}

export function farmNameProblems(name: string, propertyPath = "name"): Problem[] {
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    return [
      { propertyPath, reason: `"${name}" must be letters, digits and inner hyphens (it prefixes AWS resource names)` },
    ];
  }
  if (name.length > MAX_FARM_NAME_LENGTH) {
    return [
      {
        propertyPath,
        reason: `"${name}" is ${name.length} characters; at most ${MAX_FARM_NAME_LENGTH}, so the target group name (${name}${LONGEST_LB_CHILD_SUFFIX} plus Pulumi's ${PULUMI_SUFFIX_LENGTH}-character suffix) fits AWS's ${AWS_LB_NAME_LIMIT}`,
      },
    ];
  }
  if (/^internal-/i.test(name)) {
    return [{ propertyPath, reason: "must not start with internal- (AWS reserves it for load balancer names)" }];
  }
  return [];
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    root,
  );
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    "",
  );
}

const describeArg = (v: unknown) => (isInputObject(v) ? "an Output" : rules.describeValue(v));

/** Every problem a schema finds in `value`, one per field, with what was given. */
export function schemaProblems(schema: z.ZodType, value: unknown, what: string): Problem[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => ({
        propertyPath: formatPath([...issue.path, k]),
        reason: `is not a ${what} argument (check the spelling)`,
      }));
    }
    const path = issue.path as PropertyKey[];
    if (issue.code === "invalid_key") {
      return [{ propertyPath: formatPath(path), reason: issue.issues[0]?.message ?? issue.message }];
    }
    return [
      {
        propertyPath: formatPath(path) || "args",
        reason: `${issue.message}; got ${describeArg(valueAt(value, path))}`,
      },
    ];
  });
}

/** The own-network arguments, as FarmNetwork takes them on its own (examples/two-farms). */
export const networkSchema = argsSchema.pick({
  vpcCidr: true,
  azCount: true,
  natPerAz: true,
  availabilityZones: true,
  tags: true,
});

/** Every problem with a FarmNetwork's args (the same rules as WebFarm's own-network arguments). */
export function networkArgProblems(args: unknown): Problem[] {
  if (args === null || typeof args !== "object") return [{ propertyPath: "args", reason: "must be an object" }];
  return [...schemaProblems(networkSchema, args, "FarmNetwork"), ...azListProblems(args as Record<string, unknown>)];
}

/** Every problem with a farm's name and args (empty when they are fine). Exported for testing. */
export function webFarmArgProblems(name: string, args: unknown): Problem[] {
  if (args === null || typeof args !== "object") {
    return [{ propertyPath: "args", reason: "must be an object with at least nodeCount" }];
  }
  return [...schemaProblems(argsSchema, args, "WebFarm"), ...crossFieldProblems(name, args as Record<string, unknown>)];
}

/** The one error a user sees: every problem, one per line. */
export function farmConfigError(subject: string, problems: Problem[]): pulumi.InputPropertiesError {
  const lines = problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
  return new pulumi.InputPropertiesError({
    message: `${subject} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was created:\n${lines.join("\n")}`,
    errors: problems,
  });
}

/** The project's and stack's names, within Pulumi's own limits (they reach the nodes' user data). */
export function projectAndStackProblems(project: string, stack: string): Problem[] {
  return [
    ...(project.length > MAX_PROJECT_NAME_LENGTH
      ? [
          {
            propertyPath: "project",
            reason: `is ${project.length} characters; Pulumi allows ${MAX_PROJECT_NAME_LENGTH}`,
          },
        ]
      : []),
    ...(stack.length > MAX_STACK_NAME_LENGTH
      ? [
          {
            propertyPath: "stack",
            reason: `is ${stack.length} characters; at most ${MAX_STACK_NAME_LENGTH} (it names the farm's CloudWatch namespace)`,
          },
        ]
      : []),
  ];
}

/** Validates and fills in defaults; throws one InputPropertiesError naming every problem. */
export function validateWebFarmArgs(name: string, args: WebFarmArgs): ResolvedWebFarmArgs {
  const problems = [
    ...webFarmArgProblems(name, args),
    ...projectAndStackProblems(pulumi.getProject(), pulumi.getStack()),
  ];
  if (problems.length > 0) throw farmConfigError(`WebFarm "${name}"`, problems);
  const p = argsSchema.parse(args);
  return {
    network:
      p.vpcId !== undefined
        ? {
            kind: "existing",
            vpcId: p.vpcId,
            publicSubnetIds: p.publicSubnetIds!,
            privateSubnetIds: p.privateSubnetIds!,
          }
        : {
            kind: "own",
            vpcCidr: p.vpcCidr,
            azCount: p.azCount,
            natPerAz: p.natPerAz,
            availabilityZones: p.availabilityZones,
          },
    nodes: {
      count: p.nodeCount,
      mode: p.nodeMode,
      maxCount: p.maxNodeCount ?? p.nodeCount,
      instanceType: p.webInstanceType,
    },
    loadBalancer: {
      allowedCidrs: p.allowedCidrs,
      certificateArn: p.certificateArn,
      healthCheckPath: p.healthCheckPath,
      accessLogs: p.accessLogs,
    },
    image: { amiId: p.amiId, stateAmiId: p.stateAmiId },
    // With SQL Server sessions, the store's settings with their defaults, and no state server.
    ...(p.sessionStore === "sqlServer"
      ? { sqlServer: p.sqlServer ?? sqlServerSchema.parse({}) }
      : { stateServer: { port: p.statePort, instanceType: p.stateInstanceType, protect: p.protectStateServer } }),
    sessionTimeoutMinutes: p.sessionTimeoutMinutes,
    machineKey: { validation: p.validation, version: p.machineKeyVersion, parameterName: p.keyParameterName },
    observability: { logRetentionDays: p.logRetentionDays, alarmTopicArn: p.alarmTopicArn },
    app: p.app,
    deletionProtection: p.deletionProtection,
    waitForDeployments: p.waitForDeployments,
    tags: p.tags,
  };
}

/** True when a value is, or holds, an Output or Promise (so it is known only later). */
export function holdsInput(v: unknown): boolean {
  if (isInputObject(v)) return true;
  if (Array.isArray(v)) return v.some(holdsInput);
  if (v !== null && typeof v === "object") return Object.values(v).some(holdsInput);
  return false;
}

/** The rules of the Input arguments, for `whenKnown`. */
export const KNOWN_VALUE_RULES = {
  allowedCidrs,
  certificateArn: rules.certificateArn,
  alarmTopicArn: rules.snsTopicArn,
  amiId: rules.amiId,
  stateAmiId: rules.amiId,
  tags,
  "app.bucket": rules.s3Bucket,
  "app.key": rules.s3Key,
  "app.versionId": rules.s3VersionId,
  "app.uploadBucket": rules.s3Bucket,
};

/** The problems of a known value of an Input argument, with the paths a literal would get. */
export function knownValueProblems(field: keyof typeof KNOWN_VALUE_RULES, value: unknown): Problem[] {
  return schemaProblems(KNOWN_VALUE_RULES[field], value, "WebFarm").map((p) => ({
    ...p,
    propertyPath:
      p.propertyPath === "args" ? field : `${field}${p.propertyPath.startsWith("[") ? "" : "."}${p.propertyPath}`,
  }));
}

/**
 * An Input checked once its value is known: a literal was checked by the schema already; a value
 * holding an Output is checked here and fails the update with the message a literal would get.
 */
export function whenKnown<K extends keyof typeof KNOWN_VALUE_RULES>(
  farm: string,
  field: K,
  value: pulumi.Input<z.output<(typeof KNOWN_VALUE_RULES)[K]>>,
): pulumi.Input<z.output<(typeof KNOWN_VALUE_RULES)[K]>> {
  if (!holdsInput(value)) return value;
  return pulumi.output(value).apply((v) => {
    const problems = knownValueProblems(field, v);
    if (problems.length > 0) throw farmConfigError(`WebFarm "${farm}"`, problems);
    return v as z.output<(typeof KNOWN_VALUE_RULES)[K]>;
  });
}
