// The load balancer: protections, access logs and alarms.
import { ERROR_RATE_PERCENT } from "../components/loadBalancer";
import { buildFarm, T } from "./farm";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

describe("load balancer", () => {
  test("drops invalid header fields; deletion protection only when asked", async () => {
    const plain = await buildFarm({ nodeCount: 1 });
    expect(plain.mocks.ofType(T.lb)[0].inputs).toMatchObject({ dropInvalidHeaderFields: true, enableDeletionProtection: false });
    const protectedFarm = await buildFarm({ nodeCount: 1, deletionProtection: true });
    expect(protectedFarm.mocks.ofType(T.lb)[0].inputs.enableDeletionProtection).toBe(true);
  });

  test("target group: short deregistration delay, health check on the session-free path", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1 });
    const tg = mocks.ofType(T.tg)[0].inputs;
    expect(tg.deregistrationDelay).toBeLessThanOrEqual(30);
    expect(tg.healthCheck).toMatchObject({ path: "/health.aspx", interval: 15, healthyThreshold: 3, unhealthyThreshold: 2 });
  });

  test("access logs go to an encrypted bucket with public access blocked, written only by ELB log delivery", async () => {
    const { mocks } = await buildFarm({ nodeCount: 1, accessLogs: true });
    const bucket = mocks.ofType("aws:s3/bucket:Bucket")[0];
    expect(mocks.ofType(T.lb)[0].inputs.accessLogs).toEqual({ bucket: bucket.state.bucket, prefix: "shop-lb", enabled: true });
    expect(mocks.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0].inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    expect(mocks.ofType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0].inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
    const policy = JSON.parse(mocks.ofType("aws:s3/bucketPolicy:BucketPolicy")[0].inputs.policy);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::156460612806:root" }, Action: "s3:PutObject", Resource: `${bucket.state.arn}/shop-lb/AWSLogs/123456789012/*` });
    const none = await buildFarm({ nodeCount: 1 });
    expect(none.mocks.ofType("aws:s3/bucket:Bucket")).toHaveLength(0);
  });

  test("alarms: unhealthy host count above zero, and the 5xx rate", async () => {
    const { mocks } = await buildFarm({ nodeCount: 2 });
    const lb = mocks.ofType(T.lb)[0], tg = mocks.ofType(T.tg)[0];
    const unhealthy = mocks.named("shop-lb-unhealthy-hosts", ALARM).inputs;
    expect(unhealthy).toMatchObject({ metricName: "UnHealthyHostCount", threshold: 0, comparisonOperator: "GreaterThanThreshold", dimensions: { LoadBalancer: lb.state.arnSuffix, TargetGroup: tg.state.arnSuffix } });
    const rate = mocks.named("shop-lb-5xx-rate", ALARM).inputs;
    expect(rate.threshold).toBe(ERROR_RATE_PERCENT);
    expect(rate.metricQueries.find((q: { returnData?: boolean }) => q.returnData).expression).toMatch(/target5xx.*elb5xx.*\/ requests/);
  });
});

test("prod turns the protections on", async () => {
  const { readStackSettings, projectConfig } = await import("../infra/config");
  const { stackConfig } = await import("../infra/stackFile");
  const prod = readStackSettings(projectConfig(stackConfig("prod")));
  expect(prod.problems).toEqual([]);
  expect(prod.args).toMatchObject({ protectStateServer: true, deletionProtection: true, accessLogs: true });
});
