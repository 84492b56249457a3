// The repository's root: the nearest folder above this file holding a package.json. The same from
// the sources (ts-node) and from their compiled copy under .build/, where the tests run.
import { existsSync } from "fs";
import { dirname, join } from "path";

function rootAbove(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_ROOT = rootAbove(__dirname);
