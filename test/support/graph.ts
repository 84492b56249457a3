// Questions tests ask of a recorded graph: by type, by role, by relation (which group guards the
// state server, who may reach it), rather than by the names of private children.
import { ROLE_TAG, WebFarm, WebFarmArgs } from "../../components";
import { expandUserData } from "../../components/windows/loader";
import { checkConvergence } from "../../engine/convergence";
import { fixtures } from "../../engine/fixtures";
import { RecordedResource, RecordingMocks, runProgram, RunOptions } from "../../engine/engine";
import { inboundRules } from "../../engine/reach";
import { isDeepStrictEqual } from "util";

export const T = {
  instance: "aws:ec2/instance:Instance",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  prefixList: "aws:ec2/managedPrefixList:ManagedPrefixList",
  subnet: "aws:ec2/subnet:Subnet",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  nat: "aws:ec2/natGateway:NatGateway",
  eip: "aws:ec2/eip:Eip",
  igw: "aws:ec2/internetGateway:InternetGateway",
  vpc: "aws:ec2/vpc:Vpc",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  attachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  parameter: "aws:ssm/parameter:Parameter",
  randomBytes: "random:index/randomBytes:RandomBytes",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  profile: "aws:iam/instanceProfile:InstanceProfile",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  zone: "aws:route53/zone:Zone",
  record: "aws:route53/record:Record",
  group: "aws:autoscaling/group:Group",
  template: "aws:ec2/launchTemplate:LaunchTemplate",
  bucket: "aws:s3/bucket:Bucket",
  farm: "aspnet-webfarm:index:WebFarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  lifecycleHook: "aws:autoscaling/lifecycleHook:LifecycleHook",
  gate: "pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate",
  release: "pulumi-nodejs:dynamic/aspnet-webfarm:Release",
};

export type Role = "web-node" | "state-server" | "load balancer";

export class Graph {
  constructor(private readonly mocks: RecordingMocks) {}

  get resources(): RecordedResource[] {
    return this.mocks.resources;
  }
  get invokes() {
    return this.mocks.invokes;
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }
  count(type: string): number {
    return this.ofType(type).length;
  }
  /** The one resource of a type (matching `where`); throws when there are none or several. */
  one(type: string, where: (r: RecordedResource) => boolean = () => true): RecordedResource {
    const found = this.ofType(type).filter(where);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
  }
  /** By logical name: for tests whose subject is the name itself (stable names, aliases). */
  named(name: string, type: string): RecordedResource {
    return this.one(type, (r) => r.name === name);
  }
  byId(id: unknown): RecordedResource | undefined {
    return this.resources.find((r) => r.id === id);
  }

  /** Instances carrying the farm's role tag. */
  byRole(role: "web-node" | "state-server"): RecordedResource[] {
    return this.ofType(T.instance).filter((i) => i.inputs.tags?.[ROLE_TAG] === role);
  }
  webNodes(): RecordedResource[] {
    return this.byRole("web-node");
  }
  stateServer(): RecordedResource {
    const [state, ...more] = this.byRole("state-server");
    if (!state || more.length > 0) throw new Error("expected one state server");
    return state;
  }

  /** The security group that guards a role: found through the resources that use it. */
  groupOf(role: Role): RecordedResource {
    const ids =
      role === "load balancer"
        ? this.one(T.lb).inputs.securityGroups
        : role === "state-server"
          ? this.stateServer().inputs.vpcSecurityGroupIds
          : (this.webNodes()[0] ?? this.one(T.template)).inputs.vpcSecurityGroupIds;
    const group = this.byId(ids?.[0]);
    if (!group) throw new Error(`no security group for ${role}`);
    return group;
  }
  /** Who a group is, as its description says ("aspnet-webfarm web nodes" -> "web nodes"). */
  describeGroup(id: unknown): string {
    const group = this.byId(id);
    return group ? String(group.inputs.description).replace(/^aspnet-webfarm /, "") : String(id);
  }
  rulesOf(type: string, role: Role): RecordedResource[] {
    const group = this.groupOf(role);
    return this.ofType(type).filter((r) => r.inputs.securityGroupId === group.id);
  }
  /** Every inbound source of a role's group, as "tcp/<from>-<to> from <group | cidr | prefix list>". */
  inbound(role: Role): string[] {
    const group = this.groupOf(role);
    return inboundRules(this.resources, {
      group: (id) => this.describeGroup(id),
      prefixList: (id) => `prefix list ${this.byId(id)?.name ?? id}`,
    })
      .filter((r) => r.groupId === group.id)
      .map((r) => `${r.protocol}/${r.from}-${r.to} from ${r.source}`)
      .sort();
  }
}

/** An instance's or launch template's user data as EC2 gets it (a launch template's is base64). */
export function userDataOf(r: RecordedResource): string {
  const raw = r.inputs.userData;
  if (typeof raw !== "string") throw new Error(`${r.name} has no user data`);
  return r.type === T.template ? Buffer.from(raw, "base64").toString("utf8") : raw;
}

/**
 * What a node runs at boot: its user data with the compressed boot script expanded, as every test
 * that looks into user data (for a step, a value, or a secret that must not be there) must read it.
 */
export function bootTextOf(r: RecordedResource): string {
  return expandUserData(userDataOf(r));
}

/**
 * A resource's inputs as text for a scan for what must not be there (a key, a password, an id):
 * their JSON, plus the user data among them expanded, where a compressed secret would hide.
 */
export function inputsText(r: RecordedResource, inputs: Record<string, unknown> = r.inputs): string {
  const userData = typeof inputs.userData === "string" && (r.type === T.instance || r.type === T.template);
  return JSON.stringify(inputs) + (userData ? `\n${bootTextOf(r)}` : "");
}

/** Runs a program under the offline engine and returns its graph and result. */
export async function record<T>(
  program: () => T | Promise<T>,
  options?: RunOptions,
): Promise<{ graph: Graph; result: T }> {
  const { mocks, result } = await runProgram(program, options);
  // Every graph the suite records must converge (engine/convergence.ts): a cycle, race, missing
  // prerequisite or undeclared wait fails the test that built it.
  const { problems } = checkConvergence(mocks.resources, mocks.waits);
  if (problems.length > 0) throw new Error(`the recorded graph does not converge:\n  ${problems.join("\n  ")}`);
  return { graph: new Graph(mocks), result };
}

/** Target groups with real-shaped ARNs: the Spot watch's generator checks the one it is given. */
export const REAL_TARGET_GROUPS = {
  fixtures: fixtures({
    outputs: (type: string, name: string) =>
      type === T.tg
        ? {
            arn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0123456789abcdef`,
            arnSuffix: `targetgroup/${name}/0123456789abcdef`,
            name,
          }
        : {},
  }),
};

/** Builds one WebFarm under the offline engine. */
export async function buildFarm(
  args: WebFarmArgs,
  name = "shop",
  options?: RunOptions,
): Promise<{ graph: Graph; farm: WebFarm }> {
  const { graph, result } = await record(() => new WebFarm(name, args), options);
  return { graph, farm: result };
}

/** Freezes a recorded graph's data, so that a test which writes to a shared graph fails at once. */
function freeze<V>(value: V): V {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) freeze(v);
  }
  return value;
}

const shared = new Map<string, Promise<{ graph: Graph; farm: WebFarm }>>();

/**
 * buildFarm for tests that only read the graph and the farm's outputs: a farm of the same plain
 * arguments, name and options is built once per worker and handed to every such test (the same
 * build under the mock engine took 100-300 ms each time). Its recorded resources are frozen. A test
 * that spies on the build, edits the graph or passes functions or Outputs calls buildFarm.
 */
export function sharedFarm(
  args: WebFarmArgs,
  name = "shop",
  options?: RunOptions,
): Promise<{ graph: Graph; farm: WebFarm }> {
  const key = JSON.stringify([name, args, options ?? null]);
  // Only plain data names a build: JSON drops functions and undefined, which must not collide.
  if (!isDeepStrictEqual(JSON.parse(key), [name, args, options ?? null])) return buildFarm(args, name, options);
  let build = shared.get(key);
  if (!build) {
    build = buildFarm(args, name, options).then((built) => {
      freeze(built.graph.resources);
      freeze(built.graph.invokes);
      return built;
    });
    // A failed build is not kept: the next test builds again and reports its own error.
    build.catch(() => shared.delete(key));
    shared.set(key, build);
  }
  return build;
}

/** The graph a failed program left (nothing, when validation stopped it), with its error. */
export async function attempt(program: () => unknown, options?: RunOptions): Promise<{ error?: Error; graph: Graph }> {
  try {
    const { mocks } = await runProgram(program, options);
    return { graph: new Graph(mocks) };
  } catch (error) {
    return { error: error as Error, graph: new Graph((error as { mocks: RecordingMocks }).mocks) };
  }
}
