// The automatic rollout of a new farm image (image.autoRollout, Auto Scaling mode only): when the
// image's distribution writes a new AMI id to the parameter, the farm's rule on that write
// (image/imageWatch.ts) starts a Step Functions state machine whose one task starts an instance
// refresh of the farm's group. Configuration only, no code of the kit runs: the refresh launches nodes from the same launch template, whose imageId
// `resolve:ssm:<parameter>` now resolves to the new AMI (Image Builder's distribution wrote it), so
// neither the template nor Pulumi's state changes and `pulumi preview` stays clean.
// The refresh can have no rollback: "A rollback is not supported ... The Auto Scaling group has a
// launch template that uses an AWS Systems Manager parameter instead of an AMI ID" (Auto Scaling API,
// RollbackInstanceRefresh). Not verified on AWS from here: that Parameter Store's change event
// follows the aws:ec2:image value's validation, and this task's resource name (by Step Functions'
// aws-sdk:serviceName:apiAction convention; EventBridge Scheduler names the same call).
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as sfn from "@pulumi/aws/sfn";
import * as pulumi from "@pulumi/pulumi";
import { Account, parameterArn, policyDocument, Statement } from "../aws/iam/policies";
import { nameTags, Tags } from "../aws/tags";

/** Step Functions' AWS SDK integration for StartInstanceRefresh ("arn:aws:states:::aws-sdk:serviceName:apiAction"). */
export const START_INSTANCE_REFRESH = "arn:aws:states:::aws-sdk:autoscaling:startInstanceRefresh";
/**
 * A refresh already running: retried until it ends (see rolloutDefinition). Step Functions names an SDK error "ServiceName.ErrorName" in PascalCase, always with the
 * Exception suffix, even where the service's own name has none (Step Functions developer guide, AWS
 * SDK service integrations); Auto Scaling's error is InstanceRefreshInProgress.
 */
export const REFRESH_IN_PROGRESS = "AutoScaling.InstanceRefreshInProgressException";
/** Auto Scaling's ResourceContention fault, by the same naming. */
export const RESOURCE_CONTENTION = "AutoScaling.ResourceContentionException";

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
        // A refresh already running (one `pulumi up` started, or an earlier image's) may have
        // replaced nodes before this image: wait for it to end and start this one, for up to
        // about two hours; a busy API, briefly.
        Retry: [
          { ErrorEquals: [REFRESH_IN_PROGRESS], IntervalSeconds: 300, MaxAttempts: 24, BackoffRate: 1 },
          { ErrorEquals: [RESOURCE_CONTENTION], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 },
        ],
        End: true,
      },
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
  /** The farm's rule on the parameter's write (image/imageWatch.ts): it starts the rollout. */
  newImage: cloudwatch.EventRule;
  groupName: pulumi.Input<string>;
  /** The group's ARN (its id wildcarded: autoScalingGroupArn). */
  groupArn: pulumi.Input<string>;
  instanceWarmup: number;
  account: pulumi.Input<Account>;
  /** The farm's alarm topic: told when a rollout fails (and when it recovers). */
  alarmTopicArn?: pulumi.Input<string>;
  tags: Tags;
}

/** The state machine started by the rule, their two roles; an alarm when a rollout fails. */
export function imageRollout(name: string, args: ImageRolloutArgs, parent: pulumi.Resource): sfn.StateMachine {
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
  // STANDARD: a few transitions a month, with an execution history to read when a rollout did
  // not happen (an Express state machine keeps none without a log group), and retries that may
  // wait for hours (an Express execution ends at 5 minutes).
  const stateMachine = new sfn.StateMachine(
    `${name}-rollout`,
    {
      type: "STANDARD",
      roleArn: role.arn,
      definition: pulumi.output(args.groupName).apply((g) => rolloutDefinition(g, args.instanceWarmup)),
      tags: nameTags(args.tags, `${name}-rollout`),
    },
    { parent, dependsOn: [rolePolicy] },
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
    `${name}-new-image`,
    { rule: args.newImage.name, arn: stateMachine.arn, roleArn: triggerRole.arn, targetId: "rollout" },
    { parent, dependsOn: [triggerPolicy] },
  );
  // A rollout that fails (a refresh refused, retries spent) would otherwise be seen only in the
  // state machine's history: Step Functions sends ExecutionsFailed per state machine
  // (AWS/States, dimension StateMachineArn).
  const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
  new cloudwatch.MetricAlarm(
    `${name}-rollout-failed`,
    {
      alarmDescription:
        "aspnet-webfarm: an automatic rollout of a new farm image failed: read the execution in Step Functions; the nodes keep their image",
      namespace: "AWS/States",
      metricName: "ExecutionsFailed",
      dimensions: { StateMachineArn: stateMachine.arn },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
      tags: nameTags(args.tags, `${name}-rollout-failed`),
    },
    opts,
  );
  return stateMachine;
}
