// The stack's configuration: every key's declaration (mirrored in Pulumi.yaml, and a test keeps
// the two equal), reading raw values, and turning them into WebFarmArgs with every problem
// reported at once.
import { farmConfigError, MAX_NODES, Problem, WebFarmArgs, webFarmArgProblems } from "../components";

export type ConfigType = "string" | "integer" | "boolean" | "array";

export interface ConfigDeclaration {
  type: ConfigType;
  description: string;
  /** Pulumi treats a declared key without a default as required, so optional keys default to empty. */
  default: string | number | boolean | string[];
  items?: { type: "string" };
}

export const CONFIG_NAMESPACE = "aspnet-webfarm";

export const CONFIG: Record<string, ConfigDeclaration> = {
  farmName: { type: "string", description: "Logical name of the farm; prefixes every resource (letters, digits, hyphens; at most 18 characters).", default: "webfarm" },
  nodeCount: { type: "integer", description: `Number of Windows/IIS web nodes (1-${MAX_NODES}).`, default: 2 },
  webInstanceType: { type: "string", description: "EC2 instance type of the web nodes (x86_64).", default: "t3.medium" },
  stateInstanceType: { type: "string", description: "EC2 instance type of the ASP.NET state server (x86_64).", default: "t3.medium" },
  amiId: { type: "string", description: "Pin the Windows Server 2022 AMI. Empty: resolve Amazon's latest once and keep it on existing instances.", default: "" },
  vpcCidr: { type: "string", description: "CIDR of the farm's own VPC (private range, /16 to /23).", default: "10.0.0.0/16" },
  azCount: { type: "integer", description: "Availability zones of the farm's own VPC (at least 2).", default: 2 },
  natPerAz: { type: "boolean", description: "One NAT gateway per AZ (resilient) instead of one for the farm (cheaper).", default: false },
  vpcId: { type: "string", description: "Bring your own network: an existing VPC id (with publicSubnetIds and privateSubnetIds; not with vpcCidr/azCount/natPerAz).", default: "" },
  publicSubnetIds: { type: "array", items: { type: "string" }, description: "Bring your own network: public subnets for the load balancer, one per AZ.", default: [] },
  privateSubnetIds: { type: "array", items: { type: "string" }, description: "Bring your own network: private subnets (with NAT) for the nodes and the state server, one per AZ.", default: [] },
  allowedCidrs: { type: "array", items: { type: "string" }, description: "IPv4 CIDRs allowed to reach the load balancer.", default: ["0.0.0.0/0"] },
  certificateArn: { type: "string", description: "ACM certificate ARN. Set: HTTPS on 443 and port 80 redirects to it.", default: "" },
  healthCheckPath: { type: "string", description: "Session-free path the load balancer checks on every node.", default: "/health.aspx" },
  statePort: { type: "integer", description: "TCP port of the ASP.NET State Service.", default: 42424 },
  sessionTimeoutMinutes: { type: "integer", description: "Session timeout in minutes.", default: 20 },
  protectStateServer: { type: "boolean", description: "Refuse to delete or replace the state server without an explicit step (use in prod).", default: false },
  deletionProtection: { type: "boolean", description: "AWS-side protection: load balancer deletion protection and state server termination protection (use in prod).", default: false },
  nodeMode: { type: "string", description: "instances: nodeCount separate EC2 instances; autoscaling: a launch template and an Auto Scaling group.", default: "instances" },
  maxNodeCount: { type: "integer", description: "Auto Scaling mode: the group's maximum size (0: nodeCount). Minimum and desired are nodeCount.", default: 0 },
  accessLogs: { type: "boolean", description: "Write the load balancer's access logs to an encrypted, private S3 bucket.", default: false },
  alarmTopicArn: { type: "string", description: "SNS topic ARN the farm's alarms notify (empty: alarms only show in CloudWatch).", default: "" },
  validation: { type: "string", description: "machineKey validation algorithm: HMACSHA256, HMACSHA384, HMACSHA512 or SHA1.", default: "HMACSHA256" },
  machineKeyVersion: { type: "string", description: "Change to rotate the machine key on purpose (replaces every web node).", default: "1" },
  tags: { type: "array", items: { type: "string" }, description: "Tags for every resource, each as Key=Value.", default: [] },
};

export type RawConfig = Record<string, string | undefined>;

export interface StackSettings {
  farmName: string;
  args: WebFarmArgs;
  /** Everything wrong with the config; the program throws them together with the region checks'. */
  problems: Problem[];
}

/** Optional keys default to "", 0 or []: each means "not set". */
function isEmpty(value: unknown): boolean {
  return value === undefined || value === "" || value === 0 || (Array.isArray(value) && value.length === 0);
}

function parseValue(key: string, decl: ConfigDeclaration, raw: string, problems: Problem[]): unknown {
  const bad = (reason: string) => { problems.push({ propertyPath: key, reason: `${reason}; got ${JSON.stringify(raw)}` }); return undefined; };
  switch (decl.type) {
    case "string":
      return raw;
    case "integer":
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : bad("must be a number");
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : bad("must be true or false");
    case "array": {
      let value: unknown;
      try { value = JSON.parse(raw); } catch { return bad("must be a YAML list"); }
      return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : bad("must be a list of strings");
    }
  }
}

function parseTags(list: string[], problems: Problem[]): Record<string, string> {
  const tags: Record<string, string> = {};
  list.forEach((entry, i) => {
    const at = entry.indexOf("=");
    if (at <= 0) problems.push({ propertyPath: `tags[${i}]`, reason: `must be Key=Value; got ${JSON.stringify(entry)}` });
    else tags[entry.slice(0, at)] = entry.slice(at + 1);
  });
  return tags;
}

/**
 * Raw stack config (key -> string, as Pulumi hands it over) to the farm's name and args, with
 * every problem: unknown keys in the project's namespace, unparsable values, every WebFarm rule.
 */
export function readStackSettings(raw: RawConfig): StackSettings {
  const problems: Problem[] = [];
  for (const key of Object.keys(raw)) {
    if (!(key in CONFIG)) problems.push({ propertyPath: key, reason: `is not a setting of this project (known: ${Object.keys(CONFIG).join(", ")})` });
  }
  const values: Record<string, unknown> = {};
  for (const [key, decl] of Object.entries(CONFIG)) {
    const text = raw[key];
    const value = text === undefined ? decl.default : parseValue(key, decl, text, problems);
    // Empty means "not set" only for keys whose default is empty: an explicit allowedCidrs: []
    // must be reported, not silently widened to the default.
    if (!(isEmpty(value) && isEmpty(decl.default))) values[key] = value;
  }
  const { farmName, tags, ...rest } = values;
  const args = { ...rest, ...(tags !== undefined ? { tags: parseTags(tags as string[], problems) } : {}) } as unknown as WebFarmArgs;
  // Pulumi merges Pulumi.yaml's defaults into every stack's config, so a stack that brings its own
  // network always "has" vpcCidr/azCount/natPerAz: drop them while they hold the default, and let
  // validation report any the stack set to something else.
  if (args.vpcId !== undefined || args.publicSubnetIds !== undefined || args.privateSubnetIds !== undefined) {
    for (const key of ["vpcCidr", "azCount", "natPerAz"] as const) {
      if (args[key] === undefined || args[key] === CONFIG[key].default) delete args[key];
    }
  }
  const name = typeof farmName === "string" ? farmName : "webfarm";
  const farmProblems = webFarmArgProblems(name, args).map((p) => (p.propertyPath === "name" ? { ...p, propertyPath: "farmName" } : p));
  problems.push(...farmProblems.filter((p) => !problems.some((q) => q.propertyPath === p.propertyPath)));
  return { farmName: name, args, problems };
}

export function throwIfProblems(problems: Problem[]): void {
  if (problems.length > 0) throw farmConfigError(`The stack's ${CONFIG_NAMESPACE} config`, problems);
}

/** Reads this project's keys from Pulumi's config map ("namespace:key" -> value). */
export function projectConfig(all: Record<string, string>, namespace = CONFIG_NAMESPACE): RawConfig {
  const prefix = `${namespace}:`;
  return Object.fromEntries(
    Object.entries(all).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
  );
}
