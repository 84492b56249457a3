// Prints the `config:` section of Pulumi.yaml from infra/config.ts (a test keeps them equal).
// Usage: npx ts-node scripts/print-config-declarations.ts
import YAML from "yaml";
import { CONFIG } from "../infra/config";

process.stdout.write(YAML.stringify({ config: CONFIG }, { lineWidth: 0 }));
