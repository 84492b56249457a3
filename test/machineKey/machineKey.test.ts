// The shared machine key: generated, secret everywhere, stored as a SecureString, rotated on purpose.
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "../../components";
import { valueOf } from "../../engine/engine";
import { buildFarm, sharedFarm, Graph, inputsText, T } from "../support/graph";

const keyParameter = (g: Graph) => g.one(T.parameter, (p) => p.inputs.type === "SecureString");

describe("machine key", () => {
  let graph: Graph;
  let farm: WebFarm;
  beforeAll(async () => ({ graph, farm } = await sharedFarm({ nodeCount: 3 })));

  test("validation key is 128 hex characters, decryption key 64, both secret", async () => {
    expect(await pulumi.isSecret(farm.validationKey)).toBe(true);
    expect(await pulumi.isSecret(farm.decryptionKey)).toBe(true);
    expect(await valueOf(farm.validationKey)).toMatch(/^[0-9A-F]{128}$/);
    expect(await valueOf(farm.decryptionKey)).toMatch(/^[0-9A-F]{64}$/);
  });

  test("generated from 64 and 32 random bytes for HMACSHA256/AES", () => {
    expect(
      graph
        .ofType(T.randomBytes)
        .map((b) => b.inputs.length)
        .sort(),
    ).toEqual([32, 64]);
  });

  test("the key is stored as an SSM SecureString whose value is secret, under the farm's own path", () => {
    const parameter = keyParameter(graph);
    expect(parameter.inputs.type).toBe("SecureString");
    expect(parameter.inputs.name).toBe("/aspnet-webfarm/test/shop/machine-key");
    expect(parameter.secretPaths).toEqual(["value"]);
    expect(parameter.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["value"]));
    expect(JSON.parse(parameter.inputs.value)).toMatchObject({
      version: "1",
      validation: "HMACSHA256",
      decryption: "AES",
    });
  });

  test("no resource input contains the key in plaintext (only the parameter's secret value holds it)", async () => {
    const keys = [await valueOf(farm.validationKey), await valueOf(farm.decryptionKey)];
    const parameter = keyParameter(graph);
    expect(parameter.inputs.value.toUpperCase()).toContain(keys[0]);
    for (const r of graph.resources) {
      const inputs = inputsText(r, r === parameter ? { ...r.inputs, value: undefined } : r.inputs).toUpperCase();
      for (const k of keys)
        expect({ resource: r.name, hasKey: inputs.includes(k) }).toEqual({ resource: r.name, hasKey: false });
    }
  });

  test("only the web nodes' role may read the key, and of all parameters only the key and its agent configuration", () => {
    const webPolicy = JSON.parse(graph.one(T.rolePolicy, (p) => p.name === "shop-web-access").inputs.policy).Statement;
    const reads = webPolicy.filter((s: { Action: string[] }) => s.Action.includes("ssm:GetParameter"));
    expect(reads.map((s: { Sid: string; Resource: string[] }) => [s.Sid, s.Resource])).toEqual([
      ["ReadFarmMachineKey", [`arn:aws:ssm:eu-west-1:123456789012:parameter${keyParameter(graph).inputs.name}`]],
      [
        "ReadAgentConfig",
        ["arn:aws:ssm:eu-west-1:123456789012:parameter/aspnet-webfarm/test/shop/cloudwatch-agent/web-node"],
      ],
    ]);
    const statePolicy = graph.one(T.rolePolicy, (p) => p.name === "shop-state-access").inputs.policy;
    expect(statePolicy).not.toContain("machine-key");
    expect(graph.count("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toBe(0);
  });
});

test.each([
  ["HMACSHA384", 256],
  ["HMACSHA512", 256],
  ["SHA1", 128],
] as const)("%s gets a %i-character validation key", async (validation, chars) => {
  const { farm } = await buildFarm({ nodeCount: 1, validation });
  expect(await valueOf(farm.validationKey)).toMatch(new RegExp(`^[0-9A-F]{${chars}}$`));
});

describe("rotation", () => {
  test("changing machineKeyVersion changes both keys and replaces the nodes (their user data changes)", async () => {
    const v1 = await buildFarm({ nodeCount: 2, machineKeyVersion: "1" });
    const v2 = await buildFarm({ nodeCount: 2, machineKeyVersion: "2" });
    expect(await valueOf(v2.farm.validationKey)).not.toBe(await valueOf(v1.farm.validationKey));
    expect(await valueOf(v2.farm.decryptionKey)).not.toBe(await valueOf(v1.farm.decryptionKey));
    const node = (g: Graph) => g.webNodes()[0].inputs;
    expect(node(v2.graph).userData).not.toBe(node(v1.graph).userData);
    expect(node(v1.graph).userDataReplaceOnChange).toBe(true);
  });

  test("leaving machineKeyVersion alone never changes the key", async () => {
    const a = await buildFarm({ nodeCount: 2, machineKeyVersion: "7" });
    const b = await buildFarm({ nodeCount: 5, machineKeyVersion: "7", statePort: 42500 });
    expect(await valueOf(b.farm.validationKey)).toBe(await valueOf(a.farm.validationKey));
    for (const bytes of a.graph.ofType(T.randomBytes))
      expect(bytes.inputs.keepers).toEqual({ version: "7", validation: "HMACSHA256" });
  });
});
