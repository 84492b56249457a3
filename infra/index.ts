// Pulumi's entry point (Pulumi.yaml `main`): the stack's program is an async function.
import { program } from "./program";

export = program;
