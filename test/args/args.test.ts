// Bad input: one error naming every bad field, and nothing registered. Each bad case sits next to
// a good value for the same field, so no check rejects good input.
import * as pulumi from "@pulumi/pulumi";
import { FarmNetwork, MAX_FARM_NAME_LENGTH, WebFarm, WebFarmArgs, webFarmArgProblems } from "../../components";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { MAX_ARTIFACT_BYTES } from "../../components/releases/artifact";
import {
  MAX_HEALTH_CHECK_PATH_LENGTH,
  MAX_KEY_PARAMETER_NAME_LENGTH,
  MAX_PROJECT_NAME_LENGTH,
  MAX_STACK_NAME_LENGTH,
  projectAndStackProblems,
} from "../../components/args/args";
import { EXISTING_NETWORK } from "../../engine/fixtures";
import { attempt as attemptProgram } from "../support/graph";

const byo = EXISTING_NETWORK;
const cert = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";

interface Case {
  label: string;
  field: string;
  bad: Partial<WebFarmArgs> & Record<string, unknown>;
  good: Partial<WebFarmArgs>;
  name?: { bad: string; good: string };
}

// Published sites on disk for the application cases: a good one, one that is no site, one too
// large (a sparse file: no disk is used), one whose web.config would undo the farm.
const sites = mkdtempSync(join(tmpdir(), "aspnet-webfarm-args-"));
const site = (name: string, files: Record<string, string>) => {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(sites, name, file)), { recursive: true });
    writeFileSync(join(sites, name, file), text);
  }
  return join(sites, name);
};
const goodSite = site("good", { "web.config": "<configuration><system.web /></configuration>", "Default.aspx": "hi" });
const notASite = site("docs", { "README.md": "no web.config, no bin/" });
const overridesSession = site("inproc", {
  "web.config": '<configuration><system.web><sessionState mode="InProc" /></system.web></configuration>',
});
const tooLarge = site("large", { "bin/App.dll": "" });
truncateSync(join(tooLarge, "bin", "App.dll"), MAX_ARTIFACT_BYTES + 1);
afterAll(() => rmSync(sites, { recursive: true, force: true }));

// One bad input per line, next to a good one for the same field.
// prettier-ignore
const cases: Case[] = [
  { label: "an application folder that does not exist", field: "app.path", bad: { app: { path: join(sites, "missing") } }, good: { app: { path: goodSite } } },
  { label: "a folder that is not a published site", field: "app.path", bad: { app: { path: notASite } }, good: { app: { path: goodSite } } },
  { label: "a site larger than the kit uploads", field: "app.path", bad: { app: { path: tooLarge } }, good: { app: { path: goodSite } } },
  { label: "a site whose web.config sets InProc sessions", field: "app.path", bad: { app: { path: overridesSession } }, good: { app: { path: goodSite } } },
  { label: "both a folder and an S3 build", field: "app.path", bad: { app: { path: goodSite, bucket: "b-uilds", key: "a.zip" } }, good: { app: { bucket: "b-uilds", key: "a.zip" } } },
  { label: "neither a folder nor an S3 build", field: "app.path", bad: { app: { version: "v1" } }, good: { app: { path: goodSite, version: "v1" } } },
  { label: "a malformed bucket", field: "app.bucket", bad: { app: { bucket: "My_Builds", key: "a.zip" } }, good: { app: { bucket: "my-builds", key: "a.zip" } } },
  { label: "an S3 key with a wildcard", field: "app.key", bad: { app: { bucket: "my-builds", key: "shop/*.zip" } }, good: { app: { bucket: "my-builds", key: "shop/1.zip" } } },
  { label: "a bucket without a key", field: "app.key", bad: { app: { bucket: "my-builds" } }, good: { app: { bucket: "my-builds", key: "a.zip" } } },
  { label: "a setting name with a control character", field: "app.settings.A\u0007", bad: { app: { path: goodSite, settings: { "A\u0007": "x" } } }, good: { app: { path: goodSite, settings: { A: "x" } } } },
  { label: "a secret setting with two sources", field: "app.secretSettings.Key", bad: { app: { path: goodSite, secretSettings: { Key: { ssmParameter: "/p", secretsManagerSecret: "s" } } } }, good: { app: { path: goodSite, secretSettings: { Key: { ssmParameter: "/p" } } } } },
  { label: "a setting given both plain and secret", field: "app.secretSettings.key", bad: { app: { path: goodSite, settings: { Key: "x" }, secretSettings: { key: { ssmParameter: "/p" } } } }, good: { app: { path: goodSite, settings: { Key: "x" }, secretSettings: { Other: { ssmParameter: "/p" } } } } },
  { label: "a release batch of every node", field: "app.nodesAtOnce", bad: { app: { path: goodSite, nodesAtOnce: 2 } }, good: { app: { path: goodSite, nodesAtOnce: 1 } } },
  { label: "a validate path without a slash", field: "app.validatePath", bad: { app: { path: goodSite, validatePath: "status.aspx" } }, good: { app: { path: goodSite, validatePath: "/status.aspx?deep=1" } } },
  { label: "node count 0", field: "nodeCount", bad: { nodeCount: 0 }, good: { nodeCount: 1 } },
  { label: "negative node count", field: "nodeCount", bad: { nodeCount: -2 }, good: { nodeCount: 2 } },
  { label: "fractional node count", field: "nodeCount", bad: { nodeCount: 2.5 }, good: { nodeCount: 3 } },
  { label: "node count beyond the ceiling", field: "nodeCount", bad: { nodeCount: 201 }, good: { nodeCount: 200 } },
  { label: "node count as text", field: "nodeCount", bad: { nodeCount: "2" as never }, good: { nodeCount: 2 } },
  { label: "malformed VPC CIDR", field: "vpcCidr", bad: { vpcCidr: "10.0.0/16" }, good: { vpcCidr: "10.0.0.0/16" } },
  { label: "public VPC CIDR", field: "vpcCidr", bad: { vpcCidr: "8.8.0.0/16" }, good: { vpcCidr: "172.16.0.0/16" } },
  { label: "VPC too small for the subnets", field: "vpcCidr", bad: { vpcCidr: "10.0.0.0/24" }, good: { vpcCidr: "10.0.0.0/23" } },
  { label: "VPC larger than AWS allows", field: "vpcCidr", bad: { vpcCidr: "10.0.0.0/8" }, good: { vpcCidr: "10.0.0.0/16" } },
  { label: "VPC CIDR with host bits", field: "vpcCidr", bad: { vpcCidr: "10.0.0.1/16" }, good: { vpcCidr: "192.168.0.0/16" } },
  { label: "one AZ", field: "azCount", bad: { azCount: 1 }, good: { azCount: 2 } },
  { label: "more AZs than the kit plans for", field: "azCount", bad: { azCount: 9 }, good: { azCount: 3 } },
  { label: "more AZs than the region offers", field: "azCount", bad: { azCount: 3, availabilityZones: ["eu-west-1a", "eu-west-1b"] }, good: { azCount: 2, availabilityZones: ["eu-west-1a", "eu-west-1b"] } },
  { label: "a malformed AZ name", field: "availabilityZones[1]", bad: { availabilityZones: ["eu-west-1a", "west"] }, good: { availabilityZones: ["eu-west-1a", "eu-west-1b"] } },
  { label: "empty public subnet list", field: "publicSubnetIds", bad: { ...byo, publicSubnetIds: [] }, good: byo },
  { label: "empty private subnet list", field: "privateSubnetIds", bad: { ...byo, privateSubnetIds: [] }, good: byo },
  { label: "one public subnet per three private", field: "privateSubnetIds", bad: { ...byo, privateSubnetIds: [...byo.privateSubnetIds, "subnet-0f00000000000000f"] }, good: byo },
  { label: "a subnet listed twice", field: "publicSubnetIds", bad: { ...byo, publicSubnetIds: [byo.publicSubnetIds[0], byo.publicSubnetIds[0]] }, good: byo },
  { label: "bring-your-own combined with a VPC CIDR", field: "vpcCidr", bad: { ...byo, vpcCidr: "10.0.0.0/16" }, good: byo },
  { label: "bring-your-own without private subnets", field: "privateSubnetIds", bad: { vpcId: byo.vpcId, publicSubnetIds: byo.publicSubnetIds }, good: byo },
  { label: "a malformed VPC id", field: "vpcId", bad: { ...byo, vpcId: "vpc-xyz" }, good: byo },
  { label: "a malformed subnet id", field: "privateSubnetIds[0]", bad: { ...byo, privateSubnetIds: ["subnet-!", byo.privateSubnetIds[1]] }, good: byo },
  { label: "malformed allowed CIDR", field: "allowedCidrs[0]", bad: { allowedCidrs: ["0.0.0.0"] }, good: { allowedCidrs: ["0.0.0.0/0"] } },
  { label: "allowed CIDR with host bits", field: "allowedCidrs[1]", bad: { allowedCidrs: ["10.0.0.0/8", "203.0.113.7/24"] }, good: { allowedCidrs: ["10.0.0.0/8", "203.0.113.7/32"] } },
  { label: "no allowed CIDR", field: "allowedCidrs", bad: { allowedCidrs: [] }, good: { allowedCidrs: ["203.0.113.0/24"] } },
  { label: "state port 0", field: "statePort", bad: { statePort: 0 }, good: { statePort: 42424 } },
  { label: "state port out of range", field: "statePort", bad: { statePort: 70000 }, good: { statePort: 65535 } },
  { label: "state port equal to the web port", field: "statePort", bad: { statePort: 80 }, good: { statePort: 8080 } },
  { label: "a certificate ARN that is not ACM", field: "certificateArn", bad: { certificateArn: "arn:aws:iam::123456789012:server-certificate/site" }, good: { certificateArn: cert } },
  { label: "an unknown validation algorithm", field: "validation", bad: { validation: "MD5" as never }, good: { validation: "HMACSHA512" } },
  { label: "a machine key version with a space", field: "machineKeyVersion", bad: { machineKeyVersion: "v 2" }, good: { machineKeyVersion: "v2" } },
  { label: "a machine key version with a quote", field: "machineKeyVersion", bad: { machineKeyVersion: "2'" }, good: { machineKeyVersion: "2026-11" } },
  { label: "an empty machine key version", field: "machineKeyVersion", bad: { machineKeyVersion: "" }, good: { machineKeyVersion: "1" } },
  { label: "an instance type without a size", field: "webInstanceType", bad: { webInstanceType: "t3medium" }, good: { webInstanceType: "t3.medium" } },
  { label: "an Arm instance type for Windows", field: "stateInstanceType", bad: { stateInstanceType: "m6g.large" }, good: { stateInstanceType: "m6i.large" } },
  { label: "a malformed AMI id", field: "amiId", bad: { amiId: "ami-123" }, good: { amiId: "ami-0123456789abcdef0" } },
  { label: "a health check path without a slash", field: "healthCheckPath", bad: { healthCheckPath: "health.aspx" }, good: { healthCheckPath: "/health.aspx" } },
  // What reaches user data is capped, so every user data document keeps room to grow (test/windows/userData.test.ts).
  { label: "a health check path longer than the user data allows", field: "healthCheckPath", bad: { healthCheckPath: "/" + "h".repeat(MAX_HEALTH_CHECK_PATH_LENGTH) }, good: { healthCheckPath: "/" + "h".repeat(MAX_HEALTH_CHECK_PATH_LENGTH - 1) } },
  { label: "a key parameter name longer than the user data allows", field: "keyParameterName", bad: { keyParameterName: "/" + "k".repeat(MAX_KEY_PARAMETER_NAME_LENGTH) }, good: { keyParameterName: "/" + "k".repeat(MAX_KEY_PARAMETER_NAME_LENGTH - 1) } },
  { label: "a machine key version over 64 characters", field: "machineKeyVersion", bad: { machineKeyVersion: "v".repeat(65) }, good: { machineKeyVersion: "v".repeat(64) } },
  { label: "a tag with the reserved aws: prefix", field: "tags.aws:owner", bad: { tags: { "aws:owner": "me" } }, good: { tags: { owner: "me" } } },
  { label: "a tag key over 128 characters", field: `tags.${"k".repeat(129)}`, bad: { tags: { ["k".repeat(129)]: "v" } }, good: { tags: { ["k".repeat(128)]: "v" } } },
  { label: "a tag value over 256 characters", field: "tags.note", bad: { tags: { note: "v".repeat(257) } }, good: { tags: { note: "v".repeat(256) } } },
  { label: "more tags than AWS allows", field: "tags", bad: { tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`t${i}`, "x"])) }, good: { tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "x"])) } },
  { label: "a tag the farm sets itself", field: "tags.Name", bad: { tags: { Name: "mine" } }, good: { tags: { name2: "mine" } } },
  { label: "a misspelt argument", field: "nodecount", bad: { nodecount: 2 }, good: {} },
  { label: "a farm name too long for the target group name", field: "name", bad: {}, good: {}, name: { bad: "a".repeat(MAX_FARM_NAME_LENGTH + 1), good: "a".repeat(MAX_FARM_NAME_LENGTH) } },
  { label: "a certificate that is not ACM, inside a list of good values", field: "certificateArn", bad: { certificateArn: "arn:aws:acm:eu-west-1:123:certificate/x" }, good: { certificateArn: pulumi.output(cert) } },
  { label: "a malformed SNS topic", field: "alarmTopicArn", bad: { alarmTopicArn: "arn:aws:sqs:eu-west-1:123456789012:q" }, good: { alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:q" } },
  { label: "an allowed CIDR list that mixes a bad literal with an Output", field: "allowedCidrs[0]", bad: { allowedCidrs: ["300.0.0.0/8", pulumi.output("10.0.0.0/8")] }, good: { allowedCidrs: ["10.0.0.0/8", pulumi.output("10.1.0.0/16")] } },
  { label: "a state server image id that is not an AMI", field: "stateAmiId", bad: { stateAmiId: "ami-xyz" }, good: { stateAmiId: "ami-0123456789abcdef0" } },
  { label: "an unknown session store", field: "sessionStore", bad: { sessionStore: "redis" }, good: { sessionStore: "sqlServer" } },
  { label: "a state port with SQL Server sessions", field: "statePort", bad: { sessionStore: "sqlServer", statePort: 42000 }, good: { sessionStore: "stateServer", statePort: 42000 } },
  { label: "a protected state server with SQL Server sessions", field: "protectStateServer", bad: { sessionStore: "sqlServer", protectStateServer: true }, good: { sessionStore: "sqlServer", protectStateServer: false } },
  { label: "both session stores", field: "stateServer.port", bad: { stateServer: { port: 42000 }, sqlServer: { edition: "web" } }, good: { sqlServer: { edition: "web" } } },
  { label: "SQL Server settings with sessionStore stateServer (0.1 spelling)", field: "sqlServer", bad: { sessionStore: "stateServer", sqlServer: { edition: "web" } }, good: { sessionStore: "sqlServer", sqlServer: { edition: "web" } } },
  { label: "an unknown SQL Server edition", field: "sqlServer.edition", bad: { sessionStore: "sqlServer", sqlServer: { edition: "developer" } }, good: { sessionStore: "sqlServer", sqlServer: { edition: "enterprise", instanceClass: "db.r5.xlarge" } } },
  { label: "a class too small for the edition", field: "sqlServer.instanceClass", bad: { sessionStore: "sqlServer", sqlServer: { edition: "standard", instanceClass: "db.t3.medium" } }, good: { sessionStore: "sqlServer", sqlServer: { edition: "standard", instanceClass: "db.t3.xlarge" } } },
  { label: "Multi-AZ on Express", field: "sqlServer.multiAz", bad: { sessionStore: "sqlServer", sqlServer: { multiAz: true } }, good: { sessionStore: "sqlServer", sqlServer: { edition: "standard", instanceClass: "db.m5.large", multiAz: true } } },
  { label: "an RDS class that is not one", field: "sqlServer.instanceClass", bad: { sessionStore: "sqlServer", sqlServer: { instanceClass: "t3.small" } }, good: { sessionStore: "sqlServer", sqlServer: { instanceClass: "db.t3.micro" } } },
  { label: "a log retention CloudWatch does not offer", field: "logRetentionDays", bad: { logRetentionDays: 45 }, good: { logRetentionDays: 60 } },
  { label: "a farm name with an underscore", field: "name", bad: {}, good: {}, name: { bad: "my_farm", good: "my-farm" } },
];

async function attempt(name: string, args: Record<string, unknown>) {
  const { error, graph } = await attemptProgram(() => new WebFarm(name, { nodeCount: 2, ...args } as WebFarmArgs));
  return { error, mocks: graph };
}

describe("WebFarm argument validation", () => {
  test("covers at least 25 distinct bad inputs", () => {
    expect(new Set(cases.map((c) => c.label)).size).toBeGreaterThanOrEqual(25);
  });

  test.each(cases)("rejects $label, naming $field, and registers nothing", async (c) => {
    const { error, mocks } = await attempt(c.name?.bad ?? "shop", c.bad);
    expect(error).toBeDefined();
    expect(pulumi.InputPropertiesError.isInstance(error)).toBe(true);
    const paths = (error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath);
    expect(paths).toContain(c.field);
    expect(error!.message).toContain(`- ${c.field}: `);
    expect(mocks.resources).toEqual([]);
  });

  test.each(cases)("accepts the good value next to $label", (c) => {
    expect(webFarmArgProblems(c.name?.good ?? "shop", { nodeCount: 2, ...c.good })).toEqual([]);
  });

  test("a farm of good values registers its resources (validation is the only gate)", async () => {
    // One farm of every good value (the session store's go one mode at a time, so not here).
    const oneFarm = (c: (typeof cases)[number]) =>
      !("vpcId" in c.good) && !c.name && !("sessionStore" in c.good) && !("sqlServer" in c.good);
    const good = Object.assign({}, ...cases.filter(oneFarm).map((c) => c.good));
    const { error, mocks } = await attempt("a".repeat(MAX_FARM_NAME_LENGTH), {
      ...good,
      ...byo,
      availabilityZones: undefined,
      azCount: undefined,
      vpcCidr: undefined,
    });
    expect(error).toBeUndefined();
    expect(mocks.resources.length).toBeGreaterThan(0);
  });

  test("several bad fields are all reported in one error", async () => {
    const { error, mocks } = await attempt("shop", {
      nodeCount: 0,
      vpcCidr: "8.8.8.0/24",
      statePort: 80,
      validation: "MD5",
      tags: { "aws:x": "y" },
    });
    const paths = (error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath);
    expect(paths).toEqual(expect.arrayContaining(["nodeCount", "vpcCidr", "statePort", "validation", "tags.aws:x"]));
    expect(error!.message).toMatch(/has [5-9] problems; nothing was created/);
    expect(mocks.resources).toEqual([]);
  });

  test("FarmNetwork on its own checks the same rules, and registers nothing when they fail", async () => {
    const { error, graph } = await attemptProgram(
      () => new FarmNetwork("shared", { vpcCidr: "8.8.0.0/16", azCount: 1 }),
    );
    expect((error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort()).toEqual([
      "azCount",
      "vpcCidr",
    ]);
    expect(error!.message).toContain('FarmNetwork "shared" has 2 problems');
    expect(graph.resources).toEqual([]);
  });

  test.each([
    ["project", { project: "p".repeat(MAX_PROJECT_NAME_LENGTH + 1) }, { project: "p".repeat(MAX_PROJECT_NAME_LENGTH) }],
    ["stack", { stack: "s".repeat(MAX_STACK_NAME_LENGTH + 1) }, { stack: "s".repeat(MAX_STACK_NAME_LENGTH) }],
  ])("a %s name longer than the user data allows is named, and nothing is registered", async (field, bad, good) => {
    const farm = () => new WebFarm("shop", { nodeCount: 2 });
    const { error, graph } = await attemptProgram(farm, bad);
    expect((error as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual([field]);
    expect(graph.resources).toEqual([]);
    const names = { project: "shop", stack: "dev", ...good };
    expect(projectAndStackProblems(names.project, names.stack)).toEqual([]);
  });

  test("the message says what is wrong and what is allowed", async () => {
    const { error } = await attempt("shop", { nodeCount: 0 });
    expect(error!.message).toContain("nodeCount: must be a whole number 1-200; got 0");
  });
});
