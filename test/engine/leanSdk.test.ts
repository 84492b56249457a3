// A mocked run turns off SDK work nobody reads under mocks, and puts it all back afterwards.
import * as pulumi from "@pulumi/pulumi";
import { PROVIDER_PLACEHOLDER, runProgram } from "../../engine/engine";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const closure: { serializeFunction: unknown } = require("@pulumi/pulumi/runtime/closure/serializeClosure");

// One provider object for every run, as the kit's providers are module constants: the SDK caches a
// provider's serialized code by that object for the whole process.
const provider: pulumi.dynamic.ResourceProvider = { create: async () => ({ id: "done" }) };
class Wait extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(provider, name, { what: "x" }, undefined, "test", "Wait");
  }
}

const providerCode = async (options: Parameters<typeof runProgram>[1]) => {
  const { mocks } = await runProgram(() => new Wait("wait"), options);
  return mocks.resources.find((r) => r.name === "wait")!.inputs.__provider;
};

describe("a mocked run's SDK", () => {
  const serializeFunction = closure.serializeFunction;
  afterEach(() => (closure.serializeFunction = serializeFunction));

  test("dynamic providers' code is a placeholder unless asked for; asked, it is the serializer's, never a cached placeholder", async () => {
    // The SDK's serializer, spied: the real one loads TypeScript, which a unit run does without.
    closure.serializeFunction = async () => ({ text: "code from the serializer", containsSecrets: false });
    const spy = closure.serializeFunction;
    expect(await providerCode({})).toBe(PROVIDER_PLACEHOLDER);
    expect(await providerCode({ serializeDynamicProviders: true })).toBe("code from the serializer");
    expect(await providerCode({})).toBe(PROVIDER_PLACEHOLDER);
    expect(closure.serializeFunction).toBe(spy);
  });

  test("stack traces are back after the run, as they were before it", async () => {
    const limit = Error.stackTraceLimit;
    const seen: number[] = [];
    await runProgram(() => void seen.push(Error.stackTraceLimit));
    await runProgram(() => void seen.push(Error.stackTraceLimit), { keepStackTraces: true });
    expect(seen).toEqual([0, limit]);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
