// `npm run local [-- --nodes 3 --port 8080 --state-port 42424 --app <published site> --version v1]`:
// the farm on 127.0.0.1, serving the sample application or your own published site. While it runs,
// `npm run local:release -- --app <folder>` releases a new version over it (control.ts).
import { existsSync, writeFileSync } from "fs";
import { resolve } from "path";
import { parseArgs } from "util";
import { defaultVersion } from "../components/application";
import { artifactProblems, readArtifact } from "../components/artifact";
import { serveControl } from "./control";
import { APP_SOURCE, LocalFarm } from "./farm";
import { ensurePackages } from "./packages";
import { CONTROL_SOCKET, PID_FILE, PidFile, RUN_DIR } from "./run";

function option(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be a whole number ${min}-${max}; got ${value}`);
  return n;
}

/** The published site an option names, checked as `pulumi up` checks app.path. */
export function appOption(path: string | undefined): { app: string; sha256: string } {
  const app = path === undefined ? APP_SOURCE : resolve(path);
  if (path !== undefined) {
    const problems = artifactProblems(app);
    if (problems.length > 0) throw new Error(`--app: ${problems.join("; ")}`);
  }
  return { app, sha256: readArtifact(app).sha256 };
}

async function main() {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string" },
      port: { type: "string" },
      "state-port": { type: "string" },
      app: { type: "string" },
      version: { type: "string" },
    },
  });
  const nodes = option(values.nodes, "nodes", 1, 20, 3);
  const port = option(values.port, "port", 1024, 65000 - 200, 8080);
  const statePort = option(values["state-port"], "state-port", 1024, 65535, 42424);
  if (statePort >= port && statePort <= port + 101 + nodes)
    throw new Error(`--state-port ${statePort} collides with the farm's ports ${port}-${port + 101 + nodes}`);
  const { app, sha256 } = appOption(values.app);
  const version = values.version ?? (values.app === undefined ? "v1" : defaultVersion(sha256));

  ensurePackages();
  console.log(
    `starting a ${nodes}-node farm on 127.0.0.1 with ${app} as ${version} (logs and configs in ${RUN_DIR})...`,
  );
  const farm = await LocalFarm.start({
    nodes,
    port,
    statePort,
    dir: RUN_DIR,
    log: (l) => console.log(`  ${l}`),
    release: { app, version },
  });
  const record = () =>
    writeFileSync(
      PID_FILE,
      JSON.stringify({ runner: process.pid, processes: farm.started() } satisfies PidFile, null, 2),
    );
  record();
  const control = serveControl(farm, CONTROL_SOCKET, record);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the farm...`);
    control.close();
    await farm.stop();
    writeFileSync(PID_FILE, JSON.stringify({ runner: process.pid, processes: [] }, null, 2));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  console.log(
    [
      "",
      `farm:         ${farm.url}  (round robin over every node, no stickiness)`,
      ...[...Array(nodes).keys()].map((i) => `${farm.nodeName(i)}:       ${farm.nodeUrl(i)}`),
      `state server: tcp 127.0.0.1:${statePort}`,
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
