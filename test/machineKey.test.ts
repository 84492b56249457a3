// The shared machine key: generated, secret everywhere, stored as a SecureString, rotated on purpose.
import { buildFarm, T } from "./farm";
import { isSecret, valueOf } from "./mocks";

describe("machine key", () => {
  test("validation key is 128 hex characters, decryption key 64, both secret", async () => {
    const { farm } = await buildFarm({ nodeCount: 2 });
    expect(await isSecret(farm.validationKey)).toBe(true);
    expect(await isSecret(farm.decryptionKey)).toBe(true);
    expect(await valueOf(farm.validationKey)).toMatch(/^[0-9A-F]{128}$/);
    expect(await valueOf(farm.decryptionKey)).toMatch(/^[0-9A-F]{64}$/);
  });

  test("generated from 64 and 32 random bytes for HMACSHA256/AES", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1 });
    expect(mocks.named("shop-key-validation", T.randomBytes).inputs.length).toBe(64);
    expect(mocks.named("shop-key-decryption", T.randomBytes).inputs.length).toBe(32);
  });

  test.each([
    ["HMACSHA384", 256],
    ["HMACSHA512", 256],
    ["SHA1", 128],
  ] as const)("%s gets a %i-character validation key", async (validation, chars) => {
    const { farm } = await buildFarm({ nodeCount: 1, validation });
    expect(await valueOf(farm.validationKey)).toMatch(new RegExp(`^[0-9A-F]{${chars}}$`));
  });

  test("the key is stored as an SSM SecureString whose value is secret, under the farm's own path", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1 });
    const parameter = mocks.ofType(T.parameter)[0];
    expect(parameter.inputs.type).toBe("SecureString");
    expect(parameter.inputs.name).toBe("/aspnet-webfarm/test/shop/machine-key");
    expect(parameter.secretPaths).toEqual(["value"]);
    expect(parameter.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["value"]));
    const document = JSON.parse(parameter.inputs.value);
    expect(document).toMatchObject({ version: "1", validation: "HMACSHA256", decryption: "AES" });
  });

  test("no resource input contains the key in plaintext (only the parameter's secret value holds it)", async () => {
    const { mocks, farm } = await buildFarm({ nodeCount: 3 });
    const keys = [await valueOf(farm.validationKey), await valueOf(farm.decryptionKey)];
    const parameter = mocks.ofType(T.parameter)[0];
    expect(parameter.inputs.value.toUpperCase()).toContain(keys[0]);
    for (const r of mocks.resources) {
      const inputs = JSON.stringify(r === parameter ? { ...r.inputs, value: undefined } : r.inputs);
      for (const k of keys) {
        expect({ resource: r.name, hasKey: inputs.toUpperCase().includes(k) }).toEqual({ resource: r.name, hasKey: false });
      }
    }
  });

  test("changing machineKeyVersion changes both keys and replaces the nodes (their user data changes)", async () => {
    const v1 = await buildFarm({ nodeCount: 2, machineKeyVersion: "1" });
    const v2 = await buildFarm({ nodeCount: 2, machineKeyVersion: "2" });
    expect(await valueOf(v2.farm.validationKey)).not.toBe(await valueOf(v1.farm.validationKey));
    expect(await valueOf(v2.farm.decryptionKey)).not.toBe(await valueOf(v1.farm.decryptionKey));
    const node = (r: typeof v1) => r.mocks.named("shop-web-0", T.instance).inputs;
    expect(node(v2).userData).not.toBe(node(v1).userData);
    expect(node(v1).userDataReplaceOnChange).toBe(true);
  });

  test("leaving machineKeyVersion alone never changes the key", async () => {
    const a = await buildFarm({ nodeCount: 2, machineKeyVersion: "7" });
    const b = await buildFarm({ nodeCount: 5, machineKeyVersion: "7", statePort: 42500 });
    expect(await valueOf(b.farm.validationKey)).toBe(await valueOf(a.farm.validationKey));
    expect(a.mocks.named("shop-key-validation", T.randomBytes).inputs.keepers).toEqual({ version: "7", validation: "HMACSHA256" });
  });

  test("the nodes' role may read only the farm's key parameter", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const parameter = mocks.ofType(T.parameter)[0];
    const policies = mocks.ofType(T.rolePolicy);
    expect(policies).toHaveLength(1);
    const statements = JSON.parse(policies[0].inputs.policy).Statement;
    expect(statements).toEqual([{ Sid: "ReadFarmMachineKey", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [parameter.state.arn] }]);
    expect(JSON.stringify(statements)).not.toContain("*");
    expect(mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toHaveLength(0);
  });
});
