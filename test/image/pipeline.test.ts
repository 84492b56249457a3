// The farm image kept current: a scheduled Image Builder pipeline, tested before use, each build
// announced through EventBridge on an encrypted SNS topic.
import { FarmImage } from "../../components";
import { START_EVERY_TIME } from "../../components/image/pipeline";
import { valueOf } from "../../engine/engine";
import { FIXTURE_ACCOUNT, fixtures } from "../../engine/fixtures";
import { attempt, Graph, record } from "../support/graph";

const PIPELINE = "aws:imagebuilder/imagePipeline:ImagePipeline";
const RULE = "aws:cloudwatch/eventRule:EventRule";
const TARGET = "aws:cloudwatch/eventTarget:EventTarget";
const TOPIC = "aws:sns/topic:Topic";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const KEY = "aws:kms/key:Key";
const USER_TOPIC = `arn:aws:sns:eu-west-1:${FIXTURE_ACCOUNT}:image-news`;

async function build(args: ConstructorParameters<typeof FarmImage>[1] = {}) {
  return record(() => new FarmImage("shop", args), { fixtures: fixtures({ region: "eu-west-1" }) });
}

describe("a farm image with defaults is rebuilt on a schedule", () => {
  let graph: Graph;
  let image: FarmImage;
  beforeAll(async () => ({ graph, result: image } = await build({ version: "2026.11.0" })));

  test("the pipeline builds the image's recipe at 03:00 UTC on the third Tuesday (a week after Patch Tuesday), every time", () => {
    const p = graph.one(PIPELINE).inputs;
    expect(p.schedule).toEqual({
      scheduleExpression: "cron(0 3 ? * tue#3 *)",
      timezone: "Etc/UTC",
      pipelineExecutionStartCondition: "EXPRESSION_MATCH_ONLY",
    });
    expect(START_EVERY_TIME).toBe("EXPRESSION_MATCH_ONLY");
    expect(p.imageRecipeArn).toBe(graph.one("aws:imagebuilder/imageRecipe:ImageRecipe").state.arn);
    expect(p.distributionConfigurationArn).toBe(
      graph.one("aws:imagebuilder/distributionConfiguration:DistributionConfiguration").state.arn,
    );
    expect(p.status).toBe("ENABLED");
  });

  test("each build is tested before it is distributed", () => {
    expect(graph.one(PIPELINE).inputs.imageTestsConfiguration).toMatchObject({ imageTestsEnabled: true });
  });

  test("the announcement rule matches this image's builds that became AVAILABLE or FAILED, and targets the topic", () => {
    const rule = graph.one(RULE);
    const firstArn = graph.one("aws:imagebuilder/image:Image").state.arn as string;
    expect(JSON.parse(rule.inputs.eventPattern)).toEqual({
      source: ["aws.imagebuilder"],
      "detail-type": ["EC2 Image Builder Image State Change"],
      resources: [{ prefix: firstArn.replace(/\/1$/, "/") }],
      detail: { state: { status: ["AVAILABLE", "FAILED"] } },
    });
    const target = graph.one(TARGET);
    expect(target.inputs).toMatchObject({ rule: rule.state.name, arn: graph.one(TOPIC).state.arn });
    expect(target.options.dependsOn).toContain(graph.one(TOPIC_POLICY).name);
  });

  test("the topic is encrypted with its own rotating key, which EventBridge may use from this account only", () => {
    const key = graph.one(KEY);
    expect(graph.one(TOPIC).inputs.kmsMasterKeyId).toBe(key.state.arn);
    expect(key.inputs.enableKeyRotation).toBe(true);
    const events = JSON.parse(key.inputs.policy).Statement.find(
      (s: { Sid: string }) => s.Sid === "EventBridgePublishes",
    );
    expect(events).toMatchObject({
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    });
  });

  test("the topic's policy lets EventBridge publish from this rule only", () => {
    const policy = JSON.parse(graph.one(TOPIC_POLICY).inputs.policy);
    const publish = policy.Statement.find((s: { Sid: string }) => s.Sid === "ImageBuildsAnnounced");
    expect(publish).toEqual({
      Sid: "ImageBuildsAnnounced",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sns:Publish",
      Resource: graph.one(TOPIC).state.arn,
      Condition: { ArnEquals: { "aws:SourceArn": graph.one(RULE).state.arn } },
    });
  });

  test("exports the pipeline and the topic; imageId is the newest build of this version (the first, until the pipeline builds)", async () => {
    expect(await valueOf(image.pipelineArn)).toBe(graph.one(PIPELINE).state.arn);
    expect(await valueOf(image.imageTopicArn)).toBe(graph.one(TOPIC).state.arn);
    expect(await valueOf(image.imageId)).toBe(
      graph.one("aws:imagebuilder/image:Image").state.outputResources[0].amis[0].image,
    );
  });
});

test("imageId is the newest AMI the pipeline built, read at each update", async () => {
  const base = fixtures({ region: "eu-west-1" });
  const { result, graph } = await record(() => new FarmImage("shop", { version: "2026.11.0" }), {
    fixtures: {
      ...base,
      invokes: {
        ...base.invokes,
        "aws:ec2/getAmiIds:getAmiIds": () => ({ ids: ["ami-0feedfacefeedface", "ami-0old"] }),
      },
    },
  });
  expect(await valueOf(result.imageId)).toBe("ami-0feedfacefeedface");
  expect(graph.count(PIPELINE)).toBe(1);
});

test("the schedule, its time zone and the user's topic are taken as given; no topic, key or topic policy is made", async () => {
  const { graph, result } = await build({
    schedule: "cron(0 22 ? * wed#3 *)",
    scheduleTimeZone: "America/New_York",
    announceTopicArn: USER_TOPIC,
  });
  expect(graph.one(PIPELINE).inputs.schedule).toMatchObject({
    scheduleExpression: "cron(0 22 ? * wed#3 *)",
    timezone: "America/New_York",
  });
  expect(graph.one(TARGET).inputs.arn).toBe(USER_TOPIC);
  for (const type of [TOPIC, TOPIC_POLICY, KEY]) expect(graph.count(type)).toBe(0);
  expect(await valueOf(result.imageTopicArn)).toBe(USER_TOPIC);
});

test("scheduledBuilds false: the image is built once, as before; no pipeline, rule, topic or lookup", async () => {
  const { graph, result } = await build({ scheduledBuilds: false });
  for (const type of [PIPELINE, RULE, TARGET, TOPIC, TOPIC_POLICY, KEY]) expect(graph.count(type)).toBe(0);
  expect(await valueOf(result.pipelineArn)).toBeUndefined();
  expect(await valueOf(result.imageId)).toBe(
    graph.one("aws:imagebuilder/image:Image").state.outputResources[0].amis[0].image,
  );
});

test("bad schedule input: one error naming each problem, before anything is registered", async () => {
  const { error, graph } = await attempt(
    () =>
      new FarmImage("shop", {
        schedule: "0 3 * * TUE",
        scheduleTimeZone: "Nowhere/Town",
        scheduledBuilds: "yes",
        announceTopicArn: "my-topic",
      } as never),
  );
  expect(error?.message).toMatch(/FarmImage "shop" has 4 problems; nothing was created/);
  for (const field of ["schedule", "scheduleTimeZone", "scheduledBuilds", "announceTopicArn"])
    expect(error?.message).toContain(`- ${field}: `);
  expect(graph.resources.filter((r) => r.type !== "aspnet-webfarm:index:FarmImage")).toEqual([]);
});
