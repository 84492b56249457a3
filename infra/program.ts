// The per-stack program (infra/index.ts runs it): read and validate the stack's config (all problems at once, before any
// resource), build one WebFarm, export what operators and application teams need.
import * as pulumi from "@pulumi/pulumi";
import { WebFarm } from "../components";
import { projectConfig, readStackSettings, throwIfProblems } from "./config";
import { checkAgainstRegion } from "./region";

export async function program() {
  const settings = readStackSettings(projectConfig(pulumi.runtime.allConfig()));
  const region = await checkAgainstRegion(settings.args);
  throwIfProblems([...settings.problems, ...region.problems]);

  const farm = new WebFarm(settings.farmName, region.args);
  // Every output of the farm; the raw keys stay inside (the fragment carries them, as a secret).
  const { validationKey: _v, decryptionKey: _d, ...outputs } = WebFarm.outputsOf(farm);
  return outputs;
}
