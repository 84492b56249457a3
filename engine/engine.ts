// The offline engine: Pulumi's in-process mock engine with every registered resource recorded
// (inputs, secret paths, parent, options), deterministic ids and outputs (engine/fixtures.ts),
// and any invoke that is not listed throws. Tests, the offline plan, the benchmark and the policy
// tests all run programs through `runProgram` here.
import * as pulumi from "@pulumi/pulumi";
import { declaredWaits, recordWaits } from "../components/aws/waits";
import { Fixtures, fixtures } from "./fixtures";

// SDK modules whose exports its runtime calls through the module object at each call, so a mocked
// run can swap them (see leanSdk).
/* eslint-disable @typescript-eslint/no-require-imports */
const debuggable: Record<string, unknown> = require("@pulumi/pulumi/runtime/debuggable");
const closure: Record<string, unknown> = require("@pulumi/pulumi/runtime/closure/serializeClosure");
const settings: Record<string, unknown> = require("@pulumi/pulumi/runtime/settings");
/* eslint-enable @typescript-eslint/no-require-imports */

/** What a dynamic resource's `__provider` input holds when its code is not serialized. */
export const PROVIDER_PLACEHOLDER = "[dynamic provider code]";

export interface RecordedOptions {
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  replaceOnChanges?: string[];
  additionalSecretOutputs?: string[];
  aliases?: unknown[];
  dependsOn?: string[];
  customTimeouts?: pulumi.CustomTimeouts;
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
  /** The URN the mock monitor gave it (what dependency lists name). */
  urn: string;
  /** The parent's URN (undefined for the stack's direct children). */
  parentUrn?: string;
  /** False for a component resource. */
  custom: boolean;
  /**
   * Every resource the engine waits for before creating this one, as the SDK sends them with the
   * registration request: explicit dependsOn (a component stands for all its children) and the
   * resources whose outputs its inputs take.
   */
  dependencies: string[];
  /** The same, per input property (the resources each input takes outputs of). */
  propertyDependencies: Record<string, string[]>;
}

/** A declared wait (components/aws/waits.ts), with its resources as URNs of the recorded graph. */
export interface RecordedWait {
  waiter: string;
  waitsFor: string;
  needs: { what: string; urn?: string; holds?: boolean }[];
}

/** What the registration request carried that the mocks' newResource is not given. */
interface Registration {
  urn: string;
  parentUrn?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
}

/** The parts of the SDK's RegisterResourceRequest (protobuf) the capture reads. */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(f: (deps: { getUrnsList(): string[] }, key: string) => void): void };
}

/** The SDK's MockMonitor, as far as the capture uses it. */
interface MockMonitor {
  registerResource(req: RegisterResourceRequest, callback: unknown): unknown;
  readResource(req: Pick<RegisterResourceRequest, "getType" | "getName" | "getParent">, callback: unknown): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

/** Removes the SDK's secret markers, collecting the paths where they were. */
export function unwrapSecrets(value: any, path = "", found: string[] = []): any {
  if (pulumi.runtime.isRpcSecret(value)) {
    found.push(path);
    return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(value), path, []);
  }
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${path}[${i}]`, found));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, path ? `${path}.${k}` : k, found)]),
    );
  }
  return value;
}

/** The SDK's wire markers for assets and archives: how a plan file shows them. */
export const ASSET_MARKERS = {
  sig: "4dabf18193072939515e22adb298388d",
  asset: "c44067f5952c0a294b673a41bacd8c17",
  archive: "0def7320c3a5731c473e5ecbe6d01bc7",
};

/** Assets and archives arrive as SDK objects holding promises: resolve them into plain data. */
async function resolveAssets(value: any): Promise<any> {
  const { sig, asset, archive } = ASSET_MARKERS;
  if (pulumi.asset.Asset.isInstance(value)) {
    const v = value as any;
    const [text, path, uri] = await Promise.all([v.text, v.path, v.uri]);
    return {
      [sig]: asset,
      ...(text !== undefined ? { text } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(uri !== undefined ? { uri } : {}),
    };
  }
  if (pulumi.asset.Archive.isInstance(value)) {
    const v = value as any;
    const [assets, path, uri] = await Promise.all([v.assets, v.path, v.uri]);
    const resolved =
      assets === undefined
        ? undefined
        : Object.fromEntries(
            await Promise.all(Object.entries(assets).map(async ([k, a]) => [k, await resolveAssets(a)])),
          );
    return {
      [sig]: archive,
      ...(resolved ? { assets: resolved } : {}),
      ...(path !== undefined ? { path } : {}),
      ...(uri !== undefined ? { uri } : {}),
    };
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveAssets));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveAssets(v)])),
    );
  }
  return value;
}

const holdsAsset = (value: any): boolean =>
  pulumi.asset.Asset.isInstance(value) ||
  pulumi.asset.Archive.isInstance(value) ||
  (value !== null && typeof value === "object" && Object.values(value).some(holdsAsset));

export class RecordingMocks implements pulumi.runtime.Mocks {
  public readonly resources: RecordedResource[] = [];
  public readonly invokes: { token: string; inputs: Record<string, any> }[] = [];
  /** The waits the program declared (components/aws/waits.ts), once the run settled. */
  public waits: RecordedWait[] = [];
  private readonly registrations = new Map<string, Registration>();
  private readonly options = new Map<string, { parent?: string; options: RecordedOptions }>();

  constructor(
    private readonly fixtures: Fixtures,
    /** Optional latency model (ms of real time per creation), so the SDK's dependency waits play out. */
    private readonly latencyMs?: (type: string, name: string) => number,
  ) {}

  newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): pulumi.runtime.MockResourceResult | Promise<pulumi.runtime.MockResourceResult> {
    if (holdsAsset(args.inputs)) return resolveAssets(args.inputs).then((inputs) => this.record({ ...args, inputs }));
    return this.record(args);
  }

  private record(
    args: pulumi.runtime.MockResourceArgs,
  ): pulumi.runtime.MockResourceResult | Promise<pulumi.runtime.MockResourceResult> {
    if (args.type === "pulumi:pulumi:Stack") return { id: undefined, state: {} };
    const id = args.custom === false ? "" : this.fixtures.idOf(args.type, args.name);
    const secretPaths: string[] = [];
    const inputs = unwrapSecrets(args.inputs, "", secretPaths);
    const state = { ...args.inputs, ...this.fixtures.outputs(args.type, args.name, inputs, id) };
    const seen = this.options.get(`${args.type}::${args.name}`) ?? { options: {} };
    const registration = this.registrations.get(`${args.type}::${args.name}`);
    if (!registration) throw new Error(`no registration request seen for ${args.type} ${args.name}`);
    const record: RecordedResource = {
      type: args.type,
      name: args.name,
      parent: seen.parent,
      inputs,
      secretPaths,
      state,
      id,
      options: seen.options,
      urn: registration.urn,
      parentUrn: registration.parentUrn,
      custom: args.custom !== false,
      dependencies: registration.dependencies,
      propertyDependencies: registration.propertyDependencies,
    };
    this.resources.push(record);
    const result = { id: args.custom === false ? undefined : id, state };
    if (!this.latencyMs || args.custom === false) return result;
    const delay = this.latencyMs(args.type, args.name);
    record.startedAt = performance.now();
    return new Promise((resolve) =>
      setTimeout(() => {
        record.finishedAt = performance.now();
        resolve(result);
      }, delay),
    );
  }

  /** The URN a registered resource was given, by `type::name`; undefined if none was seen. */
  urnOf(key: string): string | undefined {
    return this.registrations.get(key)?.urn;
  }

  /**
   * Wraps the SDK's mock monitor so every registration request is seen before the mocks are asked:
   * its URN, parent and the dependencies the SDK computed (what a real engine orders creation by).
   */
  captureRegistrations(monitor: MockMonitor): void {
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      const propertyDependencies: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((deps, key) => {
        propertyDependencies[key] = [...deps.getUrnsList()].sort();
      });
      const parentUrn = req.getParent() || undefined;
      this.registrations.set(`${req.getType()}::${req.getName()}`, {
        urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
        parentUrn,
        dependencies: [...req.getDependenciesList()].sort(),
        propertyDependencies,
      });
      return registerResource(req, callback);
    };
    // A read (`Resource.get`) has no dependencies; only its URN is needed.
    const readResource = monitor.readResource.bind(monitor);
    monitor.readResource = (req, callback) => {
      const urn = monitor.newUrn(req.getParent(), req.getType(), req.getName());
      this.registrations.set(`${req.getType()}::${req.getName()}`, {
        urn,
        parentUrn: req.getParent() || undefined,
        dependencies: [],
        propertyDependencies: {},
      });
      return readResource(req, callback);
    };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const handler = this.fixtures.invokes[args.token];
    // The SDK rebuilds a failed invoke's error from its `details` (a gRPC error's text) alone.
    const fail = (message: string) => Object.assign(new Error(message), { details: message });
    if (!handler)
      throw fail(
        this.fixtures.missingInvoke?.(args.token) ??
          `unmocked invoke ${args.token}: add it to engine/fixtures.ts on purpose`,
      );
    this.invokes.push({ token: args.token, inputs: args.inputs });
    try {
      return handler(args.inputs);
    } catch (err) {
      throw fail(err instanceof Error ? err.message : String(err));
    }
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
        replaceOnChanges: opts.replaceOnChanges,
        additionalSecretOutputs: o.additionalSecretOutputs,
        aliases: opts.aliases as unknown[] | undefined,
        dependsOn: dependsOn.map((d) => (d as unknown as { __name?: string }).__name ?? "?"),
        customTimeouts: opts.customTimeouts,
      },
    });
    return undefined;
  };
}

export interface RunOptions {
  project?: string;
  stack?: string;
  /** Stack config ("namespace:key" -> string), as the CLI would hand it to the program. */
  config?: Record<string, string>;
  fixtures?: Fixtures;
  latencyMs?: (type: string, name: string) => number;
  /**
   * Keep the SDK's per-promise stack capture (the benchmark measures what it costs). Off by
   * default: under mocks nobody reads those stacks.
   */
  keepStackTraces?: boolean;
  /**
   * Serialize each dynamic provider's code with the SDK's closure serializer, as `pulumi up` does.
   * Off by default: the first serialization in a process loads TypeScript and walks the packages
   * (about a third of a second), and the plan shows a placeholder for that code anyway. The kit's
   * own providers are serialized from the packed package by test/package.test.ts.
   */
  serializeDynamicProviders?: boolean;
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
  const mocks = new RecordingMocks(options.fixtures ?? fixtures(), options.latencyMs);
  await pulumi.runtime.setMocks(mocks, options.project ?? "aspnet-webfarm", options.stack ?? "test", false);
  mocks.captureRegistrations(pulumi.runtime.getMonitor() as unknown as MockMonitor);
  recordWaits();
  pulumi.runtime.setAllConfig(options.config ?? {});
  const restore = leanSdk(options);
  let result: T | undefined;
  let failure: unknown;
  try {
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
    mocks.waits = await resolveWaits(mocks);
  } finally {
    restore();
  }
  if (failure !== undefined) {
    throw Object.assign(failure instanceof Error ? failure : new Error(String(failure)), { mocks });
  }
  return { mocks, result: result as T };
}

/**
 * Turns off, for one mocked run, SDK work nobody reads under mocks; returns what restores it.
 * - The stack trace the SDK captures for every promise of every output property, and the whole
 *   stack every resource's constructor reads for the engine's source positions (Resource.callsites,
 *   with no depth limit): with source maps loaded they cost more than the program itself.
 * - Its tracking of each of those promises (debuggablePromise: three properties and two more
 *   promises each, for a report of promises still pending at exit), a tenth of a run's time.
 * - Closure serialization of dynamic providers (see RunOptions.serializeDynamicProviders). The SDK
 *   caches a provider's serialized code for the process, so the cache is off while it is stubbed.
 */
function leanSdk(options: RunOptions): () => void {
  const swaps: [Record<string, unknown>, string, unknown][] = [];
  if (!options.keepStackTraces) {
    swaps.push(
      [Error as unknown as Record<string, unknown>, "stackTraceLimit", 0],
      [pulumi.Resource as unknown as Record<string, unknown>, "callsites", () => []],
      [debuggable, "debuggablePromise", (p: Promise<unknown>) => p],
    );
  }
  if (!options.serializeDynamicProviders) {
    swaps.push(
      [closure, "serializeFunction", async () => ({ text: PROVIDER_PLACEHOLDER, containsSecrets: false })],
      [settings, "cacheDynamicProviders", () => false],
    );
  }
  const saved = swaps.map(([target, key, value]) => {
    const before = target[key];
    target[key] = value;
    return () => (target[key] = before);
  });
  return () => saved.reverse().forEach((undo) => undo());
}

/** The program's declared waits, their resources named by URN. */
async function resolveWaits(mocks: RecordingMocks): Promise<RecordedWait[]> {
  // The URN the registration request was given, read from the capture: a farm declares a dozen
  // needs per node, mostly the same shared resources, and an apply per need was a tenth of a
  // 200-node run's allocations. The Output is the fallback for a resource the capture missed.
  const urnOf = (r: pulumi.Resource) => {
    const { __pulumiType: type, __name: name } = r as unknown as { __pulumiType?: string; __name?: string };
    return mocks.urnOf(`${type}::${name}`) ?? valueOf(r.urn);
  };
  return Promise.all(
    declaredWaits().map(async (w) => ({
      waiter: await urnOf(w.waiter),
      waitsFor: w.waitsFor,
      needs: await Promise.all(
        w.needs.map(async (n) => ({
          what: n.what,
          ...(n.resource ? { urn: await urnOf(n.resource) } : {}),
          ...(n.holds !== undefined ? { holds: n.holds } : {}),
        })),
      ),
    })),
  );
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

/** Resolves an Output's value (outputs are always known under the mocks). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) =>
    output.apply((v) => {
      resolve(v);
      return v;
    }),
  );
}
