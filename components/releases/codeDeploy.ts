// What CodeDeploy knows the farm by and what a release needs, as plain values: names and ARNs
// known before anything exists, the batch configuration's name, the release as an AWS CLI command,
// and the node role's release policy (pure, tested; application.ts builds the resources).
import type { ReleaseInputs } from "./release";

/**
 * The batch deployment configuration's name. Configurations cannot be changed, and a replacement
 * under the same name can be neither created first (the name exists) nor deleted first (the group
 * uses it): the minimum is in the name, so a new node count makes a new configuration, the group
 * switches to it, and the old one is deleted.
 */
export function deploymentConfigName(farmName: string, nodesAtOnce: number, minimumHealthy: number): string {
  return `${farmName}-${nodesAtOnce}-at-a-time-min-${minimumHealthy}`;
}

/** The same release as the Release resource starts, as an AWS CLI command (then `aws deploy wait deployment-successful`). */
export function releaseCommand(r: Omit<ReleaseInputs, "nodesAtOnce" | "nodeCount">): string {
  const location = [
    `bucket=${r.bucket}`,
    `key=${r.key}`,
    "bundleType=zip",
    ...(r.versionId ? [`version=${r.versionId}`] : []),
  ];
  return [
    "aws deploy create-deployment",
    `--region ${r.region}`,
    `--application-name ${r.applicationName}`,
    `--deployment-group-name ${r.deploymentGroupName}`,
    `--s3-location ${location.join(",")}`,
    `--description "release ${r.version}"`,
    "--query deploymentId --output text",
  ].join(" ");
}

/** The names CodeDeploy knows the farm by, known before anything exists (user data names them). */
export function codeDeployNames(farmName: string): { application: string; deploymentGroup: string } {
  return { application: farmName, deploymentGroup: `${farmName}-web` };
}

/** A deployment group's ARN, from names known before it exists (the node policy need not wait for it). */
export function deploymentGroupArn(
  a: { partition: string; region: string; accountId: string },
  farmName: string,
): string {
  const n = codeDeployNames(farmName);
  return `arn:${a.partition}:codedeploy:${a.region}:${a.accountId}:deploymentgroup:${n.application}/${n.deploymentGroup}`;
}

/**
 * What a node may read of the builds and bundles: every key and version under each object's first
 * path segment (the kit's own uploads: the farm's prefix; a CI layout such as shop/1.4.2/site.zip:
 * shop/*), or the exact key when it has no folder. A rollback, an Auto Scaling launch (CodeDeploy
 * deploys the last *successful* revision to it) and the instances-mode boot install all read older
 * revisions than the current one (CodeDeploy, "Integrating CodeDeploy with Amazon EC2 Auto Scaling").
 */
export function readableArtifacts(partition: string, objects: { bucket: string; key: string }[]): string[] {
  const folder = (key: string) => (key.includes("/") ? `${key.slice(0, key.indexOf("/") + 1)}*` : key);
  return [...new Set(objects.map((o) => `arn:${partition}:s3:::${o.bucket}/${folder(o.key)}`))];
}

/** What the node role may do for releases: read its bucket's builds and bundles, its secrets. */
export function appNodePolicy(p: {
  partition: string;
  region: string;
  accountId: string;
  readable: string[];
  /** Every build and bundle is read at a version (the kit's own versioned bucket): no plain GetObject. */
  versionedOnly: boolean;
  /** Instances mode: the boot installs the last successful release, found through CodeDeploy. */
  findsCurrentRelease: boolean;
  deploymentGroupArn: string;
  ssmParameters: string[];
  secrets: string[];
}): string {
  const statements: Record<string, unknown>[] = [
    {
      Sid: "ReadReleases",
      Effect: "Allow",
      Action: [...(p.versionedOnly ? [] : ["s3:GetObject"]), "s3:GetObjectVersion"],
      Resource: p.readable,
    },
    {
      // The agent's own channel; these actions have no resource-level permissions.
      Sid: "CodeDeployAgent",
      Effect: "Allow",
      Action: [
        "codedeploy-commands-secure:GetDeploymentSpecification",
        "codedeploy-commands-secure:PollHostCommand",
        "codedeploy-commands-secure:PutHostCommandAcknowledgement",
        "codedeploy-commands-secure:PutHostCommandComplete",
      ],
      Resource: "*",
    },
  ];
  if (p.findsCurrentRelease)
    statements.push({
      Sid: "FindCurrentRelease",
      Effect: "Allow",
      Action: ["codedeploy:GetDeploymentGroup", "codedeploy:GetDeployment"],
      Resource: [p.deploymentGroupArn],
    });
  if (p.ssmParameters.length > 0) {
    const arns = p.ssmParameters.map(
      (n) => `arn:${p.partition}:ssm:${p.region}:${p.accountId}:parameter/${n.replace(/^\//, "")}`,
    );
    statements.push({ Sid: "ReadSecretSettings", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: arns });
  }
  if (p.secrets.length > 0) {
    // A name matches the secret's ARN with AWS's six-character suffix.
    const arns = p.secrets.map((s) =>
      s.startsWith("arn:") ? s : `arn:${p.partition}:secretsmanager:${p.region}:${p.accountId}:secret:${s}-??????`,
    );
    statements.push({
      Sid: "ReadSecretSettingsFromSecretsManager",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue"],
      Resource: arns,
    });
  }
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
