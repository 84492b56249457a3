// Problems with arguments and the one error that lists them, and the two helpers every schema
// uses: `input` (an argument that may be an Output) and `doc` (an argument's summary and @default).
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import * as rules from "./rules";
import {
  AWS_LB_NAME_LIMIT,
  LONGEST_LB_CHILD_SUFFIX,
  MAX_FARM_NAME_LENGTH,
  MAX_PROJECT_NAME_LENGTH,
  MAX_STACK_NAME_LENGTH,
  PULUMI_SUFFIX_LENGTH,
} from "./constants";

export interface Problem {
  propertyPath: string;
  reason: string;
}

const isInputObject = (v: unknown) => pulumi.Output.isInstance(v) || v instanceof Promise;

/** The literal rule behind an `input(...)` schema (config derivation and the type generator read it). */
export const LITERAL_OF = new WeakMap<z.ZodType, z.ZodType>();

/**
 * An argument that may be an Output: a literal is checked by `literal` now, an Output or Promise
 * passes here and is checked by `whenKnown` once its value arrives.
 */
export function input<T>(literal: z.ZodType<T>) {
  const schema = z.custom<pulumi.Input<T>>().superRefine((v, ctx) => {
    if (isInputObject(v)) return;
    const result = literal.safeParse(v);
    if (!result.success) {
      for (const issue of result.error.issues)
        ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
    }
  });
  LITERAL_OF.set(schema, literal);
  return schema;
}

/** An argument's documentation: its one-line summary, and its @default where the schema's is not plain. */
export interface ArgDoc {
  summary: string;
  /** The @default text; without it, the schema's default (as JSON), or "none" for an optional argument. */
  default?: string;
}
/** doc()'s default text for an argument the schema leaves optional but a farm needs (nodes: nodeCount may stand in). */
export const REQUIRED = "required";
/** Each argument's documentation, by its schema (tools/scripts/argsTypes.ts writes the interfaces from it). */
export const DOCS = new WeakMap<z.ZodType, ArgDoc>();
/** Attaches an argument's documentation to its schema; returns the schema. */
export function doc<S extends z.ZodType>(schema: S, summary: string, defaultText?: string): S {
  DOCS.set(schema, { summary, ...(defaultText !== undefined ? { default: defaultText } : {}) });
  return schema;
}

/** True when a value is, or holds, an Output or Promise (so it is known only later). */
export function holdsInput(v: unknown): boolean {
  if (isInputObject(v)) return true;
  if (Array.isArray(v)) return v.some(holdsInput);
  if (v !== null && typeof v === "object") return Object.values(v).some(holdsInput);
  return false;
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    root,
  );
}

export function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    "",
  );
}

const describeArg = (v: unknown) => (isInputObject(v) ? "an Output" : rules.describeValue(v));

/** Every problem a schema finds in `value`, one per field, with what was given. */
export function schemaProblems(schema: z.ZodType, value: unknown, what: string): Problem[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => ({
        propertyPath: formatPath([...issue.path, k]),
        reason: `is not a ${what} argument (check the spelling)`,
      }));
    }
    const path = issue.path as PropertyKey[];
    const group = issue.code === "invalid_type" && issue.expected === "object" ? groupAt(schema, path) : undefined;
    if (group)
      return [
        {
          propertyPath: formatPath(path) || "args",
          reason: `must be an object (${group}); got ${describeArg(valueAt(value, path))}`,
        },
      ];
    if (issue.code === "invalid_key") {
      return [{ propertyPath: formatPath(path), reason: issue.issues[0]?.message ?? issue.message }];
    }
    return [
      {
        propertyPath: formatPath(path) || "args",
        reason: `${issue.message}; got ${describeArg(valueAt(value, path))}`,
      },
    ];
  });
}

/** The interface name of the object schema at `path` in `schema` (through optional and default). */
function groupAt(schema: z.ZodType, path: PropertyKey[]): string | undefined {
  let s: unknown = schema;
  const unwrap = () => {
    for (let def = defOf(s); def.type === "optional" || def.type === "default"; def = defOf(s)) s = def.innerType;
  };
  for (const key of path) {
    unwrap();
    s = defOf(s).shape?.[key as string];
    if (s === undefined) return undefined;
  }
  unwrap();
  return TYPE_NAMES.get(s as z.ZodType)?.name;
}
type Def = { type: string; innerType?: unknown; shape?: Record<string, unknown> };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** The one error a user sees: every problem, one per line. */
export function farmConfigError(subject: string, problems: Problem[]): pulumi.InputPropertiesError {
  const lines = problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
  return new pulumi.InputPropertiesError({
    message: `${subject} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was created:\n${lines.join("\n")}`,
    errors: problems,
  });
}

export function farmNameProblems(name: string, propertyPath = "name"): Problem[] {
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    return [
      { propertyPath, reason: `"${name}" must be letters, digits and inner hyphens (it prefixes AWS resource names)` },
    ];
  }
  if (name.length > MAX_FARM_NAME_LENGTH) {
    return [
      {
        propertyPath,
        reason: `"${name}" is ${name.length} characters; at most ${MAX_FARM_NAME_LENGTH}, so the target group name (${name}${LONGEST_LB_CHILD_SUFFIX} plus Pulumi's ${PULUMI_SUFFIX_LENGTH}-character suffix) fits AWS's ${AWS_LB_NAME_LIMIT}`,
      },
    ];
  }
  if (/^internal-/i.test(name)) {
    return [{ propertyPath, reason: "must not start with internal- (AWS reserves it for load balancer names)" }];
  }
  return [];
}

/** The project's and stack's names, within Pulumi's own limits (they reach the nodes' user data). */
export function projectAndStackProblems(project: string, stack: string): Problem[] {
  const problems: Problem[] = [];
  if (project.length > MAX_PROJECT_NAME_LENGTH)
    problems.push({
      propertyPath: "project",
      reason: `is ${project.length} characters; Pulumi allows ${MAX_PROJECT_NAME_LENGTH}`,
    });
  if (stack.length > MAX_STACK_NAME_LENGTH)
    problems.push({
      propertyPath: "stack",
      reason: `is ${stack.length} characters; at most ${MAX_STACK_NAME_LENGTH} (it names the farm's CloudWatch namespace)`,
    });
  return problems;
}

/** The public interface each object schema is written as, with its summary (the type generator reads it). */
export const TYPE_NAMES = new WeakMap<z.ZodType, { name: string; summary: string }>();
/** Names an object schema's generated interface; returns the schema. */
export function named<S extends z.ZodType>(schema: S, name: string, summary: string): S {
  TYPE_NAMES.set(schema, { name, summary });
  return schema;
}
