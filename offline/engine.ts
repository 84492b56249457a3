// The offline engine: Pulumi's in-process mock engine with every registered resource recorded
// (inputs, secret paths, parent, options), deterministic ids and outputs, and any invoke that is
// not listed throws. The tests (test/mocks.ts), the offline plan and the benchmark all run on it.
import * as pulumi from "@pulumi/pulumi";

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
  /** With a latency model: when the mock was asked to create it, and when creation "finished" (ms). */
  startedAt?: number;
  finishedAt?: number;
}

export type InvokeHandler = (inputs: Record<string, any>) => Record<string, any>;
/** What the mock returns on top of a resource's inputs (what AWS or a provider would compute). */
export type OutputsFunction = (type: string, name: string, inputs: Record<string, any>, id: string) => Record<string, any>;

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

export class RecordingMocks implements pulumi.runtime.Mocks {
  public readonly resources: RecordedResource[] = [];
  public readonly invokes: { token: string; inputs: Record<string, any> }[] = [];
  private readonly options = new Map<string, { parent?: string; options: RecordedOptions }>();

  constructor(
    private readonly invokeHandlers: Record<string, InvokeHandler>,
    private readonly computedOutputs: OutputsFunction,
    private readonly idOf: (type: string, name: string) => string = (_type, name) => `${name}-id`,
    /** Optional latency model (ms of real time per creation), so the SDK's dependency waits play out. */
    private readonly latencyMs?: (type: string, name: string) => number,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult | Promise<pulumi.runtime.MockResourceResult> {
    if (args.type === "pulumi:pulumi:Stack") return { id: undefined, state: {} };
    const id = args.custom === false ? "" : this.idOf(args.type, args.name);
    const secretPaths: string[] = [];
    const inputs = unwrapSecrets(args.inputs, "", secretPaths);
    const state = { ...args.inputs, ...this.computedOutputs(args.type, args.name, inputs, id) };
    const seen = this.options.get(`${args.type}::${args.name}`) ?? { options: {} };
    const record: RecordedResource = { type: args.type, name: args.name, parent: seen.parent, inputs, secretPaths, state, id, options: seen.options };
    this.resources.push(record);
    const result = { id: args.custom === false ? undefined : id, state };
    const delay = this.latencyMs && args.custom !== false ? this.latencyMs(args.type, args.name) : 0;
    if (!this.latencyMs) return result;
    record.startedAt = performance.now();
    return new Promise((resolve) => setTimeout(() => { record.finishedAt = performance.now(); resolve(result); }, delay));
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const handler = this.invokeHandlers[args.token];
    if (!handler) throw new Error(`unmocked invoke ${args.token}: add it to the engine's invokes on purpose`);
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
  invokes: Record<string, InvokeHandler>;
  outputs: OutputsFunction;
  idOf?: (type: string, name: string) => string;
  latencyMs?: (type: string, name: string) => number;
}

export interface RunResult<T> {
  mocks: RecordingMocks;
  result: T;
}

/**
 * Runs `program` as a Pulumi stack under fresh recording mocks and waits until every resource has
 * been registered. Rejects with the program's error (the mocks are on the error as `.mocks`).
 */
export async function runProgram<T>(program: () => T | Promise<T>, options: RunOptions): Promise<RunResult<T>> {
  const mocks = new RecordingMocks(options.invokes, options.outputs, options.idOf, options.latencyMs);
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

