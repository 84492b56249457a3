// The one recording-mock helper every component test uses: Pulumi's in-process mock engine, every
// registered resource recorded with its inputs, parent and options, deterministic ids and outputs,
// and any invoke that is not listed here throws.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";

export interface RecordedOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: unknown[];
  dependsOn?: string[];
}

export interface RecordedResource {
  type: string;
  name: string;
  /** The parent's logical name (undefined for the stack's direct children). */
  parent?: string;
  /** Inputs with secret markers removed (see secretPaths). */
  inputs: Record<string, any>;
  /** Paths of inputs that arrived marked secret, e.g. ["value"]. */
  secretPaths: string[];
  /** Outputs the mock computed, on top of the inputs. */
  state: Record<string, any>;
  id: string;
  options: RecordedOptions;
}

export const TEST_REGION = "eu-west-1";
export const TEST_ACCOUNT = "123456789012";
export const TEST_AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
export const TEST_WINDOWS_AMI = "ami-0123456789abcdef0";

export type InvokeHandler = (inputs: Record<string, any>) => Record<string, any>;

/** Subnets of a network "another stack owns", for bring-your-own tests. */
export const EXISTING_SUBNETS: Record<string, { cidrBlock: string; availabilityZone: string; vpcId: string }> = {
  "subnet-0a00000000000000a": { cidrBlock: "172.20.0.0/24", availabilityZone: "eu-west-1a", vpcId: "vpc-0e00000000000000e" },
  "subnet-0b00000000000000b": { cidrBlock: "172.20.1.0/24", availabilityZone: "eu-west-1b", vpcId: "vpc-0e00000000000000e" },
  "subnet-0c00000000000000c": { cidrBlock: "172.20.10.0/24", availabilityZone: "eu-west-1a", vpcId: "vpc-0e00000000000000e" },
  "subnet-0d00000000000000d": { cidrBlock: "172.20.11.0/24", availabilityZone: "eu-west-1b", vpcId: "vpc-0e00000000000000e" },
};

export const DEFAULT_INVOKES: Record<string, InvokeHandler> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({ names: TEST_AZS, zoneIds: TEST_AZS.map((_, i) => `euw1-az${i + 1}`), id: TEST_REGION }),
  "aws:index/getRegion:getRegion": () => ({ region: TEST_REGION, name: TEST_REGION, id: TEST_REGION }),
  "aws:ssm/getParameter:getParameter": (inputs) => {
    if (inputs.name !== "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base") {
      throw new Error(`unmocked SSM parameter ${inputs.name}`);
    }
    return { name: inputs.name, type: "String", value: TEST_WINDOWS_AMI, insecureValue: TEST_WINDOWS_AMI };
  },
  "aws:ec2/getSubnet:getSubnet": (inputs) => {
    const subnet = EXISTING_SUBNETS[inputs.id];
    if (!subnet) throw new Error(`unmocked subnet ${inputs.id}`);
    return { id: inputs.id, ...subnet };
  },
};

/** The SDK's wire marker for a secret value (sdk/nodejs/runtime/rpc.ts, specialSecretSig). */
const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Removes secret markers, collecting where they were. */
export function unwrapSecrets(value: any, path = "", found: string[] = []): any {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, found));
  if (value !== null && typeof value === "object") {
    if (value[SPECIAL_SIG_KEY] === SECRET_SIG) {
      found.push(path);
      return unwrapSecrets(value.value, path, []);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, found)]));
  }
  return value;
}

function digest(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** Deterministic stand-ins for what AWS and the random provider would compute. */
function computedOutputs(type: string, name: string, inputs: Record<string, any>, id: string): Record<string, any> {
  const h = digest(type, name);
  const arn = (service: string, resource: string) => `arn:aws:${service}:${TEST_REGION}:${TEST_ACCOUNT}:${resource}`;
  switch (type) {
    case "random:index/randomBytes:RandomBytes": {
      // New bytes whenever the keepers change, as the real provider replaces the resource then.
      let hex = "";
      for (let i = 0; hex.length < inputs.length * 2; i++) hex += digest(name, inputs.keepers ?? {}, i);
      hex = hex.slice(0, inputs.length * 2);
      return { hex, base64: Buffer.from(hex, "hex").toString("base64") };
    }
    case "aws:ec2/instance:Instance":
      return { privateIp: `10.0.${parseInt(h.slice(0, 2), 16) % 64 + 128}.${parseInt(h.slice(2, 4), 16) % 250 + 4}`, arn: arn("ec2", `instance/${id}`), publicIp: "" };
    case "aws:ssm/parameter:Parameter":
      return { arn: arn("ssm", `parameter${inputs.name}`) };
    case "aws:lb/loadBalancer:LoadBalancer":
      return { arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/${h.slice(0, 16)}`), dnsName: `${name}-${h.slice(0, 8)}.${TEST_REGION}.elb.amazonaws.com` };
    case "aws:lb/targetGroup:TargetGroup":
      return { arn: arn("elasticloadbalancing", `targetgroup/${name}/${h.slice(0, 16)}`) };
    case "aws:iam/role:Role":
      return { name: `${name}-${h.slice(0, 7)}`, arn: `arn:aws:iam::${TEST_ACCOUNT}:role/${name}-${h.slice(0, 7)}` };
    case "aws:iam/instanceProfile:InstanceProfile":
      return { name: `${name}-${h.slice(0, 7)}`, arn: `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/${name}-${h.slice(0, 7)}` };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { name: `${name}-${h.slice(0, 7)}`, arn: arn("ec2", `security-group/${id}`) };
    default:
      return {};
  }
}

export class RecordingMocks implements pulumi.runtime.Mocks {
  public readonly resources: RecordedResource[] = [];
  public readonly invokes: { token: string; inputs: Record<string, any> }[] = [];
  private readonly options = new Map<string, { parent?: string; options: RecordedOptions }>();

  constructor(private readonly invokeHandlers: Record<string, InvokeHandler> = DEFAULT_INVOKES) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    if (args.type === "pulumi:pulumi:Stack") return { id: undefined, state: {} };
    const id = args.custom === false ? "" : `${args.name}-id`;
    const secretPaths: string[] = [];
    const inputs = unwrapSecrets(args.inputs, "", secretPaths);
    const state = { ...args.inputs, ...computedOutputs(args.type, args.name, inputs, id) };
    const seen = this.options.get(`${args.type}::${args.name}`) ?? { options: {} };
    this.resources.push({ type: args.type, name: args.name, parent: seen.parent, inputs, secretPaths, state, id, options: seen.options });
    return { id: args.custom === false ? undefined : id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const handler = this.invokeHandlers[args.token];
    if (!handler) throw new Error(`unmocked invoke ${args.token}: add it to test/mocks.ts on purpose`);
    this.invokes.push({ token: args.token, inputs: args.inputs });
    return handler(args.inputs);
  }

  /** A stack transformation: sees every resource's options and parent, which mocks cannot. */
  readonly transformation: pulumi.ResourceTransformation = ({ type, name, opts }) => {
    const o = opts as pulumi.CustomResourceOptions;
    const dependsOn = Array.isArray(o.dependsOn) ? o.dependsOn : o.dependsOn ? [o.dependsOn] : [];
    this.options.set(`${type}::${name}`, {
      parent: (opts.parent as unknown as { __name?: string } | undefined)?.__name,
      options: {
        protect: opts.protect,
        ignoreChanges: opts.ignoreChanges,
        deleteBeforeReplace: o.deleteBeforeReplace,
        additionalSecretOutputs: o.additionalSecretOutputs,
        aliases: opts.aliases as unknown[] | undefined,
        dependsOn: dependsOn.map((d) => (d as unknown as { __name?: string }).__name ?? "?"),
      },
    });
    return undefined;
  };

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  named(name: string, type?: string): RecordedResource {
    const found = this.resources.filter((r) => r.name === name && (type === undefined || r.type === type));
    if (found.length !== 1) throw new Error(`expected one resource named ${name}${type ? ` of ${type}` : ""}, found ${found.length}`);
    return found[0];
  }
}

export interface RunOptions {
  project?: string;
  stack?: string;
  invokes?: Record<string, InvokeHandler>;
}

export interface RunResult<T> {
  mocks: RecordingMocks;
  result: T;
}

/**
 * Runs `program` as a Pulumi stack under fresh recording mocks and waits until every resource has
 * been registered. Rejects with the program's error (the mocks are on the error as `.mocks`).
 */
export async function runProgram<T>(program: () => T | Promise<T>, options: RunOptions = {}): Promise<RunResult<T>> {
  const mocks = new RecordingMocks(options.invokes ?? DEFAULT_INVOKES);
  await pulumi.runtime.setMocks(mocks, options.project ?? "aspnet-webfarm", options.stack ?? "test", false);
  let result: T | undefined;
  let failure: unknown;
  // The program's error is caught inside the stack's init: rejecting there would also leave the
  // stack resource's own promises rejected and unhandled.
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(mocks.transformation);
    try {
      result = await program();
    } catch (err) {
      failure = err;
    }
    return {};
  });
  await settle(mocks);
  if (failure !== undefined) {
    throw Object.assign(failure instanceof Error ? failure : new Error(String(failure)), { mocks });
  }
  return { mocks, result: result as T };
}

/** Waits for the SDK's outstanding registrations (its own RPC queue), bounded. */
async function settle(mocks: RecordingMocks): Promise<void> {
  const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  if (waitForRPCs) await waitForRPCs();
  // Belt and braces: a few quiet turns of the event loop with no new registration.
  let quiet = 0;
  for (let i = 0; i < 200 && quiet < 5; i++) {
    const before = mocks.resources.length;
    await new Promise((resolve) => setImmediate(resolve));
    quiet = mocks.resources.length === before ? quiet + 1 : 0;
  }
}

/** Resolves an Output's value (tests only: outputs are always known under mocks). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}
