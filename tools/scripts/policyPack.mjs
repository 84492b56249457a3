// After `npm run build`: dist/policy becomes a policy pack folder Pulumi can run from the installed
// package (`pulumi preview --policy-pack node_modules/aspnet-webfarm/dist/policy`): its
// PulumiPolicy.yaml, and a package.json whose main is the compiled pack.
import { copyFileSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";

const root = join(import.meta.dirname, "..", "..");
// The dist folder: the repository's, or the one given (the package test stages its own).
const out = join(process.argv[2] ?? join(root, "dist"), "policy");
copyFileSync(join(root, "policy", "PulumiPolicy.yaml"), join(out, "PulumiPolicy.yaml"));
const kit = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
writeFileSync(
  join(out, "package.json"),
  JSON.stringify({ name: "aspnet-webfarm-policy", version: kit.version, private: true, main: "index.js" }, null, 2) +
    "\n",
);
