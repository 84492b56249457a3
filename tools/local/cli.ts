// `npm run local`: the farm on 127.0.0.1, serving the sample application or your own published site (LOCAL_COMMAND
// below lists the options; `npm run local -- --help` prints them). --validate-path is checked on every node at start,
// and every release must answer it too. While it runs, `npm run local:release -- --app <folder>` releases a new
// version over it (control.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from "fs";
import { artifactProblems } from "../../components/releases/artifact";
import { appPath } from "../../components/args/rules";
import { CliCommand, helpText, parseCli, wantsHelp } from "../../cli/options";
import { HOST } from "./http";
import { assertPortsFree, farmPorts, nodePorts, portCollisions } from "./ports";
import { CONTROL_SOCKET, FARM_DIR, PID_FILE, PidFile, readRecord, recordedFarmRunning, RUN_DIR } from "./run";

/** The release checks both `npm run local` and `npm run local:release` take. */
export const VALIDATION_OPTIONS = {
  "validate-path": {
    type: "string",
    value: "<path>",
    help: "a page of your application each node must answer 200 (or a --validate-status) before it serves, e.g. /status.aspx",
  },
  "validate-status": {
    type: "string",
    value: "<n,...>",
    help: "other statuses --validate-path may answer, comma-separated, e.g. 302",
  },
} as const satisfies CliCommand["options"];

export const LOCAL_COMMAND = {
  usage: "npm run local -- [options]",
  summary: [
    "Starts a web farm on 127.0.0.1 and stays in the foreground: nginx balancing round robin over Mono FastCGI nodes",
    "that share sessions (the ASP.NET state server, or SQLServer mode on SQLite) and one machineKey.",
    "Node i answers HTTP on port+1+i and FastCGI on port+101+i. Stop it with Ctrl-C or `npm run local:down`.",
  ].join("\n"),
  options: {
    nodes: { type: "string", value: "<n>", default: "3", help: "how many web nodes, 1-20" },
    port: { type: "string", value: "<port>", default: "8080", help: "the balancer's port" },
    "state-port": { type: "string", value: "<port>", default: "42424", help: "the state server's port" },
    "session-store": {
      type: "string",
      value: "state|sql",
      default: "state",
      help: "sessions in the ASP.NET state server (state) or in SQLServer mode (sql)",
    },
    app: {
      type: "string",
      value: "<folder|.zip>",
      default: "the sample application in tools/local/app",
      help: "your published site: the folder Publish wrote, or a .zip of it",
    },
    version: {
      type: "string",
      value: "<label>",
      default: "v1 for the sample, sha-<12 hex digits of the build> for --app",
      help: "the release's label",
    },
    ...VALIDATION_OPTIONS,
  },
  examples: [
    "npm run local",
    "npm run local -- --nodes 2 --session-store sql",
    "npm run local -- --app ./publish --validate-path /status.aspx --validate-status 302",
  ],
} as const satisfies CliCommand;

/** The farm's options from the command line; every bad one (the --app site included) is named, in one error. */
export function localOptions(args: string[]) {
  const { values, problems } = parseCli(LOCAL_COMMAND, args);
  const whole = (name: "nodes" | "port" | "state-port", min: number, max: number): number => {
    const value = values[name] ?? LOCAL_COMMAND.options[name].default;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`--${name} must be a whole number ${min}-${max}; got ${value}`);
    return n;
  };
  const nodes = whole("nodes", 1, 20);
  const port = whole("port", 1024, 65000 - 200);
  const statePort = whole("state-port", 1024, 65535);
  const store = values["session-store"] ?? LOCAL_COMMAND.options["session-store"].default;
  const sessionStore: "state" | "sql" = store === "sql" ? "sql" : "state";
  if (store !== "state" && store !== "sql")
    problems.push(`--session-store must be state (the ASP.NET state server) or sql (SQLServer mode); got ${store}`);
  problems.push(...appProblems(values.app));
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

/** What is wrong with the site --app names (a missing folder, not a .zip, not a published site), as `pulumi up` checks app.path. */
export function appProblems(app: string | undefined): string[] {
  return app === undefined ? [] : artifactProblems(app).map((p) => `--app: ${p}`);
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

/** What a started farm's user can reach: the sample's pages, or their own application's (--app). */
export function startBanner(o: {
  nodes: number;
  port: number;
  statePort: number;
  sessionStore: "state" | "sql";
  sessionDatabase: string;
  /** The user's own site; undefined for the sample. */
  app?: string;
  validatePath?: string;
  healthPath: string;
}): string {
  const url = `http://${HOST}:${o.port}`;
  const tryLines =
    o.app === undefined
      ? [
          `try:     curl -c /tmp/jar -b /tmp/jar ${url}/Default.aspx   (repeat: same session, the node changes)`,
          `         ${url}/ViewState.aspx in a browser (postbacks cross nodes)`,
        ]
      : [
          `try:     ${url}/   your application (${o.app}), through the balancer`,
          `         ${url}${o.healthPath}   the health page each node must answer 200 (the kit adds it if absent)`,
          ...(o.validatePath !== undefined
            ? [
                `         ${url}${o.validatePath}   your --validate-path, checked on every node at start and at each release`,
              ]
            : []),
        ];
  return [
    "",
    `farm:         ${url}/  (round robin over every node, no stickiness)`,
    ...[...Array(o.nodes).keys()].map((i) => {
      const { http, fastcgi } = nodePorts(o.port, i);
      return `${`node-${i}:`.padEnd(14)}http://${HOST}:${http}/  (FastCGI on ${HOST}:${fastcgi}, behind nginx)`;
    }),
    o.sessionStore === "sql"
      ? `sessions:     SQLServer mode, in ${o.sessionDatabase} (sqlite3 to look inside)`
      : `state server: tcp ${HOST}:${o.statePort}`,
    "",
    ...tryLines,
    "release: npm run local:release -- --app <published site folder>   (node by node, sessions kept)",
    "scale:   npm run local:scale -- --nodes <n>   (new nodes join once healthy, removed ones drain first)",
    "stop:    Ctrl-C here, or `npm run local:down` from another terminal",
  ].join("\n");
}

async function main() {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) {
    console.log(helpText(LOCAL_COMMAND));
    return;
  }
  const { nodes, port, statePort, sessionStore, validatePath, validateStatuses, ...values } = localOptions(args);
  // Refuse before touching anything of a farm that runs (or is starting): its folder, its record.
  // Only light modules are loaded so far: a refusal or a busy port is reported within a second.
  const running = recordedFarmRunning();
  if (running) throw new Error(running);
  await assertPortsFree(farmPorts({ nodes, port, statePort, sessionStore }));

  const [
    { defaultVersion },
    { appOption, HEALTH_PATH, validateNode },
    { LocalFarm },
    { serveControl },
    { ensurePackages },
  ] = await Promise.all([
    import("../../components/releases/artifact"),
    import("./deploy"),
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
    await farm.stop(); // lists every process it stops: the balancer, each node, the state server
    forgetOwnRecord();
    console.log("local farm stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  console.log(
    startBanner({
      nodes,
      port,
      statePort,
      sessionStore,
      sessionDatabase: farm.sessionDatabase,
      app: values.app === undefined ? undefined : app,
      validatePath,
      healthPath: HEALTH_PATH,
    }),
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
