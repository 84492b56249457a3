// What the farm's instances may do, as IAM policy documents (pure, tested). Least privilege:
// every statement names its resources, except the actions AWS gives no resource-level
// permissions for (Session Manager's channels, PutMetricData, which is narrowed by namespace).

export interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface Account {
  partition: string;
  region: string;
  accountId: string;
}

export const policyDocument = (statements: Statement[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });

export const SESSION_MANAGER_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
] as const;

/**
 * Run Command's message channel, which Image Builder drives the build instance through (Systems
 * Manager, "Reference: ec2messages, ssmmessages, and other API operations",
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html);
 * AmazonSSMManagedInstanceCore, which Image Builder's setup page names for the build role, grants it.
 */
export const RUN_COMMAND_ACTIONS = [
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
] as const;

/**
 * Session Manager, without AWS's AmazonSSMManagedInstanceCore (which may read every parameter in
 * the account: with the aws/ssm key, every SecureString, the machine key included). Exactly the
 * minimal policy of Systems Manager's "Create a custom IAM role for Session Manager"
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html):
 * no ec2messages, which is Run Command's channel, not Session Manager's.
 */
export function sessionManagerStatement(): Statement {
  return {
    Sid: "SessionManager",
    Effect: "Allow",
    Action: [...SESSION_MANAGER_ACTIONS],
    Resource: "*",
  };
}

/** The CloudWatch agent: its configuration, the farm's log groups, metrics in the farm's namespace. */
export function observabilityStatements(
  a: Account,
  p: { agentConfigParameter: string; logGroups: string[]; namespace: string },
): Statement[] {
  return [
    {
      Sid: "ReadAgentConfig",
      Effect: "Allow",
      Action: ["ssm:GetParameter"],
      Resource: [parameterArn(a, p.agentConfigParameter)],
    },
    {
      Sid: "ShipLogs",
      Effect: "Allow",
      // No DescribeLogStreams: the agent's CloudWatch Logs client is PutLogEvents, CreateLogStream,
      // CreateLogGroup, PutRetentionPolicy, DescribeLogGroups (amazon-cloudwatch-agent,
      // plugins/outputs/cloudwatchlogs/internal/pusher/sender.go), though CloudWatchAgentServerPolicy lists it.
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: p.logGroups.flatMap((g) => [
        `arn:${a.partition}:logs:${a.region}:${a.accountId}:log-group:${g}`,
        `arn:${a.partition}:logs:${a.region}:${a.accountId}:log-group:${g}:log-stream:*`,
      ]),
    },
    {
      Sid: "PublishMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": p.namespace } },
    },
  ];
}

/**
 * The boot status tag: the node may set webfarm:boot (that key only) on instances that carry the
 * given tag (its own farm's web nodes, or the state server by its Name).
 */
export function bootStatusStatement(
  a: Account,
  instanceTag: { key: string; value: string },
  bootTag: string,
): Statement {
  return {
    Sid: "ReportBootStatus",
    Effect: "Allow",
    Action: ["ec2:CreateTags"],
    Resource: [`arn:${a.partition}:ec2:${a.region}:${a.accountId}:instance/*`],
    Condition: {
      StringEquals: { [`ec2:ResourceTag/${instanceTag.key}`]: instanceTag.value },
      "ForAllValues:StringEquals": { "aws:TagKeys": [bootTag] },
    },
  };
}

/** Auto Scaling mode: the node completes its own launch lifecycle action once it is ready. */
export function completeLaunchStatements(groupArn: string): Statement[] {
  return [
    { Sid: "CompleteLaunch", Effect: "Allow", Action: ["autoscaling:CompleteLifecycleAction"], Resource: [groupArn] },
    // To find its group's name; the action takes no resource.
    { Sid: "FindGroup", Effect: "Allow", Action: ["autoscaling:DescribeAutoScalingInstances"], Resource: "*" },
  ];
}

/**
 * Spot nodes: the interruption watch (windows/spotWatch.ts) takes the node out of the farm's target
 * group, that group only. No condition key limits which target a caller deregisters
 * (elasticloadbalancing:DeregisterTargets has the targetgroup resource and tag keys only: Service
 * Authorization Reference, Elastic Load Balancing V2), so a node could deregister its peers in the
 * same group; the ARN is the narrowest bound IAM offers.
 */
export function spotWatchStatements(targetGroupArn: string): Statement[] {
  return [
    {
      Sid: "LeaveTargetGroupOnSpotNotice",
      Effect: "Allow",
      Action: ["elasticloadbalancing:DeregisterTargets"],
      Resource: [targetGroupArn],
    },
  ];
}

/**
 * CodeDeploy's service role with an Auto Scaling group on a launch template: launch instances in
 * the farm's account and region, tag them at launch only, and pass the nodes' role to EC2 only
 * (CodeDeploy user guide, "Create a service role for CodeDeploy"; EC2 Auto Scaling, "API permissions").
 */
export function codeDeployLaunchStatements(a: Account, nodeRoleArn: string): Statement[] {
  const ec2 = `arn:${a.partition}:ec2:${a.region}`;
  return [
    {
      Sid: "LaunchNodes",
      Effect: "Allow",
      Action: ["ec2:RunInstances"],
      // The AMI and, for an EBS-backed AMI, its snapshot: both ARNs have no account
      // (Service Authorization Reference, EC2 resource types image and snapshot).
      Resource: [`${ec2}:${a.accountId}:*`, `${ec2}::image/*`, `${ec2}::snapshot/*`],
    },
    {
      Sid: "TagNodesAtLaunch",
      Effect: "Allow",
      Action: ["ec2:CreateTags"],
      Resource: [`${ec2}:${a.accountId}:instance/*`, `${ec2}:${a.accountId}:volume/*`],
      Condition: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
    },
    {
      Sid: "PassNodeRole",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: [nodeRoleArn],
      Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
    },
  ];
}

/** A bucket policy statement: every request without TLS is refused. */
export const tlsOnlyStatement = (bucketArn: string) => ({
  Sid: "TlsOnly",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [bucketArn, `${bucketArn}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});

/** The one secret a role may read (GetSecretValue on its ARN, nothing else). */
export const readSecretStatement = (sid: string, arn: string): Statement => ({
  Sid: sid,
  Effect: "Allow",
  Action: ["secretsmanager:GetSecretValue"],
  Resource: [arn],
});

export function parameterArn(a: Account, name: string): string {
  return `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter/${name.replace(/^\//, "")}`;
}

/**
 * The image build instance: Systems Manager (Image Builder drives the build through it) without
 * AmazonSSMManagedInstanceCore's parameter reads, and what AWS's EC2InstanceProfileForImageBuilder
 * grants a Windows AMI build: components, the AWSTOE downloads, its log group, decryption of
 * Image Builder's own encrypted components. Assembled from those two managed policies.
 */
export function imageBuildStatements(a: Account): Statement[] {
  return [
    {
      ...sessionManagerStatement(),
      Sid: "SystemsManagerAgent",
      Action: [
        ...sessionManagerStatement().Action,
        ...RUN_COMMAND_ACTIONS,
        "ssm:DescribeAssociation",
        "ssm:GetDocument",
        "ssm:DescribeDocument",
        "ssm:ListAssociations",
        "ssm:ListInstanceAssociations",
        "ssm:UpdateAssociationStatus",
        "ssm:UpdateInstanceAssociationStatus",
        // The image's enhanced metadata (enhancedImageMetadataEnabled) is a Systems Manager
        // Inventory association on the build instance (Image Builder, "How Image Builder works").
        "ssm:PutInventory",
      ],
    },
    {
      Sid: "ReadComponents",
      Effect: "Allow",
      Action: ["imagebuilder:GetComponent"],
      Resource: [
        `arn:${a.partition}:imagebuilder:${a.region}:${a.accountId}:component/*`,
        `arn:${a.partition}:imagebuilder:${a.region}:aws:component/*`,
      ],
    },
    {
      Sid: "AwsToeDownloads",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: [`arn:${a.partition}:s3:::ec2imagebuilder*`],
    },
    {
      Sid: "BuildLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [`arn:${a.partition}:logs:${a.region}:${a.accountId}:log-group:/aws/imagebuilder/*`],
    },
    {
      Sid: "DecryptImageBuilderComponents",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: "*",
      // Both keys are multivalued: a plain StringEquals never matches them (IAM user guide,
      // "Single-valued vs. multivalued context keys"), as EC2InstanceProfileForImageBuilder has it.
      Condition: {
        "ForAnyValue:StringEquals": {
          "kms:EncryptionContextKeys": "aws:imagebuilder:arn",
          "aws:CalledVia": "imagebuilder.amazonaws.com",
        },
      },
    },
  ];
}
