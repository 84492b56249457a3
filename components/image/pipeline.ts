// The farm image kept current: an Image Builder pipeline that rebuilds it on a schedule (by default
// the Tuesday one week after Patch Tuesday), runs its tests before distributing it, and announces each
// new image (available or failed) on an SNS topic through EventBridge. A new image does NOT reach the
// web nodes by itself: the images stack exports it as imageId at its next `pulumi up`, and each farm
// stack rolls its nodes onto it at its own next `pulumi up` (an instance refresh in autoscaling mode,
// one node at a time behind the serving gates in instances mode), deliberate and visible in the
// preview like every replacement; or, opt-in, a farm in Auto Scaling mode follows the image's SSM
// parameter and refreshes itself (WebFarm image.amiParameter, components/nodes/imageRollout.ts).
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as imagebuilder from "@pulumi/aws/imagebuilder";
import * as kms from "@pulumi/aws/kms";
import * as sns from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";
import { Account } from "../aws/iam/policies";
import { nameTags, Tags } from "../aws/tags";

/**
 * Image Builder's start condition that builds every time the cron matches. Its default
 * (EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE) "builds a new image only when there are new
 * versions of the base image or components in your recipe that match the filter" (Image Builder API,
 * Schedule.PipelineExecutionStartCondition): the recipe's own component never gets a new version on
 * a schedule, and update-windows installs the month's updates whatever the base image's version.
 */
export const START_EVERY_TIME = "EXPRESSION_MATCH_ONLY";
/** EventBridge's detail-type for an image's state (Image Builder user guide, "EventBridge event messages"). */
export const IMAGE_STATE_CHANGE = "EC2 Image Builder Image State Change";
/** The states announced: the image is ready, or the build or its tests failed. */
export const ANNOUNCED_STATES = ["AVAILABLE", "FAILED"];

export interface ImagePipelineArgs {
  recipeArn: pulumi.Input<string>;
  infrastructureArn: pulumi.Input<string>;
  distributionArn: pulumi.Input<string>;
  /** The first build's ARN (…/image/<name>/<version>/1): the pipeline's builds share its prefix. */
  firstImageArn: pulumi.Input<string>;
  schedule: string;
  timeZone: string;
  /** A topic of the user's: its policy must let events.amazonaws.com publish (the kit does not change it). */
  topicArn?: pulumi.Input<string>;
  account: pulumi.Input<Account>;
  tags: Tags;
}

/** The event pattern of this image's builds: available or failed, any build number of this name and version. */
export function imageStatePattern(imageArnPrefix: string): Record<string, unknown> {
  return {
    source: ["aws.imagebuilder"],
    "detail-type": [IMAGE_STATE_CHANGE],
    // resources[0] is the image build version's ARN (…/image/<name>/<version>/<build>).
    resources: [{ prefix: imageArnPrefix }],
    detail: { state: { status: ANNOUNCED_STATES } },
  };
}

/** The scheduled pipeline and the announcement of its images. */
export function imagePipeline(
  name: string,
  args: ImagePipelineArgs,
  opts: pulumi.CustomResourceOptions,
): { pipeline: imagebuilder.ImagePipeline; topicArn: pulumi.Output<string>; rule: cloudwatch.EventRule } {
  const pipeline = new imagebuilder.ImagePipeline(
    `${name}-pipeline`,
    {
      description: "aspnet-webfarm: the farm image rebuilt with the month's Windows updates, tested before use",
      imageRecipeArn: args.recipeArn,
      infrastructureConfigurationArn: args.infrastructureArn,
      distributionConfigurationArn: args.distributionArn,
      schedule: {
        scheduleExpression: args.schedule,
        timezone: args.timeZone,
        pipelineExecutionStartCondition: START_EVERY_TIME,
      },
      // Image Builder runs the recipe's test phases on an instance launched from the new image before
      // it distributes it ("before image distribution", CFN ImageTestsConfiguration): the farm
      // component's CheckInstance (windows/image.ts: IIS and ASP.NET features, the state service and
      // agents present, the CodeDeploy agent held, the image record). A failed test fails the build,
      // which the rule below announces as FAILED; the farms keep their image.
      imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 90 },
      enhancedImageMetadataEnabled: true,
      status: "ENABLED",
      tags: nameTags(args.tags, `${name}-pipeline`),
    },
    opts,
  );

  const account = pulumi.output(args.account);
  const rule = new cloudwatch.EventRule(
    `${name}-built`,
    {
      description: "aspnet-webfarm: a farm image build finished (AVAILABLE or FAILED)",
      eventPattern: pulumi
        .output(args.firstImageArn)
        .apply((arn) => JSON.stringify(imageStatePattern(arn.replace(/\/\d+$/, "/")))),
      tags: nameTags(args.tags, `${name}-built`),
    },
    opts,
  );

  let topicArn: pulumi.Output<string>;
  const targetOpts: pulumi.CustomResourceOptions = { ...opts };
  if (args.topicArn !== undefined) {
    topicArn = pulumi.output(args.topicArn);
  } else {
    // SNS encrypts with a KMS key; EventBridge can publish to an encrypted topic only with a
    // customer managed key whose policy lets events.amazonaws.com GenerateDataKey and Decrypt (SNS
    // developer guide, "Key management: compatibility between event sources from AWS services and
    // encrypted topics"; the AWS managed aws/sns key's policy cannot be changed).
    const key = new kms.Key(
      `${name}-announce-key`,
      {
        description: "aspnet-webfarm: encrypts the farm image announcement topic",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: account.apply((a) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AccountAdministers",
                Effect: "Allow",
                Principal: { AWS: `arn:${a.partition}:iam::${a.accountId}:root` },
                Action: "kms:*",
                Resource: "*",
              },
              {
                Sid: "EventBridgePublishes",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
                // The statement the SNS guide gives for an AWS service publishing to an encrypted
                // topic, without a condition it does not document for EventBridge.
                Resource: "*",
              },
            ],
          }),
        ),
        tags: nameTags(args.tags, `${name}-announce-key`),
      },
      opts,
    );
    const topic = new sns.Topic(
      `${name}-announce`,
      { kmsMasterKeyId: key.arn, tags: nameTags(args.tags, `${name}-announce`) },
      opts,
    );
    // EventBridge publishes with the topic's resource policy (EventBridge user guide, "Using
    // resource-based policies for Amazon EventBridge": Amazon SNS permissions), from this rule only.
    const topicPolicy = new sns.TopicPolicy(
      `${name}-announce`,
      {
        arn: topic.arn,
        policy: pulumi.all([topic.arn, rule.arn, account]).apply(([t, r, a]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AccountManages",
                Effect: "Allow",
                Principal: { AWS: `arn:${a.partition}:iam::${a.accountId}:root` },
                Action: [
                  "sns:GetTopicAttributes",
                  "sns:SetTopicAttributes",
                  "sns:Subscribe",
                  "sns:ListSubscriptionsByTopic",
                ],
                Resource: t,
              },
              {
                Sid: "ImageBuildsAnnounced",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: t,
                Condition: { ArnEquals: { "aws:SourceArn": r } },
              },
            ],
          }),
        ),
      },
      opts,
    );
    targetOpts.dependsOn = [topicPolicy];
    topicArn = topic.arn;
  }
  new cloudwatch.EventTarget(`${name}-built`, { rule: rule.name, arn: topicArn, targetId: "announce" }, targetOpts);
  return { pipeline, topicArn, rule };
}
