// `npm run local [-- --nodes 3 --port 8080 --state-port 42424 --session-store state|sql --app <published site> --version v1]`:
// the farm on 127.0.0.1, serving the sample application or your own published site. While it runs,
// `npm run local:release -- --app <folder>` releases a new version over it (control.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from "fs";
import { parseArgs } from "util";
import { assertPortsFree, farmPorts, portCollisions } from "./ports";
import { CONTROL_SOCKET, FARM_DIR, PID_FILE, PidFile, readRecord, recordedFarmRunning, RUN_DIR } from "./run";

/** The farm's options from the command line; every bad one is named, in one error. */
export function localOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      nodes: { type: "string" },
      port: { type: "string" },
      "state-port": { type: "string" },
      app: { type: "string" },
      version: { type: "string" },
      "session-store": { type: "string" },
    },
  });
  const problems: string[] = [];
  const whole = (name: "nodes" | "port" | "state-port", min: number, max: number, fallback: number): number => {
    const value = values[name];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`--${name} must be a whole number ${min}-${max}; got ${value}`);
    return n;
  };
  const nodes = whole("nodes", 1, 20, 3);
  const port = whole("port", 1024, 65000 - 200, 8080);
  const statePort = whole("state-port", 1024, 65535, 42424);
  const store = values["session-store"] ?? "state";
  const sessionStore: "state" | "sql" = store === "sql" ? "sql" : "state";
  if (store !== "state" && store !== "sql")
    problems.push(`--session-store must be state (the ASP.NET state server) or sql (SQLServer mode); got ${store}`);
  if (problems.length === 0) {
    const collisions = portCollisions({ nodes, port, statePort, sessionStore });
    if (collisions.length > 0) problems.push(`--port/--state-port: ${collisions.join("; ")}`);
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return {
    nodes,
    port,
    statePort,
    sessionStore,
    app: values.app,
    version: values.version,
  };
}

async function main() {
  const { nodes, port, statePort, sessionStore, ...values } = localOptions(process.argv.slice(2));
  // Refuse before touching anything of a farm that runs (or is starting): its folder, its record.
  // Only light modules are loaded so far: a refusal or a busy port is reported within a second.
  const running = recordedFarmRunning();
  if (running) throw new Error(running);
  await assertPortsFree(farmPorts({ nodes, port, statePort, sessionStore }));

  const [{ defaultVersion }, { appOption }, { LocalFarm }, { serveControl }, { ensurePackages }] = await Promise.all([
    import("../components/artifact"),
    import("./release"),
    import("./farm"),
    import("./control"),
    import("./packages"),
  ]);
  const { app, sha256 } = appOption(values.app);
  const version = values.version ?? (values.app === undefined ? "v1" : defaultVersion(sha256));
  mkdirSync(RUN_DIR, { recursive: true });
  const record = (processes: PidFile["processes"]) =>
    writeFileSync(PID_FILE, JSON.stringify({ runner: process.pid, processes } satisfies PidFile, null, 2));
  // Recorded from the first moment, so a second start during this one's is refused too.
  record([]);
  const forgetOwnRecord = () => {
    if (readRecord()?.runner === process.pid) rmSync(PID_FILE, { force: true });
  };

  ensurePackages();
  console.log(
    `starting a ${nodes}-node farm on 127.0.0.1 with ${app} as ${version} (logs and configs in ${FARM_DIR})...`,
  );
  let farm: import("./farm").LocalFarm;
  try {
    farm = await LocalFarm.start({
      nodes,
      port,
      statePort,
      dir: FARM_DIR,
      log: (l) => console.log(`  ${l}`),
      release: { app, version },
      onProcesses: record,
      sessionStore,
    });
  } catch (err) {
    forgetOwnRecord();
    throw err;
  }
  const control = serveControl(farm, CONTROL_SOCKET, () => record(farm.started()));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the farm...`);
    control.close();
    await farm.stop();
    forgetOwnRecord();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  console.log(
    [
      "",
      `farm:         ${farm.url}  (round robin over every node, no stickiness)`,
      ...[...Array(nodes).keys()].map((i) => `${farm.nodeName(i)}:       ${farm.nodeUrl(i)}`),
      sessionStore === "sql"
        ? `sessions:     SQLServer mode, in ${farm.sessionDatabase} (sqlite3 to look inside)`
        : `state server: tcp 127.0.0.1:${statePort}`,
      "",
      `try:     curl -c /tmp/jar -b /tmp/jar ${farm.url}Default.aspx   (repeat: same session, the node changes)`,
      `         ${farm.url}ViewState.aspx in a browser (postbacks cross nodes)`,
      "release: npm run local:release -- --app <published site folder>   (node by node, sessions kept)",
      "stop:    Ctrl-C here, or `npm run local:down` from another terminal",
    ].join("\n"),
  );
  if (!existsSync(CONTROL_SOCKET)) console.log("(no control socket: local:release is unavailable)");
  // Stays in the foreground: the state server's stdin is a pipe from this process.
  await new Promise(() => undefined);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`local farm: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
