// The farm's watch on its FarmImage's parameter (image.amiParameter): each build's distribution
// writes the new AMI id there, Parameter Store sends "Parameter Store Change" to EventBridge
// (EventBridge events reference, Systems Manager), and the rule below hands it to the farm's alarm
// topic (a readable line) and, with image.autoRollout, to the rollout (nodes/imageRollout.ts).
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as pulumi from "@pulumi/pulumi";
import { nameTags, Tags } from "../aws/tags";

/**
 * The parameter's successful write. It is matched rather than the image's AVAILABLE because an
 * aws:ec2:image value "is validated asynchronously, and the PutParameter call returns before the
 * validation is complete" (SSM API, PutParameter DataType), and Parameter Store's notifications
 * "report whether a parameter operation was successful or not" once validated: a failed one carries
 * `exception` ("Unable to Describe Resource", same operation; Systems Manager user guide, native
 * parameter support for AMI IDs), so it is left out: no announcement, no refresh onto the old AMI.
 */
export function parameterWrittenPattern(parameterName: string): Record<string, unknown> {
  return {
    source: ["aws.ssm"],
    "detail-type": ["Parameter Store Change"],
    detail: { name: [parameterName], operation: ["Create", "Update"], exception: [{ exists: false }] },
  };
}

/** The announcement: the event's parameter name and time in one line (an input transformer's template). */
export const ANNOUNCEMENT = {
  inputPaths: { parameter: "$.detail.name", time: "$.time" },
  inputTemplate:
    '"aspnet-webfarm: a new farm image was written to <parameter> at <time>. Nodes without image.autoRollout take it at the next pulumi up (the preview shows their roll)."',
};

export interface ImageWatchArgs {
  /** The FarmImage's amiParameter. */
  parameterName: pulumi.Input<string>;
  /** The farm's alarm topic: its access policy must let events.amazonaws.com publish (EventBridge, SNS targets). */
  alarmTopicArn?: pulumi.Input<string>;
  tags: Tags;
}

/** The rule on the parameter's write, and its announcement to the alarm topic when the farm has one. */
export function watchImage(name: string, args: ImageWatchArgs, parent: pulumi.Resource): cloudwatch.EventRule {
  const rule = new cloudwatch.EventRule(
    `${name}-new-image`,
    {
      description:
        "aspnet-webfarm: a new farm image was written to the parameter the farm's nodes take their image from",
      eventPattern: pulumi.output(args.parameterName).apply((p) => JSON.stringify(parameterWrittenPattern(p))),
      tags: nameTags(args.tags, `${name}-new-image`),
    },
    { parent },
  );
  // SNS authorizes EventBridge by the topic's own policy: no role (EventBridge user guide, targets).
  if (args.alarmTopicArn !== undefined)
    new cloudwatch.EventTarget(
      `${name}-new-image-announce`,
      { rule: rule.name, arn: args.alarmTopicArn, targetId: "announce", inputTransformer: ANNOUNCEMENT },
      { parent },
    );
  return rule;
}
