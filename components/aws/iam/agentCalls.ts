// The AWS calls the agents on the farm's instances make with the instance's role, from AWS's
// documentation of each agent (the kit does not write these requests; the page says they happen).
import { AwsCall, Caller, instanceArn, instanceContext, objectRead, Principal } from "./calls";
import { parameterArn, RUN_COMMAND_ACTIONS, SESSION_MANAGER_ACTIONS } from "./policies";

const CLOUDWATCH_AGENT =
  "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/create-iam-roles-for-cloudwatch-agent.html";
const SESSION_MANAGER =
  "https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html";
const CODEDEPLOY_AGENT =
  "https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-iam-instance-profile.html";

/** Where an agent configuration (windows/cloudWatch.ts) ships: each stream of an instance, the namespace. */
export function agentShipping(configJson: string, instanceId: string): { streams: string[]; namespace: string } {
  const config = JSON.parse(configJson);
  const collected = config.logs?.logs_collected ?? {};
  const entries = [...(collected.files?.collect_list ?? []), ...(collected.windows_events?.collect_list ?? [])];
  return {
    streams: entries.map(
      (e: { log_group_name: string; log_stream_name: string }) =>
        `${e.log_group_name}:log-stream:${e.log_stream_name.replace("{instance_id}", instanceId)}`,
    ),
    namespace: config.metrics?.namespace,
  };
}

/**
 * The CloudWatch agent: its configuration from SSM (fetch-config -c ssm:<name>, boot.ts), each
 * stream its configuration names (agentShipping), metrics in the farm's namespace. No
 * CreateLogGroup: every group exists before any instance boots (monitoring.ts), so the agent does
 * not create one (CloudWatch agent configuration file: log_group_name). No DescribeLogStreams: the
 * agent's CloudWatch Logs client has PutLogEvents, CreateLogStream, CreateLogGroup,
 * PutRetentionPolicy and DescribeLogGroups only (amazon-cloudwatch-agent,
 * plugins/outputs/cloudwatchlogs/internal/pusher/sender.go); CloudWatchAgentServerPolicy's
 * DescribeLogStreams is more than the agent calls.
 */
export function cloudWatchAgentCalls(
  principal: Principal,
  c: Caller,
  p: { configParameter: string; configJson: string },
): AwsCall[] {
  const logs = `arn:${c.partition}:logs:${c.region}:${c.accountId}:log-group`;
  const shipping = agentShipping(p.configJson, c.instanceId);
  const call = (action: string, resource: string): AwsCall => ({
    principal,
    action,
    resource,
    context: instanceContext(c),
    source: CLOUDWATCH_AGENT,
  });
  return [
    { ...call("ssm:GetParameter", parameterArn(c, p.configParameter)), source: `${CLOUDWATCH_AGENT} (fetch-config)` },
    ...shipping.streams.flatMap((stream) => [
      call("logs:CreateLogStream", `${logs}:${stream}`),
      call("logs:PutLogEvents", `${logs}:${stream}`),
    ]),
    {
      ...call("cloudwatch:PutMetricData", "*"),
      context: { ...instanceContext(c), "cloudwatch:namespace": shipping.namespace },
    },
  ];
}

/**
 * The SSM agent's registration and Session Manager's channels; with runCommand (the image build,
 * which Image Builder drives through Run Command), Run Command's ec2messages channel too
 * (Systems Manager, "Reference: ec2messages, ssmmessages, and other API operations").
 */
export function sessionManagerCalls(principal: Principal, c: Caller, runCommand = false): AwsCall[] {
  const star = (action: string): AwsCall => ({
    principal,
    action,
    resource: "*",
    context: instanceContext(c),
    source: SESSION_MANAGER,
  });
  return [
    {
      principal,
      action: "ssm:UpdateInstanceInformation",
      resource: instanceArn(c),
      context: instanceContext(c),
      source: SESSION_MANAGER,
    },
    ...SESSION_MANAGER_ACTIONS.filter((a) => a.startsWith("ssmmessages:")).map(star),
    ...(runCommand
      ? RUN_COMMAND_ACTIONS.map((a) => ({
          ...star(a),
          source:
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html",
        }))
      : []),
  ];
}

/** The CodeDeploy agent: its command channel, and the release bundle at the deployment's version. */
export function codeDeployAgentCalls(c: Caller, bundle: { bucket: string; key: string }): AwsCall[] {
  return [
    ...[
      "codedeploy-commands-secure:GetDeploymentSpecification",
      "codedeploy-commands-secure:PollHostCommand",
      "codedeploy-commands-secure:PutHostCommandAcknowledgement",
      "codedeploy-commands-secure:PutHostCommandComplete",
    ].map((action): AwsCall => ({
      principal: "web-node",
      action,
      resource: "*",
      context: instanceContext(c),
      source: "https://docs.aws.amazon.com/codedeploy/latest/userguide/vpc-endpoints.html (the agent's channel)",
    })),
    objectRead("web-node", c, { ...bundle, versioned: true }, `${CODEDEPLOY_AGENT} (the revision)`),
  ];
}

const PATCH_MANAGER =
  "https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-prerequisites.html (AmazonSSMManagedInstanceCore's patch calls)";
const RUN_COMMAND_LOGS =
  "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-rc-setting-up-cwlogs.html";

/**
 * The state server's SSM agent running AWS-RunPatchBaseline for its patch window
 * (sessions/stateServer/patching.ts): Run Command's channel (sessionManagerCalls with runCommand),
 * the baseline's snapshot, the compliance it reports, and the command's output sent to the patch
 * log group. The output's calls are the agent's CloudWatch Logs service (amazon-ssm-agent,
 * agent/agentlogstocloudwatch/cloudwatchlogspublisher/cloudwatchlogspublisher/cloudwatchlogsservice.go): DescribeLogGroups
 * (by prefix: is the group there?), CreateLogGroup only when it is not (it always is: patching.ts
 * makes it before the state server boots), DescribeLogStreams, CreateLogStream, PutLogEvents. The
 * patch calls are those of AmazonSSMManagedInstanceCore, which Patch Manager's prerequisites name,
 * that AWS-RunPatchBaseline makes (GetDeployablePatchSnapshotForInstance: "primarily used by the
 * AWS-RunPatchBaseline" document, SSM API reference); PutInventory/PutComplianceItems for the
 * compliance it reports are an inference from that policy (unverified which one Windows uses).
 */
export function runPatchBaselineCalls(c: Caller, p: { logGroup: string; commandId: string }): AwsCall[] {
  const group = `arn:${c.partition}:logs:${c.region}:${c.accountId}:log-group:${p.logGroup}`;
  const call = (action: string, resource: string, source: string): AwsCall => ({
    principal: "state-server",
    action,
    resource,
    context: instanceContext(c),
    source,
  });
  return [
    call("ssm:GetDeployablePatchSnapshotForInstance", "*", PATCH_MANAGER),
    call("ssm:PutInventory", "*", PATCH_MANAGER),
    call("ssm:PutComplianceItems", instanceArn(c), PATCH_MANAGER),
    call("logs:DescribeLogGroups", "*", RUN_COMMAND_LOGS),
    call("logs:DescribeLogStreams", `${group}:*`, RUN_COMMAND_LOGS),
    ...["stdout", "stderr"].flatMap((stream) => [
      call(
        "logs:CreateLogStream",
        `${group}:log-stream:${p.commandId}/${c.instanceId}/PatchWindows/${stream}`,
        RUN_COMMAND_LOGS,
      ),
      call(
        "logs:PutLogEvents",
        `${group}:log-stream:${p.commandId}/${c.instanceId}/PatchWindows/${stream}`,
        RUN_COMMAND_LOGS,
      ),
    ]),
  ];
}
