// The application on the farm: its build and bundle in a private bucket, CodeDeploy releasing it
// through the target group with rollback, and nodes allowed to read exactly what they install.
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import YAML from "yaml";
import { FARM_TAG, WebFarm, WebFarmArgs } from "../../components";
import { validateWebFarmArgs } from "../../components/args/args";
import { deploymentConfigName } from "../../components/releases/codeDeploy";
import { readArtifact } from "../../components/releases/artifact";
import { releaseBundle } from "../../components/releases/windows/hooks";
import { valueOf } from "../../engine/engine";
import { ASSET_MARKERS } from "../../engine/engine";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { bootTextOf, buildFarm, sharedFarm, Graph, inputsText, T } from "../support/graph";

const SITE = join(REPO_ROOT, "tools", "local", "app");
const D = {
  app: "aws:codedeploy/application:Application",
  group: "aws:codedeploy/deploymentGroup:DeploymentGroup",
  config: "aws:codedeploy/deploymentConfig:DeploymentConfig",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  release: "pulumi-nodejs:dynamic/aspnet-webfarm:Release",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
};

/** The files of the release bundle, as the node sees them after unzipping. */
function bundleOf(graph: Graph): Record<string, string> {
  const source = graph.one(D.object, (o) => o.inputs.key.endsWith("release.zip")).inputs.source;
  expect(source[ASSET_MARKERS.sig]).toBe(ASSET_MARKERS.archive);
  return Object.fromEntries(
    Object.entries(source.assets as Record<string, { text: string }>).map(([path, asset]) => [path, asset.text]),
  );
}
const nodePolicy = (graph: Graph) =>
  JSON.parse(graph.one(T.rolePolicy, (p) => p.name.endsWith("-node-access")).inputs.policy);

describe("an application published to a folder", () => {
  let graph: Graph;
  let farm: WebFarm;
  beforeAll(async () => {
    ({ graph, farm } = await buildFarm({
      nodeCount: 3,
      app: {
        path: SITE,
        version: "v7",
        validatePath: "/validate.aspx",
        validateStatuses: [302],
        settings: { Greeting: "hi" },
        secretSettings: { PaymentKey: { ssmParameter: "/shop/prod/payment" } },
      },
    }));
  });

  test("is uploaded to a private, encrypted, versioned, TLS-only bucket whose old versions expire", () => {
    const bucket = graph.one(T.bucket);
    const on = (type: string) => graph.one(type, (r) => r.inputs.bucket === bucket.id).inputs;
    expect(on("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      on("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules[0]
        .applyServerSideEncryptionByDefault.sseAlgorithm,
    ).toBe("AES256");
    expect(on("aws:s3/bucketVersioning:BucketVersioning").versioningConfiguration.status).toBe("Enabled");
    expect(on("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule.objectOwnership).toBe(
      "BucketOwnerEnforced",
    );
    expect(
      on("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules[0].noncurrentVersionExpiration,
    ).toEqual({ noncurrentDays: 30, newerNoncurrentVersions: 10 });
    const deny = JSON.parse(on("aws:s3/bucketPolicy:BucketPolicy").policy).Statement[0];
    expect(deny).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("the site goes up as the folder's archive, identified by its content hash", () => {
    const site = graph.one(D.object, (o) => o.inputs.key === "shop/site.zip").inputs;
    expect(site.source).toEqual({ [ASSET_MARKERS.sig]: ASSET_MARKERS.archive, path: SITE });
    expect(site.sourceHash).toBe(readArtifact(SITE).sha256);
    expect(site.serverSideEncryption).toBe("AES256");
  });

  test("the bundle holds the appspec, the hooks and release.json naming the build, the checks and the settings", () => {
    const files = bundleOf(graph);
    expect(Object.keys(files).sort()).toEqual([
      "appspec.yml",
      "hooks/install.ps1",
      "hooks/start.ps1",
      "hooks/validate.ps1",
      "release.json",
    ]);
    expect(YAML.parse(files["appspec.yml"]).os).toBe("windows");
    const release = JSON.parse(files["release.json"]);
    // release.json names the hooks' hash, so its own hash (the nodes' release folder) covers the whole bundle.
    expect(release.kitSha256).toBe(
      JSON.parse(releaseBundle({ ...release, kitSha256: undefined }, { farmName: "shop" })["release.json"]).kitSha256,
    );
    expect(release).toMatchObject({
      version: "v7",
      sha256: readArtifact(SITE).sha256,
      region: "eu-west-1",
      site: {
        bucket: graph.one(T.bucket).state.bucket,
        key: "shop/site.zip",
        versionId: "BucketObjectv2.shop-app-site.versionId",
      },
      healthCheckPath: "/health.aspx",
      validatePath: "/validate.aspx",
      validateStatuses: [302],
      appSettings: [{ name: "Greeting", value: "hi" }],
      secretAppSettings: [{ name: "PaymentKey", ssmParameter: "/shop/prod/payment" }],
    });
  });

  test("CodeDeploy releases in place through the farm's target group, one node at a time, rolling back on failure or a 5xx alarm", () => {
    const app = graph.one(D.app).inputs;
    expect(app).toMatchObject({ name: "shop", computePlatform: "Server" });
    const group = graph.one(D.group).inputs;
    expect(group).toMatchObject({
      appName: "shop",
      deploymentGroupName: "shop-web",
      deploymentConfigName: "CodeDeployDefault.OneAtATime",
      deploymentStyle: { deploymentOption: "WITH_TRAFFIC_CONTROL", deploymentType: "IN_PLACE" },
      loadBalancerInfo: { targetGroupInfos: [{ name: graph.one(T.tg).state.name }] },
      autoRollbackConfiguration: {
        enabled: true,
        events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"],
      },
    });
    const errorAlarm = graph.one(T.alarm, (a) => Array.isArray(a.inputs.metricQueries));
    expect(group.alarmConfiguration).toEqual({ enabled: true, alarms: [errorAlarm.state.name] });
    expect(graph.count(D.config)).toBe(0);
  });

  test("the deployment group finds exactly this farm's web nodes by their webfarm:farm tag", () => {
    const filter = graph.one(D.group).inputs.ec2TagSets[0].ec2TagFilters[0];
    expect(filter).toEqual({ key: FARM_TAG, value: "shop", type: "KEY_AND_VALUE" });
    for (const node of graph.webNodes()) expect(node.inputs.tags[FARM_TAG]).toBe("shop");
    expect(graph.stateServer().inputs.tags[FARM_TAG]).toBeUndefined();
  });

  test("CodeDeploy's service role is AWS's documented one, for CodeDeploy only", () => {
    const role = graph.one(T.role, (r) => r.name.endsWith("-codedeploy"));
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "codedeploy.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    expect(graph.one(D.attachment).inputs).toEqual({
      role: role.state.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole",
    });
  });

  test("the nodes may read the bundle and the build, the one secret setting, and their deployment group: nothing more", () => {
    const bucket = graph.one(T.bucket).state.bucket;
    const statements = nodePolicy(graph).Statement;
    // Every key and version under the farm's prefix: rollbacks and late joiners read older builds.
    expect(statements.find((s: { Sid: string }) => s.Sid === "ReadReleases").Resource).toEqual([
      `arn:aws:s3:::${bucket}/shop/*`,
    ]);
    // The group's ARN in AWS's format, from its names (the policy need not wait for the group).
    const group = graph.one(D.group).inputs;
    expect(statements.find((s: { Sid: string }) => s.Sid === "FindCurrentRelease").Resource).toEqual([
      `arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:${group.appName}/${group.deploymentGroupName}`,
    ]);
    expect(statements.find((s: { Sid: string }) => s.Sid === "ReadSecretSettings").Resource).toEqual([
      "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/prod/payment",
    ]);
    // "*" only for the agent's own channel, whose actions take no resource.
    for (const s of statements.filter((x: { Resource: unknown }) => x.Resource === "*"))
      expect(s.Action.every((a: string) => a.startsWith("codedeploy-commands-secure:"))).toBe(true);
    expect(graph.one(T.rolePolicy, (p) => p.name.endsWith("-node-access")).inputs.role).toBe(
      graph.one(T.role, (r) => r.name === "shop-web-role").state.name,
    );
  });

  test("`pulumi up` releases the bundle's version with CodeDeploy once the group, the permissions and every node exist", () => {
    const release = graph.one(D.release);
    const bundle = graph.one(D.object, (o) => o.inputs.key === "shop/release.zip");
    expect(release.inputs).toMatchObject({
      version: "v7",
      applicationName: "shop",
      deploymentGroupName: "shop-web",
      bucket: bundle.state.bucket,
      key: bundle.inputs.key,
      versionId: bundle.state.versionId,
      nodesAtOnce: 1,
      // The fewest nodes the release waits for, when CodeDeploy lists none yet.
      nodeCount: 3,
    });
    expect(release.options.dependsOn).toEqual(["shop-app-group", "shop-app-node-access", "shop-web"]);
  });

  test("each node installs the CodeDeploy agent at boot, and the current release before it is healthy", () => {
    const userData = bootTextOf(graph.webNodes()[0]);
    expect(userData).toContain("Step 'install the CodeDeploy agent' {");
    expect(userData).toContain(
      "https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/codedeploy-agent.msi",
    );
    expect(userData).toContain("Get-CDDeploymentGroup -ApplicationName 'shop' -DeploymentGroupName 'shop-web'");
    // The health page comes with a release: boot writes none.
    expect(userData).not.toContain("$HealthContent");
  });

  test("exposes the release's version and the CodeDeploy names", async () => {
    expect(await valueOf(farm.releaseVersion)).toBe("v7");
    expect(await valueOf(farm.codeDeployApplication)).toBe("shop");
    expect(await valueOf(farm.codeDeployDeploymentGroup)).toBe("shop-web");
  });

  test("no secret value anywhere: the secret setting is a reference in release.json and the policy only", () => {
    const mentions = graph.resources.filter((r) => inputsText(r).includes("/shop/prod/payment")).map((r) => r.name);
    expect(mentions.sort()).toEqual(["shop-app-bundle", "shop-app-node-access"]);
  });
});

describe("a build CI put in S3, in Auto Scaling mode, two nodes at a time", () => {
  let graph: Graph;
  beforeAll(async () => {
    ({ graph } = await buildFarm({
      nodeCount: 4,
      nodeMode: "autoscaling",
      app: {
        bucket: "shop-builds",
        key: "shop/1.4.2/site.zip",
        versionId: "3HL4kqtJlc",
        nodesAtOnce: 2,
        secretConnectionStrings: { ShopDb: { secretsManagerSecret: "shop/prod/db" } },
      },
    }));
  });

  test("nothing of the build is uploaded; the nodes may read that object's prefix, every version (older builds too)", () => {
    expect(graph.ofType(D.object).map((o) => o.inputs.key)).toEqual(["shop/release.zip"]);
    const release = JSON.parse(bundleOf(graph)["release.json"]);
    expect(release.site).toEqual({ bucket: "shop-builds", key: "shop/1.4.2/site.zip", versionId: "3HL4kqtJlc" });
    expect(release.version).toMatch(/^sha-[0-9a-f]{12}$/);
    // No validatePath: the health page alone, which the application itself serves, so any application that starts passes.
    expect(release.validatePath).toBeUndefined();
    expect(release.validateStatuses).toEqual([]);
    expect(nodePolicy(graph).Statement.find((s: { Sid: string }) => s.Sid === "ReadReleases").Resource).toContain(
      "arn:aws:s3:::shop-builds/shop/*",
    );
    expect(
      nodePolicy(graph).Statement.find((s: { Sid: string }) => s.Sid === "ReadSecretSettingsFromSecretsManager")
        .Resource,
    ).toEqual(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/prod/db-??????"]);
  });

  test("the group's new instances get the current release from CodeDeploy itself; boot installs only the agent", () => {
    const group = graph.one(D.group).inputs;
    expect(group.autoscalingGroups).toEqual([graph.one(T.group).state.name]);
    expect(group.outdatedInstancesStrategy).toBe("UPDATE");
    expect(group.ec2TagSets).toBeUndefined();
    const userData = bootTextOf(graph.one(T.template));
    expect(userData).toContain("Step 'install the CodeDeploy agent' {");
    expect(userData).not.toContain("install the current release");
  });

  test("two nodes at a time: a deployment configuration keeping the other two in service", () => {
    const config = graph.one(D.config).inputs;
    expect(config).toMatchObject({ computePlatform: "Server", minimumHealthyHosts: { type: "HOST_COUNT", value: 2 } });
    expect(graph.one(D.group).inputs.deploymentConfigName).toBe(config.deploymentConfigName);
  });

  test("the configuration's name holds its minimum: another node count is a new configuration, not the same name replaced", () => {
    expect(graph.one(D.config).inputs.deploymentConfigName).toBe(deploymentConfigName("shop", 2, 2));
    expect(deploymentConfigName("shop", 2, 2)).toBe("shop-2-at-a-time-min-2");
    expect(deploymentConfigName("shop", 2, 4)).not.toBe(deploymentConfigName("shop", 2, 2));
  });
});

test("without an application nothing of CodeDeploy exists, and the nodes serve the health page themselves", async () => {
  const { graph, farm } = await sharedFarm({ nodeCount: 1 });
  for (const type of Object.values(D)) expect(graph.count(type)).toBe(0);
  expect(bootTextOf(graph.webNodes()[0])).toContain("$HealthContent");
  expect(await valueOf(farm.releaseVersion)).toBeUndefined();
  expect(pulumi.Output.isInstance(farm.codeDeployApplication)).toBe(true);
});

test("without waitForDeployments (other languages), no Node.js resource: the releaseCommand output starts the same release", async () => {
  const { graph, farm } = await buildFarm({
    nodeCount: 2,
    waitForDeployments: false,
    app: { bucket: "shop-builds", key: "shop/1.4.2/site.zip", versionId: "v7", version: "1.4.2" },
  });
  expect(graph.count(D.release)).toBe(0);
  expect(graph.count(T.gate)).toBe(0);
  const bundle = graph.one(D.object, (o) => o.inputs.key.endsWith("release.zip"));
  expect(await valueOf(farm.releaseCommand)).toBe(
    "aws deploy create-deployment --region eu-west-1 --application-name shop --deployment-group-name shop-web " +
      `--s3-location bucket=${bundle.inputs.bucket},key=${bundle.inputs.key},bundleType=zip,version=${bundle.state.versionId} ` +
      '--description "release 1.4.2" --query deploymentId --output text',
  );
  expect(await valueOf(farm.releaseVersion)).toBeUndefined();
});

test("validateStatuses: HTTP statuses only, at most 10, and only with validatePath; every problem named at once", () => {
  const problems = (app: Record<string, unknown>) => {
    try {
      validateWebFarmArgs("shop", { nodeCount: 2, app: { path: SITE, ...app } } as WebFarmArgs);
      return "";
    } catch (err) {
      return (err as Error).message;
    }
  };
  expect(problems({ validatePath: "/login.aspx", validateStatuses: [302, 401] })).toBe("");
  const message = problems({ validateStatuses: [99, 302, 600] });
  expect(message).toContain("app.validateStatuses[0]: must be a whole number 100-599; got 99");
  expect(message).toContain("app.validateStatuses[2]: must be a whole number 100-599; got 600");
  expect(message).toContain("app.validateStatuses: applies only to validatePath (the health page must answer 200)");
  expect(problems({ validatePath: "/x", validateStatuses: Array(11).fill(302) })).toContain("at most 10 statuses");
});
