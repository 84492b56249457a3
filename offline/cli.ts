// npm run plan -- --stack dev         writes plans/dev.json and plans/dev.md, prints the summary
// npm run plan:diff -- --stack dev    compares the program now with the committed plan
//                                     (--against <file>, --approve-security)
// npm run plan:check                  fails when a committed plan is out of date (CI)
import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { parseArgs } from "util";
import { REPO_ROOT } from "../infra/stackFile";
import { diffPlans, diffText, Plan, planJson, renderPlan, summaryText } from "./plan";

const PLANS = join(REPO_ROOT, "plans");
const STACKS = ["dev", "prod"];
const planFile = (stack: string) => join(PLANS, `${stack}.json`);
const summaryFile = (stack: string) => join(PLANS, `${stack}.md`);

/** The plan as committed (HEAD), falling back to the file on disk outside git. */
function committedPlan(stack: string, against?: string): Plan {
  if (against) return JSON.parse(readFileSync(against, "utf8"));
  try {
    return JSON.parse(execFileSync("git", ["show", `HEAD:plans/${stack}.json`], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    if (existsSync(planFile(stack))) return JSON.parse(readFileSync(planFile(stack), "utf8"));
    throw new Error(`no committed plan for stack ${stack}: run npm run plan -- --stack ${stack} and commit plans/`);
  }
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({ args: rest, options: { stack: { type: "string" }, against: { type: "string" }, "approve-security": { type: "boolean" } } });
  const stack = values.stack;
  if ((command === "plan" || command === "diff") && !stack) throw new Error(`--stack is required (${STACKS.join(" or ")}, or any Pulumi.<stack>.yaml)`);

  if (command === "plan") {
    const plan = await renderPlan(stack!);
    mkdirSync(PLANS, { recursive: true });
    writeFileSync(planFile(stack!), planJson(plan));
    writeFileSync(summaryFile(stack!), summaryText(plan));
    console.log(summaryText(plan));
    console.log(`wrote plans/${stack}.json (${plan.resources.length} resources) and plans/${stack}.md`);
  } else if (command === "diff") {
    const diff = diffPlans(committedPlan(stack!, values.against), await renderPlan(stack!));
    console.log(diffText(diff));
    if (diff.securityBroadening.length > 0 && !values["approve-security"]) {
      console.error(`${diff.securityBroadening.length} security-broadening change(s): review them, then re-run with --approve-security`);
      process.exitCode = 2;
    }
  } else if (command === "check") {
    let stale = 0;
    for (const s of STACKS) {
      const plan = await renderPlan(s);
      const fresh = planJson(plan) === (existsSync(planFile(s)) ? readFileSync(planFile(s), "utf8") : "") &&
        summaryText(plan) === (existsSync(summaryFile(s)) ? readFileSync(summaryFile(s), "utf8") : "");
      if (!fresh) {
        stale++;
        console.error(`plans/${s}.* is out of date with the program. What changed:`);
        console.error(diffText(diffPlans(existsSync(planFile(s)) ? JSON.parse(readFileSync(planFile(s), "utf8")) : { ...plan, resources: [] }, plan)));
        console.error(`run: npm run plan -- --stack ${s}   and commit plans/ with the change`);
      } else {
        console.log(`plans/${s}.json is up to date (${plan.resources.length} resources)`);
      }
    }
    if (stale > 0) process.exitCode = 1;
  } else {
    throw new Error("usage: cli.ts plan|diff|check --stack <stack>");
  }
}

main().catch((err) => { console.error(`plan: ${err instanceof Error ? err.message : err}`); process.exit(1); });
