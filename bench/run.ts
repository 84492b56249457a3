// npm run bench: (1) how long evaluating the farm's program takes, by node count, against a
// one-resource program in the same run; (2) how long `pulumi up` must wait, modeled from typical
// AWS creation times, and the chain of resources that sets it; (3) how long a release takes, modeled,
// and measured on the local farm. Writes bench/results.json.
import { execFileSync } from "child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import { join } from "path";
import { APP_SOURCE, LocalFarm } from "../local/farm";
import { missingFiles } from "../local/packages";
import { releaseFarm } from "../local/release";
import { CREATION_SECONDS, floorSeconds, modelDeployment, withNodesWaitingForStateServer } from "./deploy";
import { NODE_BOOT_STEPS, RELEASE_STEPS, releaseSeconds, replacementSeconds } from "./model";

interface Cell {
  nodes: number | null;
  medianMs: number;
  samplesMs: number[];
  resources: number;
  peakRssMb: number;
}

function evaluate(args: string[]): Cell {
  const out = execFileSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", join(__dirname, "evaluate.ts"), ...args],
    { encoding: "utf8", env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" } },
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** Least-squares line through (x, y), with R². */
function fit(points: [number, number][]) {
  const n = points.length,
    mx = points.reduce((s, [x]) => s + x, 0) / n,
    my = points.reduce((s, [, y]) => s + y, 0) / n;
  const slope =
    points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const intercept = my - slope * mx;
  const ssRes = points.reduce((s, [x, y]) => s + (y - (intercept + slope * x)) ** 2, 0),
    ssTot = points.reduce((s, [, y]) => s + (y - my) ** 2, 0);
  return { slope, intercept, r2: 1 - ssRes / ssTot };
}

/** A real release on the local farm (3 nodes, CodeDeploy's order of steps), timed; undefined without Mono. */
async function measureLocalRelease(): Promise<{ seconds: number; perNode: string } | undefined> {
  if (missingFiles().length > 0) return undefined;
  const dir = mkdtempSync(join(os.tmpdir(), "aspnet-webfarm-bench-"));
  const v2 = join(dir, "v2");
  cpSync(APP_SOURCE, v2, { recursive: true });
  const farm = await LocalFarm.start({ nodes: 3, port: 18980, statePort: 18995, dir: join(dir, "farm") });
  try {
    const started = performance.now();
    const events = await releaseFarm(farm, { app: v2, version: "v2", validatePath: "/validate.aspx" });
    const seconds = (performance.now() - started) / 1000;
    const steps = [...new Set(events.map((e) => e.event))].map((event) => {
      const ms = events.filter((e) => e.event === event).map((e) => e.ms);
      return `${event} ${(ms.reduce((a, b) => a + b, 0) / ms.length / 1000).toFixed(1)} s`;
    });
    return { seconds, perNode: `per node: ${steps.join(", ")}` };
  } finally {
    await farm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const machine = {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}\n`);

  console.log("1. Program evaluation under the offline engine (median of repetitions after warm-up)");
  const baseline = evaluate(["--minimal", "--warmup", "3", "--reps", "9"]);
  const cells = [1, 10, 50, 200].map((n) =>
    evaluate(["--nodes", String(n), "--warmup", n >= 200 ? "1" : "2", "--reps", n >= 200 ? "5" : "7"]),
  );
  const rows = [baseline, ...cells].map((c) => ({
    program: c.nodes === null ? "one resource" : `farm, ${c.nodes} nodes`,
    resources: c.resources,
    medianMs: Number(c.medianMs.toFixed(1)),
    ratioToOneResource: Number((c.medianMs / baseline.medianMs).toFixed(1)),
    msPerResource: Number((c.medianMs / c.resources).toFixed(2)),
    peakRssMb: Math.round(c.peakRssMb),
  }));
  console.table(rows);
  const byNodes = fit(cells.map((c) => [c.nodes!, c.medianMs]));
  const byResources = fit(cells.map((c) => [c.resources, c.medianMs]));
  const growth = {
    msPerNode: Number(byNodes.slope.toFixed(1)),
    fixedMs: Number(byNodes.intercept.toFixed(1)),
    r2: Number(byNodes.r2.toFixed(4)),
    msPerResource: Number(byResources.slope.toFixed(2)),
    linear: byNodes.r2 > 0.98,
  };
  console.log(
    `growth: ${growth.msPerNode} ms per node on top of ${growth.fixedMs} ms (R² ${growth.r2}); ${growth.linear ? "linear" : "NOT linear"} in node count\n`,
  );

  console.log(
    `2. Deployment critical path (modeled: typical AWS creation times, see bench/deploy.ts; ${Object.keys(CREATION_SECONDS).length} types timed)`,
  );
  const floor = floorSeconds();
  const deployments: Record<string, unknown> = {};
  for (const stack of ["dev", "prod"]) {
    const t = await modelDeployment(stack);
    const before = withNodesWaitingForStateServer(t);
    deployments[stack] = {
      modeledSeconds: Number(t.totalSeconds.toFixed(0)),
      floorSeconds: floor.seconds,
      nodesInServiceSeconds: Number(t.nodesInServiceSeconds.toFixed(0)),
      before: {
        modeledSeconds: Number(before.totalSeconds.toFixed(0)),
        nodesInServiceSeconds: Number(before.nodesInServiceSeconds.toFixed(0)),
      },
      criticalChain: t.chain.map((c) => ({
        resource: c.resource,
        startSeconds: Number(c.startSeconds.toFixed(0)),
        endSeconds: Number(c.endSeconds.toFixed(0)),
      })),
    };
    console.log(
      `${stack}: ${t.totalSeconds.toFixed(0)} s modeled (floor ${floor.seconds} s: ${floor.chain.join(" > ")}); last node in service at ${t.nodesInServiceSeconds.toFixed(0)} s`,
    );
    console.log(
      `  critical chain: ${t.chain.map((c) => `${c.resource} (${c.startSeconds.toFixed(0)}-${c.endSeconds.toFixed(0)} s)`).join(" > ")}`,
    );
    console.log(
      `  before (nodes waited for the state server's IP): ${before.totalSeconds.toFixed(0)} s total, last node in service at ${before.nodesInServiceSeconds.toFixed(0)} s`,
    );
  }

  console.log(
    "\n3. A release of the application (modeled: CodeDeploy in place with traffic control; see bench/model.ts)",
  );
  const releases = [
    { farm: "dev (2 nodes)", nodes: 2, nodesAtOnce: 1 },
    { farm: "prod (4 nodes)", nodes: 4, nodesAtOnce: 1 },
    { farm: "200 nodes, 1 at a time", nodes: 200, nodesAtOnce: 1 },
    { farm: "200 nodes, 20 at a time", nodes: 200, nodesAtOnce: 20 },
  ].map((r) => ({
    ...r,
    releaseSeconds: releaseSeconds(r.nodes, r.nodesAtOnce).total,
    replaceEveryNodeSeconds: replacementSeconds(true),
  }));
  console.table(releases);
  const local = await measureLocalRelease();
  console.log(
    local
      ? `measured on this machine: a 3-node local farm released v1 -> v2 in ${local.seconds.toFixed(1)} s (${local.perNode})`
      : "local release not measured: Mono and nginx are not installed (npm run local:install)",
  );

  const results = {
    takenAt: new Date().toISOString(),
    machine,
    evaluation: { rows, growth },
    deployment: { creationSeconds: CREATION_SECONDS, ...deployments },
    release: { steps: RELEASE_STEPS, nodeBoot: NODE_BOOT_STEPS, modeled: releases, measuredLocal: local },
  };
  writeFileSync(join(__dirname, "results.json"), JSON.stringify(results, null, 2) + "\n");
  console.log("\nwrote bench/results.json");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
