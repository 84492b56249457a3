// The offline plan's data: what a plan file holds (engine/plan.ts renders it), and the helpers
// its summary and its diff share to read it.
import { createHash } from "crypto";
import type { CostEstimate } from "./cost";

export const SECRET = "[secret]";

export interface PlanResource {
  type: string;
  name: string;
  parent?: string;
  inputs: Record<string, unknown>;
  options?: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  /** The command that wrote it ("npm run plan", "npx aspnet-webfarm plan"). */
  command?: string;
  note: string;
  resources: PlanResource[];
  summary: PlanSummary;
  /** The generated scripts, once each, by file name (plans/<stack>/<file>); inputs refer to them. */
  scripts: Record<string, string>;
}

export interface PlanSummary {
  countsByType: Record<string, number>;
  /** "who may reach what on which port", one line per inbound rule. */
  inbound: string[];
  /** What each kind of instance does at boot (its user data's steps), and an image build's steps. */
  boot: Record<string, string[]>;
  /** The application release, when the farm has one: label, CodeDeploy group, batch. */
  release?: string;
  /** Each user data document's real size in bytes (what EC2 counts), by the plan file that shows it expanded. */
  userDataBytes: Record<string, number>;
  /** Does `pulumi up` finish: "converges" and every wait, or each cycle, race or missing prerequisite. */
  convergence: string[];
  /** The monthly cost estimate from list prices (engine/cost.ts); absent in plans written before it. */
  cost?: CostEstimate;
}

export const RELEASE_TYPE = "pulumi-nodejs:dynamic/aspnet-webfarm:Release";

/** How a plan's inputs refer to a generated script: its file in plans/<stack>/ and 12 hex of its SHA-256. */
const SCRIPT_REF = /^\[script (\S+) sha256:([0-9a-f]{12})\]$/;
/** The reference to `text`, stored as `file`. */
export const scriptRef = (file: string, text: string) =>
  `[script ${file} sha256:${createHash("sha256").update(text).digest("hex").slice(0, 12)}]`;

/** A script reference's text in `plan`, or undefined when the value is not a reference. */
export function scriptText(plan: Pick<Plan, "scripts">, value: unknown): string | undefined {
  const m = typeof value === "string" ? SCRIPT_REF.exec(value) : null;
  return m ? plan.scripts[m[1]] : undefined;
}

/** Objects with their keys sorted, at every depth: stable text. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
