// The farm image: its Image Builder graph (component, recipe, build infrastructure with a
// least-privilege role, distribution, image), under the offline engine.
import { FarmImage } from "../../components";
import { fastLaunchParallel } from "../../components/image/farmImage";
import { valueOf } from "../../engine/engine";
import { fixtures } from "../../engine/fixtures";
import { attempt, Graph, record } from "../support/graph";

const IB = {
  component: "aws:imagebuilder/component:Component",
  recipe: "aws:imagebuilder/imageRecipe:ImageRecipe",
  infrastructure: "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
  distribution: "aws:imagebuilder/distributionConfiguration:DistributionConfiguration",
  image: "aws:imagebuilder/image:Image",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
  template: "aws:ec2/launchTemplate:LaunchTemplate",
};

async function build(args: ConstructorParameters<typeof FarmImage>[1] = {}, region = "eu-west-1") {
  return record(() => new FarmImage("shop", args), { fixtures: fixtures({ region }) });
}

describe("a farm image with defaults", () => {
  let graph: Graph;
  let image: FarmImage;
  beforeAll(async () => ({ graph, result: image } = await build({ version: "2026.11.0", tags: { app: "shop" } })));

  test("a Windows component at the image's version, whose document the generator wrote", () => {
    const c = graph.one(IB.component);
    expect(c.inputs).toMatchObject({ platform: "Windows", version: "2026.11.0" });
    expect(c.inputs.supportedOsVersions).toEqual(["Microsoft Windows Server 2022"]);
    expect(c.inputs.data).toMatch(/^name: aspnet-webfarm-node\n/);
    expect(c.inputs.data).toContain("InstallWindowsFeatures");
  });

  test("the recipe starts from Amazon's current Windows Server 2022, updates it, then adds the farm's component, on an encrypted disk", () => {
    const r = graph.one(IB.recipe);
    expect(r.inputs.parentImage).toBe(
      "arn:aws:imagebuilder:eu-west-1:aws:image/windows-server-2022-english-full-base-x86/x.x.x",
    );
    expect(r.inputs.components.map((c: { componentArn: string }) => c.componentArn)).toEqual([
      "arn:aws:imagebuilder:eu-west-1:aws:component/update-windows/x.x.x",
      graph.one(IB.component).state.arn,
    ]);
    expect(r.inputs.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/sda1",
        ebs: { encrypted: "true", volumeType: "gp3", volumeSize: 50, deleteOnTermination: "true" },
      },
    ]);
  });

  test("the build instance: IMDSv2, terminated on failure, no key pair, its own role's profile", () => {
    const i = graph.one(IB.infrastructure);
    expect(i.inputs.instanceMetadataOptions).toEqual({ httpTokens: "required", httpPutResponseHopLimit: 1 });
    expect(i.inputs.terminateInstanceOnFailure).toBe(true);
    expect(i.inputs.keyPair).toBeUndefined();
    expect(i.inputs.instanceTypes).toEqual(["m6i.large"]);
    expect(i.inputs.instanceProfileName).toBe(graph.one("aws:iam/instanceProfile:InstanceProfile").state.name);
  });

  test("the build role reads components, AWSTOE's downloads and writes its logs; no parameter, no managed policy", () => {
    const statements: { Sid: string; Action: string[]; Resource: string | string[] }[] = JSON.parse(
      graph.one(IB.rolePolicy).inputs.policy,
    ).Statement;
    expect(statements.map((s) => s.Sid)).toEqual([
      "SystemsManagerAgent",
      "ReadComponents",
      "AwsToeDownloads",
      "BuildLogs",
      "DecryptImageBuilderComponents",
    ]);
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.filter((a) => /^ssm:GetParameter/.test(a))).toEqual([]);
    expect(actions.filter((a) => a.endsWith(":*") || a === "*")).toEqual([]);
    const resources = (sid: string) => [statements.find((s) => s.Sid === sid)!.Resource].flat();
    expect(resources("AwsToeDownloads")).toEqual(["arn:aws:s3:::ec2imagebuilder*"]);
    expect(resources("BuildLogs")).toEqual(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/imagebuilder/*"]);
    for (const role of graph.ofType(IB.role)) expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
  });

  test("distributed to this account and region only: no launch permission, tagged, named by version and build date", () => {
    const [d] = graph.one(IB.distribution).inputs.distributions;
    expect(d.region).toBe("eu-west-1");
    expect(d.amiDistributionConfiguration.launchPermission).toBeUndefined();
    expect(d.amiDistributionConfiguration.targetAccountIds).toBeUndefined();
    expect(d.amiDistributionConfiguration.name).toBe("shop-2026.11.0-{{ imagebuilder:buildDate }}");
    expect(d.amiDistributionConfiguration.amiTags).toMatchObject({ app: "shop" });
    expect(d.fastLaunchConfigurations).toBeUndefined();
    expect(graph.count(IB.template)).toBe(0);
  });

  test("each build writes its AMI id to /imagebuilder/<image>/<version>/ami, declared by no resource, and exported", async () => {
    const [d] = graph.one(IB.distribution).inputs.distributions;
    // Named by the component, not the auto-named recipe, which a changed component replaces.
    const name = "/imagebuilder/shop/2026.11.0/ami";
    expect(d.ssmParameterConfigurations).toEqual([{ parameterName: name, dataType: "aws:ec2:image" }]);
    expect(await valueOf(image.amiParameter)).toBe(name);
    expect(graph.count("aws:ssm/parameter:Parameter")).toBe(0);
  });

  test("the image is built from the recipe, infrastructure and distribution, with its tests on; its AMI is the output", async () => {
    const i = graph.one(IB.image);
    expect(i.inputs).toMatchObject({
      imageRecipeArn: graph.one(IB.recipe).state.arn,
      infrastructureConfigurationArn: graph.one(IB.infrastructure).state.arn,
      distributionConfigurationArn: graph.one(IB.distribution).state.arn,
      imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 90 },
    });
    expect(await valueOf(image.imageId)).toBe(i.state.outputResources[0].amis[0].image);
    expect(await valueOf(image.imageId)).toMatch(/^ami-0[0-9a-f]{16}$/);
  });

  test("without a subnet, no security group is made (Image Builder uses the default VPC's)", () => {
    expect(graph.count(IB.sg)).toBe(0);
    expect(graph.one(IB.infrastructure).inputs.subnetId).toBeUndefined();
  });
});

test("in a private subnet the build instance gets a group with outbound 80/443 (and activation) only, no inbound", async () => {
  const { graph } = await build({ subnetId: "subnet-0c00000000000000c" });
  const group = graph.one(IB.sg);
  expect(group.inputs.vpcId).toBe("vpc-0e00000000000000e");
  expect(graph.one(IB.infrastructure).inputs).toMatchObject({
    subnetId: "subnet-0c00000000000000c",
    securityGroupIds: [group.id],
  });
  expect(graph.ofType(IB.ingress)).toEqual([]);
  expect(
    graph
      .ofType(IB.egress)
      .map((r) => `${r.inputs.ipProtocol}/${r.inputs.fromPort} ${r.inputs.cidrIpv4}`)
      .sort(),
  ).toEqual(["tcp/1688 169.254.169.250/31", "tcp/443 0.0.0.0/0", "tcp/80 0.0.0.0/0"]);
});

describe("Fast Launch launches its pre-provisioning instances from the image's own launch template", () => {
  // EC2 "Fast Launch prerequisites for Windows": without a template EC2 needs a default VPC; where
  // IMDSv2 is enforced, a template that requires it is mandatory.
  test("in the build's subnet and security group: IMDSv2 required, encrypted root, no public address", async () => {
    const { graph } = await build({ fastLaunchSnapshots: 10, subnetId: "subnet-0c00000000000000c" });
    const template = graph.one(IB.template);
    expect(template.inputs.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect(template.inputs.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/sda1",
        ebs: { encrypted: "true", volumeType: "gp3", volumeSize: 50, deleteOnTermination: "true" },
      },
    ]);
    expect(template.inputs.networkInterfaces).toEqual([
      {
        deviceIndex: 0,
        subnetId: "subnet-0c00000000000000c",
        securityGroups: [graph.one(IB.sg).id],
        associatePublicIpAddress: "false",
        deleteOnTermination: "true",
      },
    ]);
    // The instance type EC2's own Fast Launch template steps give ("an instance type of t3.xlarge").
    expect(template.inputs.instanceType).toBe("t3.xlarge");
    // Nothing Fast Launch's service-linked role would have to pass or tag beyond its own CreatedBy.
    expect(template.inputs.iamInstanceProfile).toBeUndefined();
    expect(template.inputs.tagSpecifications).toBeUndefined();
    expect(template.inputs.imageId).toBeUndefined();
    // Image Builder enables Fast Launch only with a template tagged so (its service-linked role).
    expect(template.inputs.tags).toMatchObject({ CreatedBy: "EC2 Image Builder", Name: "shop-fast-launch" });
    expect(graph.one(IB.distribution).inputs.distributions[0].fastLaunchConfigurations).toEqual([
      {
        accountId: "123456789012",
        enabled: true,
        maxParallelLaunches: 10,
        snapshotConfiguration: { targetResourceCount: 10 },
        launchTemplate: { launchTemplateId: template.id, launchTemplateVersion: String(template.state.latestVersion) },
      },
    ]);
  });

  test("without a subnet, where the build goes (the default VPC), still with IMDSv2 required", async () => {
    const { graph } = await build({ fastLaunchSnapshots: 3 });
    const template = graph.one(IB.template);
    expect(template.inputs.metadataOptions.httpTokens).toBe("required");
    expect(template.inputs.networkInterfaces).toBeUndefined();
    const [config] = graph.one(IB.distribution).inputs.distributions[0].fastLaunchConfigurations;
    expect(config.maxParallelLaunches).toBe(6);
    expect(config.launchTemplate.launchTemplateId).toBe(template.id);
  });
});

test.each([
  [1, 6],
  [10, 10],
  [40, 40],
  [100, 40],
])(
  "Fast Launch with %i snapshots launches at most %i in parallel: at least EC2's 6, at most its default quota of 40",
  async (snapshots, parallel) => {
    expect(fastLaunchParallel(snapshots)).toBe(parallel);
    if (snapshots !== 100) return;
    // The largest the schema allows, through the component.
    const { graph } = await build({ fastLaunchSnapshots: snapshots });
    const [config] = graph.one(IB.distribution).inputs.distributions[0].fastLaunchConfigurations;
    expect(config).toMatchObject({ maxParallelLaunches: 40, snapshotConfiguration: { targetResourceCount: 100 } });
  },
);

test("without the CodeDeploy agent the component leaves it out", async () => {
  const { graph } = await build({ codeDeployAgent: false });
  expect(graph.one(IB.component).inputs.data).not.toContain("codedeploy");
});

test.each([
  ["aws-us-gov", "us-gov-west-1"],
  ["aws-cn", "cn-north-1"],
])("every ARN the image builds is in the region's partition (%s)", async (partition, region) => {
  const { graph } = await build({}, region);
  const text = JSON.stringify(graph.resources.map((r) => r.inputs));
  const arns = text.match(/arn:[a-z-]+:/g) ?? [];
  expect(arns.length).toBeGreaterThan(3);
  expect(new Set(arns)).toEqual(new Set([`arn:${partition}:`]));
});

test("bad arguments: one error naming each, before anything is registered", async () => {
  const { error, graph } = await attempt(
    () =>
      new FarmImage("shop", {
        version: "November",
        buildInstanceType: "m6i large",
        fastLaunchSnapshots: -1,
        subnetId: "sg-123",
      } as never),
  );
  expect(error?.message).toMatch(/FarmImage "shop" has 4 problems; nothing was created/);
  for (const field of ["version", "buildInstanceType", "fastLaunchSnapshots", "subnetId"])
    expect(error?.message).toContain(`- ${field}: `);
  expect(graph.resources.filter((r) => r.type !== "aspnet-webfarm:index:FarmImage")).toEqual([]);
});
