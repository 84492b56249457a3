// The load balancer: protections, access logs and alarms.
import { ERROR_RATE_PERCENT } from "../../components/loadBalancer/loadBalancer";
import { FIXTURE_ACCOUNT } from "../../engine/fixtures";
import { buildFarm, sharedFarm, Graph, T } from "../support/graph";

describe("load balancer", () => {
  let plain: Graph;
  let guarded: Graph;
  beforeAll(async () => {
    plain = (await sharedFarm({ nodeCount: 2 })).graph;
    guarded = (await buildFarm({ nodeCount: 1, deletionProtection: true, accessLogs: true })).graph;
  });

  test("drops invalid header fields; deletion protection only when asked", () => {
    expect(plain.one(T.lb).inputs).toMatchObject({ dropInvalidHeaderFields: true, enableDeletionProtection: false });
    expect(guarded.one(T.lb).inputs.enableDeletionProtection).toBe(true);
  });

  test("target group: short deregistration delay, health check on the session-free path", () => {
    const tg = plain.one(T.tg).inputs;
    expect(tg.deregistrationDelay).toBeLessThanOrEqual(30);
    expect(tg.healthCheck).toMatchObject({
      path: "/health.aspx",
      interval: 10,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
    });
  });

  test("access logs go to an encrypted bucket with public access blocked, written only by ELB log delivery", () => {
    const bucket = guarded.one(T.bucket);
    expect(guarded.one(T.lb).inputs.accessLogs).toEqual({
      bucket: bucket.state.bucket,
      prefix: "shop-lb",
      enabled: true,
    });
    expect(guarded.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      guarded.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
        .rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
    ).toBe("AES256");
    const policy = JSON.parse(guarded.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
    expect(policy.Statement[0]).toMatchObject({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::156460612806:root" },
      Action: "s3:PutObject",
      Resource: `${bucket.state.arn}/shop-lb/AWSLogs/${FIXTURE_ACCOUNT}/*`,
    });
    expect(plain.count(T.bucket)).toBe(0);
  });

  test("alarms: unhealthy host count above zero, and the 5xx rate", () => {
    const lb = plain.one(T.lb),
      tg = plain.one(T.tg);
    const unhealthy = plain.one(T.alarm, (a) => a.inputs.metricName === "UnHealthyHostCount").inputs;
    expect(unhealthy).toMatchObject({
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      dimensions: { LoadBalancer: lb.state.arnSuffix, TargetGroup: tg.state.arnSuffix },
    });
    const rate = plain.one(T.alarm, (a) => Array.isArray(a.inputs.metricQueries)).inputs;
    expect(rate.threshold).toBe(ERROR_RATE_PERCENT);
    expect(rate.metricQueries.find((q: { returnData?: boolean }) => q.returnData).expression).toMatch(
      /target5xx.*elb5xx.*\/ requests/,
    );
  });
});

test("prod turns the protections on", async () => {
  const { readStackSettings, projectConfig } = await import("../../infra/config");
  const { stackConfig } = await import("../../infra/stackFile");
  const prod = readStackSettings(projectConfig(stackConfig("prod")));
  expect(prod.problems).toEqual([]);
  expect(prod.args).toMatchObject({
    deletionProtection: true,
    loadBalancer: { accessLogs: true },
    sqlServer: { edition: "standard", instanceClass: "db.m5.large", multiAz: true },
  });
  // The state server's keys (their defaults, merged in by Pulumi) do not reach a SQL Server farm.
  expect(prod.args).not.toHaveProperty("stateServer");
});
