// Seeing the Auto Scaling group scale: its nodes on the dashboard (desired, in service, pending,
// terminating: the group metrics it sends once enabled) and an alarm when it sits at its maximum,
// where target tracking can add no node however the load grows.
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as pulumi from "@pulumi/pulumi";
import { nameTags, Tags } from "../aws/tags";

const AUTO_SCALING = "AWS/AutoScaling";

/** At maximum this long before the alarm fires: a scale-out spike passes, a sustained ceiling does not. */
export const AT_MAXIMUM_PERIOD_SECONDS = 300;
export const AT_MAXIMUM_PERIODS = 3;

/**
 * The group has held maxCount nodes in service for AT_MAXIMUM_PERIODS periods: the load asks for
 * more than the farm may launch. Notifies the farm's alarm topic (when set), and again when it clears.
 */
export function atMaximumAlarm(
  name: string,
  p: { groupName: pulumi.Input<string>; maxCount: number; alarmTopicArn?: pulumi.Input<string>; tags: Tags },
  opts: pulumi.CustomResourceOptions,
): cloudwatch.MetricAlarm {
  const actions = p.alarmTopicArn ? [p.alarmTopicArn] : [];
  const metric = (metricName: string, stat: string) => ({
    namespace: AUTO_SCALING,
    metricName,
    dimensions: { AutoScalingGroupName: p.groupName },
    stat,
    period: AT_MAXIMUM_PERIOD_SECONDS,
  });
  return new cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription: `aspnet-webfarm: the web nodes' group has sat at its maximum for ${
        (AT_MAXIMUM_PERIOD_SECONDS * AT_MAXIMUM_PERIODS) / 60
      } minutes: raise nodes.maxCount (${p.maxCount}) or targetRequestsPerNode`,
      // Against the group's own maximum (GroupMaxSize), not maxCount: a schedule may move it.
      metricQueries: [
        { id: "inService", metric: metric("GroupInServiceInstances", "Minimum"), returnData: false },
        { id: "maxSize", metric: metric("GroupMaxSize", "Maximum"), returnData: false },
        { id: "atMaximum", expression: "IF(inService >= maxSize, 1, 0)", label: "at its maximum", returnData: true },
      ],
      evaluationPeriods: AT_MAXIMUM_PERIODS,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
      tags: nameTags(p.tags, name),
    },
    opts,
  );
}

/**
 * A refresh of the group that failed (one `pulumi up` started, which it does not wait for, or an
 * automatic rollout's): Auto Scaling sends "EC2 Auto Scaling Instance Refresh Failed" with the group's
 * name, on a best-effort basis (EC2 Auto Scaling user guide, instance refresh events). Cancelled is
 * left out: a newer `pulumi up` cancels the refresh it replaces.
 */
export function refreshFailedPattern(groupName: string): Record<string, unknown> {
  return {
    source: ["aws.autoscaling"],
    "detail-type": ["EC2 Auto Scaling Instance Refresh Failed"],
    detail: { AutoScalingGroupName: [groupName] },
  };
}

/** The message on the alarm topic: which refresh of which group (the event carries no reason). */
export const REFRESH_FAILED_MESSAGE = {
  inputPaths: { group: "$.detail.AutoScalingGroupName", refresh: "$.detail.InstanceRefreshId" },
  inputTemplate:
    '"aspnet-webfarm: instance refresh <refresh> of <group> failed; nodes not replaced keep the previous launch template. aws autoscaling describe-instance-refreshes --auto-scaling-group-name <group> tells why."',
};

/**
 * Tells the farm's alarm topic when a refresh of the group fails. SNS authorizes EventBridge by the
 * topic's own policy (events.amazonaws.com may sns:Publish), as for every announcement of the kit.
 */
export function refreshFailedAnnouncement(
  name: string,
  p: { groupName: pulumi.Input<string>; alarmTopicArn: pulumi.Input<string>; tags: Tags },
  opts: pulumi.CustomResourceOptions,
): cloudwatch.EventRule {
  const rule = new cloudwatch.EventRule(
    name,
    {
      description: "aspnet-webfarm: an instance refresh of the farm's group failed",
      eventPattern: pulumi.output(p.groupName).apply((g) => JSON.stringify(refreshFailedPattern(g))),
      tags: nameTags(p.tags, name),
    },
    opts,
  );
  new cloudwatch.EventTarget(
    name,
    { rule: rule.name, arn: p.alarmTopicArn, targetId: "announce", inputTransformer: REFRESH_FAILED_MESSAGE },
    opts,
  );
  return rule;
}
