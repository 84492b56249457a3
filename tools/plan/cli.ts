// npm run plan -- --stack dev         writes plans/dev.json and plans/dev.md, prints the summary
// npm run plan:diff -- --stack dev    compares the program now with the committed plan
// npm run plan:check                  fails when a committed plan is out of date (CI)
// Each one's options are in PLAN_COMMANDS (`--help` prints them).
import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { dirname, join, relative, sep } from "path";
import { CliCommand, helpText, parseCli, wantsHelp } from "../scripts/cliOptions";
import { REPO_ROOT } from "../scripts/repoRoot";
import { diffPlans, diffText, Plan, planJson, renderPlan, summaryText } from "../../engine/plan";

const PLANS = join(REPO_ROOT, "plans");
const STACKS = ["dev", "prod", "images", "asg"];

const STACK = {
  type: "string",
  value: "<stack>",
  help: `the stack whose plan it is (${STACKS.join(", ")}, or any Pulumi.<stack>.yaml); required`,
} as const;

/** The three commands cli.ts runs, by its first argument. */
export const PLAN_COMMANDS = {
  plan: {
    usage: "npm run plan -- --stack <stack>",
    summary:
      "Evaluates the stack's program offline (no cloud, no credentials) and writes plans/<stack>.json, plans/<stack>.md\nand plans/<stack>/ (the scripts), then prints the summary. Fails when `pulumi up` would not finish.",
    options: { stack: STACK },
    examples: ["npm run plan -- --stack dev"],
  },
  diff: {
    usage: "npm run plan:diff -- --stack <stack> [options]",
    summary:
      "Compares the program now with the committed plan: what changes, what broadens security, what replaces or\ninterrupts a resource. Exits 2 on a security-broadening or disruptive change not approved.",
    options: {
      stack: STACK,
      against: {
        type: "string",
        value: "<file>",
        default: "the plan committed at HEAD",
        help: "compare with this plan file instead (plans/<stack>.json of another checkout)",
      },
      "approve-security": { type: "boolean", help: "security-broadening changes read and accepted: exit 0 for them" },
      "approve-disruption": { type: "boolean", help: "disruptive changes read and accepted: exit 0 for them" },
    },
    examples: ["npm run plan:diff -- --stack prod", "npm run plan:diff -- --stack prod --approve-disruption"],
  },
  check: {
    usage: "npm run plan:check",
    summary: `Fails when a committed plan (${STACKS.join(", ")}) is out of date with the program, or would not converge (CI).`,
    options: {},
    examples: ["npm run plan:check"],
  },
} as const satisfies Record<string, CliCommand>;
const planFile = (stack: string) => join(PLANS, `${stack}.json`);
const summaryFile = (stack: string) => join(PLANS, `${stack}.md`);
const scriptDir = (stack: string) => join(PLANS, stack);

const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/** The plan on disk, with its script files. */
function planOnDisk(stack: string, file = planFile(stack)): Plan | undefined {
  if (!existsSync(file)) return undefined;
  const dir = join(file, "..", stack);
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"))
    : [];
  const scripts = Object.fromEntries(files.map((f) => [f, readFileSync(join(dir, f), "utf8")]));
  return { ...JSON.parse(readFileSync(file, "utf8")), scripts };
}

/** The plan as committed (HEAD), falling back to the files on disk outside git. */
function committedPlan(stack: string, against?: string): Plan {
  if (against)
    return (
      planOnDisk(stack, against) ??
      (() => {
        throw new Error(`no plan at ${against}`);
      })()
    );
  try {
    const plan = JSON.parse(git("show", `HEAD:plans/${stack}.json`));
    const files = git("ls-tree", "-r", "--name-only", `HEAD:plans/${stack}`).split("\n").filter(Boolean);
    return { ...plan, scripts: Object.fromEntries(files.map((f) => [f, git("show", `HEAD:plans/${stack}/${f}`)])) };
  } catch {
    const plan = planOnDisk(stack);
    if (plan) return plan;
    throw new Error(`no committed plan for stack ${stack}: run npm run plan -- --stack ${stack} and commit plans/`);
  }
}

function writePlan(plan: Plan): void {
  mkdirSync(PLANS, { recursive: true });
  writeFileSync(planFile(plan.stack), planJson(plan));
  writeFileSync(summaryFile(plan.stack), summaryText(plan));
  rmSync(scriptDir(plan.stack), { recursive: true, force: true });
  mkdirSync(scriptDir(plan.stack), { recursive: true });
  for (const [file, text] of Object.entries(plan.scripts)) {
    mkdirSync(dirname(join(scriptDir(plan.stack), file)), { recursive: true });
    writeFileSync(join(scriptDir(plan.stack), file), text);
  }
}

/** True when the files on disk are exactly what `plan` would write. */
function upToDate(plan: Plan): boolean {
  const disk = planOnDisk(plan.stack);
  return (
    disk !== undefined &&
    planJson(disk) === planJson(plan) &&
    existsSync(summaryFile(plan.stack)) &&
    readFileSync(summaryFile(plan.stack), "utf8") === summaryText(plan) &&
    JSON.stringify(Object.entries(disk.scripts).sort()) === JSON.stringify(Object.entries(plan.scripts).sort())
  );
}

async function main() {
  const [name, ...rest] = process.argv.slice(2);
  if (!(name in PLAN_COMMANDS)) throw new Error("usage: cli.ts plan|diff|check [--help]");
  const command = name as keyof typeof PLAN_COMMANDS;
  if (wantsHelp(rest)) {
    console.log(helpText(PLAN_COMMANDS[command]));
    return;
  }
  // The diff's table holds every option; plan and check refuse the ones they do not take.
  const { problems } = parseCli(PLAN_COMMANDS[command], rest);
  const { values } = parseCli(PLAN_COMMANDS.diff, rest);
  const stack = values.stack;
  if (command !== "check" && !stack)
    problems.push(`--stack is required (${STACKS.join(" or ")}, or any Pulumi.<stack>.yaml)`);
  if (problems.length > 0) throw new Error(problems.join("\n"));

  if (command === "plan") {
    const plan = await renderPlan(stack!);
    writePlan(plan);
    console.log(summaryText(plan));
    if (!plan.summary.convergence[0]?.startsWith("converges")) process.exitCode = 1;
    console.log(
      `wrote plans/${stack}.json (${plan.resources.length} resources), plans/${stack}.md and plans/${stack}/ (${Object.keys(plan.scripts).join(", ")})`,
    );
  } else if (command === "diff") {
    const diff = diffPlans(committedPlan(stack!, values.against), await renderPlan(stack!));
    console.log(diffText(diff));
    if (diff.securityBroadening.length > 0 && !values["approve-security"]) {
      console.error(
        `${diff.securityBroadening.length} security-broadening change(s): review them, then re-run with --approve-security`,
      );
      process.exitCode = 2;
    }
    if (diff.mustRead.length > 0 && !values["approve-disruption"]) {
      console.error(
        `${diff.mustRead.length} disruptive change(s) above: read them, then re-run with --approve-disruption`,
      );
      process.exitCode = 2;
    }
  } else {
    let stale = 0;
    for (const s of STACKS) {
      const plan = await renderPlan(s);
      if (!upToDate(plan)) {
        stale++;
        console.error(`plans/${s}.* is out of date with the program. What changed:`);
        console.error(diffText(diffPlans(planOnDisk(s) ?? { ...plan, resources: [], scripts: {} }, plan)));
        console.error(`run: npm run plan -- --stack ${s}   and commit plans/ with the change`);
      } else {
        console.log(`plans/${s}.json is up to date (${plan.resources.length} resources)`);
      }
      if (!plan.summary.convergence[0]?.startsWith("converges")) {
        stale++;
        console.error(`stack ${s}: \`pulumi up\` would not finish:\n  ${plan.summary.convergence.join("\n  ")}`);
      }
    }
    if (stale > 0) process.exitCode = 1;
  }
}

if (require.main === module)
  main().catch((err) => {
    console.error(`plan: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
