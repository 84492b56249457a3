// PulumiPlugin.yaml's entry point: serve the provider to the Pulumi engine.
import { main } from "@pulumi/pulumi/provider";
import { FarmProvider } from "./provider";

void main(new FarmProvider(), process.argv.slice(2));
