// An offline plan: what a stack's program would register (no AWS credentials, no Pulumi service),
// in a stable sorted form with secrets shown as [secret] and each generated script in a file of its
// own; its summary (planSummary.ts) and the diff of two plans (planDiff.ts) are re-exported here.
import { ROLE_TAG } from "../components";
import { expandUserData } from "../components/windows/loader";
import { checkConvergence, convergenceLines } from "./convergence";
import { estimateMonthlyCost } from "./cost";
import { ASSET_MARKERS, PROVIDER_PLACEHOLDER, RecordedResource, runProgram } from "./engine";
import { Fixtures, planFixtures } from "./fixtures";

export { planFixtures };
import { Plan, PlanResource, scriptRef, SECRET, sortKeys } from "./planModel";
import { summarize } from "./planSummary";

export * from "./planModel";
export { inboundRules, reachDiagram, summaryText } from "./planSummary";
export * from "./planDiff";

/** Inputs that hold a generated script: kept in a file of its own, referred to from the plan. */
const SCRIPT_INPUTS: { type: string; path: string; base64?: boolean; extension?: string; userData?: boolean }[] = [
  // User data: kept expanded (the compressed boot script readable, and diffed line by line).
  { type: "aws:ec2/instance:Instance", path: "userData", userData: true },
  { type: "aws:ec2/launchTemplate:LaunchTemplate", path: "userData", base64: true, userData: true },
  // The farm image's build steps: an Image Builder component document (YAML with PowerShell).
  { type: "aws:imagebuilder/component:Component", path: "data", extension: "yml" },
];

const { sig: SIG, asset: ASSET_SIG, archive: ARCHIVE_SIG } = ASSET_MARKERS;

/** Stores `text` once under a name (a different text under a taken name gets the resource's name). */
function store(scripts: Record<string, string>, file: string, text: string, fallback: string): string {
  const existing = Object.entries(scripts).find(([, t]) => t === text)?.[0];
  if (existing) return existing;
  const name = scripts[file] === undefined ? file : fallback;
  scripts[name] = text;
  return name;
}

/**
 * Assets and archives as a reader wants them: a file or folder as its path, a text asset inside
 * an archive (a release bundle's appspec, hooks, manifest) as a script file of the plan.
 */
function renderAssets(value: unknown, scripts: Record<string, string>, folder: string): unknown {
  if (Array.isArray(value)) return value.map((v) => renderAssets(v, scripts, folder));
  if (value === null || typeof value !== "object") return value;
  const v = value as Record<string, any>;
  if (v[SIG] === ASSET_SIG) {
    if (typeof v.text === "string") return scriptRef(store(scripts, folder, v.text, folder), v.text);
    return `[file ${v.path ?? v.uri}]`;
  }
  if (v[SIG] === ARCHIVE_SIG) {
    if (v.assets) {
      return Object.fromEntries(
        Object.entries(v.assets as Record<string, unknown>).map(([path, asset]) => [
          path,
          renderAssets(asset, scripts, `${folder}/${path}`),
        ]),
      );
    }
    return `[archive ${v.path ?? v.uri}]`;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderAssets(x, scripts, folder)]));
}

/**
 * Moves each script input into `scripts` (one file per distinct script) and leaves a reference;
 * returns each user data document's real size by file.
 */
function extractScripts(resources: PlanResource[], scripts: Record<string, string>): Record<string, number> {
  const userDataBytes: Record<string, number> = {};
  for (const r of resources) {
    for (const s of SCRIPT_INPUTS.filter((x) => x.type === r.type)) {
      const raw = r.inputs[s.path];
      if (typeof raw !== "string") continue;
      const decoded = s.base64 ? Buffer.from(raw, "base64").toString("utf8") : raw;
      const text = s.userData ? expandUserData(decoded) : decoded;
      const role = String((r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] ?? r.name);
      const extension = s.extension ?? "ps1";
      const file = store(scripts, `${role}.${extension}`, text, `${r.name}.${extension}`);
      if (s.userData) userDataBytes[file] = Buffer.byteLength(decoded, "utf8");
      r.inputs[s.path] = scriptRef(file, text);
    }
    // A dynamic provider's serialized code is the kit's own source, not configuration.
    if (typeof r.inputs.__provider === "string") r.inputs.__provider = PROVIDER_PLACEHOLDER;
    r.inputs = renderAssets(r.inputs, scripts, r.name) as Record<string, unknown>;
  }
  return userDataBytes;
}

function setPath(target: Record<string, unknown>, path: string, replacement: unknown): void {
  const parts = path.match(/[^.[\]]+/g) ?? [];
  let node: any = target;
  for (const part of parts.slice(0, -1)) node = node?.[part];
  if (node && parts.length > 0) node[parts[parts.length - 1]] = replacement;
}

function toPlanResource(r: RecordedResource): PlanResource {
  const inputs = JSON.parse(JSON.stringify(r.inputs)) as Record<string, unknown>;
  for (const path of r.secretPaths) {
    if (path === "") return { type: r.type, name: r.name, parent: r.parent, inputs: { [SECRET]: true } };
    setPath(inputs, path, SECRET);
  }
  const options = Object.fromEntries(
    Object.entries(r.options).filter(
      ([, v]) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0),
    ),
  );
  return sortKeys({
    type: r.type,
    name: r.name,
    ...(r.parent ? { parent: r.parent } : {}),
    inputs,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  }) as PlanResource;
}

/** What a plan is rendered from: a program, the command that renders it, and what it could not read. */
export interface PlanSource {
  /** The stack's program (as Pulumi.yaml's `main` exports it). */
  program: () => unknown;
  /** The project's name (Pulumi.yaml), as `pulumi.getProject()` returns it. */
  project?: string;
  /** The command that writes the plan, named in its note ("npm run plan", "npx aspnet-webfarm plan"). */
  command: string;
  /** Values replaced by placeholders offline (engine/stackFile.ts): said in the plan's note. */
  placeholders?: string[];
  /** Lookups answered for this project (its fixtures file), beside the kit's own. */
  fixtures?: (region: string) => Fixtures;
}

/** Renders a stack's plan from its config map (as engine/stackFile.ts reads it). */
export async function renderPlanFromConfig(
  stack: string,
  config: Record<string, string>,
  source: PlanSource,
): Promise<Plan> {
  const region = config["aws:region"];
  if (!region) throw new Error(`Pulumi.${stack}.yaml sets no aws:region`);
  const { mocks } = await runProgram(source.program, {
    stack,
    ...(source.project ? { project: source.project } : {}),
    config,
    fixtures: source.fixtures?.(region) ?? planFixtures(region),
  });
  const resources = mocks.resources
    .map(toPlanResource)
    .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
  const scripts: Record<string, string> = {};
  const userDataBytes = extractScripts(resources, scripts);
  const convergence = convergenceLines(checkConvergence(mocks.resources, mocks.waits));
  const placeholders = source.placeholders ?? [];
  return {
    stack,
    command: source.command,
    note: [
      `Generated offline by \`${source.command}\` from Pulumi.<stack>.yaml: every resource the program registers, with its inputs. Values known only after deployment appear as <Type>.<name>.<property>; secrets as [secret]; generated scripts as [script <file>], a file in plans/${stack}/.`,
      ...(placeholders.length > 0 ? [`Not read offline, replaced by placeholders: ${placeholders.join("; ")}.`] : []),
    ].join(" "),
    resources,
    summary: {
      ...summarize(resources, scripts, userDataBytes),
      convergence,
      cost: estimateMonthlyCost(resources, region),
    },
    scripts,
  };
}

/** Stable text: the same program and config always give byte-identical files (scripts apart). */
export function planJson(plan: Plan): string {
  const { scripts: _scripts, ...rest } = plan;
  return JSON.stringify(rest, null, 2) + "\n";
}
