// THE DEFINITION OF EVERY WEBFARM ARGUMENT: its rule, its default and its documentation, grouped by
// part. This zod schema is the source of truth; the public interfaces (types.ts) are generated from
// it (`npm run args:types`, checked by `-- --check` and test/args/types.test.ts), and so are the
// stack config declarations, docs/configuration.md's table and the component schema's defaults.
import { z } from "zod";
import { MAX_AZS, parseIpv4Cidr, isPrivateBlock, SMALLEST_VPC_PREFIX } from "../network/cidr";
import * as rules from "./rules";
import { validationAlgorithm } from "../windows/values";
import { appSchema } from "./app";
import {
  DEFAULT_HEALTH_CHECK_PATH,
  DEFAULT_PATCH_SCHEDULE,
  DEFAULT_SQL_BACKUP_WINDOW,
  DEFAULT_SQL_MAINTENANCE_WINDOW,
  DEFAULT_STATE_PORT,
  MAX_HEALTH_CHECK_PATH_LENGTH,
  MAX_KEY_PARAMETER_NAME_LENGTH,
  DEFAULT_REQUESTS_PER_NODE,
  DEFAULT_WARMUP_SECONDS,
  MAX_NODES,
  MAX_SCHEDULES,
  NODE_MODES,
  SQL_SERVER_EDITIONS,
  SqlServerEdition,
} from "./constants";
import { doc, input, named, REQUIRED } from "./problems";

const bool = z.boolean({ error: "must be true or false" });

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

export const allowedCidrs = z
  .array(input(rules.cidr), { error: "must be a list of IPv4 CIDRs" })
  .min(1, { error: "must name at least one CIDR (use 0.0.0.0/0 for the internet)" });

export const tags = z
  .record(rules.tagKey, input(rules.tagValue), { error: "must be a map of strings" })
  .refine((t) => Object.keys(t).length <= rules.MAX_CALLER_TAGS, {
    error: `at most ${rules.MAX_CALLER_TAGS} tags (AWS allows 50; the farm adds 2)`,
  });

const subnetIds = (summary: string) =>
  doc(z.array(input(rules.resourceId("subnet")), { error: "must be a list of subnet ids" }), summary);

/** The farm's own network (FarmNetwork takes the same, with tags). */
export const ownNetworkSchema = named(
  z.strictObject({
    vpcCidr: doc(vpcCidr.default("10.0.0.0/16"), "The VPC's CIDR (private range, /16 to /23)."),
    azCount: doc(azCount.default(2), "How many availability zones (2-8), each with a public and a private subnet."),
    natPerAz: doc(bool.default(false), "One NAT gateway per AZ (resilient) instead of one for the farm (cheaper)."),
    availabilityZones: doc(
      z.array(rules.availabilityZone, { error: "must be a list of AZ names" }).optional(),
      "The AZ names to use, in order.",
      "the region's first `azCount` AZs",
    ),
  }),
  "NetworkArgs",
  "The farm's own VPC: public subnets for the load balancer and NAT, private ones for the nodes and the session store.",
);

export const existingNetworkSchema = named(
  z.strictObject({
    vpcId: doc(input(rules.resourceId("vpc")), "The existing VPC's id."),
    publicSubnetIds: subnetIds("Public subnets for the load balancer, one per AZ (at least two)."),
    privateSubnetIds: subnetIds(
      "Private subnets (with NAT) for the nodes and the session store, one per AZ, in the same AZs as the public ones.",
    ),
  }),
  "ExistingNetworkArgs",
  "A VPC of yours instead of the farm's own (not with network).",
);

const scheduleSchema = named(
  z.strictObject({
    name: doc(rules.token, "The scheduled action's name, unique in the farm (1-64 letters, digits, '.', '_' or '-')."),
    cron: doc(rules.unixCron, 'When it recurs: five-field Unix cron, Auto Scaling\'s dialect ("0 8 * * MON-FRI").'),
    timeZone: doc(rules.timeZone.default("Etc/UTC"), "The IANA time zone the cron is read in."),
    minCount: doc(rules.wholeNumber(1, MAX_NODES).optional(), "The group's new minimum.", "unchanged"),
    maxCount: doc(rules.wholeNumber(1, MAX_NODES).optional(), "The group's new maximum.", "unchanged"),
    desiredCount: doc(rules.wholeNumber(1, MAX_NODES).optional(), "The group's new desired size.", "unchanged"),
  }),
  "NodeSchedule",
  "A scheduled change of the Auto Scaling group's size: at least one of minCount, maxCount, desiredCount.",
);

export const nodesSchema = named(
  z.strictObject({
    count: doc(
      rules.wholeNumber(1, MAX_NODES),
      "How many Windows/IIS web nodes (1-200); with mode autoscaling the group's minimum and desired size.",
    ),
    mode: doc(
      z.enum(NODE_MODES, { error: `must be one of ${NODE_MODES.join(", ")}` }).default("instances"),
      '"instances": count separate EC2 instances; "autoscaling": a launch template and an Auto Scaling group.',
    ),
    maxCount: doc(
      rules.wholeNumber(1, MAX_NODES).optional(),
      'With mode "autoscaling": the group\'s maximum size (at least count).',
      "count",
    ),
    instanceType: doc(
      rules.instanceType.default("t3.medium"),
      "EC2 instance type of the web nodes (x86_64; Graviton types cannot run Windows).",
    ),
    targetRequestsPerNode: doc(
      rules.wholeNumber(1, 1_000_000).default(DEFAULT_REQUESTS_PER_NODE),
      "With maxCount above count: target tracking keeps the load balancer's requests per node per minute near this (ALBRequestCountPerTarget). Measure what one node sustains and set it.",
    ),
    targetCpuPercent: doc(
      rules.wholeNumber(10, 95).optional(),
      "With maxCount above count: a second target tracking policy on the nodes' average CPU (ASGAverageCPUUtilization); the group scales out when either asks.",
      "none: requests per node only",
    ),
    warmupSeconds: doc(
      rules.wholeNumber(0, 3600).default(DEFAULT_WARMUP_SECONDS),
      "With mode autoscaling: the group's default instance warm-up, counted after a node is InService. Its launch hook already holds it until it serves, so this is only for its metrics to settle, not its boot.",
    ),
    schedules: doc(
      z
        .array(scheduleSchema, { error: "must be a list of schedules" })
        .max(MAX_SCHEDULES, { error: `must hold at most ${MAX_SCHEDULES} schedules` })
        .optional(),
      "With mode autoscaling: scheduled changes of the group's size for known peaks (Auto Scaling scheduled actions). Not in stack config (TypeScript and the component package only).",
      "none",
    ),
    spot: doc(
      bool.default(false),
      "With mode autoscaling: nodes above onDemandBaseCount are Spot Instances from several types of the same size, with capacity rebalancing; a node given an interruption notice leaves the target group first.",
    ),
    onDemandBaseCount: doc(
      rules.wholeNumber(0, MAX_NODES).optional(),
      "With spot: how many nodes are always On-Demand.",
      "count",
    ),
    spotInstanceTypes: doc(
      z
        .array(rules.instanceType, { error: "must be a list of EC2 instance types" })
        .min(2, { error: "must list at least two instance types (Spot capacity comes from several pools)" })
        .max(20, { error: "must list at most 20 instance types" })
        .optional(),
      "With spot: the instance types to launch, all the same size as instanceType (x86_64).",
      "instanceType and its siblings of the same size (t3: t3a, t2; m5: m5a, m6i, m6a...)",
    ),
  }),
  "NodesArgs",
  "The Windows/IIS web nodes behind the load balancer.",
);

export const loadBalancerSchema = named(
  z.strictObject({
    allowedCidrs: doc(
      input(allowedCidrs).default(["0.0.0.0/0"]),
      "IPv4 CIDRs allowed to reach the load balancer. Literal CIDRs get one rule each; a list that holds an Output goes into a managed prefix list.",
    ),
    certificateArn: doc(
      input(rules.certificateArn).optional(),
      "An ACM certificate ARN: adds HTTPS on 443 (TLS 1.3/1.2 policy) and turns port 80 into a redirect.",
      "none: HTTP only",
    ),
    healthCheckPath: doc(
      rules.urlPath
        .max(MAX_HEALTH_CHECK_PATH_LENGTH, { error: `must be at most ${MAX_HEALTH_CHECK_PATH_LENGTH} characters` })
        .default(DEFAULT_HEALTH_CHECK_PATH),
      "The load balancer's health check path, served without a session on every node (at most 256 characters).",
    ),
    accessLogs: doc(
      bool.default(false),
      "Write the load balancer's access logs to an encrypted, private S3 bucket (on in prod).",
    ),
  }),
  "LoadBalancerArgs",
  "The Application Load Balancer in front of the nodes.",
);

export const stateServerSchema = named(
  z.strictObject({
    port: doc(
      rules.port
        .refine((p) => p !== 80 && p !== 443, { error: "must differ from the web ports 80 and 443" })
        .default(DEFAULT_STATE_PORT),
      "TCP port of the ASP.NET State Service.",
    ),
    instanceType: doc(rules.instanceType.default("t3.medium"), "EC2 instance type of the state server (x86_64)."),
    protect: doc(
      bool.default(false),
      "Refuse to delete or replace the state server without an explicit step (Pulumi `protect`; on in prod).",
    ),
    patching: doc(
      bool.default(true),
      "Install Windows updates on the state server in patchSchedule's window (Systems Manager Patch Manager, AWS-RunPatchBaseline, reboot if needed). Every session is lost at that reboot: users sign in again.",
    ),
    patchSchedule: doc(
      rules.awsCron.default(DEFAULT_PATCH_SCHEDULE),
      "When the patch window opens (a maintenance window's cron(...), six fields), for up to two hours. Pick the hour with the fewest signed-in users: sessions are lost at the reboot. Windows' default baseline approves a patch 7 days after its release, so a month's updates arrive at the first window a week or more after Patch Tuesday.",
    ),
    patchTimeZone: doc(rules.timeZone.default("Etc/UTC"), "The IANA time zone patchSchedule is read in."),
  }),
  "StateServerArgs",
  "Sessions in the ASP.NET State Service on one instance (the default store; sessions are lost when it fails). Not with sqlServer.",
);

const editionNames = Object.keys(SQL_SERVER_EDITIONS) as [SqlServerEdition, ...SqlServerEdition[]];

export const sqlServerSchema = named(
  z.strictObject({
    edition: doc(
      z.enum(editionNames, { error: `must be one of ${editionNames.join(", ")}` }).default("express"),
      'RDS for SQL Server edition: "express" (free licence, 10 GB per database, no Multi-AZ), "web", "standard" or "enterprise".',
    ),
    instanceClass: doc(
      rules.dbInstanceClass.default("db.t3.small"),
      "RDS instance class, at least the edition's smallest (express: db.t3.micro; web: db.t3.small; standard and enterprise: db.t3.xlarge or a large m/r class).",
    ),
    multiAz: doc(
      bool.default(false),
      "A standby in a second AZ that RDS fails over to (web, standard and enterprise; not express).",
    ),
    storageGb: doc(rules.wholeNumber(20, 16384).default(20), "Storage in GB (20-16384), encrypted."),
    backupRetentionDays: doc(rules.wholeNumber(1, 35).default(7), "Days of automated backups (1-35)."),
    backupWindow: doc(
      rules.rdsBackupWindow.default(DEFAULT_SQL_BACKUP_WINDOW),
      "The daily backup window (hh24:mi-hh24:mi, UTC, at least 30 minutes), apart from maintenanceWindow.",
    ),
    maintenanceWindow: doc(
      rules.rdsMaintenanceWindow.default(DEFAULT_SQL_MAINTENANCE_WINDOW),
      "The weekly window in which RDS patches the database (ddd:hh24:mi-ddd:hh24:mi, UTC, at least 30 minutes). Persisted sessions survive its restart; requests during it fail for a minute or two, or fail over with multiAz.",
    ),
  }),
  "SqlServerArgs",
  "Sessions in SQL Server on Amazon RDS: they survive a node, an AZ with Multi-AZ, and the store's restart. Not with stateServer.",
);

export const imageSchema = named(
  z.strictObject({
    amiId: doc(
      input(rules.amiId).optional(),
      "The web nodes' Windows Server 2022 image: an AMI id, or a FarmImage's imageId (nodes then serve in minutes). A changed id replaces the nodes, new ones serving before old ones go. Without it, Amazon's latest is resolved once and kept on existing nodes.",
      "none: Amazon's latest Windows Server 2022",
    ),
    amiParameter: doc(
      input(rules.farmImageParameter).optional(),
      "A FarmImage's amiParameter (not with amiId): the nodes take the AMI it names at `pulumi up` (a new one shows in the preview and rolls the nodes, new ones serving before old ones go), and with observability.alarmTopicArn each new build is announced on that topic (whose access policy must let events.amazonaws.com publish) and counted on the dashboard. With autoRollout, the nodes roll onto it by themselves.",
      "none: amiId, or Amazon's latest",
    ),
    autoRollout: doc(
      bool.default(false),
      "With amiParameter, in Auto Scaling mode without spot: each new build starts an instance refresh by itself (new nodes serving before old ones go), with no `pulumi up` and a clean preview after. No auto rollback of a bad image; a rollout that cannot start raises an alarm, and with an alarm topic a refresh that fails is told there.",
    ),
    stateAmiId: doc(
      input(rules.amiId).optional(),
      "The state server's image (and the SQL Server setup instance's), apart from the nodes' so a new farm image never replaces it (every session would be lost). Without it, Amazon's latest is resolved once and kept.",
      "none: Amazon's latest Windows Server 2022",
    ),
  }),
  "ImageArgs",
  "The Windows images the farm's instances boot from.",
);

export const machineKeySchema = named(
  z.strictObject({
    validation: doc(
      validationAlgorithm.default("HMACSHA256"),
      "machineKey validation algorithm: HMACSHA256, HMACSHA384, HMACSHA512 or SHA1.",
    ),
    version: doc(
      z
        .string({ error: "must be a simple token such as 1 or 2026-11" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
          error: "must be a simple token (1-64 letters, digits, . _ -), such as 1 or 2026-11",
        })
        .default("1"),
      "Change it to rotate the machine key on purpose (new keys; every web node is replaced).",
    ),
    parameterName: doc(
      rules.ssmParameterName
        .max(MAX_KEY_PARAMETER_NAME_LENGTH, { error: `must be at most ${MAX_KEY_PARAMETER_NAME_LENGTH} characters` })
        .optional(),
      "The SSM parameter that holds the machine key (at most 256 characters).",
      '"/<project>/<stack>/<farm>/machine-key"',
    ),
  }),
  "MachineKeyArgs",
  "The one machineKey every node shares (kept in SSM), so a session or a form posted to one node is read by any other.",
);

export const observabilitySchema = named(
  z.strictObject({
    logRetentionDays: doc(
      z
        .number({ error: "must be a whole number of days" })
        .refine((d) => (rules.LOG_RETENTION_DAYS as readonly number[]).includes(d), {
          error: `must be one of CloudWatch's periods: ${rules.LOG_RETENTION_DAYS.join(", ")}`,
        })
        .default(30),
      "How long the farm's CloudWatch Logs (boot and release logs, IIS, Windows event logs) are kept, in days (one of CloudWatch's periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...).",
    ),
    alarmTopicArn: doc(
      input(rules.snsTopicArn).optional(),
      "An SNS topic ARN the farm's alarms notify.",
      "none: alarms only show in CloudWatch",
    ),
  }),
  "ObservabilityArgs",
  "The farm's logs, alarms and dashboard.",
);

/** WebFarm's arguments, grouped by part. */
export const argsSchema = named(
  z.strictObject({
    nodes: doc(nodesSchema.optional(), "The web nodes (nodes.count is required).", REQUIRED),
    network: doc(
      ownNetworkSchema.optional(),
      "The farm's own network (not with existingNetwork).",
      "a 10.0.0.0/16 VPC over two AZs with one NAT gateway",
    ),
    existingNetwork: doc(
      existingNetworkSchema.optional(),
      "Bring your own network: an existing VPC and its subnets (not with network).",
      "none: the farm builds its own VPC",
    ),
    loadBalancer: doc(loadBalancerSchema.optional(), "The load balancer.", "HTTP from anywhere, no access logs"),
    stateServer: doc(
      stateServerSchema.optional(),
      "Sessions in the ASP.NET State Service (not with sqlServer).",
      "the state server, when sqlServer is not given",
    ),
    sqlServer: doc(
      sqlServerSchema.optional(),
      "Sessions in SQL Server on Amazon RDS (not with stateServer).",
      "none: sessions in the state server",
    ),
    image: doc(imageSchema.optional(), "The images the instances boot from.", "Amazon's latest Windows Server 2022"),
    machineKey: doc(machineKeySchema.optional(), "The shared machineKey.", "HMACSHA256, version 1"),
    observability: doc(
      observabilitySchema.optional(),
      "Logs and alarms.",
      "logs kept 30 days, alarms only in CloudWatch",
    ),
    app: doc(
      appSchema.optional(),
      "The team's ASP.NET application, released to every node through AWS CodeDeploy.",
      "none: the nodes serve an empty site and the health page",
    ),
    sessionTimeoutMinutes: doc(
      rules.wholeNumber(1, 525600, "must be whole minutes 1-525600").default(20),
      "Session timeout in minutes (1-525600).",
    ),
    deletionProtection: doc(
      bool.default(false),
      "AWS-side protection: load balancer deletion protection, and the state server's termination protection or the SQL Server's deletion protection (on in prod).",
    ),
    waitForDeployments: doc(
      bool.default(true),
      '`pulumi up` starts each release and waits for it, and in instances mode waits for each new node to serve: Node.js dynamic resources, for TypeScript programs. Programs in other languages (the component package) turn it off: releases then start from the releaseCommand output, and nodes.mode "autoscaling" keeps changes without an outage.',
    ),
    tags: doc(
      input(tags).default({}),
      "Tags for every taggable resource (no `aws:` prefix; `Name` and `webfarm:role` are set by the farm).",
    ),
  }),
  "WebFarmArgs",
  "The arguments of a WebFarm, grouped by part. Every argument a program may compute from another resource is a `pulumi.Input`: a literal is validated before anything is registered, an Output when its value is known (during `pulumi up`; a preview cannot see it). Types are plain interfaces of inputs, so the component can be served to every Pulumi language (no union types).",
);

export { appSchema };

/** A group's defaults, read off its schema (so rules elsewhere never write a default a second time). */
export const defaultsOf = <S extends z.ZodType>(schema: S): z.output<S> => schema.parse({});

/** Each field's default, for a group with required fields too (those have none). */
export const fieldDefaults = (schema: z.ZodObject): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(schema.shape)
      .map(([key, field]) => [key, (field as z.ZodType).safeParse(undefined).data])
      .filter(([, value]) => value !== undefined),
  );
