// `npm run local [-- --nodes 3 --port 8080 --state-port 42424 --session-store state|sql --app <published site> --version v1
// --validate-path /status.aspx --validate-status 302]`: the farm on 127.0.0.1, serving the sample application or your own
// published site. --validate-path is checked on every node at start, and every release must answer it too. While it
// runs, `npm run local:release -- --app <folder>` releases a new version over it (control.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from "fs";
import { parseArgs } from "util";
import { appPath } from "../components/rules";
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
      "validate-path": { type: "string" },
      "validate-status": { type: "string" },
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
  const validation = validationOptions(values["validate-path"], values["validate-status"]);
  problems.push(...validation.problems);
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
    validatePath: validation.validatePath,
    validateStatuses: validation.validateStatuses,
  };
}

/** --validate-path and --validate-status (a comma-separated list), checked as appValidatePath and appValidateStatuses are. */
export function validationOptions(path: string | undefined, statuses: string | undefined) {
  const problems: string[] = [];
  if (path !== undefined && !appPath.safeParse(path).success)
    problems.push(`--validate-path must be an absolute path such as /status.aspx (an optional ?query); got ${path}`);
  const validateStatuses = (statuses ?? "")
    .split(",")
    .filter((s) => s.trim() !== "")
    .map(Number);
  if (validateStatuses.some((n) => !Number.isInteger(n) || n < 100 || n > 599))
    problems.push(`--validate-status must be HTTP statuses 100-599, comma-separated; got ${statuses}`);
  if (validateStatuses.length > 0 && path === undefined)
    problems.push("--validate-status applies only to --validate-path (the health page must answer 200)");
  return { validatePath: path, validateStatuses, problems };
}

async function main() {
  const { nodes, port, statePort, sessionStore, validatePath, validateStatuses, ...values } = localOptions(
    process.argv.slice(2),
  );
  // Refuse before touching anything of a farm that runs (or is starting): its folder, its record.
  // Only light modules are loaded so far: a refusal or a busy port is reported within a second.
  const running = recordedFarmRunning();
  if (running) throw new Error(running);
  await assertPortsFree(farmPorts({ nodes, port, statePort, sessionStore }));

  const [{ defaultVersion }, { appOption, validateNode }, { LocalFarm }, { serveControl }, { ensurePackages }] =
    await Promise.all([
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
  // The path every release must answer, checked now rather than at the first release.
  const validation = { validatePath, validateStatuses };
  for (let i = 0; i < nodes; i++) {
    try {
      await validateNode(farm, i, validation);
    } catch (err) {
      await farm.stop();
      forgetOwnRecord();
      throw new Error(`${farm.nodeName(i)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const control = serveControl(farm, CONTROL_SOCKET, () => record(farm.started()), validation);

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
