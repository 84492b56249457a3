// What a test that needs the type-check's work waits for under `npm test`: test/support/typecheck.ts
// runs beside the tests and writes a file once its declarations are out (WEBFARM_TYPECHECK_DONE)
// and once it has stored the schema inference (WEBFARM_SCHEMA_DONE); test/support/suite.mjs names
// those files. A test run on its own waits for nothing.
import { existsSync } from "fs";

export async function typecheckWrote(
  variable: "WEBFARM_TYPECHECK_DONE" | "WEBFARM_SCHEMA_DONE",
  timeoutMs = 100000,
): Promise<void> {
  const file = process.env[variable];
  if (!file) return;
  for (const deadline = Date.now() + timeoutMs; !existsSync(file);) {
    if (Date.now() > deadline)
      throw new Error(`the type-check beside the tests did not write ${file} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
