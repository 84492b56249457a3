// One benchmark cell, in its own process so its peak memory is its own: evaluate the WebFarm
// program, or its flat peer, or a one-resource program, under the offline engine; warm up, then
// time repetitions. Prints one JSON line.
// Usage: evaluate.ts --nodes N [--flat] [--stacks] | --minimal, --warmup W --reps R
//   --flat    the peer: the same resources (types, names, input values) registered directly, with
//             no components and no Outputs between them, as a hand-written flat program would
//   --classes with --flat: register each through its provider SDK class (ec2.Instance...), as a
//             hand-written program does, instead of a bare CustomResource of its type: the classes
//             declare every output property (an Instance about 60), which the bare peer skips
//   --stacks  keep the SDK's per-promise stack capture (a real `pulumi up` pays it; tests do not)
//   --profile FILE  write a V8 CPU profile of the timed repetitions only (not the warm-up) to FILE
import * as ec2 from "@pulumi/aws/ec2";
import * as pulumi from "@pulumi/pulumi";
import { writeFileSync } from "fs";
import { Session } from "inspector";
import { parseArgs } from "util";
import { WebFarm } from "../../components";
import { RecordedResource, runProgram } from "../../engine/engine";
import { planFixtures } from "../../engine/plan";

const fixtures = planFixtures("eu-west-1");
// As `pulumi up` runs a program: each dynamic provider's code serialized (once per process, then
// cached by the SDK), and the peer registers that code as the plain string it is.
const engine = { stack: "bench", fixtures, serializeDynamicProviders: true };
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

type ResourceClass = new (name: string, args: pulumi.Inputs) => pulumi.CustomResource;

/**
 * The provider SDK's own class for a type token ("aws:ec2/instance:Instance" is @pulumi/aws/ec2's
 * Instance), as a hand-written program would use it; undefined for the dynamic resources.
 */
function classOf(type: string): ResourceClass | undefined {
  const m = /^(aws|random):([A-Za-z0-9]+)\/[A-Za-z0-9]+:([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(m[2] === "index" ? `@pulumi/${m[1]}` : `@pulumi/${m[1]}/${m[2]}`);
  return mod[m[3]];
}

/**
 * The flat peer of a recorded farm: every custom resource, registered as plain values; with
 * `classes`, through the provider SDK's class for its type (which declares every output property).
 */
function flatProgram(recorded: RecordedResource[], classes: boolean) {
  const custom = recorded
    .filter((r) => !r.type.startsWith("aspnet-webfarm:") && !r.type.startsWith("pulumi:"))
    .map((r) => ({ ...r, cls: classes ? classOf(r.type) : undefined }));
  return () => {
    for (const r of custom) {
      if (r.cls) new r.cls(r.name, { ...r.inputs });
      else new Registered(r.type, r.name, { ...r.inputs });
    }
  };
}

async function once(
  program: () => void,
  keepStackTraces: boolean,
): Promise<{ ms: number; cpuMs: number; resources: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const { mocks } = await runProgram(program, { ...engine, keepStackTraces });
  const used = process.cpuUsage(cpu);
  return {
    ms: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    resources: mocks.resources.length,
  };
}

/** Posts one inspector command and waits for its answer. */
const post = (session: Session, method: string, params?: object) =>
  new Promise<any>((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
  );

const medianOf = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

async function main() {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string" },
      minimal: { type: "boolean" },
      flat: { type: "boolean" },
      classes: { type: "boolean" },
      stacks: { type: "boolean" },
      warmup: { type: "string" },
      reps: { type: "string" },
      profile: { type: "string" },
    },
  });
  const nodes = values.minimal ? undefined : Number(values.nodes);
  let program: () => void;
  if (nodes === undefined) program = () => void new ec2.Vpc("minimal", { cidrBlock: "10.0.0.0/16" });
  else if (values.flat)
    program = flatProgram((await runProgram(farm(nodes), engine)).mocks.resources, values.classes === true);
  else program = farm(nodes);
  const keep = values.stacks === true;
  for (let i = 0; i < Number(values.warmup ?? 2); i++) await once(program, keep);
  const session = values.profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await post(session, "Profiler.enable");
    await post(session, "Profiler.start");
  }
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  let resources = 0;
  for (let i = 0; i < Number(values.reps ?? 5); i++) {
    const run = await once(program, keep);
    samples.push(run.ms);
    cpuSamples.push(run.cpuMs);
    resources = run.resources;
  }
  if (session) {
    const { profile } = await post(session, "Profiler.stop");
    writeFileSync(values.profile!, JSON.stringify(profile));
    session.disconnect();
  }
  // maxRSS is in kilobytes: the process's peak, warm-up included.
  console.log(
    JSON.stringify({
      nodes: nodes ?? null,
      flat: values.flat === true,
      ...(values.classes ? { classes: true } : {}),
      stacks: keep,
      medianMs: medianOf(samples),
      samplesMs: samples,
      // CPU time of the process (every thread: the collector's helpers too), less sensitive than
      // wall time to other processes sharing the cores.
      medianCpuMs: medianOf(cpuSamples),
      resources,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
