// Reads Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program: project defaults
// from Pulumi.yaml, then the stack's values, every value as a string (lists as JSON). Used to run
// the program offline (tests, plans) without the CLI.
import { readFileSync, statSync } from "fs";
import { join } from "path";
import YAML from "yaml";
import { REPO_ROOT } from "../tools/scripts/repoRoot";

const parsed = new Map<string, { stamp: string; value: unknown }>();

/**
 * A YAML file's content, parsed once while the file stays the same (its size and time): Pulumi.yaml is
 * 15 kB of declarations, and the tests and plans read it some hundred times, 10 ms a parse. A copy,
 * so that no caller can change what the next one gets.
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

function asConfigString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function projectFile(root = REPO_ROOT): { name: string; config: Record<string, { default?: unknown }> } {
  return readYaml(join(root, "Pulumi.yaml")) as ReturnType<typeof projectFile>;
}

/** The config every stack starts with: Pulumi.yaml's defaults. */
export function projectDefaults(root = REPO_ROOT): Record<string, string> {
  const project = projectFile(root);
  const config: Record<string, string> = {};
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    if (decl.default !== undefined) config[`${project.name}:${key}`] = asConfigString(decl.default);
  }
  return config;
}

/** The full config map ("namespace:key" -> string) a stack's program would see. */
export function stackConfig(stack: string, root = REPO_ROOT): Record<string, string> {
  const project = projectFile(root);
  const config = projectDefaults(root);
  const stackFile = (readYaml(join(root, `Pulumi.${stack}.yaml`)) ?? {}) as { config?: unknown };
  for (const [key, value] of Object.entries((stackFile.config ?? {}) as Record<string, unknown>)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      throw new Error(`${key} is an encrypted secret; offline runs cannot decrypt it`);
    }
    config[key.includes(":") ? key : `${project.name}:${key}`] = asConfigString(value);
  }
  return config;
}

/**
 * The project's keys a stack's own file sets (`pulumi config set` writes them there), so the program
 * can tell a key set to its default from one left unset: Pulumi merges Pulumi.yaml's defaults into
 * the config it hands over. Undefined when the file cannot be read (the program then sees only values
 * that differ from the defaults); keys from an ESC environment are not in the file.
 */
export function keysSetByStack(stack: string, root = process.cwd()): ReadonlySet<string> | undefined {
  try {
    const project = readYaml(join(root, "Pulumi.yaml")) as {
      name: string;
      stackConfigDir?: string;
    };
    const dir = join(root, project.stackConfigDir ?? "");
    const file = (readYaml(join(dir, `Pulumi.${stack}.yaml`)) ?? {}) as { config?: unknown };
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
