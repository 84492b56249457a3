// A resource registered lean (components/aws/lean.ts) reaches the engine exactly as the provider's
// class would register it; only the Outputs the farm does not read are left out.
import * as ec2 from "@pulumi/aws/ec2";
import * as lb from "@pulumi/aws/lb";
import * as pulumi from "@pulumi/pulumi";
import { INSTANCE, LeanResource, TARGET_GROUP_ATTACHMENT } from "../../components/aws/lean";
import { runProgram } from "../../engine/engine";

interface SourcePosition {
  getUri(): string;
  getLine(): number;
}
interface MonitorHook {
  registerResource(req: { getSourceposition(): SourcePosition | undefined }, callback: unknown): unknown;
}

/**
 * What the engine is asked to register (type, name, inputs, version, aliases, the source position it
 * shows), and the object made.
 */
async function registration(make: () => pulumi.CustomResource) {
  const asked: { type: string; name: string; version?: string; aliases?: unknown[] }[] = [];
  const positions: string[] = [];
  let made: pulumi.CustomResource | undefined;
  const { mocks } = await runProgram(
    () => {
      const monitor = pulumi.runtime.getMonitor() as unknown as MonitorHook;
      const register = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req, callback) => {
        const at = req.getSourceposition();
        if (at) positions.push(`${at.getUri().split("/").pop()}:${at.getLine()}`);
        return register(req, callback);
      };
      // Registered after the engine's own: sees the options as the resource's constructor finished them.
      pulumi.runtime.registerStackTransformation(({ type, name, opts }) => {
        asked.push({ type, name, version: opts.version, aliases: opts.aliases as unknown[] | undefined });
        return undefined;
      });
      made = make();
    },
    // The SDK reads the stack for the source position only when stack capture is on.
    { keepStackTraces: true },
  );
  const [resource] = mocks.resources.filter((r) => r.custom);
  return {
    asked,
    positions,
    inputs: resource.inputs,
    secretPaths: resource.secretPaths,
    options: resource.options,
    made: made!,
  };
}

/** The properties a resource object holds as Outputs, besides id and urn. */
const outputProperties = (r: pulumi.CustomResource) =>
  Object.keys(r).filter((k) => pulumi.Output.isInstance((r as never)[k]) && k !== "id" && k !== "urn");

const instanceArgs: ec2.InstanceArgs = {
  ami: "ami-0123456789abcdef0",
  instanceType: "t3.large",
  subnetId: pulumi.output("subnet-1"),
  vpcSecurityGroupIds: [pulumi.output("sg-1")],
  associatePublicIpAddress: false,
  metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
  rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: 50, deleteOnTermination: true },
  userData: pulumi.secret("<powershell>boot</powershell>"),
  userDataReplaceOnChange: true,
  tags: { Name: "shop-web-0" },
};
const instanceOpts: pulumi.CustomResourceOptions = { replaceOnChanges: ["instanceType"], aliases: [{ name: "old" }] };

test("a lean instance is registered as ec2.Instance registers it: type, inputs, secrets, version, options", async () => {
  const byClass = await registration(() => new ec2.Instance("web-0", instanceArgs, instanceOpts));
  const lean = await registration(
    () => new LeanResource(INSTANCE, "web-0", instanceArgs, ["arn", "privateIp"], instanceOpts),
  );
  expect(lean.asked).toEqual(byClass.asked);
  expect(lean.asked[0]).toMatchObject({ type: "aws:ec2/instance:Instance", version: expect.stringMatching(/^\d+\./) });
  expect(lean.inputs).toEqual(byClass.inputs);
  expect(lean.secretPaths).toEqual(["userData"]);
  expect(lean.secretPaths).toEqual(byClass.secretPaths);
  expect(lean.options).toEqual(byClass.options);
  // Where `pulumi up` says the resource was declared: the line that made it, as for the class.
  expect(byClass.positions).toHaveLength(1);
  expect(lean.positions.map((p) => p.split(":")[0])).toEqual(byClass.positions.map((p) => p.split(":")[0]));
});

test("a lean target group attachment carries the alias its class declares for the old type name", async () => {
  const args: lb.TargetGroupAttachmentArgs = { targetGroupArn: "arn:tg", targetId: pulumi.output("i-1"), port: 80 };
  const byClass = await registration(() => new lb.TargetGroupAttachment("web-0", args, { aliases: [{ name: "x" }] }));
  const lean = await registration(
    () => new LeanResource(TARGET_GROUP_ATTACHMENT, "web-0", args, [], { aliases: [{ name: "x" }] }),
  );
  expect(lean.asked).toEqual(byClass.asked);
  expect(lean.asked[0].aliases).toContainEqual({
    type: "aws:elasticloadbalancingv2/targetGroupAttachment:TargetGroupAttachment",
  });
  expect(lean.inputs).toEqual(byClass.inputs);
});

test("a lean instance holds Outputs for the properties asked for only, where the class makes one for each of about 60", async () => {
  const byClass = await registration(() => new ec2.Instance("web-0", instanceArgs));
  const lean = await registration(() => new LeanResource(INSTANCE, "web-0", instanceArgs, ["arn", "privateIp"], {}));
  expect(outputProperties(byClass.made).length).toBeGreaterThan(50);
  expect(outputProperties(lean.made).sort()).toEqual([...Object.keys(instanceArgs), "arn", "privateIp"].sort());
  // What the farm reads resolves as from the class.
  const privateIp = (r: pulumi.CustomResource) =>
    new Promise((resolve) => (r as ec2.Instance).privateIp.apply(resolve));
  expect(await privateIp(lean.made)).toBe(await privateIp(byClass.made));
});
