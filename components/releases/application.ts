// The team's application on the farm: its build in S3, a release bundle (appspec, hooks,
// release.json), and AWS CodeDeploy (application, deployment group with traffic control through
// the farm's target group, automatic rollback) that releases it to the nodes a few at a time.
// `pulumi up` starts each release and waits for its outcome (release.ts).
import * as codedeploy from "@pulumi/aws/codedeploy";
import * as iam from "@pulumi/aws/iam";
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { z } from "zod";
import { appSchema } from "../args/args";
import { defaultVersion, readArtifact } from "./artifact";
import {
  appNodePolicy,
  codeDeployNames,
  deploymentConfigName,
  deploymentGroupArn,
  readableArtifacts,
  releaseCommand,
} from "./codeDeploy";
import { Release } from "./release";
import { codeDeployLaunchStatements, policyDocument } from "../aws/iam/policies";
import { privateBucket, tlsOnlyBucketPolicy } from "../aws/privateBucket";
import { nameTags, Tags } from "../aws/tags";
import { declareWait } from "../aws/waits";
import { ReleaseManifest, releaseBundle, SiteLocation } from "./windows/hooks";

// The farm and the IAM tests read CodeDeploy's names and ARNs with the component.
export { codeDeployNames, deploymentGroupArn, readableArtifacts } from "./codeDeploy";

export type ParsedApp = z.output<typeof appSchema>;

/** How long old builds and bundles stay, for rollbacks and late joiners: the newest this many. */
export const KEPT_VERSIONS = 10;

export interface FarmApplicationArgs {
  farmName: string;
  app: ParsedApp;
  nodeCount: number;
  region: pulumi.Input<string>;
  partition: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  healthCheckPath: string;
  targetGroupName: pulumi.Input<string>;
  /** Instances mode: the nodes carry this tag, which is how the deployment group finds them. */
  nodeTag: { key: string; value: string };
  /** Auto Scaling mode: the group; CodeDeploy then also releases to every instance it launches. */
  autoScalingGroupName?: pulumi.Input<string>;
  /** The web nodes' role: it may read the builds, the bundles and the secret settings, nothing more. */
  nodeRoleName: pulumi.Input<string>;
  /** Auto Scaling mode: the role CodeDeploy's service role may pass to the instances it launches. */
  nodeRoleArn?: pulumi.Input<string>;
  /** Stop and roll back a release while this alarm fires (the farm's 5xx rate). */
  rollbackAlarmName?: pulumi.Input<string>;
  /** What the release waits for: the web nodes' component (so every node, however many), and the session store. */
  nodes: pulumi.Resource[];
  /** Start the release inside `pulumi up` (a Node.js dynamic resource); otherwise `releaseCommand` says how. */
  startRelease: boolean;
  tags: Tags;
}

export class FarmApplication extends pulumi.ComponentResource {
  public readonly applicationName: pulumi.Output<string>;
  public readonly deploymentGroupName: pulumi.Output<string>;
  /** The bucket holding the builds and bundles (the farm's own, or the one given). */
  public readonly bucket: pulumi.Output<string>;
  public readonly version: string | pulumi.Output<string>;
  /** The release `pulumi up` starts and waits for (none when startRelease is off). */
  public readonly release?: Release;
  /** The AWS CLI command that releases this build: for pipelines that start releases themselves. */
  public readonly releaseCommand: pulumi.Output<string>;

  constructor(name: string, args: FarmApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:FarmApplication", name, {}, opts);
    const parent = { parent: this };
    const app = args.app;
    const names = codeDeployNames(args.farmName);
    const prefix = `${args.farmName}/`;

    const bucket =
      app.path !== undefined
        ? app.uploadBucket !== undefined
          ? pulumi.output(app.uploadBucket)
          : this.ownBucket(name, args.tags)
        : undefined;

    // The site: uploaded from this machine (versioned object, so CodeDeploy can roll back to an
    // older build), or the team's own object in S3.
    let site: pulumi.Output<SiteLocation>;
    let identity: pulumi.Input<string>;
    if (app.path !== undefined) {
      const build = readArtifact(app.path);
      identity = build.sha256;
      const object = new s3.BucketObjectv2(
        `${name}-site`,
        {
          bucket: bucket!,
          key: `${prefix}site.zip`,
          source: new pulumi.asset.FileArchive(app.path),
          serverSideEncryption: "AES256",
          // Changing content, same key: a new object version each build.
          sourceHash: build.sha256,
          tags: nameTags(args.tags, `${name}-site`),
        },
        parent,
      );
      site = pulumi
        .all([object.bucket, object.key, object.versionId])
        .apply(([b, k, v]) => ({ bucket: b, key: k, versionId: v }));
    } else {
      site = pulumi
        .all([app.bucket!, app.key!, app.versionId])
        .apply(([b, k, v]) => ({ bucket: b, key: k, ...(v ? { versionId: v } : {}) }));
      identity = site.apply((s) => createHashHex(`${s.bucket}/${s.key}@${s.versionId ?? "current"}`));
    }
    this.version = app.version ?? pulumi.output(identity).apply(defaultVersion);

    // Every file of the bundle: release.json names the hooks' hash, so its own hash identifies the whole release.
    const files = pulumi
      .all([site, pulumi.output(identity), this.version, args.region])
      .apply(([location, sha, version, region]) =>
        releaseBundle(
          {
            version,
            sha256: sha,
            region,
            site: location,
            healthCheckPath: args.healthCheckPath,
            ...(app.validatePath !== undefined ? { validatePath: app.validatePath } : {}),
            validateStatuses: app.validateStatuses,
            appSettings: Object.entries(app.settings).map(([n, value]) => ({ name: n, value })),
            connectionStrings: Object.entries(app.connectionStrings).map(([n, value]) => ({ name: n, value })),
            secretAppSettings: Object.entries(app.secretSettings).map(([n, ref]) => ({ name: n, ...ref })),
            secretConnectionStrings: Object.entries(app.secretConnectionStrings).map(([n, ref]) => ({
              name: n,
              ...ref,
            })),
          } satisfies Omit<ReleaseManifest, "kitSha256">,
          { farmName: args.farmName },
        ),
      );
    const bundleBucket = bucket ?? this.ownBucket(name, args.tags);
    const bundle = new s3.BucketObjectv2(
      `${name}-bundle`,
      {
        bucket: bundleBucket,
        key: `${prefix}release.zip`,
        source: files.apply(
          (all) =>
            new pulumi.asset.AssetArchive(
              Object.fromEntries(Object.entries(all).map(([path, text]) => [path, new pulumi.asset.StringAsset(text)])),
            ),
        ),
        serverSideEncryption: "AES256",
        tags: nameTags(args.tags, `${name}-bundle`),
      },
      parent,
    );

    // CodeDeploy: the service role (AWS's documented managed policy for EC2 deployments), the
    // application, and the group that targets the farm's nodes behind its target group.
    const serviceRole = new iam.Role(
      `${name}-codedeploy`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "codedeploy.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags: nameTags(args.tags, `${name}-codedeploy`),
      },
      parent,
    );
    const servicePolicy = new iam.RolePolicyAttachment(
      `${name}-codedeploy`,
      {
        role: serviceRole.name,
        policyArn: pulumi.interpolate`arn:${args.partition}:iam::aws:policy/service-role/AWSCodeDeployRole`,
      },
      parent,
    );
    // Auto Scaling on a launch template: CodeDeploy also needs to launch and tag instances and to
    // pass the nodes' role (CodeDeploy user guide, "Create a service role for CodeDeploy", note).
    const launchPolicy =
      args.autoScalingGroupName && args.nodeRoleArn
        ? new iam.RolePolicy(
            `${name}-codedeploy-launch`,
            {
              role: serviceRole.id,
              policy: pulumi
                .all([args.partition, args.region, args.accountId, args.nodeRoleArn])
                .apply(([partition, region, accountId, nodeRoleArn]) =>
                  policyDocument(codeDeployLaunchStatements({ partition, region, accountId }, nodeRoleArn)),
                ),
            },
            parent,
          )
        : undefined;
    const application = new codedeploy.Application(
      name,
      {
        name: names.application,
        computePlatform: "Server",
        tags: nameTags(args.tags, name),
      },
      parent,
    );
    const minimumHealthy = Math.max(args.nodeCount - app.nodesAtOnce, 0);
    const config =
      app.nodesAtOnce === 1
        ? undefined
        : new codedeploy.DeploymentConfig(
            `${name}-batch`,
            {
              deploymentConfigName: deploymentConfigName(args.farmName, app.nodesAtOnce, minimumHealthy),
              computePlatform: "Server",
              // At most nodesAtOnce nodes out of service at a time.
              minimumHealthyHosts: { type: "HOST_COUNT", value: minimumHealthy },
            },
            parent,
          );
    const group = new codedeploy.DeploymentGroup(
      `${name}-group`,
      {
        appName: application.name,
        deploymentGroupName: names.deploymentGroup,
        serviceRoleArn: serviceRole.arn,
        deploymentConfigName: config ? config.deploymentConfigName : "CodeDeployDefault.OneAtATime",
        // In place, through the load balancer: each node leaves the target group (in-flight requests
        // drain), is installed and validated, and joins again.
        deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "IN_PLACE" },
        loadBalancerInfo: { targetGroupInfos: [{ name: args.targetGroupName }] },
        autoRollbackConfiguration: {
          enabled: true,
          events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"],
        },
        ...(args.rollbackAlarmName ? { alarmConfiguration: { enabled: true, alarms: [args.rollbackAlarmName] } } : {}),
        ...(args.autoScalingGroupName
          ? {
              autoscalingGroups: [args.autoScalingGroupName],
              outdatedInstancesStrategy: "UPDATE",
              // A node the group terminates (scale-in, Spot, refresh, replacement) gets a termination
              // deployment once the load balancer drained it: the ApplicationStop and BlockTraffic
              // events, no install (CodeDeploy user guide, "Integrating CodeDeploy with Amazon EC2
              // Auto Scaling"); the kit's bundle scripts none of them yet, so CodeDeploy sees the node
              // leave and holds it only while that runs ("If the termination deployment fails for any
              // reason, CodeDeploy will allow the instance termination to proceed"). AWS
              // warns it does not make a scale-in *during* a deployment safe: "a race condition may
              // occur ... a failure with either the Amazon EC2 instance termination or the CodeDeploy
              // deployment"; its remedy, suspending Auto Scaling processes for the deployment
              // (EC2DeploymentOptions.autoScalingGroupProcessesToSuspend), is not in @pulumi/aws 7.48.0.
              terminationHookEnabled: true,
            }
          : {
              ec2TagSets: [
                { ec2TagFilters: [{ key: args.nodeTag.key, value: args.nodeTag.value, type: "KEY_AND_VALUE" }] },
              ],
            }),
        tags: nameTags(args.tags, `${name}-group`),
      },
      { parent: this, dependsOn: [servicePolicy, ...(launchPolicy ? [launchPolicy] : [])] },
    );

    const secretRefs = [...Object.values(app.secretSettings), ...Object.values(app.secretConnectionStrings)];
    const nodePolicy = new iam.RolePolicy(
      `${name}-node-access`,
      {
        role: args.nodeRoleName,
        policy: pulumi
          .all([args.partition, args.region, args.accountId, bundle.bucket, bundle.key, site])
          .apply(([partition, region, accountId, bundleBucketName, bundleKey, location]) =>
            appNodePolicy({
              partition,
              region,
              accountId,
              readable: readableArtifacts(partition, [{ bucket: bundleBucketName, key: bundleKey }, location]),
              versionedOnly: app.path !== undefined && app.uploadBucket === undefined,
              findsCurrentRelease: args.autoScalingGroupName === undefined,
              deploymentGroupArn: deploymentGroupArn({ partition, region, accountId }, args.farmName),
              ssmParameters: secretRefs.flatMap((r) => (r.ssmParameter ? [r.ssmParameter] : [])),
              secrets: secretRefs.flatMap((r) => (r.secretsManagerSecret ? [r.secretsManagerSecret] : [])),
            }),
          ),
      },
      parent,
    );

    const releaseInputs = {
      region: args.region,
      applicationName: application.name,
      deploymentGroupName: group.deploymentGroupName,
      bucket: bundle.bucket,
      key: bundle.key,
      versionId: bundle.versionId,
      version: this.version,
      nodesAtOnce: app.nodesAtOnce,
      nodeCount: args.nodeCount,
      ...(args.autoScalingGroupName ? { autoScalingGroupName: args.autoScalingGroupName } : {}),
    };
    if (args.startRelease)
      this.release = new Release(`${name}-release`, releaseInputs, {
        parent: this,
        dependsOn: [group, nodePolicy, ...args.nodes],
      });
    if (this.release)
      declareWait(this.release, "a CodeDeploy deployment of the bundle that succeeds on every node", [
        { what: "the deployment group (and its service role's policy)", resource: group },
        { what: "the nodes' read access to the bundle and the build", resource: nodePolicy },
        { what: "the bundle in S3", resource: bundle },
        ...args.nodes.map((resource) => ({
          what: "the nodes (Auto Scaling: in service, their boot done) and the session store",
          resource,
        })),
        {
          // Instances mode: nothing waits for a node's boot before the release; CodeDeploy holds a
          // pending deployment up to an hour for the agent to answer (CodeDeploy user guide,
          // "Troubleshoot Amazon EC2 Auto Scaling issues"), longer than a node's boot.
          what: "the CodeDeploy agent on every node, which its boot installs",
          holds: true,
        },
      ]);
    this.releaseCommand = pulumi
      .all([
        args.region,
        application.name,
        group.deploymentGroupName,
        bundle.bucket,
        bundle.key,
        bundle.versionId,
        pulumi.output(this.version),
      ])
      .apply(([region, applicationName, deploymentGroupName, bucket, key, versionId, version]) =>
        releaseCommand({ region, applicationName, deploymentGroupName, bucket, key, versionId, version }),
      );

    this.applicationName = application.name;
    this.deploymentGroupName = group.deploymentGroupName;
    this.bucket = pulumi.output(bundleBucket);
    this.registerOutputs({
      applicationName: this.applicationName,
      deploymentGroupName: this.deploymentGroupName,
      bucket: this.bucket,
      version: this.version,
    });
  }

  private ownBucketName?: pulumi.Output<string>;

  /** A private, encrypted, versioned bucket, TLS only, whose old versions expire. */
  private ownBucket(name: string, tags: Tags): pulumi.Output<string> {
    if (this.ownBucketName) return this.ownBucketName;
    const parent = { parent: this };
    const bucket = privateBucket(`${name}-releases`, tags, this, { bucketKey: true, ownerEnforced: true });
    const versioning = new s3.BucketVersioning(
      `${name}-releases`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      parent,
    );
    new s3.BucketLifecycleConfiguration(
      `${name}-releases`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "old-releases",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 30, newerNoncurrentVersions: KEPT_VERSIONS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    tlsOnlyBucketPolicy(`${name}-releases`, bucket, this);
    // Objects are uploaded once versioning is on, so every build keeps its version.
    this.ownBucketName = pulumi.all([bucket.bucket, versioning.id]).apply(([b]) => b);
    return this.ownBucketName;
  }
}

const createHashHex = (text: string) => createHash("sha256").update(text).digest("hex");
