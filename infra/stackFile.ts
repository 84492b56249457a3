// This repository's own stacks, read as the offline engine reads any project's (engine/stackFile.ts),
// from the repository's root by default. Its stacks hold no secrets: one would be an error here.
import * as stackFile from "../engine/stackFile";
import { REPO_ROOT } from "../tools/scripts/repoRoot";

export const projectFile = (root = REPO_ROOT) =>
  stackFile.projectFile(root) as { name: string; config: Record<string, { default?: unknown }> };

/** The config every stack starts with: Pulumi.yaml's defaults. */
export const projectDefaults = (root = REPO_ROOT) => stackFile.projectDefaults(root);

/** The full config map ("namespace:key" -> string) a stack's program would see. */
export const stackConfig = (stack: string, root = REPO_ROOT): Record<string, string> =>
  stackFile.readStackConfig(root, stack, true).config;

/** The project's keys a stack's own file sets (engine/stackFile.ts keysSetByStack), from the working folder. */
export const keysSetByStack = (stack: string, root = process.cwd()) => stackFile.keysSetByStack(stack, root);
