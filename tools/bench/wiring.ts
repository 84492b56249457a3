// What wiring costs the SDK: 200 instances and target group attachments registered with plain
// values, then wired by Outputs, then with each thing a component adds (a parent, dependsOn,
// options, the attachment class's alias). Prints the median CPU time of each variant.
// Usage: node -r ts-node/register/transpile-only tools/bench/wiring.ts [--reps R]
import * as pulumi from "@pulumi/pulumi";
import { parseArgs } from "util";
import { runProgram } from "../../engine/engine";
import { planFixtures } from "../../engine/plan";

const VARIANTS = ["plain", "wired", "parent", "dependsOn", "options", "alias", "all"] as const;
type Variant = (typeof VARIANTS)[number];
const NODES = 200;

class Registered extends pulumi.CustomResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(type, name, inputs, opts);
  }
}

function program(variant: Variant) {
  const has = (v: Variant) => variant === v || variant === "all";
  const wired = variant !== "plain";
  return () => {
    const group = new Registered("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "vpc-1" });
    const subnet = new Registered("aws:ec2/subnet:Subnet", "subnet", { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24" });
    const profile = new Registered("aws:iam/instanceProfile:InstanceProfile", "profile", { role: "r" });
    const targetGroup = new Registered("aws:lb/targetGroup:TargetGroup", "tg", { port: 80 });
    const userData = "x".repeat(3000);
    const parent = has("parent") ? new pulumi.ComponentResource("bench:index:Nodes", "nodes") : undefined;
    for (let i = 0; i < NODES; i++) {
      const instance = new Registered(
        "aws:ec2/instance:Instance",
        `web-${i}`,
        {
          ami: "ami-1",
          instanceType: "t3.medium",
          subnetId: wired ? subnet.id : "subnet-1",
          vpcSecurityGroupIds: [wired ? group.id : "sg-1"],
          iamInstanceProfile: wired ? profile.id : "profile",
          userData: wired ? pulumi.output(userData) : userData,
          tags: { Name: `web-${i}` },
        },
        {
          parent,
          ...(has("dependsOn") ? { dependsOn: [group, subnet, profile] } : {}),
          ...(has("options") ? { version: "7.48.0", ignoreChanges: ["ami"], replaceOnChanges: ["instanceType"] } : {}),
        },
      );
      new Registered(
        "aws:lb/targetGroupAttachment:TargetGroupAttachment",
        `web-${i}`,
        { targetGroupArn: wired ? targetGroup.id : "arn:tg", targetId: wired ? instance.id : `i-${i}`, port: 80 },
        {
          parent,
          ...(has("alias")
            ? { aliases: [{ type: "aws:elasticloadbalancingv2/targetGroupAttachment:TargetGroupAttachment" }] }
            : {}),
        },
      );
    }
  };
}

async function main() {
  const { values } = parseArgs({ options: { reps: { type: "string" } } });
  const reps = Number(values.reps ?? 15);
  const fixtures = planFixtures("eu-west-1");
  for (const variant of VARIANTS) {
    const run = program(variant);
    for (let i = 0; i < 3; i++) await runProgram(run, { fixtures });
    const cpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      const started = process.cpuUsage();
      await runProgram(run, { fixtures });
      const used = process.cpuUsage(started);
      cpu.push((used.user + used.system) / 1000);
    }
    cpu.sort((a, b) => a - b);
    console.log(`${variant.padEnd(10)} median CPU ${cpu[Math.floor(reps / 2)].toFixed(0)} ms`);
  }
}

void main();
