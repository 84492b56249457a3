// A local farm that cannot hurt itself: a second start is refused while one is recorded as
// running, busy ports are named at once, and nothing is emptied or started before those checks.
// Talks only to 127.0.0.1; every process started here is stopped here.
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import * as net from "net";
import { tmpdir } from "os";
import { join } from "path";
import { localOptions } from "../../../tools/local/cli";
import { LocalFarm } from "../../../tools/local/farm";
import { HOST } from "../../../tools/local/http";
import { farmPorts, portCollisions } from "../../../tools/local/ports";
import { recordedFarmRunning } from "../../../tools/local/run";
import { SUITE_FARMS } from "../../support/farmPorts";
import { REPO_ROOT } from "../../../tools/scripts/repoRoot";

const { port: PORT, statePort: STATE_PORT } = SUITE_FARMS.guard;
let dir: string;
const started: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "webfarm-guard-"));
});
afterEach(() => {
  for (const p of started.splice(0)) p.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Something else holding a port on 127.0.0.1. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  return server;
}

/** A stand-in process whose command line reads as `name` (what the record's checks look at). */
function standIn(name: string): number {
  const p = spawn("bash", ["-c", `exec -a ${name} sleep 60`], { stdio: "ignore" });
  started.push(p);
  return p.pid!;
}

/** `npm run local` itself, with its run folder in the test's own place. */
function runLocal(...args: string[]) {
  const started = Date.now();
  // The compiled command beside this compiled test: the same code as `npm run local` without ts-node
  // compiling it again (about a second of CPU a start; commands.test.ts runs it through ts-node).
  const cli = require.resolve("../../../tools/local/cli");
  const loader = cli.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
  const r = spawnSync(process.execPath, [...loader, cli, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, WEBFARM_LOCAL_DIR: dir },
    encoding: "utf8",
    timeout: 30000,
  });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - started };
}

test("a busy balancer port is named within a second, before the farm's folder is emptied or anything starts", async () => {
  const farmDir = join(dir, "farm");
  mkdirSync(farmDir);
  writeFileSync(join(farmDir, "keep"), "a running farm's file");
  const other = await occupy(PORT);
  const changes: unknown[] = [];
  const t0 = Date.now();
  try {
    await expect(
      LocalFarm.start({
        nodes: 2,
        port: PORT,
        statePort: STATE_PORT,
        dir: farmDir,
        onProcesses: (p) => changes.push(p),
      }),
    ).rejects.toThrow(`port ${PORT} (the balancer) on 127.0.0.1 is in use by another program`);
  } finally {
    other.close();
  }
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(existsSync(join(farmDir, "keep"))).toBe(true);
  expect(changes).toEqual([]);
});

test("every busy port is named with who needed it: a node's and the state server's", async () => {
  const held = [await occupy(PORT + 2), await occupy(STATE_PORT)];
  try {
    await expect(
      LocalFarm.start({ nodes: 2, port: PORT, statePort: STATE_PORT, dir: join(dir, "farm") }),
    ).rejects.toThrow(
      `port ${PORT + 2} (node-1's HTTP server), port ${STATE_PORT} (the state server) on 127.0.0.1 are in use`,
    );
  } finally {
    for (const s of held) s.close();
  }
});

test("the acceptance suites' farms share no port, FastCGI ports included: they run side by side", () => {
  const owners = new Map<number, string>();
  const shared: string[] = [];
  for (const [suite, layout] of Object.entries(SUITE_FARMS))
    for (const { port, what } of farmPorts({ ...layout, sessionStore: undefined })) {
      if (owners.has(port)) shared.push(`${port}: ${owners.get(port)} and ${suite}'s ${what}`);
      owners.set(port, `${suite}'s ${what}`);
    }
  expect(shared).toEqual([]);
});

test("ports the options would give two parts of the farm are refused by name", () => {
  expect(portCollisions({ nodes: 3, port: 8080, statePort: 8082 })).toEqual([
    "port 8082 would be both node-1's HTTP server and the state server",
  ]);
  expect(portCollisions({ nodes: 3, port: 8080, statePort: 42424 })).toEqual([]);
  expect(farmPorts({ nodes: 2, port: 8080, statePort: 42424 }).map((p) => p.port)).toEqual([
    8080, 8081, 8082, 8181, 8182, 42424,
  ]);
});

test("a second `npm run local` refuses while one is recorded as running, and leaves its record and folder alone", () => {
  const runner = standIn("tools/local/cli.ts");
  const record = JSON.stringify({ runner, processes: [] });
  writeFileSync(join(dir, "pids.json"), record);
  mkdirSync(join(dir, "farm"));
  writeFileSync(join(dir, "farm", "keep"), "x");
  const r = runLocal("--port", String(PORT), "--state-port", String(STATE_PORT));
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(
    `a local farm is already running (pid ${runner}); stop it first with \`npm run local:down\``,
  );
  expect(readFileSync(join(dir, "pids.json"), "utf8")).toBe(record);
  expect(existsSync(join(dir, "farm", "keep"))).toBe(true);
});

test("processes an earlier farm left behind also stop a new start; a stale record does not", () => {
  const orphan = standIn("mono");
  writeFileSync(
    join(dir, "pids.json"),
    JSON.stringify({ runner: 999999, processes: [{ role: "node-0", pid: orphan }] }),
  );
  expect(runLocal().stderr).toContain(`processes of an earlier local farm still run (node-0 pid ${orphan})`);
  // A record whose runner and processes are all gone is stale: it stops nothing.
  expect(recordedFarmRunning({ runner: 999999, processes: [{ role: "node-0", pid: 999998 }] })).toBeUndefined();
});

test("a start that fails on a busy port says so within seconds and leaves no record behind", async () => {
  const other = await occupy(STATE_PORT);
  try {
    const r = runLocal("--nodes", "1", "--port", String(PORT), "--state-port", String(STATE_PORT));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${STATE_PORT} (the state server) on 127.0.0.1 is in use`);
    // Node's start-up included; the farm's own check takes milliseconds.
    expect(r.ms).toBeLessThan(15000);
  } finally {
    other.close();
  }
  expect(existsSync(join(dir, "pids.json"))).toBe(false);
});

test("bad options are refused together, each by name, before anything is checked or started", () => {
  expect(() => localOptions(["--nodes", "0", "--port", "99999", "--session-store", "redis"])).toThrow(
    [
      "--nodes must be a whole number 1-20; got 0",
      "--port must be a whole number 1024-64800; got 99999",
      "--session-store must be state (the ASP.NET state server) or sql (SQLServer mode); got redis",
    ].join("\n"),
  );
  expect(localOptions(["--nodes", "2", "--session-store", "sql"])).toMatchObject({
    nodes: 2,
    port: 8080,
    statePort: 42424,
    sessionStore: "sql",
  });
});
