// One benchmark cell, in its own process so its peak memory is its own: evaluate the WebFarm
// program (or a one-resource program) under the offline engine, warm up, then time repetitions.
// Prints one JSON line. Usage: evaluate.ts --nodes N | --minimal, --warmup W --reps R
import * as ec2 from "@pulumi/aws/ec2";
import { parseArgs } from "util";
import { WebFarm } from "../components";
import { runProgram } from "../offline/engine";
import { planFixtures } from "../offline/plan";

async function once(nodes: number | undefined): Promise<{ ms: number; resources: number }> {
  const started = performance.now();
  const { mocks } = await runProgram(
    () => {
      if (nodes === undefined) new ec2.Vpc("minimal", { cidrBlock: "10.0.0.0/16" });
      else new WebFarm("bench", { nodeCount: nodes, availabilityZones: ["eu-west-1a", "eu-west-1b"] });
    },
    { stack: "bench", fixtures: planFixtures("eu-west-1") },
  );
  return { ms: performance.now() - started, resources: mocks.resources.length };
}

async function main() {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string" },
      minimal: { type: "boolean" },
      warmup: { type: "string" },
      reps: { type: "string" },
    },
  });
  const nodes = values.minimal ? undefined : Number(values.nodes);
  for (let i = 0; i < Number(values.warmup ?? 2); i++) await once(nodes);
  const samples: number[] = [];
  let resources = 0;
  for (let i = 0; i < Number(values.reps ?? 5); i++) {
    const run = await once(nodes);
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
