// The farm's own Windows image, built by EC2 Image Builder: Amazon's Windows Server 2022 with
// current updates, IIS and ASP.NET 4.x (with the state service feature), the CloudWatch and
// CodeDeploy agents, encrypted, tagged, shared with no other account. Nodes booting from it find
// those steps done (their user data checks each one) and serve minutes sooner. A new `version`
// builds a new image beside the old one; farms move to it when their stack takes the new id.
// A pipeline (pipeline.ts) rebuilds it on a schedule with the month's updates and announces each build.
import * as ec2 from "@pulumi/aws/ec2";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { getRegionOutput } from "@pulumi/aws/getRegion";
import * as imagebuilder from "@pulumi/aws/imagebuilder";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { farmConfigError, input, Problem, schemaProblems } from "../args/args";
import { instanceRole, METADATA_OPTIONS, ROOT_DEVICE_NAME, ROOT_VOLUME_GB } from "../aws/instance";
import { Account, imageBuildStatements } from "../aws/iam/policies";
import * as rules from "../args/rules";
import { allowOutbound, securityGroup } from "../aws/securityGroups";
import { nameTags, withTag } from "../aws/tags";
import { declareWait } from "../aws/waits";
import { imagePipeline } from "./pipeline";
import { imageComponentDocument } from "./windows/image";

/** The Image Builder image Amazon keeps current: its latest version when the build runs. */
export const WINDOWS_2022_IMAGE = "windows-server-2022-english-full-base-x86/x.x.x";
/** Amazon's component that installs the current Windows updates (rebooting as needed). */
export const UPDATE_WINDOWS_COMPONENT = "update-windows/x.x.x";

export interface FarmImageArgs {
  /**
   * The image's version (x.y.z). A new version builds a new image beside the old one at once (the
   * schedule rebuilds the same version monthly); farms roll to a new image when they take its id.
   * @default "1.0.0"
   */
  version?: string;
  /**
   * EC2 instance type of the build instance (x86_64).
   * @default "m6i.large"
   */
  buildInstanceType?: string;
  /**
   * A private subnet with outbound internet (a NAT gateway) for the build instance; it gets a
   * security group with outbound 80/443 only.
   * @default none: Image Builder uses the account's default VPC
   */
  subnetId?: pulumi.Input<string>;
  /**
   * Bake the CodeDeploy agent (farms that release an application need it).
   * @default true
   */
  codeDeployAgent?: boolean;
  /**
   * EC2 Fast Launch: keep this many pre-provisioned snapshots so new nodes skip Windows setup
   * (0 turns it off; each snapshot costs storage). They are made from a launch template that
   * requires IMDSv2, in subnetId (or, without it, the default VPC, like the build).
   * @default 0
   */
  fastLaunchSnapshots?: number;
  /**
   * Rebuild the image on `schedule` (an Image Builder pipeline) and announce each build. The new
   * image reaches the web nodes at `pulumi up`: this stack's next update exports it as imageId, and
   * a farm stack's next update rolls its nodes onto it (instance refresh in autoscaling mode, one
   * node at a time behind its serving gate in instances mode); a farm that follows amiParameter
   * (WebFarm image.amiParameter) rolls by itself. False: the image is built once per `version`.
   * @default true
   */
  scheduledBuilds?: boolean;
  /**
   * When the pipeline builds (Image Builder's cron(...), six fields). The default is 03:00 on the
   * third Tuesday: one week after Patch Tuesday (the second Tuesday), so the month's updates are in
   * (the second Wednesday can come before Patch Tuesday). It builds every time, new updates or not.
   * @default "cron(0 3 ? * tue#3 *)"
   */
  schedule?: string;
  /**
   * The IANA time zone `schedule` is read in.
   * @default "Etc/UTC"
   */
  scheduleTimeZone?: string;
  /**
   * An SNS topic of yours for the announcements (a build AVAILABLE or FAILED); its access policy must
   * let events.amazonaws.com publish, and a KMS key encrypting it must let EventBridge use it.
   * @default none: the image makes its own topic, encrypted with its own KMS key (subscribe to imageTopicArn)
   */
  announceTopicArn?: pulumi.Input<string>;
  /**
   * Tags for every taggable resource and for the image itself.
   * @default none
   */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const farmImageSchema = z.strictObject({
  version: rules
    .text("must be a version x.y.z such as 1.0.0")
    .regex(/^\d{1,6}\.\d{1,6}\.\d{1,6}$/, { error: "must be a version x.y.z such as 1.0.0 (Image Builder's format)" })
    .default("1.0.0"),
  buildInstanceType: rules.instanceType.default("m6i.large"),
  subnetId: input(rules.resourceId("subnet")).optional(),
  codeDeployAgent: z.boolean({ error: "must be true or false" }).default(true),
  fastLaunchSnapshots: rules.wholeNumber(0, 100).default(0),
  scheduledBuilds: z.boolean({ error: "must be true or false" }).default(true),
  schedule: rules.awsCron.default("cron(0 3 ? * tue#3 *)"),
  scheduleTimeZone: rules.timeZone.default("Etc/UTC"),
  announceTopicArn: input(rules.snsTopicArn).optional(),
  tags: z.custom<FarmImageArgs["tags"]>().optional(),
});

/** Every problem with a FarmImage's args, one per field. */
export function farmImageArgProblems(args: unknown): Problem[] {
  if (args === null || typeof args !== "object") return [{ propertyPath: "args", reason: "must be an object" }];
  return schemaProblems(farmImageSchema, args, "FarmImage");
}

/** Fast Launch keeps at least this many parallel launches (EnableFastLaunch: "must be 6 or greater"). */
const FAST_LAUNCH_MIN_PARALLEL = 6;
/**
 * EC2's default quota for Fast Launch's parallel launches: 40 per Region across all the account's
 * AMIs (EC2 user guide, "EC2 Fast Launch prerequisites for Windows"); asking more than the quota
 * cannot help, and this image shares it with any other.
 */
export const FAST_LAUNCH_MAX_PARALLEL = 40;
/**
 * The instance type of Fast Launch's pre-provisioning instances: the one EC2's own steps put in a
 * launch template for Fast Launch (EC2 user guide, "Use a launch template when you set up EC2 Fast
 * Launch": the VPC subnet and "an instance type of t3.xlarge"; Fast Launch's own instances are t3).
 */
export const FAST_LAUNCH_INSTANCE_TYPE = "t3.xlarge";

/** Parallel launches for n snapshots: n, within EC2's minimum and the default quota. */
export function fastLaunchParallel(snapshots: number): number {
  return Math.min(Math.max(FAST_LAUNCH_MIN_PARALLEL, snapshots), FAST_LAUNCH_MAX_PARALLEL);
}
/** The image's root volume, and Fast Launch's pre-provisioning instances': encrypted, gp3. */
const ENCRYPTED_ROOT = {
  encrypted: "true",
  volumeType: "gp3",
  volumeSize: ROOT_VOLUME_GB,
  deleteOnTermination: "true",
};

export class FarmImage extends pulumi.ComponentResource {
  /**
   * The AMI id: give it to WebFarm's amiId (or export it for farm stacks to take). With scheduledBuilds,
   * the newest AMI of this name and version, read at each `pulumi up` of this stack (the first build
   * until the pipeline builds another): that update exports it, and each farm stack's next update
   * rolls its web nodes onto it (never the state server, which its patch window patches instead).
   */
  public readonly imageId: pulumi.Output<string>;
  /** The Image Builder image's ARN. */
  public readonly imageArn: pulumi.Output<string>;
  /** The version built. */
  public readonly version: pulumi.Output<string>;
  /** The build instance's role. */
  public readonly buildRoleArn: pulumi.Output<string>;
  /**
   * The SSM parameter each build writes its AMI id to (/imagebuilder/<name>/<version>/ami): give it to
   * WebFarm's image.amiParameter for an automatic rollout. Left behind by `pulumi destroy` (Image
   * Builder made it): `aws ssm delete-parameter --name <it>`.
   */
  public readonly amiParameter: pulumi.Output<string>;
  /** The scheduled pipeline's ARN (undefined with scheduledBuilds false). */
  public readonly pipelineArn: pulumi.Output<string | undefined>;
  /** Where each build is announced (AVAILABLE or FAILED): subscribe to it (undefined with scheduledBuilds false). */
  public readonly imageTopicArn: pulumi.Output<string | undefined>;

  constructor(name: string, args: FarmImageArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:FarmImage", name, {}, opts);
    const problems = farmImageArgProblems(args);
    if (problems.length > 0) throw farmConfigError(`FarmImage "${name}"`, problems);
    const a = farmImageSchema.parse(args);
    const parent = { parent: this };
    const tags = a.tags ?? {};
    const invoke = { parent: this };
    const region = getRegionOutput({}, invoke).region;
    const partition = getPartitionOutput({}, invoke);
    const account: pulumi.Output<Account & { dnsSuffix: string }> = pulumi
      .all([partition.partition, partition.dnsSuffix, region, getCallerIdentityOutput({}, invoke).accountId])
      .apply(([p, dnsSuffix, r, accountId]) => ({ partition: p, dnsSuffix, region: r, accountId }));

    const component = new imagebuilder.Component(
      `${name}-component`,
      {
        platform: "Windows",
        version: a.version,
        supportedOsVersions: ["Microsoft Windows Server 2022"],
        description:
          "aspnet-webfarm: IIS, ASP.NET 4.x, the state service feature, the CloudWatch and CodeDeploy agents",
        data: account.apply((x) =>
          imageComponentDocument({
            region: x.region,
            dnsSuffix: x.dnsSuffix,
            version: a.version,
            codeDeployAgent: a.codeDeployAgent,
          }),
        ),
        tags: nameTags(tags, `${name}-component`),
      },
      parent,
    );
    const managed = (path: string) => account.apply((x) => `arn:${x.partition}:imagebuilder:${x.region}:aws:${path}`);
    const recipe = new imagebuilder.ImageRecipe(
      `${name}-recipe`,
      {
        version: a.version,
        parentImage: managed(`image/${WINDOWS_2022_IMAGE}`),
        components: [
          { componentArn: managed(`component/${UPDATE_WINDOWS_COMPONENT}`) },
          { componentArn: component.arn },
        ],
        blockDeviceMappings: [{ deviceName: ROOT_DEVICE_NAME, ebs: ENCRYPTED_ROOT }],
        description: `aspnet-webfarm node image ${a.version}`,
        tags: nameTags(tags, `${name}-recipe`),
      },
      parent,
    );

    const { role, profile, policy } = instanceRole(
      `${name}-build`,
      account.apply((x) => imageBuildStatements(x)),
      tags,
      parent,
    );
    const group =
      a.subnetId === undefined
        ? undefined
        : securityGroup(
            `${name}-build`,
            ec2.getSubnetOutput({ id: a.subnetId }, invoke).vpcId,
            "aspnet-webfarm image build instance (no inbound)",
            tags,
            parent,
          );
    const outbound = group ? allowOutbound(`${name}-build`, group, tags, parent) : [];
    const infrastructure = new imagebuilder.InfrastructureConfiguration(
      `${name}-infrastructure`,
      {
        instanceProfileName: profile.name,
        instanceTypes: [a.buildInstanceType],
        subnetId: a.subnetId,
        securityGroupIds: group ? [group.id] : undefined,
        terminateInstanceOnFailure: true,
        instanceMetadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        description: "aspnet-webfarm image build: IMDSv2, no key pair, terminated on failure",
        resourceTags: nameTags(tags, `${name}-build`),
        tags: nameTags(tags, `${name}-infrastructure`),
      },
      parent,
    );
    // Fast Launch's pre-provisioning instances launch from this template. Without one EC2 needs a
    // default VPC, and where IMDSv2 is enforced a template that requires it is mandatory (EC2 user
    // guide, "EC2 Fast Launch prerequisites for Windows"). They launch where the build does: the
    // build's subnet and security group, or (no subnetId) the default VPC, as the build does.
    // No instance profile (nothing to pass) and no instance tags: Fast Launch tags its own
    // instances (CreatedBy), which its service-linked role's RunInstances permission requires.
    const fastLaunchTemplate =
      a.fastLaunchSnapshots > 0
        ? new ec2.LaunchTemplate(
            `${name}-fast-launch`,
            {
              description: "aspnet-webfarm: EC2 Fast Launch pre-provisioning of the farm image (IMDSv2, encrypted)",
              instanceType: FAST_LAUNCH_INSTANCE_TYPE,
              metadataOptions: METADATA_OPTIONS,
              blockDeviceMappings: [{ deviceName: ROOT_DEVICE_NAME, ebs: ENCRYPTED_ROOT }],
              networkInterfaces:
                a.subnetId === undefined
                  ? undefined
                  : [
                      {
                        deviceIndex: 0,
                        subnetId: a.subnetId,
                        securityGroups: group ? [group.id] : undefined,
                        associatePublicIpAddress: "false",
                        deleteOnTermination: "true",
                      },
                    ],
              updateDefaultVersion: true,
              // Image Builder's service-linked role may enable Fast Launch only with a template so
              // tagged (Image Builder user guide, "Configure AMI distribution with an EC2 launch
              // template"; AWSServiceRoleForImageBuilder: ec2:EnableFastLaunch on
              // ec2:ResourceTag/CreatedBy = EC2 Image Builder).
              tags: nameTags(withTag(tags, "CreatedBy", "EC2 Image Builder"), `${name}-fast-launch`),
            },
            parent,
          )
        : undefined;
    // Named by this component, not by the recipe: the recipe is auto-named and replaced whenever
    // its components change, and a farm that follows the parameter must keep finding it.
    const amiParameter = pulumi.output(`/imagebuilder/${name}/${a.version}/ami`);
    const distribution = new imagebuilder.DistributionConfiguration(
      `${name}-distribution`,
      {
        description: "aspnet-webfarm: this account and region only, shared with no other account",
        distributions: [
          {
            region,
            amiDistributionConfiguration: {
              name: `${name}-${a.version}-{{ imagebuilder:buildDate }}`,
              description: `aspnet-webfarm node image ${a.version}`,
              amiTags: nameTags(tags, `${name}-${a.version}`),
              // No launchPermission: the image stays private to this account.
            },
            fastLaunchConfigurations: fastLaunchTemplate
              ? [
                  {
                    accountId: account.accountId,
                    enabled: true,
                    maxParallelLaunches: fastLaunchParallel(a.fastLaunchSnapshots),
                    snapshotConfiguration: { targetResourceCount: a.fastLaunchSnapshots },
                    // Pinned to the template's version, so a changed template reaches the next build.
                    launchTemplate: {
                      launchTemplateId: fastLaunchTemplate.id,
                      launchTemplateVersion: fastLaunchTemplate.latestVersion.apply(String),
                    },
                  },
                ]
              : undefined,
            // Each build writes its AMI id here, for farms that follow it (WebFarm image.amiParameter).
            // Image Builder creates the parameter if missing, else updates it (API,
            // SsmParameterConfiguration); its service-linked role may write only /imagebuilder/*
            // (AWSServiceRoleForImageBuilder, since its version 25 of 2026-02-12: ssm:GetParameter,
            // ssm:PutParameter there, and ec2:DescribeImages for the aws:ec2:image check), so no
            // execution role is needed while the name keeps that prefix. Not declared as a
            // resource: a refresh would see Image Builder's write as drift and `up` would set it back.
            ssmParameterConfigurations: [{ parameterName: amiParameter, dataType: "aws:ec2:image" }],
          },
        ],
        tags: nameTags(tags, `${name}-distribution`),
      },
      parent,
    );
    // The build itself: `pulumi up` waits for it (Windows updates make it 30-90 minutes). The image
    // tests run the component's test phase on an instance launched from the new image.
    const image = new imagebuilder.Image(
      `${name}-image`,
      {
        imageRecipeArn: recipe.arn,
        infrastructureConfigurationArn: infrastructure.arn,
        distributionConfigurationArn: distribution.arn,
        imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 90 },
        enhancedImageMetadataEnabled: true,
        tags: nameTags(tags, `${name}-image`),
      },
      // The build instance needs its role's access and a way out from its first minute.
      { parent: this, dependsOn: [policy, ...outbound] },
    );
    declareWait(image, "the image build and its tests", [
      { what: "the recipe and its component", resource: recipe },
      { what: "the build instance's role access (SSM, S3 logs, the component)", resource: policy },
      { what: "the build instance's profile, type and network", resource: infrastructure },
      ...outbound.map((rule) => ({ what: "the build instance reaching AWS APIs and Windows Update", resource: rule })),
      { what: "the distribution (the AMI's name, tags, Fast Launch)", resource: distribution },
    ]);

    const firstAmi = image.outputResources.apply((resources) => {
      const ami = resources?.[0]?.amis?.[0]?.image;
      if (!ami) throw new Error(`the image build of ${name} produced no AMI`);
      return ami;
    });
    // With scheduled builds, the newest AMI of this name and version (the pipeline's builds name and
    // tag theirs as the first build does; getAmiIds lists newest first): read at each `pulumi up`,
    // after the first build exists, so that update exports it and the farms take it at theirs.
    this.imageId = a.scheduledBuilds
      ? firstAmi.apply((first) =>
          ec2
            .getAmiIdsOutput(
              {
                owners: ["self"],
                filters: [
                  { name: "name", values: [`${name}-${a.version}-*`] },
                  { name: "tag:Name", values: [`${name}-${a.version}`] },
                  { name: "state", values: ["available"] },
                ],
              },
              invoke,
            )
            .ids.apply((ids) => ids[0] ?? first),
        )
      : firstAmi;
    this.imageArn = image.arn;
    this.amiParameter = amiParameter;
    this.version = pulumi.output(a.version);
    this.buildRoleArn = role.arn;
    const scheduled = a.scheduledBuilds
      ? imagePipeline(
          name,
          {
            recipeArn: recipe.arn,
            infrastructureArn: infrastructure.arn,
            distributionArn: distribution.arn,
            firstImageArn: image.arn,
            schedule: a.schedule,
            timeZone: a.scheduleTimeZone,
            topicArn: a.announceTopicArn,
            account,
            tags,
          },
          parent,
        )
      : undefined;
    this.pipelineArn = scheduled ? scheduled.pipeline.arn : pulumi.output(undefined);
    this.imageTopicArn = scheduled ? scheduled.topicArn : pulumi.output(undefined);
    this.registerOutputs({
      imageId: this.imageId,
      imageArn: this.imageArn,
      amiParameter: this.amiParameter,
      version: this.version,
      buildRoleArn: this.buildRoleArn,
      pipelineArn: this.pipelineArn,
      imageTopicArn: this.imageTopicArn,
    });
  }
}
