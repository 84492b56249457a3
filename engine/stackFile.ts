// Reads a Pulumi project's Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config to
// a program: project defaults, then the stack's values, every value as a string (lists and objects as
// JSON). Offline there is no backend: a `secure:` value cannot be decrypted and an ESC environment
// cannot be opened, so each becomes a labelled placeholder, listed so the plan can say so.
import { existsSync, readFileSync, statSync } from "fs";
import { join } from "path";
import YAML from "yaml";

const parsed = new Map<string, { stamp: string; value: unknown }>();

/**
 * A YAML file's content, parsed once while the file stays the same (its size and time): the tests
 * and plans read the same project file some hundred times. A copy, so no caller changes the next one's.
 */
function readYaml(file: string): unknown {
  const { size, mtimeMs } = statSync(file);
  const stamp = `${size}:${mtimeMs}`;
  let entry = parsed.get(file);
  if (entry?.stamp !== stamp) {
    entry = { stamp, value: YAML.parse(readFileSync(file, "utf8")) };
    parsed.set(file, entry);
  }
  return structuredClone(entry.value);
}

const asConfigString = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

export interface ProjectFile {
  name: string;
  main?: string;
  runtime?: string | { name: string; options?: Record<string, unknown> };
  stackConfigDir?: string;
  config?: Record<string, { default?: unknown; value?: unknown } | unknown>;
}

export function projectFile(root: string): ProjectFile {
  const file = join(root, "Pulumi.yaml");
  if (!existsSync(file)) throw new Error(`no Pulumi.yaml in ${root}: run this in a Pulumi project's folder`);
  return readYaml(file) as ProjectFile;
}

/** The config every stack starts with: Pulumi.yaml's defaults (and `value`s), by "namespace:key". */
export function projectDefaults(root: string): Record<string, string> {
  const project = projectFile(root);
  const config: Record<string, string> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    const d = decl as { default?: unknown; value?: unknown } | null;
    const value = d !== null && typeof d === "object" ? (d.default ?? d.value) : decl;
    if (value !== undefined) config[key.includes(":") ? key : `${project.name}:${key}`] = asConfigString(value);
  }
  return config;
}

export const stackFilePath = (root: string, stack: string) =>
  join(root, projectFile(root).stackConfigDir ?? "", `Pulumi.${stack}.yaml`);

/** What a stack hands its program offline, and what could not be read without a backend. */
export interface StackConfig {
  /** "namespace:key" -> string, as the program's config sees it. */
  config: Record<string, string>;
  /** One line per value replaced by a placeholder (a secret, an ESC environment). */
  placeholders: string[];
}

/** The placeholder a secret gets offline: labelled, so a reader of the plan knows it is not the value. */
export const securePlaceholder = (key: string) => `[secure ${key}: not decrypted offline]`;

/**
 * The stack's full config. `strictSecrets` refuses a `secure:` value instead (this repository's own
 * stacks have none, and must not grow one unnoticed).
 */
export function readStackConfig(root: string, stack: string, strictSecrets = false): StackConfig {
  const project = projectFile(root);
  const file = stackFilePath(root, stack);
  if (!existsSync(file)) throw new Error(`no ${file}: is "${stack}" a stack of this project?`);
  const stackFile = (readYaml(file) ?? {}) as { config?: Record<string, unknown>; environment?: unknown };
  const config = projectDefaults(root);
  const placeholders: string[] = [];
  for (const [key, value] of Object.entries(stackFile.config ?? {})) {
    const full = key.includes(":") ? key : `${project.name}:${key}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      if (strictSecrets) throw new Error(`${key} is an encrypted secret; offline runs cannot decrypt it`);
      config[full] = securePlaceholder(full);
      placeholders.push(`${full}: a secret (secure:), shown as ${securePlaceholder(full)}`);
      continue;
    }
    config[full] = asConfigString(value);
  }
  if (stackFile.environment !== undefined)
    placeholders.push(
      `environment ${JSON.stringify(stackFile.environment)}: an ESC environment needs the Pulumi backend; its values are missing offline (set them in Pulumi.${stack}.yaml to plan with them)`,
    );
  return { config, placeholders };
}

/**
 * The project's keys a stack's own file sets (`pulumi config set` writes them there), so a program can
 * tell a key set to its default from one left unset: Pulumi merges Pulumi.yaml's defaults into the
 * config it hands over. Undefined when the file cannot be read; keys from an ESC environment are not in it.
 */
export function keysSetByStack(stack: string, root: string): ReadonlySet<string> | undefined {
  try {
    const project = projectFile(root);
    const file = (readYaml(stackFilePath(root, stack)) ?? {}) as { config?: unknown };
    const prefix = `${project.name}:`;
    return new Set(
      Object.keys((file.config ?? {}) as object)
        .filter((k) => k.startsWith(prefix) || !k.includes(":"))
        .map((k) => (k.startsWith(prefix) ? k.slice(prefix.length) : k)),
    );
  } catch {
    return undefined;
  }
}
