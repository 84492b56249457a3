// The state server kept patched: a weekly Systems Manager maintenance window runs Patch Manager's
// AWS-RunPatchBaseline (Install, RebootIfNeeded) on it, its output in its own log group. The state
// server is never replaced for an image (every session would be lost), so this is how it gets the
// month's Windows updates. The reboot loses every session: users sign in again (the consequence is
// stated on stateServer.patching, where the user sets it).
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";
import { Account, policyDocument, RUN_COMMAND_ACTIONS, Statement } from "../../aws/iam/policies";
import { nameTags, Tags } from "../../aws/tags";

/** Patch Manager's document for installing a patch baseline's approved patches. */
export const PATCH_DOCUMENT = "AWS-RunPatchBaseline";
/**
 * The window's length and cutoff, hours. Maintenance windows start no new task in the last `cutoff`
 * hours (Systems Manager, CreateMaintenanceWindow: Cutoff). The one task starts at the window's
 * opening; the cutoff of 1 h leaves it the hour after any late start for the install and the
 * reboot, which stay inside the 2 h the user chose as a low-traffic time.
 */
export const PATCH_WINDOW_HOURS = 2;
export const PATCH_WINDOW_CUTOFF_HOURS = 1;

/** The patch output's log group name: beside the farm's others (names.ts's path). */
export function patchLogGroupName(bootLogGroup: string): string {
  return bootLogGroup.replace(/\/[^/]+$/, "/state-server-patching");
}

/** ARN of a log group, as IAM names it for DescribeLogStreams, and its streams'. */
export function logGroupArn(a: Account, group: string): string {
  return `arn:${a.partition}:logs:${a.region}:${a.accountId}:log-group:${group}`;
}

/**
 * What the state server's SSM agent calls to run AWS-RunPatchBaseline and ship its output
 * (agentCalls.ts, runPatchBaselineCalls, lists each with its source): Run Command's ec2messages
 * channel, the patch snapshot, compliance reporting, and the output's streams in this group only.
 * No logs:CreateLogGroup: the group exists before the window opens.
 */
export function patchingStatements(a: Account, logGroup: string): Statement[] {
  const group = logGroupArn(a, logGroup);
  return [
    { Sid: "RunCommandChannel", Effect: "Allow", Action: [...RUN_COMMAND_ACTIONS], Resource: "*" },
    {
      Sid: "PatchBaseline",
      Effect: "Allow",
      Action: ["ssm:GetDeployablePatchSnapshotForInstance", "ssm:PutInventory"],
      Resource: "*",
    },
    {
      Sid: "PatchCompliance",
      Effect: "Allow",
      Action: ["ssm:PutComplianceItems"],
      Resource: `arn:${a.partition}:ec2:${a.region}:${a.accountId}:instance/*`,
    },
    { Sid: "PatchOutputGroups", Effect: "Allow", Action: ["logs:DescribeLogGroups"], Resource: "*" },
    // The group's ARN with ":*", as CloudWatch Logs asks for in IAM policies ("Use this version to
    // refer to the ARN in IAM policies ... for most API actions": LogGroup.arn).
    { Sid: "PatchOutputStreams", Effect: "Allow", Action: ["logs:DescribeLogStreams"], Resource: `${group}:*` },
    {
      Sid: "PatchOutput",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${group}:log-stream:*`,
    },
  ];
}

export interface StatePatchingArgs {
  instanceId: pulumi.Input<string>;
  schedule: string;
  timeZone: string;
  logGroup: cloudwatch.LogGroup;
  account: pulumi.Input<Account>;
  tags: Tags;
}

/**
 * The patch task's output group. Made before the state server boots, as the farm's other groups are
 * (its agent never creates a group), and like them: the farm's retention, encrypted at rest by
 * CloudWatch Logs (observability/monitoring.ts has no key of the kit's either).
 */
export function patchLogGroup(
  name: string,
  groupName: string,
  retentionDays: number,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
): cloudwatch.LogGroup {
  return new cloudwatch.LogGroup(
    `${name}-patching`,
    { name: groupName, retentionInDays: retentionDays, tags: nameTags(tags, `${name}-patching`) },
    opts,
  );
}

/** The maintenance window, its target (the state server) and its patch task, output to `logGroup`. */
export function statePatching(
  name: string,
  args: StatePatchingArgs,
  opts: pulumi.CustomResourceOptions,
): { window: ssm.MaintenanceWindow; task: ssm.MaintenanceWindowTask } {
  const window = new ssm.MaintenanceWindow(
    `${name}-patch-window`,
    {
      description: "aspnet-webfarm: Windows updates on the state server (every session is lost at the reboot)",
      schedule: args.schedule,
      scheduleTimezone: args.timeZone,
      duration: PATCH_WINDOW_HOURS,
      cutoff: PATCH_WINDOW_CUTOFF_HOURS,
      allowUnassociatedTargets: false,
      enabled: true,
      tags: nameTags(args.tags, `${name}-patch-window`),
    },
    opts,
  );
  const target = new ssm.MaintenanceWindowTarget(
    `${name}-patch-target`,
    {
      windowId: window.id,
      resourceType: "INSTANCE",
      description: "the state server",
      targets: [{ key: "InstanceIds", values: [args.instanceId] }],
    },
    opts,
  );
  // Its own role rather than Systems Manager's service-linked role (AWSServiceRoleForAmazonSSM, which
  // may run any command on any managed node): this one may send only AWS-RunPatchBaseline, only to
  // this instance, and follow that command. SSM API reference, MaintenanceWindowTask.ServiceRoleArn:
  // "for an improved security posture, we strongly recommend creating a custom policy and custom
  // service role for running your maintenance window tasks". The send and list actions are those of
  // AWS's AmazonSSMMaintenanceWindowRole (ssm:SendCommand, ssm:ListCommands), narrowed; the others
  // follow and cancel the command the window sent.
  const account = pulumi.output(args.account);
  const role = new iam.Role(
    `${name}-patch-window`,
    {
      description: "aspnet-webfarm: the state server's patch window sends AWS-RunPatchBaseline to it",
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "ssm.amazonaws.com" },
            // AWS's maintenance window trust policy, as documented: it names no condition key
            // that Systems Manager is known to send when a window assumes the role.
            Action: "sts:AssumeRole",
          },
        ],
      }),
      tags: nameTags(args.tags, `${name}-patch-window`),
    },
    opts,
  );
  const rolePolicy = new iam.RolePolicy(
    `${name}-patch-window`,
    {
      role: role.id,
      policy: pulumi.all([account, args.instanceId]).apply(([a, id]) =>
        policyDocument([
          {
            Sid: "SendPatchBaseline",
            Effect: "Allow",
            Action: ["ssm:SendCommand"],
            Resource: [
              `arn:${a.partition}:ssm:${a.region}::document/${PATCH_DOCUMENT}`,
              `arn:${a.partition}:ec2:${a.region}:${a.accountId}:instance/${id}`,
            ],
          },
          {
            Sid: "FollowCommand",
            Effect: "Allow",
            Action: ["ssm:CancelCommand", "ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"],
            Resource: "*",
          },
        ]),
      ),
    },
    opts,
  );
  const task = new ssm.MaintenanceWindowTask(
    `${name}-patch-task`,
    {
      windowId: window.id,
      description: "Patch Manager: install the baseline's approved updates, reboot if needed",
      taskType: "RUN_COMMAND",
      taskArn: PATCH_DOCUMENT,
      priority: 1,
      maxConcurrency: "1",
      maxErrors: "1",
      // An install already running finishes past the window's end: cancelling it mid-way could leave
      // the server between an update and its reboot.
      cutoffBehavior: "CONTINUE_TASK",
      serviceRoleArn: role.arn,
      targets: [{ key: "WindowTargetIds", values: [target.id] }],
      taskInvocationParameters: {
        runCommandParameters: {
          comment: "aspnet-webfarm state server patching",
          parameters: [
            { name: "Operation", values: ["Install"] },
            { name: "RebootOption", values: ["RebootIfNeeded"] },
          ],
          cloudwatchConfig: { cloudwatchLogGroupName: args.logGroup.name, cloudwatchOutputEnabled: true },
        },
      },
    },
    { ...opts, dependsOn: [rolePolicy] },
  );
  return { window, task };
}
