// The value rules of the kit, written once: the arguments' validation (args.ts) and the
// generators' checks (windows/values.ts) use these same schemas. Pure: zod and CIDR math only.
import { z } from "zod";
import { isNetworkAddress, parseIpv4Cidr } from "../network/cidr";

/** A rule with its message: each schema carries the one sentence a user sees ("must be ..."). */
export const text = (message: string) => z.string({ error: message });

export function wholeNumber(min: number, max: number, message = `must be a whole number ${min}-${max}`) {
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

export const port = wholeNumber(1, 65535);

export const cidr = text("must be an IPv4 CIDR such as 10.0.0.0/16").superRefine((v, ctx) => {
  const parsed = parseIpv4Cidr(v);
  if (!parsed) ctx.addIssue({ code: "custom", message: "must be an IPv4 CIDR such as 10.0.0.0/16" });
  else if (!isNetworkAddress(parsed))
    ctx.addIssue({ code: "custom", message: "has host bits set: use the network address" });
});

/** A DNS name or dotted IPv4 address: letters, digits, dots and hyphens only. */
export const host = text("must be a host name or IPv4 address")
  .max(253, { error: "must be a host name or IPv4 address" })
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, {
    error: "must be a host name or IPv4 address",
  });

/** A simple token: a key version, a release label. */
export const token = text("must be 1-64 letters, digits, '.', '_' or '-'").regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error: "must be 1-64 letters, digits, '.', '_' or '-'",
});

/** An AWS region code; at most 32 characters (today's longest are 15), as it reaches the nodes' user data. */
export const region = text("must be an AWS region such as eu-west-1")
  .max(32, { error: "must be an AWS region such as eu-west-1 (at most 32 characters)" })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "must be an AWS region such as eu-west-1" });

export const availabilityZone = text("must be an AZ name such as eu-west-1a").regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, {
  error: "must be an AZ name such as eu-west-1a",
});

/** An absolute URL path of safe characters naming a file, e.g. "/health.aspx". */
export const urlPath = text("must be a path such as /health.aspx")
  .regex(/^\/[A-Za-z0-9._\-/]{0,1023}$/, {
    error: "must be an absolute path of letters, digits, . - _ / (e.g. /health.aspx)",
  })
  .refine((v) => !v.endsWith("/"), { error: "must name a file (e.g. /health.aspx), not a folder" });

/** SSM parameter paths as the kit writes them: /, then AWS's alphabet; /aws and /ssm are reserved. */
export const ssmParameterName = text("must be an SSM parameter path")
  .regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, { error: "must be an SSM parameter path: /, then letters, digits, . _ - /" })
  .refine((v) => !/^\/(aws|ssm)/i.test(v), { error: "must not start with /aws or /ssm (reserved)" });

/** An application URL path, with an optional query: what a node's own check requests through IIS. */
export const appPath = text("must be a path such as /status.aspx").regex(
  /^\/[A-Za-z0-9._~\-/]{0,1023}(\?[A-Za-z0-9._~\-=&%]{0,1024})?$/,
  {
    error: "must be an absolute path (letters, digits, . _ ~ - /), optionally with a ?query",
  },
);

/** An S3 bucket name (the rules for buckets in all regions). */
export const s3Bucket = text("must be an S3 bucket name")
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: "must be an S3 bucket name: 3-63 lower-case letters, digits, . and -",
  })
  .refine((v) => !v.includes("..") && !/^\d+\.\d+\.\d+\.\d+$/.test(v), {
    error: "must be an S3 bucket name (no .., not an IP address)",
  });

/** An S3 object key of safe characters: no * or ? (the key lands in an IAM policy's resource). */
export const s3Key = text("must be an S3 object key").regex(
  /^[A-Za-z0-9!_.'()\-=+@,:;~][A-Za-z0-9!_.'()\-/=+@,:;~]{0,1023}$/,
  {
    error: "must be an S3 object key of letters, digits and ! _ . ' ( ) - / = + @ , : ; ~ (not starting with /)",
  },
);

/** An S3 object version id. */
export const s3VersionId = text("must be an S3 version id").regex(/^[A-Za-z0-9._-]{1,1024}$/, {
  error: "must be an S3 version id",
});

/** An SSM parameter to read (the team's own): a name or path; reading /aws/reference/... is allowed. */
export const ssmParameterReference = text("must be an SSM parameter name").regex(/^\/?[A-Za-z0-9_.\-/]{1,1011}$/, {
  error: "must be an SSM parameter name: letters, digits, . _ - /",
});

/** A Secrets Manager secret: its name, or its ARN. */
export const secretsManagerSecret = text("must be a Secrets Manager secret name or ARN").regex(
  /^([A-Za-z0-9/_+=.@-]{1,512}|arn:aws(-cn|-us-gov)?:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512})$/,
  { error: "must be a Secrets Manager secret name (letters, digits, / _ + = . @ -) or ARN" },
);

export const amiId = text("must be an AMI id (ami-…)").regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, {
  error: "must be an AMI id (ami- and 8 or 17 hex digits)",
});

/** A FarmImage's amiParameter: the SSM parameter its builds write (/imagebuilder/<name>/<version>/ami). */
export const farmImageParameter = text("must be a FarmImage's amiParameter").regex(
  /^\/imagebuilder\/[A-Za-z0-9_.-]{1,128}\/\d{1,6}\.\d{1,6}\.\d{1,6}\/ami$/,
  { error: "must be a FarmImage's amiParameter: /imagebuilder/<image name>/<x.y.z>/ami" },
);

/** An EC2 instance type of an x86_64 family: Graviton (t4g, m6g, c7gn, ...) cannot run Windows. */
export const instanceType = text("must be an EC2 instance type name such as t3.medium")
  .regex(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/, { error: "must be an EC2 instance type name such as t3.medium" })
  .refine((v) => !/^[a-z]+\d+g/.test(v), { error: "is an Arm (Graviton) type; Windows needs x86_64 (e.g. t3.medium)" });

const partition = "aws(-cn|-us-gov)?";
const arnRegion = "[a-z]{2}(-[a-z]+)+-\\d";
export const certificateArn = text("must be an ACM certificate ARN").regex(
  new RegExp(`^arn:${partition}:acm:${arnRegion}:\\d{12}:certificate/[0-9a-f-]{36}$`),
  { error: "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)" },
);
export const snsTopicArn = text("must be an SNS topic ARN").regex(
  new RegExp(`^arn:${partition}:sns:${arnRegion}:\\d{12}:[A-Za-z0-9_-]{1,256}$`),
  { error: "must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)" },
);

const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const ROLE_TAG = "webfarm:role";
/** Which farm a web node belongs to: CodeDeploy's deployment group finds the nodes by it. */
export const FARM_TAG = "webfarm:farm";
/** AWS allows 50 tags per resource; the farm adds Name and webfarm:role. */
export const MAX_CALLER_TAGS = 48;
export const tagKey = z
  .string()
  .min(1, { error: "tag keys must be 1-128 characters" })
  .max(128, { error: "tag keys must be 1-128 characters" })
  .regex(TAG_CHARS, { error: "tag keys may use letters, digits, spaces and _ . : / = + - @" })
  .refine((k) => !k.toLowerCase().startsWith("aws:"), { error: "the aws: prefix is reserved for AWS" })
  .refine((k) => k !== "Name" && k !== ROLE_TAG && k !== FARM_TAG, {
    error: `Name, ${ROLE_TAG} and ${FARM_TAG} are set by the farm`,
  });
export const tagValue = text("tag values must be strings")
  .max(256, { error: "tag values must be at most 256 characters" })
  .regex(TAG_CHARS, { error: "tag values may use letters, digits, spaces and _ . : / = + - @" });

/** A resource id with the given prefix, e.g. vpc-0123abcd. */
export const resourceId = (prefix: string) =>
  text(`must be a ${prefix}-… id`).regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), {
    error: `must be a ${prefix}-… id`,
  });

/** Hex of exactly `bytes` bytes, upper or lower case. */
export const hexKey = (bytes: number) =>
  text(`must be ${bytes * 2} hex characters (${bytes} bytes)`).regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), {
    error: `must be ${bytes * 2} hex characters (${bytes} bytes)`,
  });

/** A rule's verdict on one value, for generators: the value, or an Error naming the field. */
export function check<T>(rule: z.ZodType<T>, field: string, value: unknown): T {
  const result = rule.safeParse(value);
  if (result.success) return result.data;
  throw new Error(`${field} ${result.error.issues[0].message}; got ${describeValue(value)}`);
}

export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** CloudWatch Logs' allowed retention periods, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** An RDS instance class: db.<family>.<size>, e.g. db.t3.small, db.m6i.large. */
export const dbInstanceClass = text("must be an RDS instance class such as db.t3.small").regex(
  /^db\.[a-z][a-z0-9-]*\.(micro|small|medium|large|\d*xlarge)$/,
  { error: "must be an RDS instance class such as db.t3.small or db.m6i.large" },
);

const DB_SIZES = ["micro", "small", "medium", "large", "xlarge"];
const dbSizeRank = (size: string) => {
  const m = /^(\d+)xlarge$/.exec(size);
  return m ? DB_SIZES.length + Number(m[1]) : DB_SIZES.indexOf(size);
};

/**
 * The smallest classes RDS offers each SQL Server edition, as the kit checks them: Express runs on
 * any, Web from small, Standard and Enterprise from t3.xlarge (burstable) or large (m and r).
 * Returns why a class is too small, or undefined.
 */
export function dbClassBelowEdition(instanceClass: string, edition: string): string | undefined {
  const m = /^db\.([a-z]+)\d*[a-z-]*\.(\w+)$/.exec(instanceClass);
  if (!m) return undefined;
  const [, family, size] = m;
  const burstable = family === "t";
  const minimum =
    edition === "web"
      ? "small"
      : edition === "standard" || edition === "enterprise"
        ? burstable
          ? "xlarge"
          : "large"
        : "micro";
  return dbSizeRank(size) < dbSizeRank(minimum)
    ? `is too small for the ${edition} edition (at least ${burstable ? "db.t3" : `db.${family}…`}.${minimum})`
    : undefined;
}

// Schedules. AWS has two cron dialects: Auto Scaling's scheduled actions take Unix cron (five
// fields, no `?` or `#`: PutScheduledUpdateGroupAction), Systems Manager maintenance windows and
// Image Builder take `cron(...)` with six fields (minutes hours day-of-month month day-of-week year,
// one of the two day fields `?`, `#` for "the nth weekday").
const UNIX_CRON_FIELD = /^[0-9A-Za-z*,\-/]+$/;
export const unixCron = text('must be a five-field cron expression such as "0 8 * * MON-FRI"').refine(
  (v) => {
    const fields = v.trim().split(/\s+/);
    return fields.length === 5 && fields.every((f) => UNIX_CRON_FIELD.test(f));
  },
  {
    error:
      'must be a five-field Unix cron expression such as "0 8 * * MON-FRI" (Auto Scaling\'s dialect, UTC unless timeZone)',
  },
);
const AWS_CRON_FIELD = /^[0-9A-Za-z*,\-/?#L]+$/;
export const awsCron = text('must be a cron(...) expression such as "cron(0 3 ? * SUN *)"').refine(
  (v) => {
    const m = /^cron\((.*)\)$/.exec(v.trim());
    const fields = m ? m[1].trim().split(/\s+/) : [];
    return (
      fields.length === 6 && fields.every((f) => AWS_CRON_FIELD.test(f)) && (fields[2] === "?" || fields[4] === "?")
    );
  },
  {
    error:
      'must be a six-field cron(...) expression with "?" in the day-of-month or day-of-week field, such as "cron(0 3 ? * SUN *)"',
  },
);
/** An IANA time zone name, as Node's ICU knows them (Etc/UTC, Europe/Paris...). */
export const timeZone = text("must be an IANA time zone such as Etc/UTC or Europe/Paris").refine(
  (v) => /^(UTC|Etc\/(UTC|GMT([+-]\d{1,2})?))$/.test(v) || Intl.supportedValuesOf("timeZone").includes(v),
  { error: "must be an IANA time zone such as Etc/UTC or Europe/Paris" },
);
const RDS_DAYS = "(mon|tue|wed|thu|fri|sat|sun)";
const HHMM = "([01]\\d|2[0-3]):[0-5]\\d";
/** RDS's weekly maintenance window, UTC: ddd:hh24:mi-ddd:hh24:mi. */
export const rdsMaintenanceWindow = text('must be a window such as "sun:03:00-sun:03:30" (UTC)').regex(
  new RegExp(`^${RDS_DAYS}:${HHMM}-${RDS_DAYS}:${HHMM}$`),
  { error: 'must be a window such as "sun:03:00-sun:03:30" (ddd:hh24:mi-ddd:hh24:mi, UTC)' },
);
/** RDS's daily backup window, UTC: hh24:mi-hh24:mi. */
export const rdsBackupWindow = text('must be a window such as "02:00-02:30" (UTC)').regex(
  new RegExp(`^${HHMM}-${HHMM}$`),
  {
    error: 'must be a window such as "02:00-02:30" (hh24:mi-hh24:mi, UTC)',
  },
);
