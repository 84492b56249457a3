// The internet-facing Application Load Balancer: its security group, one target group with a
// session-free health check, and the HTTP (and HTTPS) listeners.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { allowFromCidrs, securityGroup } from "./securityGroups";
import { nameTags, Tags } from "./tags";

export const WEB_PORT = 80;
export const HTTPS_PORT = 443;
/** TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new listeners. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface FarmLoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  allowedCidrs: string[];
  certificateArn?: string;
  healthCheckPath: string;
  deletionProtection: boolean;
  accessLogs: boolean;
  alarmTopicArn?: string;
  tags: Tags;
}

/** Alarm when more than this share of requests ends in a 5xx (balancer's or nodes'), over 5 minutes. */
export const ERROR_RATE_PERCENT = 5;

/**
 * Health check: every 15 s, 5 s timeout; a node leaves after 2 failures (about 30 s) and returns
 * after 3 successes (about 45 s). Faster than the ALB defaults (30 s, 5 healthy), so a broken
 * node stops getting users quickly and a replaced one starts serving within a minute.
 */
export const HEALTH_CHECK = { interval: 15, timeout: 5, healthyThreshold: 3, unhealthyThreshold: 2 };

export class FarmLoadBalancer extends pulumi.ComponentResource {
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly loadBalancer: aws.lb.LoadBalancer;
  public readonly targetGroup: aws.lb.TargetGroup;
  public readonly dnsName: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: FarmLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:FarmLoadBalancer", name, {}, opts);
    const parent = { parent: this };
    const https = args.certificateArn !== undefined;

    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm load balancer", args.tags, parent);
    // Port 80 stays open with HTTPS too: it only answers with a redirect to 443.
    allowFromCidrs(`${name}-http`, this.securityGroup, WEB_PORT, args.allowedCidrs, "HTTP", args.tags, parent);
    if (https) {
      allowFromCidrs(`${name}-https`, this.securityGroup, HTTPS_PORT, args.allowedCidrs, "HTTPS", args.tags, parent);
    }

    const logs = args.accessLogs ? this.logBucket(name, args.tags) : undefined;
    this.loadBalancer = new aws.lb.LoadBalancer(name, {
      loadBalancerType: "application",
      internal: false,
      subnets: args.publicSubnetIds,
      securityGroups: [this.securityGroup.id],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: args.deletionProtection,
      accessLogs: logs ? { bucket: logs.bucket, prefix: name, enabled: true } : undefined,
      tags: nameTags(args.tags, name),
    }, { parent: this, dependsOn: logs ? [logs.policy] : [] });

    this.targetGroup = new aws.lb.TargetGroup(`${name}-tg`, {
      vpcId: args.vpcId,
      port: WEB_PORT,
      protocol: "HTTP",
      targetType: "instance",
      // Sessions live in the state server, so connections can drain quickly on a rolling change.
      deregistrationDelay: 30,
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: args.healthCheckPath,
        matcher: "200",
        ...HEALTH_CHECK,
      },
      // Off: not needed with StateServer, and leaving it off exposes a machineKey or site-id
      // mismatch at once instead of hiding it behind one node per user.
      stickiness: { type: "lb_cookie", enabled: false },
      tags: nameTags(args.tags, `${name}-tg`),
    }, parent);

    const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];
    new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: this.loadBalancer.arn,
      port: WEB_PORT,
      protocol: "HTTP",
      defaultActions: https
        ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: String(HTTPS_PORT), statusCode: "HTTP_301" } }]
        : forward,
      tags: nameTags(args.tags, `${name}-http`),
    }, parent);
    if (https) {
      new aws.lb.Listener(`${name}-https`, {
        loadBalancerArn: this.loadBalancer.arn,
        port: HTTPS_PORT,
        protocol: "HTTPS",
        sslPolicy: TLS_POLICY,
        certificateArn: args.certificateArn,
        defaultActions: forward,
        tags: nameTags(args.tags, `${name}-https`),
      }, parent);
    }

    this.alarms(name, args);

    this.dnsName = this.loadBalancer.dnsName;
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${this.loadBalancer.dnsName}/`;
    this.registerOutputs({ dnsName: this.dnsName, url: this.url });
  }

  /** A private, encrypted bucket the regional ELB log-delivery account may write to. */
  private logBucket(name: string, tags: Tags) {
    const bucket = new aws.s3.Bucket(`${name}-logs`, { forceDestroy: false, tags: nameTags(tags, `${name}-logs`) }, { parent: this });
    new aws.s3.BucketPublicAccessBlock(`${name}-logs`, {
      bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    }, { parent: this });
    // ALB access logs support SSE-S3 only (not KMS).
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-logs`, {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }, { parent: this });
    const elb = aws.elb.getServiceAccountOutput({}, { parent: this });
    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const policy = new aws.s3.BucketPolicy(`${name}-logs`, {
      bucket: bucket.id,
      policy: pulumi.all([bucket.arn, elb.arn, account.accountId]).apply(([arn, elbArn, accountId]) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AlbAccessLogs", Effect: "Allow", Principal: { AWS: elbArn }, Action: "s3:PutObject", Resource: `${arn}/${name}/AWSLogs/${accountId}/*` },
          { Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, `${arn}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      })),
    }, { parent: this });
    return { bucket: bucket.bucket, policy };
  }

  private alarms(name: string, args: FarmLoadBalancerArgs) {
    const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
    new aws.cloudwatch.MetricAlarm(`${name}-unhealthy-hosts`, {
      alarmDescription: "aspnet-webfarm: a web node fails the load balancer's health check",
      namespace: "AWS/ApplicationELB",
      metricName: "UnHealthyHostCount",
      dimensions: { LoadBalancer: this.loadBalancer.arnSuffix, TargetGroup: this.targetGroup.arnSuffix },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 2,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
      tags: nameTags(args.tags, `${name}-unhealthy-hosts`),
    }, { parent: this });
    const metric = (id: string, metricName: string) => ({
      id,
      metric: { namespace: "AWS/ApplicationELB", metricName, dimensions: { LoadBalancer: this.loadBalancer.arnSuffix }, period: 300, stat: "Sum" },
    });
    new aws.cloudwatch.MetricAlarm(`${name}-5xx-rate`, {
      alarmDescription: `aspnet-webfarm: more than ${ERROR_RATE_PERCENT}% of requests end in a 5xx`,
      metricQueries: [
        metric("requests", "RequestCount"),
        metric("target5xx", "HTTPCode_Target_5XX_Count"),
        metric("elb5xx", "HTTPCode_ELB_5XX_Count"),
        { id: "rate", expression: "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests", label: "5xx percent", returnData: true },
      ],
      evaluationPeriods: 1,
      threshold: ERROR_RATE_PERCENT,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: actions,
      okActions: actions,
      tags: nameTags(args.tags, `${name}-5xx-rate`),
    }, { parent: this });
  }
}
