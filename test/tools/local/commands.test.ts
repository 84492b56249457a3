// The commands a person types: each answers --help listing every option its parser takes (both come from one
// table), names every bad option at once (a missing --app site included), and its start banner points at pages
// that exist (the user's own with --app, the sample's without). Fast: no farm is started here.
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { LOCAL_COMMAND, localOptions, startBanner } from "../../../tools/local/cli";
import { RELEASE_COMMAND, releaseOptions } from "../../../tools/local/releaseCli";
import { SCALE_COMMAND, scaleOptions } from "../../../tools/local/scaleCli";
import { PLAN_COMMANDS } from "../../../tools/plan/cli";
import { CliCommand, helpText, parseCli } from "../../../cli/options";
import { DISRUPTION_COMMAND } from "../../../tools/scripts/disruptionTable";
import { REPO_ROOT } from "../../../tools/scripts/repoRoot";

const COMMANDS: Record<string, CliCommand> = {
  local: LOCAL_COMMAND,
  "local:release": RELEASE_COMMAND,
  "local:scale": SCALE_COMMAND,
  plan: PLAN_COMMANDS.plan,
  "plan:diff": PLAN_COMMANDS.diff,
  "plan:check": PLAN_COMMANDS.check,
  "disruption:table": DISRUPTION_COMMAND,
};

test.each(Object.entries(COMMANDS))(
  "npm run %s --help shows usage, every option the parser takes with its default, and an example",
  (name, command) => {
    const help = helpText(command);
    expect(help).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
    expect(help).toContain(`examples:\n  npm run ${name}`);
    for (const [option, o] of Object.entries(command.options)) {
      expect(help).toContain(`--${option}`);
      // (a long line wraps)
      if (o.default !== undefined) expect(help.replace(/\s+/g, " ")).toContain(`(default: ${o.default})`);
      // The parser takes it (a value where it needs one) ...
      expect(parseCli(command, [`--${option}`, ...(o.type === "string" ? ["x"] : [])]).problems).toEqual([]);
    }
    // ... and nothing the help does not list.
    expect(parseCli(command, ["--not-an-option"]).problems).toEqual([
      "--not-an-option is not an option (--help lists them)",
    ]);
    expect(Math.max(...help.split("\n").map((l) => l.length))).toBeLessThanOrEqual(100);
  },
);

test("`npm run local -- --help` prints the help and exits 0, where it answered \"Unknown option '--help'\"", () => {
  // The compiled command beside this compiled test, as for local:scale below (ts-node's compile of
  // the CLI is about 1.5 s of CPU in npm test's budget; the source is the same).
  const cli = require.resolve("../../../tools/local/cli");
  const loader = cli.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
  const r = spawnSync(process.execPath, [...loader, cli, "--help"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    timeout: 30000,
  });
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(helpText(LOCAL_COMMAND));
});

describe("a bad --app is named with the other bad options, before anything starts", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "webfarm-commands-"));
    writeFileSync(join(dir, "site.txt"), "not a site");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("npm run local: a missing folder, with a bad --nodes and an unknown option", () => {
    const missing = join(dir, "publish");
    expect(() => localOptions(["--nodes", "0", "--app", missing, "--colour", "red"])).toThrow(
      [
        "--colour is not an option (--help lists them)",
        "--nodes must be a whole number 1-20; got 0",
        `--app: ${JSON.stringify(missing)} does not exist`,
      ].join("\n"),
    );
  });

  test("npm run local and local:release: a file that is not a .zip", () => {
    const file = join(dir, "site.txt");
    const problem = `--app: ${JSON.stringify(file)} is neither a folder nor a .zip`;
    expect(() => localOptions(["--app", file, "--validate-status", "302"])).toThrow(
      `${problem}\n--validate-status applies only to --validate-path (the health page must answer 200)`,
    );
    expect(() => releaseOptions(["--app", file, "--nodes-at-once", "0"])).toThrow(
      `${problem}\n--nodes-at-once must be a whole number from 1; got 0`,
    );
    expect(() => releaseOptions(["--version"])).toThrow(
      "--version needs a value\n--app <published site folder or .zip> is required",
    );
  });
});

test("npm run local:scale takes --nodes 1-20 and names every bad option in one error", () => {
  expect(scaleOptions(["--nodes", "4"])).toEqual({ nodes: 4 });
  expect(() => scaleOptions(["--nodes", "0", "--colour", "red"])).toThrow(
    "--colour is not an option (--help lists them)\n--nodes must be a whole number 1-20; got 0",
  );
  expect(() => scaleOptions(["--nodes", "2.5"])).toThrow("--nodes must be a whole number 1-20; got 2.5");
  expect(() => scaleOptions(["--port", "1"])).toThrow(
    "--port is not an option (--help lists them)\n--nodes <n> is required",
  );
});

test("`npm run local:scale` with no farm running says how to start one, and exits 1", () => {
  const dir = mkdtempSync(join(tmpdir(), "webfarm-scale-"));
  // The compiled command beside this compiled test: no ts-node compile (about a second of CPU).
  const cli = require.resolve("../../../tools/local/scaleCli");
  const loader = cli.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
  try {
    const r = spawnSync(process.execPath, [...loader, cli, "--nodes", "3"], {
      cwd: REPO_ROOT,
      env: { ...process.env, WEBFARM_LOCAL_DIR: dir },
      encoding: "utf8",
      timeout: 30000,
    });
    expect(r.stderr).toMatch(
      /^local scale: no local farm answers on .*control\.sock .*: start one with npm run local$/m,
    );
    expect(r.status).toBe(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("the start banner", () => {
  const farm = {
    nodes: 2,
    port: 8080,
    statePort: 42424,
    sessionStore: "state" as const,
    sessionDatabase: "/x/sessions.sqlite",
    healthPath: "/health.aspx",
  };

  test("names each node's HTTP and FastCGI port", () => {
    const banner = startBanner(farm);
    expect(banner).toContain("node-0:       http://127.0.0.1:8081/  (FastCGI on 127.0.0.1:8181, behind nginx)");
    expect(banner).toContain("node-1:       http://127.0.0.1:8082/  (FastCGI on 127.0.0.1:8182, behind nginx)");
    expect(banner).toContain("state server: tcp 127.0.0.1:42424");
  });

  test("without --app: the sample's pages", () => {
    const banner = startBanner(farm);
    expect(banner).toContain("http://127.0.0.1:8080/Default.aspx");
    expect(banner).toContain("http://127.0.0.1:8080/ViewState.aspx");
  });

  test("with --app: the user's own root, health page and --validate-path, never the sample's pages", () => {
    const banner = startBanner({ ...farm, app: "/home/me/publish", validatePath: "/status.aspx" });
    expect(banner).not.toMatch(/Default\.aspx|ViewState\.aspx/);
    expect(banner).toContain("try:     http://127.0.0.1:8080/   your application (/home/me/publish)");
    expect(banner).toContain("http://127.0.0.1:8080/health.aspx   the health page");
    expect(banner).toContain("http://127.0.0.1:8080/status.aspx   your --validate-path");
    expect(startBanner({ ...farm, app: "/home/me/publish" })).not.toContain("--validate-path");
  });
});
