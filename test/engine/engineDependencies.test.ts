// The offline engine records each resource's dependencies from the registration request the SDK
// sends (the mocks' newResource is not given them). These tests pin what the installed SDK sends,
// so an SDK upgrade that changes it fails here rather than silently weakening the convergence proof.
import * as ec2 from "@pulumi/aws/ec2";
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, runProgram } from "../../engine/engine";

class Pair extends pulumi.ComponentResource {
  readonly first: ec2.SecurityGroup;
  readonly inner: Single;
  constructor(name: string, vpcId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Pair", name, {}, opts);
    this.first = new ec2.SecurityGroup(`${name}-first`, { vpcId }, { parent: this });
    this.inner = new Single(`${name}-inner`, vpcId, { parent: this });
    this.registerOutputs({});
  }
}

class Single extends pulumi.ComponentResource {
  readonly group: ec2.SecurityGroup;
  constructor(name: string, vpcId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Single", name, {}, opts);
    this.group = new ec2.SecurityGroup(`${name}-group`, { vpcId }, { parent: this });
    this.registerOutputs({});
  }
}

describe("the offline engine records the dependencies the SDK sends", () => {
  let byName: (name: string) => RecordedResource;
  beforeAll(async () => {
    const { mocks } = await runProgram(() => {
      const vpc = new ec2.Vpc("net", { cidrBlock: "10.0.0.0/16" });
      new ec2.Subnet("taker", { vpcId: vpc.id, cidrBlock: "10.0.1.0/24" });
      const explicit = new ec2.Vpc("explicit", { cidrBlock: "10.1.0.0/16" }, { dependsOn: [vpc] });
      const pair = new Pair("pair", vpc.id);
      new ec2.Vpc("after-pair", { cidrBlock: "10.2.0.0/16" }, { dependsOn: [pair] });
      return explicit;
    });
    byName = (name) => {
      const found = mocks.resources.find((r) => r.name === name);
      if (!found) throw new Error(`no ${name}`);
      return found;
    };
  });

  test("an input taking another resource's output records that resource, for that property", () => {
    const vpc = byName("net");
    expect(vpc.urn).toBe("urn:pulumi:test::aspnet-webfarm::pulumi:pulumi:Stack$aws:ec2/vpc:Vpc::net");
    expect(byName("taker").dependencies).toEqual([vpc.urn]);
    expect(byName("taker").propertyDependencies.vpcId).toEqual([vpc.urn]);
  });

  test("an explicit dependsOn is a dependency of no property", () => {
    const explicit = byName("explicit");
    expect(explicit.dependencies).toEqual([byName("net").urn]);
    expect(Object.values(explicit.propertyDependencies).flat()).toEqual([]);
  });

  test("dependsOn a component is a dependency on every custom resource under it, nested ones too", () => {
    const children = ["pair-first", "pair-inner-group"].map((n) => byName(n).urn).sort();
    expect(byName("after-pair").dependencies).toEqual(children);
    // The components themselves are recorded (custom: false) with their parents, so a need on a
    // component can be expanded the same way.
    expect(byName("pair-inner").custom).toBe(false);
    expect(byName("pair-inner-group").parentUrn).toBe(byName("pair-inner").urn);
  });
});
