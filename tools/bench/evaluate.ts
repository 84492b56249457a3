// One benchmark cell, in its own process so its peak memory is its own: evaluate the WebFarm
// program, or its flat peer, or a one-resource program, under the offline engine; warm up, then
// time repetitions. Prints one JSON line.
// Usage: evaluate.ts --nodes N [--flat] [--stacks] | --minimal, --warmup W --reps R
//   --flat    the peer: the same resources (types, names, input values) registered directly, with
//             no components and no Outputs between them, as a hand-written flat program would
//   --stacks  keep the SDK's per-promise stack capture (a real `pulumi up` pays it; tests do not)
import * as ec2 from "@pulumi/aws/ec2";
import * as pulumi from "@pulumi/pulumi";
import { parseArgs } from "util";
import { WebFarm } from "../../components";
import { RecordedResource, runProgram } from "../../engine/engine";
import { planFixtures } from "../../engine/plan";

const fixtures = planFixtures("eu-west-1");
const farm = (nodes: number) => () =>
  void new WebFarm("bench", {
    nodes: { count: nodes },
    network: { availabilityZones: ["eu-west-1a", "eu-west-1b"] },
  });

class Registered extends pulumi.CustomResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs) {
    super(type, name, inputs);
  }
}

/** The flat peer of a recorded farm: every custom resource, registered as plain values. */
function flatProgram(recorded: RecordedResource[]) {
  const custom = recorded.filter((r) => !r.type.startsWith("aspnet-webfarm:") && !r.type.startsWith("pulumi:"));
  return () => {
    for (const r of custom) new Registered(r.type, r.name, { ...r.inputs });
  };
}

async function once(program: () => void, keepStackTraces: boolean): Promise<{ ms: number; resources: number }> {
  const started = performance.now();
  const { mocks } = await runProgram(program, { stack: "bench", fixtures, keepStackTraces });
  return { ms: performance.now() - started, resources: mocks.resources.length };
}

async function main() {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string" },
      minimal: { type: "boolean" },
      flat: { type: "boolean" },
      stacks: { type: "boolean" },
      warmup: { type: "string" },
      reps: { type: "string" },
    },
  });
  const nodes = values.minimal ? undefined : Number(values.nodes);
  let program: () => void;
  if (nodes === undefined) program = () => void new ec2.Vpc("minimal", { cidrBlock: "10.0.0.0/16" });
  else if (values.flat)
    program = flatProgram((await runProgram(farm(nodes), { stack: "bench", fixtures })).mocks.resources);
  else program = farm(nodes);
  const keep = values.stacks === true;
  for (let i = 0; i < Number(values.warmup ?? 2); i++) await once(program, keep);
  const samples: number[] = [];
  let resources = 0;
  for (let i = 0; i < Number(values.reps ?? 5); i++) {
    const run = await once(program, keep);
    samples.push(run.ms);
    resources = run.resources;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const median =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  // maxRSS is in kilobytes: the process's peak, warm-up included.
  console.log(
    JSON.stringify({
      nodes: nodes ?? null,
      flat: values.flat === true,
      stacks: keep,
      medianMs: median,
      samplesMs: samples,
      resources,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
