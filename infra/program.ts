// The per-stack program (infra/index.ts runs it): read and validate the stack's config (all problems at once, before any
// resource), build one WebFarm, export what operators and application teams need. A stack with
// buildsImage builds the farm image instead, and farm stacks take it by StackReference (imageStack).
import * as pulumi from "@pulumi/pulumi";
import { FarmImage, WebFarm } from "../components";
import { projectConfig, readStackSettings, throwIfProblems } from "./config";
import { checkAgainstRegion } from "./region";

/** `keysSet`: the keys the stack's own file sets (infra/stackFile.ts keysSetByStack), when known. */
export async function program(keysSet?: ReadonlySet<string>) {
  const settings = readStackSettings(projectConfig(pulumi.runtime.allConfig()), keysSet);
  if (settings.image) {
    throwIfProblems(settings.problems);
    const image = new FarmImage(settings.farmName, settings.image);
    return {
      imageId: image.imageId,
      imageVersion: image.version,
      imageArn: image.imageArn,
      imageAmiParameter: image.amiParameter,
    };
  }
  const region = await checkAgainstRegion(settings.args);
  throwIfProblems([...settings.problems, ...region.problems.map(settings.inConfigTerms)]);

  // The nodes' image from the image stack: a new build there rolls the nodes on the next `pulumi up` here.
  // A farm that follows the image's parameter (image.amiParameter) takes no AMI id from it.
  const amiId =
    settings.imageStack && region.args.image?.amiParameter === undefined
      ? (new pulumi.StackReference(`${settings.farmName}-image`, { name: settings.imageStack }).requireOutput(
          "imageId",
        ) as pulumi.Output<string>)
      : region.args.image?.amiId;
  const farm = new WebFarm(settings.farmName, { ...region.args, image: { ...region.args.image, amiId } });
  // Every output of the farm; the raw keys stay inside (the fragment carries them, as a secret).
  const { validationKey: _v, decryptionKey: _d, ...outputs } = WebFarm.outputsOf(farm);
  return outputs;
}
