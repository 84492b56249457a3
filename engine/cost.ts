// A monthly cost estimate of a plan's resources from the committed price table (engine/prices.json):
// AWS list prices on the dates the table shows, or figures it marks unverified. Pure: the table is
// read once, from next to this module; nothing here calls AWS. Not a bill: see docs/cost.md.
import type { PlanResource } from "./planModel";
import PRICES from "./prices.json";

/** One figure of the price table: its unit and the AWS page it comes from, dated, or unverified with why. */
export interface PriceItem {
  /** null: the table names the item but has no figure for it (the resource is "not priced"). */
  price: number | null;
  unit: string;
  url: string;
  /** The date of the page, or of the read of a stored copy; `dateIs` says which. */
  date?: string;
  dateIs?: string;
  via?: string;
  quote?: string;
  unverified?: boolean;
  why?: string;
}

export interface Assumption {
  value: number;
  text: string;
}

export interface PriceTable {
  about: string;
  currency: string;
  hoursPerMonth: number;
  assumptions: Record<string, Assumption>;
  /** Figures that are the same in every region. */
  global: Record<string, PriceItem>;
  regions: Record<string, Record<string, PriceItem>>;
}

/** USD a month; min = max unless the line is a range (an Auto Scaling group, Spot, an optional build). */
export interface Money {
  min: number;
  max: number;
}

/** A price the estimate used, as printed under the section (`unverified` holds the table's why). */
export interface CostSource {
  item: string;
  price: number;
  unit: string;
  url: string;
  date?: string;
  dateIs?: string;
  unverified?: string;
}

export interface CostLine {
  name: string;
  type: string;
  /** What is counted, e.g. "2 × t3.medium Windows, 730 h; 50 GB gp3 each". */
  counted: string;
  /** null: nothing of it could be priced ("not priced"). */
  monthly: Money | null;
  /** Parts the table has no figure for (the line is partly priced when monthly is not null). */
  notPriced: string[];
  /** Price items used (keys of the table). */
  sources: string[];
  /** Assumptions this line depends on (keys of the table's assumptions), and notes. */
  assumptions: string[];
  notes: string[];
}

export interface CostEstimate {
  region: string;
  currency: string;
  hoursPerMonth: number;
  /** One line per billable resource, in the plan's order. */
  lines: CostLine[];
  /** Resources with no charge of their own, by type: count. */
  noCharge: Record<string, number>;
  /** Resources that are not AWS resources (component resources, dynamic providers, random values). */
  notAws: number;
  /** The sum of the priced lines (parts not priced are not in it). */
  total: Money;
  /** The usage assumptions the lines used, as sentences. */
  assumptions: string[];
  /** Every price used, with its source and date (or unverified). */
  sources: CostSource[];
}

/** Types with no charge of their own (what they carry is counted elsewhere, or billed only by use). */
const NO_CHARGE: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "network plumbing",
  "aws:ec2/subnet:Subnet": "network plumbing",
  "aws:ec2/routeTable:RouteTable": "network plumbing",
  "aws:ec2/route:Route": "network plumbing",
  "aws:ec2/routeTableAssociation:RouteTableAssociation": "network plumbing",
  "aws:ec2/internetGateway:InternetGateway": "network plumbing (traffic is data transfer, not counted)",
  "aws:ec2/securityGroup:SecurityGroup": "network plumbing",
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "network plumbing",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "network plumbing",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "network plumbing",
  "aws:ec2/launchTemplate:LaunchTemplate": "its instances are counted in the Auto Scaling group",
  "aws:autoscaling/lifecycleHook:LifecycleHook": "part of the Auto Scaling group",
  "aws:autoscaling/policy:Policy": "part of the Auto Scaling group",
  "aws:autoscaling/schedule:Schedule": "part of the Auto Scaling group",
  "aws:lb/listener:Listener": "counted in the load balancer",
  "aws:lb/listenerRule:ListenerRule": "counted in the load balancer's LCUs",
  "aws:lb/targetGroup:TargetGroup": "counted in the load balancer",
  "aws:lb/targetGroupAttachment:TargetGroupAttachment": "counted in the load balancer",
  "aws:iam/role:Role": "IAM has no charge",
  "aws:iam/rolePolicy:RolePolicy": "IAM has no charge",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM has no charge",
  "aws:iam/policy:Policy": "IAM has no charge",
  "aws:iam/instanceProfile:InstanceProfile": "IAM has no charge",
  "aws:codedeploy/application:Application": "CodeDeploy to EC2 has no charge of its own",
  "aws:codedeploy/deploymentGroup:DeploymentGroup": "CodeDeploy to EC2 has no charge of its own",
  "aws:ssm/maintenanceWindow:MaintenanceWindow": "no charge of its own",
  "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": "no charge of its own",
  "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": "no charge of its own",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket setting",
  "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": "bucket setting",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket setting",
  "aws:s3/bucketPolicy:BucketPolicy": "bucket setting",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket setting",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "bucket setting",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "bucket setting",
  "aws:s3/bucketVersioning:BucketVersioning": "bucket setting",
  "aws:s3/bucketVersioningV2:BucketVersioningV2": "bucket setting",
  "aws:s3/bucketObjectv2:BucketObjectv2": "its bytes are in the bucket's storage assumption",
  "aws:s3/bucketObject:BucketObject": "its bytes are in the bucket's storage assumption",
  "aws:rds/subnetGroup:SubnetGroup": "part of the database",
  "aws:rds/parameterGroup:ParameterGroup": "part of the database",
  "aws:rds/optionGroup:OptionGroup": "part of the database",
  "aws:route53/record:Record": "queries are billed by use (not counted)",
  "aws:sns/topic:Topic": "billed by use (not counted)",
  "aws:sns/topicPolicy:TopicPolicy": "billed by use (not counted)",
  "aws:sns/topicSubscription:TopicSubscription": "billed by use (not counted)",
  "aws:cloudwatch/eventRule:EventRule": "events from AWS services are not billed",
  "aws:cloudwatch/eventTarget:EventTarget": "events from AWS services are not billed",
  "aws:secretsmanager/secretVersion:SecretVersion": "counted in its secret",
  "aws:imagebuilder/component:Component": "Image Builder has no charge of its own",
  "aws:imagebuilder/imageRecipe:ImageRecipe": "Image Builder has no charge of its own",
  "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": "Image Builder has no charge of its own",
  "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": "Image Builder has no charge of its own",
};

/** The committed price table (imported: tsc emits it beside this module in the package). */
export function priceTable(): PriceTable {
  return PRICES as unknown as PriceTable;
}

const zero: Money = { min: 0, max: 0 };
const add = (a: Money, b: Money): Money => ({ min: a.min + b.min, max: a.max + b.max });
const times = (m: Money, k: number): Money => ({ min: m.min * k, max: m.max * k });
const fixed = (v: number): Money => ({ min: v, max: v });

/** The parts of one resource's line as it is built: priced parts add up, missing ones are named. */
class LineBuilder {
  monthly: Money = zero;
  priced = false;
  readonly notPriced: string[] = [];
  readonly sources = new Set<string>();
  readonly assumptions = new Set<string>();
  readonly notes: string[] = [];
  readonly counted: string[] = [];

  constructor(readonly prices: Prices) {}

  /** The figure for `key` (recording it as a source), or undefined (recording `part` as not priced). */
  price(key: string, part: string): number | undefined {
    const p = this.prices.get(key);
    if (p === undefined) {
      this.notPriced.push(`${part} (no figure for ${key} in ${this.prices.region})`);
      return undefined;
    }
    this.sources.add(key);
    return p;
  }

  assume(key: string): number {
    this.assumptions.add(key);
    return this.prices.table.assumptions[key].value;
  }

  add(m: Money) {
    this.monthly = add(this.monthly, m);
    this.priced = true;
  }

  line(r: PlanResource): CostLine {
    return {
      name: r.name,
      type: r.type,
      counted: this.counted.join("; "),
      monthly: this.priced ? this.monthly : null,
      notPriced: this.notPriced,
      sources: [...this.sources],
      assumptions: [...this.assumptions],
      notes: this.notes,
    };
  }
}

/** The table's figures for one region, then the global ones. */
class Prices {
  constructor(
    readonly table: PriceTable,
    readonly region: string,
  ) {}
  item(key: string): PriceItem | undefined {
    return this.table.regions[this.region]?.[key] ?? this.table.global[key];
  }
  get(key: string): number | undefined {
    const p = this.item(key)?.price;
    return typeof p === "number" ? p : undefined;
  }
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const usd = (v: number) => `$${v.toFixed(2)}`;

/** The resource a plan input refers to ("LaunchTemplate.<name>" or "<Type>.<name>.<attribute>"). */
function referenced(resources: PlanResource[], ref: unknown, typeSuffix: string): PlanResource | undefined {
  const s = str(ref);
  if (!s) return undefined;
  return resources.find(
    (r) =>
      r.type.endsWith(`:${typeSuffix}`) &&
      (s === `${typeSuffix}.${r.name}` || s.startsWith(`${typeSuffix}.${r.name}.`)),
  );
}

interface Volume {
  gb: number;
  type: string;
  /** gp3 IOPS or throughput set above the included baseline (3,000 IOPS, 125 MB/s): not in the table. */
  aboveBaseline: boolean;
}

/** A volume from a block device's inputs (`volumeSize` may be a number or, in launch templates, a string). */
function volumeOf(d: Record<string, unknown>): Volume | undefined {
  const gb = Number(d.volumeSize);
  if (d.volumeSize === undefined || !Number.isFinite(gb)) return undefined;
  const type = str(d.volumeType) ?? "gp2";
  const aboveBaseline = type === "gp3" && (Number(d.iops ?? 0) > 3000 || Number(d.throughput ?? 0) > 125);
  return { gb, type, aboveBaseline };
}

/** EBS volumes a month: GB × the type's GB-month price; undefined when none could be priced. */
function volumes(b: LineBuilder, vols: Volume[], what: string): number | undefined {
  let total: number | undefined;
  for (const v of vols) {
    const p = b.price(`ebs.${v.type}`, `${what} ${v.gb} GB ${v.type}`);
    if (p !== undefined) total = (total ?? 0) + v.gb * p;
    if (v.aboveBaseline)
      b.notPriced.push(`${what} ${v.gb} GB gp3: IOPS or throughput above the baseline (not in the table)`);
  }
  return total;
}

const describeVolumes = (vols: Volume[]) => vols.map((v) => `${v.gb} GB ${v.type}`).join(" + ");

function instanceVolumes(inputs: Record<string, unknown>, b: LineBuilder): Volume[] {
  const out: Volume[] = [];
  const root = volumeOf(obj(inputs.rootBlockDevice));
  if (root) out.push(root);
  else b.notPriced.push("root volume (its size comes from the image: not in the plan)");
  for (const d of arr(inputs.ebsBlockDevices)) {
    const v = volumeOf(obj(d));
    if (v) out.push(v);
  }
  return out;
}

function templateVolumes(template: PlanResource | undefined): Volume[] {
  return arr(template?.inputs.blockDeviceMappings)
    .map((m) => volumeOf(obj(obj(m).ebs)))
    .filter((v): v is Volume => v !== undefined);
}

function ec2Instance(r: PlanResource, b: LineBuilder, hours: number) {
  const type = str(r.inputs.instanceType);
  const vols = instanceVolumes(r.inputs, b);
  if (!type) b.notPriced.push("instance (no instanceType in the plan)");
  else {
    const hourly = b.price(`ec2.windows.${type}`, `${type} Windows`);
    if (hourly !== undefined) b.add(fixed(hourly * hours));
  }
  const volumeMonth = volumes(b, vols, "volume");
  if (volumeMonth !== undefined) b.add(fixed(volumeMonth));
  b.counted.push(`1 × ${type ?? "?"} Windows, ${hours} h${vols.length ? `; ${describeVolumes(vols)}` : ""}`);
}

/** The Spot saving for a pool: the best Advisor figure among its types here, else AWS's "up to" bound. */
function spotSaving(b: LineBuilder, prices: Prices, pool: string[]): { percent: number; basis: string } {
  const known = pool
    .map((t) => ({ t, s: prices.get(`spot.windows.${t}`) }))
    .filter((x): x is { t: string; s: number } => x.s !== undefined);
  if (known.length) {
    const best = known.reduce((a, c) => (c.s > a.s ? c : a));
    b.sources.add(`spot.windows.${best.t}`);
    const item = prices.item(`spot.windows.${best.t}`);
    return {
      percent: best.s,
      basis: `Spot Instance Advisor saving up to ${best.s}% (${best.t}, ${item?.date ?? "undated"})`,
    };
  }
  const cap = b.price("spot.maxSavingPercent", "Spot saving") ?? 0;
  return { percent: cap, basis: `no Advisor figure for this region in the table: AWS's "up to ${cap}%" bound` };
}

function autoScalingGroup(r: PlanResource, all: PlanResource[], b: LineBuilder, prices: Prices, hours: number) {
  const mixed = obj(r.inputs.mixedInstancesPolicy);
  const spec = obj(obj(mixed.launchTemplate).launchTemplateSpecification);
  const templateRef = obj(r.inputs.launchTemplate).id ?? spec.launchTemplateId ?? spec.launchTemplateName;
  const template = referenced(all, templateRef, "LaunchTemplate");
  const overrides = arr(obj(mixed.launchTemplate).overrides)
    .map((o) => str(obj(o).instanceType))
    .filter((t): t is string => t !== undefined);
  const type = str(template?.inputs.instanceType) ?? overrides[0];
  const minSize = num(r.inputs.minSize) ?? 0;
  const maxSize = Math.max(num(r.inputs.maxSize) ?? minSize, minSize);
  const nodes = minSize === maxSize ? `${minSize}` : `${minSize}–${maxSize}`;
  const vols = templateVolumes(template);
  if (!type) {
    b.notPriced.push("nodes (no instance type found in the group or its launch template)");
    b.counted.push(`${nodes} nodes`);
    return;
  }
  const od = b.price(`ec2.windows.${type}`, `${type} Windows`);
  const perNodeVolumes = volumes(b, vols, "volume");
  if (Object.keys(mixed).length === 0) {
    if (od !== undefined) b.add({ min: od * hours * minSize, max: od * hours * maxSize });
    b.counted.push(`${nodes} × ${type} Windows On-Demand, ${hours} h (group min–max)`);
  } else {
    const dist = obj(mixed.instancesDistribution);
    const base = num(dist.onDemandBaseCapacity) ?? 0;
    const aboveOnDemand = (num(dist.onDemandPercentageAboveBaseCapacity) ?? 100) / 100;
    const pool = [...new Set([type, ...overrides])];
    const { percent, basis } = spotSaving(b, prices, pool);
    // The most a Spot node costs is On-Demand (the default maximum price); the least, the saving below it.
    const split = (n: number) => {
      const onDemand = Math.min(base, n) + Math.round(Math.max(n - base, 0) * aboveOnDemand);
      return { onDemand, spot: n - onDemand };
    };
    const lo = split(minSize);
    const hi = split(maxSize);
    if (od !== undefined)
      b.add({
        min: od * hours * (lo.onDemand + lo.spot * (1 - percent / 100)),
        max: od * hours * (hi.onDemand + hi.spot),
      });
    b.counted.push(
      `${nodes} nodes (group min–max), ${hours} h: ${Math.min(base, minSize)} On-Demand ${type} Windows, the rest Spot from ${pool.join("/")} at ${100 - percent}–100% of On-Demand`,
    );
    b.notes.push(`Spot: ${basis}; at most the On-Demand price`);
  }
  if (perNodeVolumes !== undefined) b.add({ min: perNodeVolumes * minSize, max: perNodeVolumes * maxSize });
  if (vols.length) b.counted.push(`${describeVolumes(vols)} each`);
}

function rdsInstance(r: PlanResource, b: LineBuilder, hours: number) {
  const engine = str(r.inputs.engine) ?? "?";
  const cls = str(r.inputs.instanceClass) ?? "?";
  const multiAz = r.inputs.multiAz === true;
  const gb = num(r.inputs.allocatedStorage) ?? 20;
  const storage = str(r.inputs.storageType) ?? "gp2";
  const byol = str(r.inputs.licenseModel) === "bring-your-own-license";
  const factor = multiAz ? b.price("rds.multiAzFactor", "Multi-AZ standby") : 1;
  if (byol) b.notPriced.push(`${engine} ${cls} (bring your own licence: not in the table)`);
  else {
    const hourly = b.price(`rds.${engine}.${cls}`, `${engine} ${cls}`);
    if (hourly !== undefined && factor !== undefined) b.add(fixed(hourly * hours * factor));
  }
  const perGb = b.price(`rds.storage.${storage}`, `${gb} GB ${storage} storage`);
  if (perGb !== undefined && factor !== undefined) b.add(fixed(perGb * gb * factor));
  b.counted.push(
    `1 × ${cls} ${engine}${multiAz ? " Multi-AZ (primary + standby)" : " Single-AZ"}, ${hours} h; ${gb} GB ${storage}`,
  );
  if (r.inputs.storageType === undefined) b.notes.push("storage type not set: gp2 assumed");
}

function loadBalancer(r: PlanResource, b: LineBuilder, hours: number) {
  const kind = str(r.inputs.loadBalancerType) ?? "application";
  if (kind !== "application") {
    b.notPriced.push(`${kind} load balancer (only Application Load Balancers are in the table)`);
    b.counted.push(`1 × ${kind} load balancer`);
    return;
  }
  const hourly = b.price("elb.alb.hour", "load balancer hours");
  const lcu = b.price("elb.alb.lcu", "LCU-hours");
  const lcus = b.assume("albLcuPerHour");
  if (hourly !== undefined) b.add(fixed(hourly * hours));
  if (lcu !== undefined) b.add(fixed(lcu * lcus * hours));
  b.counted.push(`1 × Application Load Balancer, ${hours} h + ${lcus} LCU × ${hours} h`);
}

function natGateway(b: LineBuilder, hours: number) {
  const hourly = b.price("vpc.nat.hour", "NAT gateway hours");
  const perGb = b.price("vpc.nat.gb", "NAT data processed");
  const gb = b.assume("natGbPerMonth");
  if (hourly !== undefined) b.add(fixed(hourly * hours));
  if (perGb !== undefined) b.add(fixed(perGb * gb));
  b.counted.push(`1 × NAT gateway, ${hours} h + ${gb} GB processed`);
}

/** Builds a month from an EventBridge-style schedule: {min, max} and how it was read. */
export function buildsPerMonth(expression: string | undefined, condition?: string): { builds: Money; read: string } {
  const onlyIfUpdated = condition === "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE";
  const range = (n: number, read: string) => ({
    builds: { min: onlyIfUpdated ? 0 : n, max: n },
    read: onlyIfUpdated ? `${read}, only when updates are available` : read,
  });
  if (!expression) return { builds: zero, read: "no schedule: builds only when started by hand" };
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const perMonth = rate[2].startsWith("day") ? 30 / n : rate[2].startsWith("hour") ? 730 / n : (730 * 60) / n;
    return range(perMonth, `${expression}: ${perMonth.toFixed(1)} a month`);
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron) {
    const [, , dom = "*", , dow = "?"] = cron[1].trim().split(/\s+/);
    const count = (field: string) => field.split(",").length;
    if (dow.includes("#") || dow.includes("L")) return range(count(dow), `${expression}: ${count(dow)} a month`);
    if (dom !== "*" && dom !== "?") return range(count(dom), `${expression}: ${count(dom)} a month`);
    if (dow !== "*" && dow !== "?") {
      const days = dow.includes("-") ? 5 : count(dow);
      return range(days * 4.35, `${expression}: ${days} a week`);
    }
    return range(30, `${expression}: daily`);
  }
  return range(1, `${expression}: not read, 1 a month assumed`);
}

/** One build's cost: the build and test instances' hours and their volumes for that time. */
function buildCost(
  b: LineBuilder,
  pipeline: PlanResource,
  all: PlanResource[],
): { perBuild: number | undefined; what: string } {
  const infra = referenced(all, pipeline.inputs.infrastructureConfigurationArn, "InfrastructureConfiguration");
  const recipe = referenced(all, pipeline.inputs.imageRecipeArn, "ImageRecipe");
  const type = str(arr(infra?.inputs.instanceTypes)[0]);
  const hours = b.assume("imageBuildInstanceHours");
  b.price("imagebuilder.service", "Image Builder");
  const vols = templateVolumes(recipe);
  if (!type) {
    b.notPriced.push("build instance (no instance type in its infrastructure configuration: Image Builder picks one)");
    return { perBuild: undefined, what: "build instance type unknown" };
  }
  const od = b.price(`ec2.windows.${type}`, `build instance ${type} Windows`);
  const volumeMonth = volumes(b, vols, "build volume") ?? 0;
  if (od === undefined) return { perBuild: undefined, what: `${type}` };
  return {
    perBuild: od * hours + (volumeMonth * hours) / b.prices.table.hoursPerMonth,
    what: `${hours} instance-hours of ${type} Windows${vols.length ? ` with ${describeVolumes(vols)}` : ""}`,
  };
}

function imagePipeline(r: PlanResource, all: PlanResource[], b: LineBuilder) {
  const schedule = obj(r.inputs.schedule);
  const enabled = str(r.inputs.status) !== "DISABLED";
  const { builds, read } = enabled
    ? buildsPerMonth(str(schedule.scheduleExpression), str(schedule.pipelineExecutionStartCondition))
    : { builds: zero, read: "pipeline disabled" };
  const { perBuild, what } = buildCost(b, r, all);
  if (perBuild !== undefined) b.add(times(builds, perBuild));
  b.counted.push(`builds: ${read}; each ${what}`);
  b.notes.push("Image Builder itself has no charge; the AMI's snapshots are not counted");
}

function image(r: PlanResource, all: PlanResource[], b: LineBuilder) {
  const { perBuild, what } = buildCost(b, r, all);
  b.add(zero);
  b.counted.push(
    `one build when created, not monthly${perBuild !== undefined ? ` (about ${usd(perBuild)} once)` : ""}: ${what}`,
  );
}

function alarm(r: PlanResource, b: LineBuilder) {
  const metrics = arr(r.inputs.metricQueries).filter((q) => obj(q).metric !== undefined).length || 1;
  const highResolution = (num(r.inputs.period) ?? 60) < 60;
  if (highResolution) {
    b.notPriced.push("high-resolution alarm (not in the table)");
    b.counted.push(`${metrics} high-resolution alarm metric(s)`);
    return;
  }
  const p = b.price("cloudwatch.alarmMetric", "alarm metrics");
  if (p !== undefined) b.add(fixed(p * metrics));
  b.counted.push(`${metrics} standard-resolution alarm metric${metrics > 1 ? "s" : ""}`);
}

function kmsKey(r: PlanResource, b: LineBuilder) {
  const key = b.price("kms.key", "key");
  if (key === undefined) return;
  b.add(fixed(key));
  if (r.inputs.enableKeyRotation === true) {
    const rotation = b.price("kms.rotation", "rotated backing keys");
    const cap = b.price("kms.rotationCap", "rotation charge cap");
    if (rotation !== undefined && cap !== undefined) b.add({ min: 0, max: rotation * cap });
    b.counted.push(`1 key with yearly rotation: each rotated backing key adds a key-month, up to ${cap ?? "?"}`);
  } else b.counted.push("1 key");
}

function perMonth(b: LineBuilder, key: string, part: string, counted: string, count = 1) {
  const p = b.price(key, part);
  if (p !== undefined) b.add(fixed(p * count));
  b.counted.push(counted);
}

function usage(b: LineBuilder, key: string, assumption: string, part: string, unit: string) {
  const p = b.price(key, part);
  const amount = b.assume(assumption);
  if (p !== undefined) b.add(fixed(p * amount));
  return `${amount} ${unit}`;
}

/** The line of one resource, or undefined when its type has no charge of its own or is not AWS's. */
function lineOf(r: PlanResource, all: PlanResource[], prices: Prices): CostLine | undefined {
  const b = new LineBuilder(prices);
  const hours = prices.table.hoursPerMonth;
  switch (r.type) {
    case "aws:ec2/instance:Instance":
      ec2Instance(r, b, hours);
      break;
    case "aws:autoscaling/group:Group":
      autoScalingGroup(r, all, b, prices, hours);
      break;
    case "aws:rds/instance:Instance":
      rdsInstance(r, b, hours);
      break;
    case "aws:lb/loadBalancer:LoadBalancer":
    case "aws:alb/loadBalancer:LoadBalancer":
      loadBalancer(r, b, hours);
      break;
    case "aws:ec2/natGateway:NatGateway":
      natGateway(b, hours);
      break;
    case "aws:ec2/eip:Eip":
      perMonth(b, "vpc.publicIpv4.hour", "public IPv4 address", `1 public IPv4 address, ${hours} h`, hours);
      break;
    case "aws:cloudwatch/logGroup:LogGroup": {
      const ingested = usage(b, "cloudwatch.logs.ingestGb", "logIngestGbPerGroup", "log ingestion", "GB ingested");
      const stored = usage(b, "cloudwatch.logs.storedGb", "logStoredGbPerGroup", "log storage", "GB stored");
      b.counted.push(`${ingested} + ${stored}`);
      break;
    }
    case "aws:cloudwatch/dashboard:Dashboard":
      perMonth(b, "cloudwatch.dashboard", "dashboard", "1 dashboard (free tier not applied)");
      break;
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      alarm(r, b);
      break;
    case "aws:kms/key:Key":
      kmsKey(r, b);
      break;
    case "aws:secretsmanager/secret:Secret": {
      const copies = 1 + arr(r.inputs.replicas).length;
      perMonth(
        b,
        "secretsmanager.secret",
        "secret",
        `${copies} secret${copies > 1 ? "s (with replicas)" : ""}`,
        copies,
      );
      break;
    }
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2":
      b.counted.push(usage(b, "s3.standard.gb", "s3GbPerBucket", "S3 Standard storage", "GB in S3 Standard"));
      break;
    case "aws:route53/zone:Zone":
      perMonth(b, "route53.hostedZone", "hosted zone", "1 hosted zone");
      break;
    case "aws:ssm/parameter:Parameter":
      if (str(r.inputs.tier) === "Advanced" || str(r.inputs.tier) === "Intelligent-Tiering") {
        b.notPriced.push("advanced parameter (not in the table)");
        b.counted.push("1 advanced parameter");
        break;
      }
      return undefined; // standard parameters have no charge of their own
    case "aws:imagebuilder/imagePipeline:ImagePipeline":
      imagePipeline(r, all, b);
      break;
    case "aws:imagebuilder/image:Image":
      image(r, all, b);
      break;
    default:
      if (!r.type.startsWith("aws:") || NO_CHARGE[r.type]) return undefined;
      b.notPriced.push("this resource type (not in the table)");
      b.counted.push("not priced");
  }
  return b.line(r);
}

/**
 * The monthly cost of `resources` in `region` from the price table: a line per billable resource,
 * resources with no price listed as not priced (never 0), the total, and every price used.
 */
export function estimateMonthlyCost(
  resources: PlanResource[],
  region: string,
  table: PriceTable = priceTable(),
): CostEstimate {
  const prices = new Prices(table, region);
  const lines: CostLine[] = [];
  const noCharge: Record<string, number> = {};
  let notAws = 0;
  for (const r of resources) {
    const line = lineOf(r, resources, prices);
    if (line) lines.push(line);
    else if (!r.type.startsWith("aws:")) notAws++;
    else noCharge[r.type] = (noCharge[r.type] ?? 0) + 1;
  }
  const total = lines.reduce((t, l) => (l.monthly ? add(t, l.monthly) : t), zero);
  const used = [...new Set(lines.flatMap((l) => l.sources))].sort();
  const sources: CostSource[] = used.map((item) => {
    const p = prices.item(item)!;
    return {
      item,
      price: p.price ?? 0,
      unit: p.unit,
      url: p.url,
      ...(p.date ? { date: p.date } : {}),
      ...(p.dateIs ? { dateIs: p.dateIs } : {}),
      ...(p.unverified ? { unverified: p.why ?? "unverified" } : {}),
    };
  });
  const assumptionKeys = [...new Set(lines.flatMap((l) => l.assumptions))].sort();
  return {
    region,
    currency: table.currency,
    hoursPerMonth: table.hoursPerMonth,
    lines,
    noCharge,
    notAws,
    total,
    assumptions: [
      `${table.hoursPerMonth} hours a month; On-Demand list prices, no free tier, Savings Plans or Reserved Instances`,
      "instances are priced as Windows with the licence included (the kit's nodes are Windows)",
      ...assumptionKeys.map((k) => table.assumptions[k].text),
    ],
    sources,
  };
}

/** "$12.34", or "$12.34 – $56.78" for a range. */
export function money(m: Money): string {
  return Math.abs(m.max - m.min) < 0.005 ? usd(m.min) : `${usd(m.min)} – ${usd(m.max)}`;
}

const shortType = (type: string) => type.split(":")[1] ?? type;
const cell = (s: string) => s.replace(/\|/g, "\\|");

function lineCost(l: CostLine): string {
  if (!l.monthly) return "not priced";
  return l.notPriced.length ? `${money(l.monthly)} (partly priced)` : money(l.monthly);
}

/** Markdown lines for plans/<stack>.md: a table per resource, the total, the assumptions and the prices used. */
export function costSection(estimate: CostEstimate): string[] {
  const unverified = estimate.sources.filter((s) => s.unverified).length;
  const unverifiedItems = new Set(estimate.sources.filter((s) => s.unverified).map((s) => s.item));
  const mark = (item: string) => `\`${item}\`${unverifiedItems.has(item) ? "†" : ""}`;
  const notPriced = estimate.lines.filter((l) => !l.monthly || l.notPriced.length);
  const out = [
    `## Monthly cost estimate (${estimate.region}, ${estimate.currency})`,
    "",
    `This is an estimate from AWS list prices on the dates shown below, not a bill: usage-based charges use the assumptions stated, ` +
      `and figures marked unverified were not found in a dated source.`,
    "",
    "| Resource | Type | Counted | USD a month | Prices |",
    "|---|---|---|---|---|",
    ...estimate.lines.map(
      (l) =>
        `| ${cell(l.name)} | ${cell(shortType(l.type))} | ${cell(l.counted)} | ${lineCost(l)} | ${l.sources.map(mark).join(", ") || "-"} |`,
    ),
    `| **Total${notPriced.length ? " (priced parts only)" : ""}** | | | **${money(estimate.total)}** | |`,
    "",
    "† unverified price (see Prices used).",
    "",
  ];
  if (notPriced.length) {
    out.push("Not priced (not in the total):", "");
    for (const l of notPriced)
      out.push(`- ${l.name} (${shortType(l.type)}): ${l.notPriced.join("; ") || "not priced"}`);
    out.push("");
  }
  const free = Object.entries(estimate.noCharge).sort(([a], [b]) => a.localeCompare(b));
  if (free.length)
    out.push(`No charge of their own: ${free.map(([t, n]) => `${shortType(t)} × ${n}`).join(", ")}.`, "");
  if (estimate.notAws)
    out.push(`Not AWS resources (components, dynamic providers, random values): ${estimate.notAws}.`, "");
  const notes = [...new Set(estimate.lines.flatMap((l) => l.notes))];
  out.push("### Assumptions", "", ...estimate.assumptions.map((a) => `- ${a}`), ...notes.map((n) => `- ${n}`), "");
  out.push(
    "A range runs from the group's minimum to its maximum nodes, from the largest Spot saving to On-Demand, or from no build to every scheduled one.",
    "",
    "### Prices used",
    "",
    `${unverified} of ${estimate.sources.length} prices are unverified.`,
    "",
    "| Item | Price | Unit | Source | Date |",
    "|---|---|---|---|---|",
    ...estimate.sources.map(
      (s) =>
        `| \`${s.item}\` | ${s.price} | ${cell(s.unit)} | ${s.url} | ${s.unverified ? `unverified: ${cell(s.unverified)}` : `${s.date}${s.dateIs ? ` (${cell(s.dateIs)})` : ""}`} |`,
    ),
  );
  return out;
}

const lineKey = (l: CostLine) => `${l.type} ${l.name}`;
const signed = (v: number) => `${v < 0 ? "-" : "+"}${usd(Math.abs(v))}`;
const lineMoney = (l: CostLine) => (l.monthly ? money(l.monthly) : "not priced");

/** Lines for the diff: the total before → after with its change, then each line that changed. */
export function costDelta(before: CostEstimate, after: CostEstimate): string[] {
  const change: Money = { min: after.total.min - before.total.min, max: after.total.max - before.total.max };
  const changeText =
    Math.abs(change.min - change.max) < 0.005 ? signed(change.min) : `${signed(change.min)} – ${signed(change.max)}`;
  const out = [
    `Monthly cost estimate (${after.region}): ${money(before.total)} → ${money(after.total)} (${changeText})`,
  ];
  if (before.region !== after.region) out.push(`region changed: ${before.region} → ${after.region}`);
  const old = new Map(before.lines.map((l) => [lineKey(l), l]));
  const now = new Map(after.lines.map((l) => [lineKey(l), l]));
  // What is counted, when it says more than the figure (an unknown type's is only "not priced").
  const counted = (l: CostLine) => (l.counted === lineMoney(l) ? "" : ` — ${l.counted}`);
  for (const l of after.lines) {
    const was = old.get(lineKey(l));
    if (!was) out.push(`+ ${l.name} (${shortType(l.type)}): ${lineMoney(l)}${counted(l)}`);
    else if (lineMoney(was) !== lineMoney(l) || was.counted !== l.counted)
      out.push(`~ ${l.name} (${shortType(l.type)}): ${lineMoney(was)} → ${lineMoney(l)}${counted(l)}`);
  }
  for (const l of before.lines)
    if (!now.has(lineKey(l))) out.push(`- ${l.name} (${shortType(l.type)}): was ${lineMoney(l)}`);
  if (out.length === 1) out.push("no priced resource changed");
  return out;
}
