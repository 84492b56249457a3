// aspnet-webfarm/testing: the kit's offline engine for a team's own unit tests. recordStack runs
// the team's program under Pulumi's mocks (engine.ts runProgram, with the kit's fixtures) and hands
// back the recorded graph with the questions the kit's own tests ask of theirs: by type, name and
// role, who may reach whom (reach.ts, named as the offline plan names them) and whether
// `pulumi up` finishes (convergence.ts). Nothing is deployed and nothing is asked of AWS.
import * as ipaddr from "ipaddr.js";
import { FarmRole, ROLE_TAG } from "../components/aws/tags";
import { checkConvergence, Convergence } from "./convergence";
import { RecordedOptions, RecordedResource, runProgram } from "./engine";
import { FixtureOptions, fixtures, Fixtures, InvokeHandler, OutputsFunction, Subnet } from "./fixtures";
import { InboundRule, inboundRules, portsOf, ruleCovered, SECURITY_GROUP_TYPE } from "./reach";

export { valueOf } from "./engine";
export type { Convergence } from "./convergence";
export type { OutputsFunction, Subnet } from "./fixtures";
export type { RecordedOptions } from "./engine";

/** The roles the kit tags its instances with (tag `webfarm:role`). */
export type Role = FarmRole;
export { ROLE_TAG };

/** A lookup's answer: what AWS would return, or undefined to leave the call to the kit's fixtures. */
export type LookupAnswer = (inputs: Record<string, any>) => Record<string, any> | undefined;

/** Answers for what only AWS knows: the team's own lookups and the outputs of its own resources. */
export interface StackFixtures {
  /**
   * Lookups (invokes) by token, e.g. "aws:ec2/getAmi:getAmi": asked before the kit's own answer.
   * A lookup neither answers throws, naming the call.
   */
  invokes?: Record<string, LookupAnswer>;
  /**
   * What a resource gets on top of its inputs (what AWS or a provider would compute). Return {} to
   * keep the kit's answer; a StackReference's are `{ outputs: {...}, secretOutputNames: [] }`.
   */
  outputs?: OutputsFunction;
  /** The region the lookups answer with; eu-west-1 unless set. */
  region?: string;
  /** The region's Availability Zone letters ("abc" unless set). */
  zoneLetters?: string;
  /** Subnets the account holds (for a farm in an existing network), by id. */
  subnets?: Record<string, Subnet>;
}

export interface RecordOptions {
  /** The stack name (pulumi.getStack()); "test" unless set. */
  stack?: string;
  /** The project name (pulumi.getProject()); "aspnet-webfarm" unless set. */
  project?: string;
  /** Stack config as "<namespace>:<key>" -> string value, e.g. { "shop:nodeCount": "3" }. */
  config?: Record<string, string>;
  fixtures?: StackFixtures;
}

/** A resource as the program registered it. */
export interface StackResource {
  /** The Pulumi type token, e.g. "aws:ec2/instance:Instance". */
  type: string;
  /** The logical name. */
  name: string;
  /** The parent's logical name (undefined for the stack's direct children). */
  parent?: string;
  /** The inputs, with secret markers removed. */
  inputs: Record<string, any>;
  /** Paths of inputs that arrived as secrets (pulumi.secret), e.g. ["value"]. */
  secretPaths: string[];
  /** The inputs plus what the fixtures computed (ids, ARNs, ...). */
  state: Record<string, any>;
  /** Its id here: `<ShortType>.<name>`, e.g. "SecurityGroup.shop-web" ("" for a component). */
  id: string;
  /** The resource options the program gave, as recorded (protect, ignoreChanges, dependsOn, ...). */
  options: RecordedOptions;
  urn: string;
  /** False for a component resource. */
  custom: boolean;
  /** URNs of the resources it waits for before it is created. */
  dependencies: string[];
}

/** One inbound rule: who (`source`) may reach which security group (`group`) on which ports. */
export interface Inbound {
  /** The rule resource's logical name. */
  rule: string;
  /** The group the rule opens, by its logical name (an id, for a group the program does not create). */
  group: string;
  /** A CIDR, or the source security group's logical name, or a prefix list's id. */
  source: string;
  sourceIsCidr: boolean;
  protocol: string;
  from: number;
  to: number;
  /** "tcp/80" or "tcp/1024-65535". */
  ports: string;
}

const LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate";

/** What a program's run recorded, and the questions a test asks of it. */
export class StackGraph<T = unknown> {
  /** Every resource, in the order the engine created them. */
  readonly resources: readonly StackResource[];
  /** The lookups the program made, in order. */
  readonly invokes: readonly { token: string; inputs: Record<string, any> }[];
  private readonly recorded: RecordingLike;

  constructor(
    recorded: RecordingLike,
    /** What the program returned (a Pulumi program's stack outputs, or the farm it built). */
    readonly result: T,
  ) {
    this.recorded = recorded;
    this.resources = recorded.resources;
    this.invokes = recorded.invokes;
  }

  /** Resources of a type token, e.g. "aws:ec2/instance:Instance". */
  ofType(type: string): StackResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The resource of that logical name (and type, when two types share the name); throws if none or several. */
  named(name: string, type?: string): StackResource {
    const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
    if (found.length !== 1) {
      const types = found.map((r) => r.type).join(", ");
      throw new Error(
        `expected one resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}${types ? ` (${types})` : ""}`,
      );
    }
    return found[0];
  }

  /**
   * The kit's machines of a role, by its role tag: instances, and in Auto Scaling mode the launch
   * template that tags the nodes it launches.
   */
  byRole(role: Role): StackResource[] {
    const tagged = (tags: unknown) => (tags as Record<string, unknown> | undefined)?.[ROLE_TAG] === role;
    return this.resources.filter(
      (r) =>
        tagged(r.inputs.tags) ||
        (r.type === LAUNCH_TEMPLATE_TYPE &&
          (r.inputs.tagSpecifications ?? []).some(
            (s: { resourceType?: string; tags?: unknown }) => s.resourceType === "instance" && tagged(s.tags),
          )),
    );
  }

  /** The security groups a resource uses (an instance, launch template, load balancer, database), named. */
  securityGroupsOf(resource: StackResource): string[] {
    const ids: unknown[] = resource.inputs.vpcSecurityGroupIds ?? resource.inputs.securityGroups ?? [];
    return ids.map((id) => this.groupName(id));
  }

  /**
   * Every inbound rule: security group ingress rules (aws.vpc.SecurityGroupIngressRule, and
   * aws.ec2.SecurityGroupRule of type "ingress" and a group's inline `ingress`), named as the offline
   * plan names them.
   */
  inbound(): Inbound[] {
    const names = { group: (id: unknown) => this.groupName(id), prefixList: String };
    return this.resources.flatMap((r) =>
      inboundRules([r], names).map((i) => ({
        rule: r.name,
        group: i.group,
        source: i.source,
        sourceIsCidr: i.sourceIsCidr,
        protocol: i.protocol,
        from: i.from,
        to: i.to,
        ports: portsOf(i),
      })),
    );
  }

  /**
   * May `source` reach `target` on a TCP port, by the inbound rules of the target's security groups?
   * - target: a security group's logical name (or id), or a resource: any of its groups.
   * - source: an address or CIDR ("0.0.0.0/0", "203.0.113.7") — true when a rule's CIDR covers it;
   *   a security group's logical name or a prefix list's id; or a resource: any of its groups.
   *   A group's members are also let in by a rule open to every address (0.0.0.0/0 or ::/0); a
   *   narrower CIDR that holds their addresses cannot be known before deploy.
   * Egress rules and network ACLs are not read.
   */
  canReach(source: string | StackResource, target: string | StackResource, port: number): boolean {
    const targets = typeof target === "string" ? [target] : this.groupsOrThrow(target);
    const sources = typeof source === "string" ? [source] : this.groupsOrThrow(source);
    const rules: InboundRule[] = this.inbound()
      .filter((r) => r.protocol === "tcp" || r.protocol === "6")
      .map((r) => ({ ...r, groupId: r.group }));
    return targets.some((group) =>
      sources.some((from) => {
        const cidr = asCidr(from);
        const asked = { group, groupId: group, protocol: "tcp", from: port, to: port };
        if (cidr) return ruleCovered({ ...asked, source: cidr, sourceIsCidr: true }, rules);
        return (
          ruleCovered({ ...asked, source: from, sourceIsCidr: false }, rules) ||
          ["0.0.0.0/0", "::/0"].some((all) => ruleCovered({ ...asked, source: all, sourceIsCidr: true }, rules))
        );
      }),
    );
  }

  /** Does `pulumi up` finish: every wait the kit declares needs only what is created before it. */
  converges(): Convergence {
    return checkConvergence(this.recorded.resources, this.recorded.waits);
  }

  /** A security group's logical name from its id, as the offline plan names it. */
  private groupName(id: unknown): string {
    return this.resources.find((r) => r.type === SECURITY_GROUP_TYPE && r.id === id)?.name ?? String(id);
  }

  private groupsOrThrow(resource: StackResource): string[] {
    const groups = this.securityGroupsOf(resource);
    if (groups.length === 0) throw new Error(`${resource.name} (${resource.type}) names no security group`);
    return groups;
  }
}

/** What a run leaves for the graph: the engine's recording mocks, as far as read here. */
interface RecordingLike {
  resources: RecordedResource[];
  invokes: { token: string; inputs: Record<string, any> }[];
  waits: Parameters<typeof checkConvergence>[1];
}

/**
 * Runs `program` (the team's Pulumi program, or any function that creates resources) under the
 * offline engine and returns what it registered. Rejects with the program's error, and with a
 * lookup's error (naming the call) for a lookup no fixture answers.
 */
export async function recordStack<T>(
  program: () => T | Promise<T>,
  options: RecordOptions = {},
): Promise<StackGraph<Awaited<T>>> {
  // A lookup that fails inside an Output (getAmiOutput(...).apply(...)) rejects a promise nobody
  // awaits: `pulumi up` would fail the program with it, and Node would end the test process.
  const unhandled: unknown[] = [];
  const keep = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", keep);
  try {
    const { mocks, result } = await runProgram(program, {
      stack: options.stack,
      project: options.project,
      config: options.config,
      fixtures: withTeamFixtures(options.fixtures ?? {}),
    });
    if (unhandled.length > 0) throw unhandled[0];
    return new StackGraph(mocks, result as Awaited<T>);
  } finally {
    process.off("unhandledRejection", keep);
  }
}

/** How recordStack's error says to answer a lookup. */
const answerInRecordStack = (token: string) =>
  `answer it in recordStack's options: { fixtures: { invokes: { "${token}": (inputs) => ({ ...what AWS returns }) } } }`;

/**
 * The kit's fixtures with the team's answers first (what recordStack runs with); a lookup nobody
 * answers fails naming the call and its inputs, then `howTo(token)`: how to answer it where the
 * caller takes fixtures from.
 */
export function withTeamFixtures(
  team: StackFixtures,
  howTo: (token: string) => string = answerInRecordStack,
): Fixtures {
  const { invokes: answers = {}, ...rest } = team;
  const kit = fixtures(rest satisfies FixtureOptions);
  // The SDK rebuilds a failed invoke's error from its `details` (a gRPC error's text) alone.
  const failure = (message: string) => Object.assign(new Error(message), { details: message });
  const handler =
    (token: string): InvokeHandler =>
    (inputs) => {
      const answer = answers[token]?.(inputs);
      if (answer !== undefined) return answer;
      const own = kit.invokes[token];
      if (!own) throw failure(`unmocked lookup ${token}(${JSON.stringify(inputs)}): ${howTo(token)}`);
      try {
        return own(inputs);
      } catch (err) {
        throw failure(`${(err as Error).message} (lookup ${token}): ${howTo(token)}`);
      }
    };
  // The engine looks a handler up by token: every token gets one, which answers or explains.
  const invokes = new Proxy({} as Record<string, InvokeHandler>, {
    get: (_, token) => (typeof token === "string" ? handler(token) : undefined),
  });
  return { ...kit, invokes };
}

/** "203.0.113.7" -> "203.0.113.7/32"; a CIDR as it is; undefined for anything else (a group's name). */
function asCidr(source: string): string | undefined {
  if (ipaddr.isValidCIDR(source)) return source;
  if (ipaddr.isValid(source)) return `${source}/${ipaddr.parse(source).kind() === "ipv4" ? 32 : 128}`;
  return undefined;
}
