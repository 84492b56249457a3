// `npm run local:scale -- --nodes <n>` (SCALE_COMMAND below; `--help` prints it): changes the node count of the
// farm `npm run local` runs, in the order Auto Scaling and the load balancer use (scale.ts), keeping every session.
import { CliCommand, helpText, parseCli, wantsHelp } from "../../cli/options";
import { requestControl } from "./control";
import { CONTROL_SOCKET } from "./run";
import { MAX_NODES } from "./scale";

export const SCALE_COMMAND = {
  usage: "npm run local:scale -- --nodes <n>",
  summary: [
    "Changes the node count of the farm `npm run local` runs, as Auto Scaling and the load balancer do: a new node",
    "starts with the current release and the farm's key and joins the balancer only once its health check passes;",
    "a removed node leaves the balancer first, its in-flight requests finish, then it stops. Sessions are kept.",
  ].join("\n"),
  options: {
    nodes: { type: "string", value: "<n>", help: `the node count to reach, 1-${MAX_NODES} (required)` },
  },
  examples: ["npm run local:scale -- --nodes 4", "npm run local:scale -- --nodes 2"],
} as const satisfies CliCommand;

/** The scale's options; every bad one is named, in one error. */
export function scaleOptions(args: string[]): { nodes: number } {
  const { values, problems } = parseCli(SCALE_COMMAND, args);
  const nodes = Number(values.nodes);
  if (values.nodes === undefined) problems.push("--nodes <n> is required");
  else if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)
    problems.push(`--nodes must be a whole number 1-${MAX_NODES}; got ${values.nodes}`);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return { nodes };
}

async function main() {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) {
    console.log(helpText(SCALE_COMMAND));
    return;
  }
  const { nodes } = scaleOptions(args);
  console.log(`scaling the local farm to ${nodes} node${nodes === 1 ? "" : "s"}...`);
  const ok = await requestControl(
    CONTROL_SOCKET,
    { command: "scale", nodes },
    (line) => console.log(line),
    (seconds) => `the farm runs ${nodes} node${nodes === 1 ? "" : "s"} (${seconds})`,
    "scale failed",
  );
  process.exitCode = ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`local scale: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
