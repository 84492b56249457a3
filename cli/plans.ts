// A project's plan files (plans/<stack>.json, plans/<stack>.md, plans/<stack>/ with the scripts):
// written by `plan`, read back by `diff` (the committed ones, from git) and by this repository's
// `plan:check`. The same for the team's project (`npx aspnet-webfarm`) and for this repository.
import { execFileSync } from "child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { dirname, join, relative, sep } from "path";
import { Plan, planJson, PlanDiff, summaryText } from "../engine/plan";

export const planFile = (root: string, stack: string) => join(root, "plans", `${stack}.json`);
export const summaryFile = (root: string, stack: string) => join(root, "plans", `${stack}.md`);
const scriptDir = (root: string, stack: string) => join(root, "plans", stack);

/** The plan on disk, with its script files. */
export function planOnDisk(root: string, stack: string, file = planFile(root, stack)): Plan | undefined {
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
export function committedPlan(root: string, stack: string, command: string, against?: string): Plan {
  if (against) {
    const plan = planOnDisk(root, stack, against);
    if (!plan) throw new Error(`no plan at ${against}`);
    return plan;
  }
  // "./": paths relative to the project's folder, wherever the repository's root is.
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  try {
    const plan = JSON.parse(git("show", `HEAD:./plans/${stack}.json`));
    const files = git("ls-tree", "-r", "--name-only", "--full-name", `HEAD:./plans/${stack}`)
      .split("\n")
      .filter(Boolean);
    return {
      ...plan,
      scripts: Object.fromEntries(files.map((f) => [f, git("show", `HEAD:./plans/${stack}/${f}`)])),
    };
  } catch {
    const plan = planOnDisk(root, stack);
    if (plan) return plan;
    throw new Error(`no committed plan for stack ${stack}: run ${command} --stack ${stack} and commit plans/`);
  }
}

export function writePlan(root: string, plan: Plan): void {
  mkdirSync(join(root, "plans"), { recursive: true });
  writeFileSync(planFile(root, plan.stack), planJson(plan));
  writeFileSync(summaryFile(root, plan.stack), summaryText(plan));
  const dir = scriptDir(root, plan.stack);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(plan.scripts)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

/** True when the files on disk are exactly what `plan` would write. */
export function upToDate(root: string, plan: Plan): boolean {
  const disk = planOnDisk(root, plan.stack);
  return (
    disk !== undefined &&
    planJson(disk) === planJson(plan) &&
    existsSync(summaryFile(root, plan.stack)) &&
    readFileSync(summaryFile(root, plan.stack), "utf8") === summaryText(plan) &&
    JSON.stringify(Object.entries(disk.scripts).sort()) === JSON.stringify(Object.entries(plan.scripts).sort())
  );
}

/** `diff`'s exit code and the lines that say why: 2 for a must-read change not approved, else 0. */
export function diffVerdict(
  diff: PlanDiff,
  approved: { security?: boolean; disruption?: boolean },
  rerun: string,
): { exitCode: number; messages: string[] } {
  const messages: string[] = [];
  if (diff.securityBroadening.length > 0 && !approved.security)
    messages.push(
      `${diff.securityBroadening.length} security-broadening change(s): review them, then re-run with ${rerun} --approve-security`,
    );
  if (diff.mustRead.length > 0 && !approved.disruption)
    messages.push(
      `${diff.mustRead.length} disruptive change(s) above: read them, then re-run with ${rerun} --approve-disruption`,
    );
  return { exitCode: messages.length > 0 ? 2 : 0, messages };
}
