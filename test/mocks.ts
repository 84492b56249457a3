// The one recording-mock helper every component test uses: the offline engine (offline/engine.ts)
// with realistic deterministic outputs (addresses, ARNs, DNS names) and the invokes the farm makes.
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { InvokeHandler, OutputsFunction, RunResult, runProgram as runOffline } from "../offline/engine";

export type { RecordedResource } from "../offline/engine";
export { RecordingMocks } from "../offline/engine";

export const TEST_REGION = "eu-west-1";
export const TEST_ACCOUNT = "123456789012";
export const TEST_AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
export const TEST_WINDOWS_AMI = "ami-0123456789abcdef0";

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
  "aws:elb/getServiceAccount:getServiceAccount": () => ({ id: "156460612806", arn: "arn:aws:iam::156460612806:root" }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ id: TEST_ACCOUNT, accountId: TEST_ACCOUNT, arn: `arn:aws:iam::${TEST_ACCOUNT}:user/test`, userId: "AIDTEST" }),
  "aws:ec2/getSubnet:getSubnet": (inputs) => {
    const subnet = EXISTING_SUBNETS[inputs.id];
    if (!subnet) throw new Error(`unmocked subnet ${inputs.id}`);
    return { id: inputs.id, ...subnet };
  },
};

function digest(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

/** Deterministic stand-ins for what AWS and the random provider would compute. */
export const realisticOutputs: OutputsFunction = (type, name, inputs, id) => {
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
      return { arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/${h.slice(0, 16)}`), arnSuffix: `app/${name}/${h.slice(0, 16)}`, dnsName: `${name}-${h.slice(0, 8)}.${TEST_REGION}.elb.amazonaws.com` };
    case "aws:lb/targetGroup:TargetGroup":
      return { arn: arn("elasticloadbalancing", `targetgroup/${name}/${h.slice(0, 16)}`), arnSuffix: `targetgroup/${name}/${h.slice(0, 16)}` };
    case "aws:route53/zone:Zone":
      return { zoneId: `Z${h.slice(0, 12).toUpperCase()}` };
    case "aws:route53/record:Record":
      return { fqdn: inputs.name };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      // A new version whenever the template's inputs change, as EC2 numbers them.
      return { latestVersion: 1 + (parseInt(digest(inputs).slice(0, 6), 16) % 1000), arn: arn("ec2", `launch-template/${id}`) };
    case "aws:s3/bucket:Bucket":
      return { bucket: `${name}-${h.slice(0, 7)}`, arn: `arn:aws:s3:::${name}-${h.slice(0, 7)}` };
    case "aws:iam/role:Role":
      return { name: `${name}-${h.slice(0, 7)}`, arn: `arn:aws:iam::${TEST_ACCOUNT}:role/${name}-${h.slice(0, 7)}` };
    case "aws:iam/instanceProfile:InstanceProfile":
      return { name: `${name}-${h.slice(0, 7)}`, arn: `arn:aws:iam::${TEST_ACCOUNT}:instance-profile/${name}-${h.slice(0, 7)}` };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { name: `${name}-${h.slice(0, 7)}`, arn: arn("ec2", `security-group/${id}`) };
    default:
      return {};
  }
};

/** Unique per type and name, shaped like AWS's ids: "subnet-shop-net-private-0". */
export const awsLikeId = (type: string, name: string) => `${(type.split(":").pop() ?? type).toLowerCase()}-${name}`;

export interface RunOptions {
  project?: string;
  stack?: string;
  invokes?: Record<string, InvokeHandler>;
}

/** Runs `program` as a stack under fresh recording mocks; see offline/engine.ts. */
export function runProgram<T>(program: () => T | Promise<T>, options: RunOptions = {}, outputs: OutputsFunction = realisticOutputs): Promise<RunResult<T>> {
  return runOffline(program, { ...options, invokes: options.invokes ?? DEFAULT_INVOKES, outputs, idOf: awsLikeId });
}

/** Resolves an Output's value (tests only: outputs are always known under mocks). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/** Whether an Output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}
