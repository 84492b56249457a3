// npm run bench: (1) how long evaluating the farm's program takes, by node count, with and without
// the SDK's stack capture, against its flat peer and a one-resource program in the same run; (2)
// the resources' creation timeline, modeled from typical AWS creation times, and the chain that sets
// it; (3) from `pulumi up` to serving: each node's launch, Windows setup, boot and release, for
// Amazon's stock image and the farm image; (4) a release, modeled, and measured on the local farm;
// (5) Auto Scaling: a load spike to a new node serving and a scale-in, modeled, and the local farm's
// scale times measured on the local farm. Writes tools/bench/results.json. `--scaling` prints (5)'s model alone, writes nothing.
import { execFileSync } from "child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import * as os from "os";
import { join } from "path";
import { APP_SOURCE, LocalFarm } from "../local/farm";
import { missingFiles } from "../local/packages";
import { releaseFarm } from "../local/deploy";
import { CREATION_SECONDS, floorSeconds, modelDeployment, withNodesWaitingForStateServer } from "./deploy";
import {
  BOOT_STEPS,
  farmClock,
  HEALTHY,
  ImageKind,
  Pace,
  RELEASE_STEPS,
  releaseSeconds,
  SESSION_STORE_STEPS,
  WINDOWS_SETUP,
} from "./model";
import { stackConfig } from "../../infra/stackFile";
import { measureLocalScale } from "../local/measureScale";
import { SCALING_STEPS, scaleInClock, scaleOutClock, ScaleOutCase, WARM_START } from "./scaling";

interface Cell {
  nodes: number | null;
  flat: boolean;
  classes?: boolean;
  stacks: boolean;
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

/** (5) Auto Scaling: from a load spike to a new node serving, and a scale-in; the local farm's times if measured. */
async function scalingSection(local: boolean) {
  console.log(
    "\n5. Auto Scaling (modeled; tools/bench/scaling.ts around the node boot of tools/bench/model.ts): from a load spike to a new node serving",
  );
  const cases: [ScaleOutCase, Pace, string][] = [
    ["stock", "typical", "stock"],
    ["stock", "slow", "stock"],
    ["farmImage", "typical", "farm image"],
    ["farmImage", "slow", "farm image"],
    ["fastLaunch", "typical", "farm image + Fast Launch"],
    ["warmPool", "typical", "warm pool (not offered: see scaling-and-patching.md)"],
  ];
  const min = (s: number) => Number((s / 60).toFixed(1));
  const scaleOut = [true, false].flatMap((app) =>
    cases.map(([c, pace, name]) => {
      const clock = scaleOutClock({ case: c, pace, app });
      return {
        case: name,
        windowsSetup: c === "warmPool" || c === "fastLaunch" ? "" : pace,
        application: app,
        alarmMin: min(clock.alarmSeconds),
        inServiceMin: min(clock.inServiceSeconds),
        servingMin: min(clock.servingSeconds),
        countedMin: min(clock.countedSeconds),
        steps: clock.steps.map((s) => `${s.step} ${s.seconds} s`).join(", "),
      };
    }),
  );
  console.table(scaleOut.map(({ steps: _steps, ...row }) => row));
  const scaleIn = scaleInClock();
  console.log(
    `scale-in: the node leaves the target group ${min(scaleIn.outOfServiceSeconds)} min after the load falls, is gone at ${min(scaleIn.goneSeconds)} min (${scaleIn.steps.map((s) => `${s.step} ${s.seconds} s`).join(", ")})`,
  );
  // The local farm's order of steps (tools/local/scale.ts), timed: Mono starts in seconds where
  // Windows takes minutes, so this measures the kit's own steps, not AWS's.
  const measured = local ? await measureLocalScale() : undefined;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const localScale = measured && {
    from: measured.from,
    to: measured.to,
    scaleOutSeconds: median(measured.outSeconds),
    scaleInSeconds: median(measured.inSeconds),
    rounds: measured.outSeconds.length,
  };
  console.log(
    localScale
      ? `measured on the local farm (median of ${localScale.rounds}): scale-out ${localScale.from} -> ${localScale.to} nodes in ${localScale.scaleOutSeconds.toFixed(2)} s, scale-in back in ${localScale.scaleInSeconds.toFixed(2)} s`
      : `local scale-out and scale-in: not measured (${local ? "Mono and nginx are not installed: npm run local:install" : "--scaling runs the model alone"})`,
  );
  return {
    steps: SCALING_STEPS,
    warmStart: WARM_START,
    scaleOut,
    scaleIn,
    local: localScale ?? null,
  };
}

async function main() {
  if (process.argv.includes("--scaling")) {
    await scalingSection(false);
    return;
  }
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
  const reps = (n: number) => ["--warmup", n >= 200 ? "1" : "2", "--reps", n >= 200 ? "5" : "7"];
  const sizes = [1, 10, 50, 200];
  const farm = sizes.map((n) => evaluate(["--nodes", String(n), ...reps(n)]));
  // With the stack capture a cell takes seconds per run: fewer repetitions, and no 200-node cell.
  const withStacks = sizes
    .filter((n) => n <= 50)
    .map((n) => evaluate(["--nodes", String(n), "--stacks", "--warmup", "1", "--reps", "3"]));
  // Two peers, the same resources registered directly: as bare resources of their types (no
  // output properties but the inputs given), and through the provider's classes (ec2.Instance...),
  // as a hand-written flat program does: the classes' own Outputs are most of the difference.
  const flat = sizes.map((n) => evaluate(["--nodes", String(n), "--flat", ...reps(n)]));
  const classes = sizes.map((n) => evaluate(["--nodes", String(n), "--flat", "--classes", ...reps(n)]));
  const peerName = (c: Cell) => (c.classes ? "flat peer, provider classes" : c.flat ? "flat peer, bare" : "farm");
  const rows = [
    baseline,
    ...sizes.flatMap((_, i) => [farm[i], withStacks[i], flat[i], classes[i]].filter(Boolean)),
  ].map((c) => ({
    program:
      c.nodes === null ? "one resource" : `${peerName(c)}, ${c.nodes} nodes${c.stacks ? ", with stack capture" : ""}`,
    resources: c.resources,
    medianMs: Number(c.medianMs.toFixed(1)),
    ratioToOneResource: Number((c.medianMs / baseline.medianMs).toFixed(1)),
    msPerResource: Number((c.medianMs / c.resources).toFixed(2)),
    peakRssMb: Math.round(c.peakRssMb),
  }));
  console.table(rows);
  const byNodes = fit(farm.map((c) => [c.nodes!, c.medianMs]));
  const byResources = fit(farm.map((c) => [c.resources, c.medianMs]));
  const stackShare = withStacks.map((c, i) => 1 - farm[i].medianMs / c.medianMs);
  const growth = {
    msPerNode: Number(byNodes.slope.toFixed(1)),
    fixedMs: Number(byNodes.intercept.toFixed(1)),
    r2: Number(byNodes.r2.toFixed(4)),
    msPerResource: Number(byResources.slope.toFixed(2)),
    linear: byNodes.r2 > 0.98,
    stackCaptureShare: stackShare.map((x) => Number(x.toFixed(2))),
    farmOverFlatPeer: farm.map((c, i) => Number((c.medianMs / flat[i].medianMs).toFixed(2))),
    farmOverClassPeer: farm.map((c, i) => Number((c.medianMs / classes[i].medianMs).toFixed(2))),
  };
  console.log(
    `growth: ${growth.msPerNode} ms per node on top of ${growth.fixedMs} ms (R² ${growth.r2}); ${growth.linear ? "linear" : "NOT linear"} in node count`,
  );
  console.log(
    `stack capture: ${stackShare.map((x) => `${Math.round(x * 100)}%`).join(", ")} of evaluation with it (1, 10, 50 nodes); farm / bare peer: ${growth.farmOverFlatPeer.join(", ")}; farm / class peer: ${growth.farmOverClassPeer.join(", ")} (1, 10, 50, 200 nodes)\n`,
  );

  console.log(
    `2. The resources' creation timeline (modeled: typical AWS creation times, see tools/bench/deploy.ts; ${Object.keys(CREATION_SECONDS).length} types timed)`,
  );
  const floor = floorSeconds();
  const timelines: Record<string, Awaited<ReturnType<typeof modelDeployment>>> = {};
  const deployments: Record<string, unknown> = {};
  for (const stack of ["dev", "prod"]) {
    const t = (timelines[stack] = await modelDeployment(stack));
    const before = withNodesWaitingForStateServer(t);
    deployments[stack] = {
      resourcesSeconds: Number(t.totalSeconds.toFixed(0)),
      floorSeconds: floor.seconds,
      nodesLaunchedSeconds: Number(t.nodesLaunchedSeconds.toFixed(0)),
      nodesRegisteredSeconds: Number(t.nodesRegisteredSeconds.toFixed(0)),
      before: {
        resourcesSeconds: Number(before.totalSeconds.toFixed(0)),
        nodesRegisteredSeconds: Number(before.nodesRegisteredSeconds.toFixed(0)),
      },
      criticalChain: t.chain.map((c) => ({
        resource: c.resource,
        startSeconds: Number(c.startSeconds.toFixed(0)),
        endSeconds: Number(c.endSeconds.toFixed(0)),
      })),
    };
    console.log(
      `${stack}: resources created by ${t.totalSeconds.toFixed(0)} s (floor ${floor.seconds} s: ${floor.chain.join(" > ")}); nodes launched at ${t.nodesLaunchedSeconds.toFixed(0)} s, registered with the target group (not serving) at ${t.nodesRegisteredSeconds.toFixed(0)} s`,
    );
    console.log(
      `  critical chain: ${t.chain.map((c) => `${c.resource} (${c.startSeconds.toFixed(0)}-${c.endSeconds.toFixed(0)} s)`).join(" > ")}`,
    );
  }

  console.log(
    "\n3. From `pulumi up` to serving (modeled; every step an assumption with its source in tools/bench/model.ts)",
  );
  const serving = [];
  // The two stacks as configured, and dev's shape without an application (no first release to wait for).
  for (const [stack, withApp] of [
    ["dev", true],
    ["prod", true],
    ["dev", false],
  ] as const) {
    const config = stackConfig(stack);
    const nodes = Number(config["aspnet-webfarm:nodeCount"] ?? 2);
    const app = withApp && ["appPath", "appBucket"].some((k) => (config[`aspnet-webfarm:${k}`] ?? "") !== "");
    const nodesAtOnce = Number(config["aspnet-webfarm:appNodesAtOnce"] ?? 1);
    const sqlServer = config["aspnet-webfarm:sessionStore"] === "sqlServer";
    const t = timelines[stack];
    for (const [image, pace] of [
      ["stock", "typical"],
      ["stock", "slow"],
      ["farmImage", "typical"],
      ["farmImage", "slow"],
      ["fastLaunch", "typical"],
    ] as [ImageKind, Pace][]) {
      const clock = farmClock({ image, pace, nodes, app, nodesAtOnce, sqlServer });
      serving.push({
        stack: `${stack} (${nodes} nodes${app ? ", application" : ", no application"}${sqlServer ? ", SQL Server sessions" : ""})`,
        image: image === "fastLaunch" ? "farm image + Fast Launch" : image === "farmImage" ? "farm image" : "stock",
        windowsSetup: pace,
        firstNodeServingFromLaunchMin: Number((clock.firstServingSeconds / 60).toFixed(1)),
        pulumiUpMin: Number(
          (Math.max(t.totalSeconds, t.nodesLaunchedSeconds + clock.allServingSeconds) / 60).toFixed(1),
        ),
        allServingMin: Number(((t.nodesLaunchedSeconds + clock.allServingSeconds) / 60).toFixed(1)),
        replaceEveryNodeMin: Number((clock.replaceEveryNodeSeconds / 60).toFixed(1)),
        autoScalingRefreshMin: Number((clock.refreshSeconds / 60).toFixed(1)),
      });
    }
  }
  console.table(serving);

  console.log(
    "\n4. A release of the application (modeled: CodeDeploy in place with traffic control; see tools/bench/model.ts)",
  );
  const releases = [
    { farm: "dev (2 nodes)", nodes: 2, nodesAtOnce: 1 },
    { farm: "prod (4 nodes)", nodes: 4, nodesAtOnce: 1 },
    { farm: "200 nodes, 1 at a time", nodes: 200, nodesAtOnce: 1 },
    { farm: "200 nodes, 20 at a time", nodes: 200, nodesAtOnce: 20 },
  ].map((r) => ({ ...r, releaseSeconds: releaseSeconds(r.nodes, r.nodesAtOnce).total }));
  console.table(releases);
  const local = await measureLocalRelease();
  console.log(
    local
      ? `measured on this machine: a 3-node local farm released v1 -> v2 in ${local.seconds.toFixed(1)} s (${local.perNode})`
      : "local release not measured: Mono and nginx are not installed (npm run local:install)",
  );

  const scaling = await scalingSection(true);

  const results = {
    takenAt: new Date().toISOString(),
    machine,
    evaluation: { rows, growth },
    deployment: { creationSeconds: CREATION_SECONDS, ...deployments },
    serving: {
      windowsSetup: WINDOWS_SETUP,
      bootSteps: BOOT_STEPS,
      sessionStore: SESSION_STORE_STEPS,
      healthy: HEALTHY,
      modeled: serving,
    },
    release: { steps: RELEASE_STEPS, modeled: releases, measuredLocal: local },
    scaling,
  };
  writeFileSync(join(__dirname, "results.json"), JSON.stringify(results, null, 2) + "\n");
  console.log("\nwrote tools/bench/results.json");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
