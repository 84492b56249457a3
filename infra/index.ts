// Pulumi's entry point (Pulumi.yaml \`main\`): the stack's program is an async function. Pulumi runs it
// in the project's folder, where the stack's own file tells which keys the stack sets.
import * as pulumi from "@pulumi/pulumi";
import { program } from "./program";
import { keysSetByStack } from "./stackFile";

export = () => program(keysSetByStack(pulumi.getStack()));
