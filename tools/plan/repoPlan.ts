// This repository's own stacks through the same offline engine the package's `aspnet-webfarm plan`
// runs on a team's project (engine/plan.ts): here the program is infra/program.ts, imported.
import { Plan, renderPlanFromConfig } from "../../engine/plan";
import { program } from "../../infra/program";
import { keysSetByStack, stackConfig } from "../../infra/stackFile";
import { REPO_ROOT } from "../scripts/repoRoot";

/** A stack's plan from a config map (its stack file's, or a test's variation of it). */
export function renderRepoPlan(stack: string, config: Record<string, string>): Promise<Plan> {
  return renderPlanFromConfig(stack, config, {
    program: () => program(keysSetByStack(stack, REPO_ROOT)),
    command: "npm run plan",
  });
}

export function renderPlan(stack: string): Promise<Plan> {
  return renderRepoPlan(stack, stackConfig(stack));
}
