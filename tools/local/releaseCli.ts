// `npm run local:release -- --app <published site> [options]` (RELEASE_COMMAND below; `--help` prints it): releases a
// new version over the farm `npm run local` runs, node by node, in the order of an AWS CodeDeploy in-place
// deployment, keeping every session.
import { defaultVersion } from "../../components/releases/artifact";
import { CliCommand, helpText, parseCli, wantsHelp } from "../../cli/options";
import { requestRelease } from "./control";
import { appProblems, VALIDATION_OPTIONS, validationOptions } from "./cli";
import { appOption } from "./deploy";
import { CONTROL_SOCKET } from "./run";

export const RELEASE_COMMAND = {
  usage: "npm run local:release -- --app <folder|.zip> [options]",
  summary: [
    "Releases a new version over the farm `npm run local` runs, node by node in the order of an AWS CodeDeploy",
    "in-place deployment (out of the balancer, install, restart, validate, back in), keeping every session.",
  ].join("\n"),
  options: {
    app: {
      type: "string",
      value: "<folder|.zip>",
      help: "the published site to release (required): the folder Publish wrote, or a .zip of it",
    },
    version: {
      type: "string",
      value: "<label>",
      default: "sha-<12 hex digits of the build>",
      help: "the release's label",
    },
    ...VALIDATION_OPTIONS,
    "nodes-at-once": { type: "string", value: "<n>", default: "1", help: "how many nodes are released at a time" },
  },
  examples: [
    "npm run local:release -- --app ./publish",
    "npm run local:release -- --app site.zip --version v2 --nodes-at-once 2",
  ],
} as const satisfies CliCommand;

/** The release's options; every bad one (the --app site included) is named, in one error. */
export function releaseOptions(args: string[]) {
  const { values, problems } = parseCli(RELEASE_COMMAND, args);
  if (values.app === undefined) problems.push("--app <published site folder or .zip> is required");
  problems.push(...appProblems(values.app));
  // Without --validate-path, the farm's own (from `npm run local --validate-path`) applies.
  const validation = validationOptions(values["validate-path"], values["validate-status"]);
  problems.push(...validation.problems);
  const nodesAtOnce = values["nodes-at-once"] === undefined ? undefined : Number(values["nodes-at-once"]);
  if (nodesAtOnce !== undefined && !(Number.isInteger(nodesAtOnce) && nodesAtOnce >= 1))
    problems.push(`--nodes-at-once must be a whole number from 1; got ${values["nodes-at-once"]}`);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  return { app: values.app!, version: values.version, nodesAtOnce, ...validation };
}

async function main() {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) {
    console.log(helpText(RELEASE_COMMAND));
    return;
  }
  const options = releaseOptions(args);
  const { validatePath, validateStatuses, nodesAtOnce } = options;
  const { app, sha256 } = appOption(options.app);
  const version = options.version ?? defaultVersion(sha256);
  console.log(`releasing ${app} as ${version}...`);
  const ok = await requestRelease(
    CONTROL_SOCKET,
    {
      command: "release",
      release: { app, version, ...(validatePath !== undefined ? { validatePath, validateStatuses } : {}) },
      nodesAtOnce,
    },
    (line) => console.log(line),
  );
  process.exitCode = ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`local release: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
