// The limits and choices the arguments are checked against, shared by the schema, the parts and the
// generators (so a limit is written once).
export const MAX_NODES = 200;
/**
 * The default target of requests per node per minute (ALBRequestCountPerTarget): about 17 a second,
 * a cautious figure for a t3.medium serving WebForms pages; the docs ask for a measured one.
 */
export const DEFAULT_REQUESTS_PER_NODE = 1000;
/**
 * The default instance warm-up: the launch hook holds a node until it serves (boot and release
 * done), and AWS starts the warm-up only after the hook completes and the node is InService, so
 * this covers its metrics settling, not its boot (ec2-auto-scaling-default-instance-warmup.html).
 */
export const DEFAULT_WARMUP_SECONDS = 60;
/** A farm's peaks need a handful of scheduled actions; the list is capped well below AWS's quota. */
export const MAX_SCHEDULES = 20;
export const NODE_MODES = ["instances", "autoscaling"] as const;
export type NodeMode = (typeof NODE_MODES)[number];
/** The session stores a farm can have; which one is chosen by the group given (stateServer or sqlServer). */
export const SESSION_STORES = ["stateServer", "sqlServer"] as const;
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
/** loadBalancer.healthCheckPath: the load balancer would take 1024 characters; the node writes the page at boot. */
export const MAX_HEALTH_CHECK_PATH_LENGTH = 256;
/** machineKey.parameterName: SSM would take 1011; the default at the longest project, stack and farm is 233. */
export const MAX_KEY_PARAMETER_NAME_LENGTH = 256;
/**
 * Project and stack names reach user data through the names of the farm's SSM parameters and
 * secret (names.ts). Pulumi allows 100 characters for each (pulumi/pulumi: "project names are
 * limited to 100 characters", "stack names are limited to 100 characters"); the stack name is also
 * one part of the farm's CloudWatch namespace, which the kit takes as a 1-64 character token.
 */
export const MAX_PROJECT_NAME_LENGTH = 100;
export const MAX_STACK_NAME_LENGTH = 64;

/** RDS for SQL Server's editions, by the name the kit takes, and RDS's engine for each. */
export const SQL_SERVER_EDITIONS = {
  express: "sqlserver-ex",
  web: "sqlserver-web",
  standard: "sqlserver-se",
  enterprise: "sqlserver-ee",
} as const;
export type SqlServerEdition = keyof typeof SQL_SERVER_EDITIONS;

/**
 * The state server's patch window: Sundays 03:00 in the time zone given (UTC by default), a weekly
 * low-traffic hour. Windows' default patch baseline approves a patch 7 days after its release
 * (AWS-DefaultPatchBaseline), so a weekly window installs each month's updates within two weeks.
 */
export const DEFAULT_PATCH_SCHEDULE = "cron(0 3 ? * SUN *)";
/** RDS windows (UTC), apart from each other as RDS requires: backups, then maintenance. */
export const DEFAULT_SQL_BACKUP_WINDOW = "02:00-02:30";
export const DEFAULT_SQL_MAINTENANCE_WINDOW = "sun:03:00-sun:03:30";
