#!/usr/bin/env node
// `npx aspnet-webfarm plan | diff | policy [--stack <stack>]`: the kit's offline plan, its diff and its
// policy pack on the team's own Pulumi program, in the project's folder: no Pulumi CLI, no cloud, no
// credentials. The same engine as the kit's own `npm run plan` (engine/plan.ts).
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { CliCommand, DIFF_OPTIONS, helpText, parseCli, wantsHelp } from "./options";
import { findProject, programOf, projectFixtures, TeamProject } from "./project";
import type { Plan } from "../engine/plan";
import { projectFile, readStackConfig, StackConfig } from "../engine/stackFile";

// The engine (Pulumi's SDK, the provider, the farm) is loaded once the command line and the project
// have been read: `--help` and a mistyped stack answer at once.
const engine = async () => ({
  ...(await import("./plans")),
  ...(await import("../engine/engine")),
  ...(await import("../engine/plan")),
  ...(await import("../engine/policyCheck")),
});

const BIN = "npx aspnet-webfarm";
const STACK = {
  type: "string",
  value: "<stack>",
  help: "the stack (its Pulumi.<stack>.yaml); needed when the project has more than one",
} as const;

export const COMMANDS = {
  plan: {
    usage: `${BIN} plan [--stack <stack>]`,
    summary:
      "Runs the project's program offline (no cloud, no credentials, no Pulumi CLI) with Pulumi.<stack>.yaml's config and writes plans/<stack>.json (every resource with its inputs), plans/<stack>.md (who may reach whom, the boot steps, whether `pulumi up` finishes) and plans/<stack>/ (each generated script once). Secrets and ESC environments become labelled placeholders. Exits 1 when `pulumi up` would not finish.",
    options: { stack: STACK },
    examples: [`${BIN} plan --stack dev`],
  },
  diff: {
    usage: `${BIN} diff [--stack <stack>] [options]`,
    summary:
      "Compares the program now with the plan committed at HEAD (plans/<stack>.json): what changes, what widens who may reach what, what replaces or interrupts a resource (the farm's and your own). Exits 2 on a security-widening or disruptive change not approved.",
    options: { stack: STACK, ...DIFF_OPTIONS },
    examples: [`${BIN} diff --stack prod`, `${BIN} diff --stack prod --approve-disruption`],
  },
  policy: {
    usage: `${BIN} policy [--stack <stack>] [--policy-config <file>]`,
    summary:
      "Runs the kit's policy pack offline over every resource the program registers, yours around the farm included. Each violation names the policy and the resource; exits 1 when a mandatory policy is violated (advisories are printed only).",
    options: {
      stack: STACK,
      "policy-config": {
        type: "string",
        value: "<file>",
        default: "each policy's own defaults (the state port 42424, the SQL port 1433)",
        help: "the policies' configuration, as `pulumi preview --policy-pack-config` takes it: a JSON object by policy name, e.g. a farm's own state port",
      },
    },
    examples: [`${BIN} policy --stack prod`],
  },
} as const satisfies Record<string, CliCommand>;

const USAGE = `usage: ${BIN} plan|diff|policy [--stack <stack>] [--help]`;

/** The stack named, or the project's only one. */
function stackOf(root: string, given: string | undefined): string {
  if (given) return given;
  const dir = projectFile(root).stackConfigDir ?? ".";
  const stacks = readdirSync(join(root, dir))
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined);
  if (stacks.length === 1) return stacks[0];
  throw new Error(
    stacks.length === 0
      ? "no Pulumi.<stack>.yaml in this project: create a stack's config first (pulumi stack init, pulumi config set)"
      : `--stack is needed: this project has ${stacks.length} stacks (${stacks.join(", ")})`,
  );
}

/** A policy pack config file: { "<policy name>": { ...its settings } } (an "enforcementLevel" key is the CLI's). */
function policyConfig(file: string): Record<string, Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`--policy-config ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new Error(`--policy-config ${file}: must be a JSON object of each policy's settings, by its name`);
  return parsed as Record<string, Record<string, unknown>>;
}

async function renderTeamPlan(project: TeamProject, stack: string, read: StackConfig): Promise<Plan> {
  const { config, placeholders } = read;
  const { renderPlanFromConfig } = await engine();
  return renderPlanFromConfig(stack, config, {
    program: programOf(project),
    project: project.name,
    command: `${BIN} plan`,
    placeholders,
    fixtures: projectFixtures(project),
  });
}

/** Runs one command in `root`; returns the exit code (output goes to the console). */
export async function run(args: string[], root = process.cwd()): Promise<number> {
  const [name, ...rest] = args;
  if (name && !["--help", "-h"].includes(name) && !(name in COMMANDS))
    throw new Error(`unknown command "${name}"; ${USAGE}`);
  if (!name || !(name in COMMANDS)) {
    console.log(
      `${USAGE}\n\n  plan     write plans/<stack>.json and .md\n  diff     compare with the committed plan\n  policy   run the kit's policy pack\n\n${BIN} <command> --help tells more.`,
    );
    return 0;
  }
  const command = name as keyof typeof COMMANDS;
  if (wantsHelp(rest)) {
    console.log(helpText(COMMANDS[command]));
    return 0;
  }
  const { problems } = parseCli(COMMANDS[command], rest);
  // One table of every option's value: each command has refused the ones it does not take.
  const { values } = parseCli(
    { ...COMMANDS.diff, options: { ...COMMANDS.diff.options, ...COMMANDS.policy.options } },
    rest,
  );
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const project = findProject(root);
  const stack = stackOf(root, values.stack);
  const read = readStackConfig(root, stack);
  const { config, placeholders } = read;
  const e = await engine();

  if (command === "plan") {
    const plan = await renderTeamPlan(project, stack, read);
    e.writePlan(root, plan);
    console.log(e.summaryText(plan));
    console.log(
      `wrote plans/${stack}.json (${plan.resources.length} resources), plans/${stack}.md and plans/${stack}/`,
    );
    return plan.summary.convergence[0]?.startsWith("converges") ? 0 : 1;
  }
  if (command === "diff") {
    const before = e.committedPlan(root, stack, `${BIN} plan`, values.against);
    const diff = e.diffPlans(before, await renderTeamPlan(project, stack, read));
    console.log(e.diffText(diff));
    const verdict = e.diffVerdict(
      diff,
      { security: values["approve-security"], disruption: values["approve-disruption"] },
      `${BIN} diff --stack ${stack}`,
    );
    for (const m of verdict.messages) console.error(m);
    return verdict.exitCode;
  }
  const region = config["aws:region"];
  if (!region) throw new Error(`Pulumi.${stack}.yaml sets no aws:region`);
  const { mocks } = await e.runProgram(programOf(project), {
    stack,
    project: project.name,
    config,
    fixtures: projectFixtures(project)(region),
  });
  if (placeholders.length > 0) console.log(`not read offline, replaced by placeholders: ${placeholders.join("; ")}`);
  const violations = await e.checkPolicies(mocks.resources, {
    project: project.name,
    stack,
    config: values["policy-config"] ? policyConfig(join(root, values["policy-config"])) : {},
  });
  for (const v of violations)
    console.log(
      `${v.enforcement === "mandatory" ? "VIOLATION" : "advisory"} ${v.policy}${v.resource ? ` on ${v.resource}` : ""}: ${v.message}`,
    );
  const mandatory = violations.filter((v) => v.enforcement === "mandatory").length;
  console.log(
    mandatory > 0
      ? `${mandatory} mandatory policy violation(s) in stack ${stack}`
      : `stack ${stack}: ${mocks.resources.length} resources pass every mandatory policy of the kit`,
  );
  return mandatory > 0 ? 1 : 0;
}

if (require.main === module) {
  // A lookup that fails inside an Output rejects a promise the program never awaits: one clear line.
  process.on("unhandledRejection", (err) => {
    console.error(`aspnet-webfarm: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`aspnet-webfarm: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
