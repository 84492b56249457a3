// `npm run local [-- --nodes 3 --port 8080 --state-port 42424]`: the farm on 127.0.0.1.
import { writeFileSync } from "fs";
import { parseArgs } from "util";
import { LocalFarm } from "./farm";
import { ensurePackages } from "./packages";
import { PID_FILE, PidFile, RUN_DIR } from "./run";

function option(value: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be a whole number ${min}-${max}; got ${value}`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: { nodes: { type: "string" }, port: { type: "string" }, "state-port": { type: "string" } },
  });
  const nodes = option(values.nodes, "nodes", 1, 20, 3);
  const port = option(values.port, "port", 1024, 65000 - 200, 8080);
  const statePort = option(values["state-port"], "state-port", 1024, 65535, 42424);
  if (statePort >= port && statePort <= port + 101 + nodes)
    throw new Error(`--state-port ${statePort} collides with the farm's ports ${port}-${port + 101 + nodes}`);

  ensurePackages();
  console.log(`starting a ${nodes}-node farm on 127.0.0.1 (logs and configs in ${RUN_DIR})...`);
  const farm = await LocalFarm.start({ nodes, port, statePort, dir: RUN_DIR, log: (l) => console.log(`  ${l}`) });
  const record: PidFile = { runner: process.pid, processes: farm.started() };
  writeFileSync(PID_FILE, JSON.stringify(record, null, 2));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the farm...`);
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
      `try:  curl -c /tmp/jar -b /tmp/jar ${farm.url}Default.aspx   (repeat: same session, the node changes)`,
      `      ${farm.url}ViewState.aspx in a browser (postbacks cross nodes)`,
      "stop: Ctrl-C here, or `npm run local:down` from another terminal",
    ].join("\n"),
  );
  // Stays in the foreground: the state server's stdin is a pipe from this process.
  await new Promise(() => undefined);
}

main().catch((err) => {
  console.error(`local farm: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
