// `npm run local:release -- --app <published site> [--version v2] [--validate-path /status.aspx]
// [--validate-status 302] [--nodes-at-once 1]`: releases a new version over the farm `npm run local` runs, node by node,
// in the order of an AWS CodeDeploy in-place deployment, keeping every session.
import { parseArgs } from "util";
import { defaultVersion } from "../components/artifact";
import { requestRelease } from "./control";
import { validationOptions } from "./cli";
import { appOption } from "./release";
import { CONTROL_SOCKET } from "./run";

async function main() {
  const { values } = parseArgs({
    options: {
      app: { type: "string" },
      version: { type: "string" },
      "validate-path": { type: "string" },
      "validate-status": { type: "string" },
      "nodes-at-once": { type: "string" },
    },
  });
  if (values.app === undefined) throw new Error("--app <published site folder or .zip> is required");
  // Without --validate-path, the farm's own (from `npm run local --validate-path`) applies.
  const { problems, validatePath, validateStatuses } = validationOptions(
    values["validate-path"],
    values["validate-status"],
  );
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const { app, sha256 } = appOption(values.app);
  const version = values.version ?? defaultVersion(sha256);
  const nodesAtOnce = values["nodes-at-once"] === undefined ? undefined : Number(values["nodes-at-once"]);
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

main().catch((err) => {
  console.error(`local release: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
