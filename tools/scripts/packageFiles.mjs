// After `npm run build` (tsc, which also emits the engine's imported JSON tables): dist/policy as a
// policy pack folder Pulumi can run from the installed package (`pulumi preview --policy-pack
// node_modules/aspnet-webfarm/dist/policy`): its PulumiPolicy.yaml, and a package.json whose main is
// the compiled pack.
import { copyFileSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";

const root = join(import.meta.dirname, "..", "..");
// The dist folder: the repository's, or the one given (the package test stages its own).
const dist = process.argv[2] ?? join(root, "dist");
const pack = join(dist, "policy");
copyFileSync(join(root, "policy", "PulumiPolicy.yaml"), join(pack, "PulumiPolicy.yaml"));
const kit = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
writeFileSync(
  join(pack, "package.json"),
  JSON.stringify({ name: "aspnet-webfarm-policy", version: kit.version, private: true, main: "index.js" }, null, 2) +
    "\n",
);
