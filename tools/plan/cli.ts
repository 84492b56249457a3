// npm run plan -- --stack dev         writes plans/dev.json and plans/dev.md, prints the summary
// npm run plan:diff -- --stack dev    compares the program now with the committed plan
// npm run plan:check                  fails when a committed plan is out of date (CI)
// Each one's options are in PLAN_COMMANDS (`--help` prints them).
import { CliCommand, DIFF_OPTIONS, helpText, parseCli, wantsHelp } from "../../cli/options";
import { committedPlan, diffVerdict, planOnDisk, upToDate, writePlan } from "../../cli/plans";
import { diffPlans, diffText, summaryText } from "../../engine/plan";
import { REPO_ROOT } from "../scripts/repoRoot";
import { renderPlan } from "./repoPlan";

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
    options: { stack: STACK, ...DIFF_OPTIONS },
    examples: ["npm run plan:diff -- --stack prod", "npm run plan:diff -- --stack prod --approve-disruption"],
  },
  check: {
    usage: "npm run plan:check",
    summary: `Fails when a committed plan (${STACKS.join(", ")}) is out of date with the program, or would not converge (CI).`,
    options: {},
    examples: ["npm run plan:check"],
  },
} as const satisfies Record<string, CliCommand>;
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
    writePlan(REPO_ROOT, plan);
    console.log(summaryText(plan));
    if (!plan.summary.convergence[0]?.startsWith("converges")) process.exitCode = 1;
    console.log(
      `wrote plans/${stack}.json (${plan.resources.length} resources), plans/${stack}.md and plans/${stack}/ (${Object.keys(plan.scripts).join(", ")})`,
    );
  } else if (command === "diff") {
    const before = committedPlan(REPO_ROOT, stack!, "npm run plan --", values.against);
    const diff = diffPlans(before, await renderPlan(stack!));
    console.log(diffText(diff));
    const verdict = diffVerdict(
      diff,
      { security: values["approve-security"], disruption: values["approve-disruption"] },
      `npm run plan:diff -- --stack ${stack}`,
    );
    for (const m of verdict.messages) console.error(m);
    if (verdict.exitCode !== 0) process.exitCode = verdict.exitCode;
  } else {
    let stale = 0;
    for (const s of STACKS) {
      const plan = await renderPlan(s);
      if (!upToDate(REPO_ROOT, plan)) {
        stale++;
        console.error(`plans/${s}.* is out of date with the program. What changed:`);
        console.error(diffText(diffPlans(planOnDisk(REPO_ROOT, s) ?? { ...plan, resources: [], scripts: {} }, plan)));
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
