// The automatic rollout of a new farm image (image.amiParameter, Auto Scaling mode only): when a
// build of the farm image becomes AVAILABLE, EventBridge starts a Step Functions state machine whose
// one task starts an instance refresh of the farm's group. Configuration only, no code of the kit
// runs: the refresh launches nodes from the same launch template, whose imageId
// `resolve:ssm:<parameter>` now resolves to the new AMI (Image Builder's distribution wrote it), so
// neither the template nor Pulumi's state changes and `pulumi preview` stays clean.
// The refresh can have no rollback: "A rollback is not supported ... The Auto Scaling group has a
// launch template that uses an AWS Systems Manager parameter instead of an AMI ID" (Auto Scaling API,
// RollbackInstanceRefresh). Not verified on AWS from here: that AVAILABLE follows the parameter's
// write (distribution is part of the build), and this task's resource name (by Step Functions'
// aws-sdk:serviceName:apiAction convention; EventBridge Scheduler names the same call).
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as sfn from "@pulumi/aws/sfn";
import * as pulumi from "@pulumi/pulumi";
import { Account, parameterArn, policyDocument, Statement } from "../aws/iam/policies";
import { nameTags, Tags } from "../aws/tags";
import { IMAGE_STATE_CHANGE } from "../image/pipeline";

/** Step Functions' AWS SDK integration for StartInstanceRefresh ("arn:aws:states:::aws-sdk:serviceName:apiAction"). */
export const START_INSTANCE_REFRESH = "arn:aws:states:::aws-sdk:autoscaling:startInstanceRefresh";
/**
 * A refresh already running: the new image is not an error (the running refresh, or the next image,
 * takes it). Step Functions names an SDK error "ServiceName.ErrorName" in PascalCase, always with the
 * Exception suffix, even where the service's own name has none (Step Functions developer guide, AWS
 * SDK service integrations); Auto Scaling's error is InstanceRefreshInProgress.
 */
export const REFRESH_IN_PROGRESS = "AutoScaling.InstanceRefreshInProgressException";

/** `/imagebuilder/<image name>/<version>/ami`: the name FarmImage's distribution writes (farmImage.ts). */
const PARAMETER = /^\/imagebuilder\/([^/]+)\/([^/]+)\/ami$/;

/**
 * The ARN prefix of the image builds that write `parameterName`: …:image/<name>/<version>/ (any
 * build number), as the image stack's own announcement rule matches them (pipeline.ts).
 */
export function imageArnPrefix(a: Account, parameterName: string): string {
  const match = PARAMETER.exec(parameterName);
  if (!match)
    throw new Error(`${parameterName} is not a FarmImage's amiParameter (/imagebuilder/<name>/<version>/ami)`);
  return `arn:${a.partition}:imagebuilder:${a.region}:${a.accountId}:image/${match[1]}/${match[2]}/`;
}

/** A build of the farm image became AVAILABLE (the distribution, and so the parameter's write, is done). */
export function imageAvailablePattern(arnPrefix: string): Record<string, unknown> {
  return {
    source: ["aws.imagebuilder"],
    "detail-type": [IMAGE_STATE_CHANGE],
    // Image Builder keeps the image's name as the recipe's; case is not matched (EventBridge user
    // guide, comparison operators: "Begins with (ignore case)").
    resources: [{ prefix: { "equals-ignore-case": arnPrefix } }],
    detail: { state: { status: ["AVAILABLE"] } },
  };
}

/** The state machine: one StartInstanceRefresh, as the group's own refresh (100-200%, no rollback). */
export function rolloutDefinition(groupName: string, instanceWarmup: number): string {
  return JSON.stringify({
    Comment: "aspnet-webfarm: roll the farm's nodes onto the new farm image",
    StartAt: "StartInstanceRefresh",
    States: {
      StartInstanceRefresh: {
        Type: "Task",
        Resource: START_INSTANCE_REFRESH,
        Parameters: {
          AutoScalingGroupName: groupName,
          Strategy: "Rolling",
          // No desired configuration: the group's template re-resolves the parameter. AutoRollback
          // is refused without one, and with an SSM-parameter AMI (RollbackInstanceRefresh).
          Preferences: {
            MinHealthyPercentage: 100,
            MaxHealthyPercentage: 200,
            InstanceWarmup: instanceWarmup,
            AutoRollback: false,
          },
        },
        Catch: [{ ErrorEquals: [REFRESH_IN_PROGRESS], Next: "AlreadyRefreshing" }],
        End: true,
      },
      AlreadyRefreshing: { Type: "Succeed" },
    },
  });
}

/**
 * The state machine may start a refresh of this one group, and read the one parameter its template
 * names: "Anyone who uses the launch template also needs the ssm:GetParameters permission in order
 * for the parameter value to be validated" (EC2 Auto Scaling user guide, Systems Manager parameters
 * instead of AMI IDs); whether StartInstanceRefresh validates it is not documented.
 */
export function rolloutStatements(groupArn: string, parameterArn: string): Statement[] {
  return [
    { Sid: "StartRefresh", Effect: "Allow", Action: ["autoscaling:StartInstanceRefresh"], Resource: [groupArn] },
    { Sid: "ReadImageParameter", Effect: "Allow", Action: ["ssm:GetParameters"], Resource: [parameterArn] },
  ];
}

/** EventBridge may start this one state machine. */
export function triggerStatements(stateMachineArn: string): Statement[] {
  return [{ Sid: "StartRollout", Effect: "Allow", Action: ["states:StartExecution"], Resource: [stateMachineArn] }];
}

const trust = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

export interface ImageRolloutArgs {
  /** The SSM parameter the launch template resolves (a FarmImage's amiParameter). */
  parameterName: pulumi.Input<string>;
  groupName: pulumi.Input<string>;
  /** The group's ARN (its id wildcarded: autoScalingGroupArn). */
  groupArn: pulumi.Input<string>;
  instanceWarmup: number;
  account: pulumi.Input<Account>;
  tags: Tags;
}

/** The rule, the state machine and their two roles. */
export function imageRollout(
  name: string,
  args: ImageRolloutArgs,
  parent: pulumi.Resource,
): { rule: cloudwatch.EventRule; stateMachine: sfn.StateMachine } {
  const opts = { parent };
  const role = new iam.Role(
    `${name}-rollout`,
    {
      description: "aspnet-webfarm: starts an instance refresh of the farm's group when a new farm image is available",
      assumeRolePolicy: trust("states.amazonaws.com"),
      tags: nameTags(args.tags, `${name}-rollout`),
    },
    opts,
  );
  const rolePolicy = new iam.RolePolicy(
    `${name}-rollout`,
    {
      role: role.id,
      policy: pulumi
        .all([args.groupArn, args.account, args.parameterName])
        .apply(([g, a, p]) => policyDocument(rolloutStatements(g, parameterArn(a, p)))),
    },
    opts,
  );
  // EXPRESS: one call per image, billed per request.
  const stateMachine = new sfn.StateMachine(
    `${name}-rollout`,
    {
      type: "EXPRESS",
      roleArn: role.arn,
      definition: pulumi.output(args.groupName).apply((g) => rolloutDefinition(g, args.instanceWarmup)),
      tags: nameTags(args.tags, `${name}-rollout`),
    },
    { parent, dependsOn: [rolePolicy] },
  );
  const rule = new cloudwatch.EventRule(
    `${name}-image-available`,
    {
      description: "aspnet-webfarm: a new farm image is available: roll the farm's nodes onto it",
      eventPattern: pulumi
        .all([args.account, args.parameterName])
        .apply(([a, p]) => JSON.stringify(imageAvailablePattern(imageArnPrefix(a, p)))),
      tags: nameTags(args.tags, `${name}-image-available`),
    },
    opts,
  );
  const triggerRole = new iam.Role(
    `${name}-rollout-trigger`,
    {
      description: "aspnet-webfarm: EventBridge starts the farm's image rollout",
      assumeRolePolicy: trust("events.amazonaws.com"),
      tags: nameTags(args.tags, `${name}-rollout-trigger`),
    },
    opts,
  );
  const triggerPolicy = new iam.RolePolicy(
    `${name}-rollout-trigger`,
    { role: triggerRole.id, policy: stateMachine.arn.apply((arn) => policyDocument(triggerStatements(arn))) },
    opts,
  );
  new cloudwatch.EventTarget(
    `${name}-image-available`,
    { rule: rule.name, arn: stateMachine.arn, roleArn: triggerRole.arn, targetId: "rollout" },
    { parent, dependsOn: [triggerPolicy] },
  );
  return { rule, stateMachine };
}
