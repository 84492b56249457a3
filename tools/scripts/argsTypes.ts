// `npm run args:types [-- --check]`: writes components/args/types.ts, the public argument
// interfaces (WebFarmArgs and its groups), from the one definition of every argument: the zod schema
// in components/args/schema.ts (type, optionality, summary, @default). `--check` fails when the
// committed file is stale (test/args/types.test.ts does the same in the suite).
import { readFileSync, writeFileSync } from "fs";
import * as prettier from "prettier";
import { join } from "path";
import { z } from "zod";
import { DOCS, LITERAL_OF, REQUIRED, TYPE_NAMES } from "../../components/args/problems";
import { argsSchema } from "../../components/args/schema";
import { FLAT_ARGUMENTS, SESSION_STORE_PLACE } from "../../components/args/flat";
import { REPO_ROOT } from "./repoRoot";

export const TYPES_FILE = join(REPO_ROOT, "components", "args", "types.ts");
/** The groups' interfaces, apart so each file stays short. */
export const GROUP_TYPES_FILE = join(REPO_ROOT, "components", "args", "groupTypes.ts");

type Def = {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  element?: z.ZodType;
  valueType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
};
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

interface Field {
  type: string;
  optional: boolean;
  defaultValue?: unknown;
}

/** The TypeScript type of a schema (plain interfaces of inputs: no unions, so every language can take it). */
function fieldOf(schema: z.ZodType, objects: z.ZodType[]): Field {
  let s = schema;
  let optional = false;
  let defaultValue: unknown;
  for (;;) {
    const def = defOf(s);
    if (def.type === "default") defaultValue ??= def.defaultValue;
    if (def.type === "optional" || def.type === "default") {
      optional = true;
      s = def.innerType!;
    } else if (def.type === "pipe") s = def.in!;
    else break;
  }
  return { type: typeOf(s, objects), optional, defaultValue };
}

function typeOf(s: z.ZodType, objects: z.ZodType[]): string {
  const literal = LITERAL_OF.get(s);
  if (literal) return `pulumi.Input<${typeOf(literal, objects)}>`;
  const def = defOf(s);
  if (def.type === "pipe") return typeOf(def.in!, objects);
  if (def.type === "number") return "number";
  if (def.type === "string" || def.type === "enum") return "string";
  if (def.type === "boolean") return "boolean";
  if (def.type === "array") return `${typeOf(def.element!, objects)}[]`;
  if (def.type === "record") return `Record<string, ${typeOf(def.valueType!, objects)}>`;
  if (def.type === "object") {
    const named = TYPE_NAMES.get(s);
    if (!named) throw new Error(`an object argument has no interface name (named(...) in schema.ts)`);
    if (!objects.includes(s)) objects.push(s);
    return named.name;
  }
  throw new Error(`no TypeScript type for a ${def.type} argument`);
}

const comment = (indent: string, lines: string[]) =>
  [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join("\n");

function defaultText(schema: z.ZodType, field: Field): string {
  const given = DOCS.get(schema)?.default;
  if (given !== undefined) return given;
  if (field.defaultValue !== undefined) return JSON.stringify(field.defaultValue);
  return "none";
}

const FLAT_OF = new Map<string, string>(Object.entries(FLAT_ARGUMENTS).map(([flat, place]) => [place, flat]));

/**
 * A required argument's line instead of a @default: "Required (or the 0.1 nodeCount until 0.3)." A
 * group (nodes) is required for its required members, so their 0.1 names stand in for it.
 */
function requiredText(schema: z.ZodType, place: string): string {
  const def = defOf(schema);
  const group = def.type === "optional" ? defOf(def.innerType!).shape : undefined;
  const required = group ? Object.keys(group).filter((k) => !fieldOf(group[k], []).optional) : [];
  const flat = (group ? required.map((k) => `${place}.${k}`) : [place]).map((p) => FLAT_OF.get(p)).filter(Boolean);
  return flat.length > 0 ? `Required (or the 0.1 ${flat.join(", ")} until 0.3).` : "Required.";
}

/** `parent`: the group's place among WebFarmArgs (nodes), "" for WebFarmArgs itself. */
function interfaceOf(schema: z.ZodType, objects: z.ZodType[], extra: string[] = [], parent = ""): string {
  const { name, summary } = TYPE_NAMES.get(schema)!;
  const members = Object.entries(defOf(schema).shape!).map(([key, child]) => {
    const doc = DOCS.get(child);
    if (!doc) throw new Error(`${name}.${key} has no doc(...) in the schema`);
    const field = fieldOf(child, objects);
    const optional = field.optional ? "?" : "";
    const place = parent ? `${parent}.${key}` : key;
    const last =
      !field.optional || doc.default === REQUIRED
        ? requiredText(child, place)
        : `@default ${defaultText(child, field)}`;
    return `${comment("  ", [doc.summary, last])}\n  ${key}${optional}: ${field.type};`;
  });
  return `${comment("", [summary])}\nexport interface ${name} {\n${[...members, ...extra].join("\n")}\n}\n`;
}

/** The 0.1 flat arguments, typed as their grouped places, deprecated (they still work until 0.3). */
function flatMembers(objects: z.ZodType[]): string[] {
  const shape = defOf(argsSchema).shape!;
  const members = Object.entries(FLAT_ARGUMENTS).map(([flat, place]) => {
    const [group, child] = place.split(".");
    const groupSchema = fieldOf(shape[group], []).type;
    const object = objects.find((o) => TYPE_NAMES.get(o)?.name === groupSchema)!;
    const type = fieldOf(defOf(object).shape![child], []).type;
    return `${comment("  ", [`0.1 spelling of ${place} (logged once; removed in 0.3).`, "@default none", `@deprecated use ${place}`])}\n  ${flat}?: ${type};`;
  });
  const store = comment("  ", [
    `0.1 spelling of the session store's choice: "stateServer" or "sqlServer" (logged once; removed in 0.3).`,
    "@default none",
    `@deprecated use ${SESSION_STORE_PLACE}`,
  ]);
  return ["", "  // The 0.1 flat arguments (docs/UPGRADE.md).", ...members, `${store}\n  sessionStore?: string;`];
}

const HEADER = [
  "// Generated by `npm run args:types` from components/args/schema.ts, the one definition of every",
  "// argument (its rule, default and documentation): do not edit; change the schema and regenerate.",
  'import type * as pulumi from "@pulumi/pulumi";',
];

/** components/args/types.ts (WebFarmArgs) and groupTypes.ts (its groups), generated and formatted, by file. */
export async function generatedArgsTypes(): Promise<Record<string, string>> {
  const files = unformattedArgsTypes();
  for (const [file, text] of Object.entries(files))
    files[file] = await prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
  return files;
}

function unformattedArgsTypes(): Record<string, string> {
  // Every group's schema, WebFarmArgs' first and then those they name, in order of first use.
  const objects: z.ZodType[] = [];
  for (const child of Object.values(defOf(argsSchema).shape!)) fieldOf(child, objects);
  const placeOf = new Map(Object.entries(defOf(argsSchema).shape!).map(([k, c]) => [fieldOf(c, []).type, k]));
  const parts: string[] = [];
  for (let i = 0; i < objects.length; i++) {
    const place = placeOf.get(TYPE_NAMES.get(objects[i])!.name) ?? "";
    parts.push(interfaceOf(objects[i], objects, [], place));
  }
  const names = objects.map((o) => TYPE_NAMES.get(o)!.name);
  const flat = interfaceOf(argsSchema, [], flatMembers(objects));
  return {
    [TYPES_FILE]: [
      ...HEADER,
      `import type { ${names.filter((n) => new RegExp(`\\b${n}\\b`).test(flat)).join(", ")} } from "./groupTypes";`,
      "",
      flat,
    ].join("\n"),
    [GROUP_TYPES_FILE]: [...HEADER, "", ...parts].join("\n"),
  };
}

async function main() {
  let stale = 0;
  for (const [file, fresh] of Object.entries(await generatedArgsTypes())) {
    if (!process.argv.includes("--check")) {
      writeFileSync(file, fresh);
      console.log(`wrote ${file}`);
    } else if (readFileSync(file, "utf8") !== fresh) {
      console.error(`${file} is out of date with components/args/schema.ts: run npm run args:types`);
      stale++;
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

if (require.main === module) void main();
