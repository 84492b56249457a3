// The internet-facing Application Load Balancer: its security group, one target group with a
// session-free health check, and the HTTP (and HTTPS) listeners.
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ec2 from "@pulumi/aws/ec2";
import * as elb from "@pulumi/aws/elb";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import * as lb from "@pulumi/aws/lb";
import * as pulumi from "@pulumi/pulumi";
import { allowFromCidrs, allowFromPrefixList, Connections, securityGroup } from "../aws/securityGroups";
import { nameTags, Tags } from "../aws/tags";
import { privateBucket, tlsOnlyBucketPolicy } from "../aws/privateBucket";

export const WEB_PORT = 80;
export const HTTPS_PORT = 443;
/** TLS 1.3 with TLS 1.2 fallback: AWS's recommended policy for new listeners. */
export const TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface FarmLoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  /** Literal CIDRs get a rule each (named by the CIDR); a list holding an Output, a managed prefix list. */
  allowedCidrs: pulumi.Input<pulumi.Input<string>[]>;
  certificateArn?: pulumi.Input<string>;
  healthCheckPath: string;
  deletionProtection: boolean;
  accessLogs: boolean;
  alarmTopicArn?: pulumi.Input<string>;
  tags: Tags;
}

/** Alarm when more than this share of requests ends in a 5xx (balancer's or nodes'), over 5 minutes. */
export const ERROR_RATE_PERCENT = 5;

/**
 * Health check: every 10 s, 5 s timeout; a node leaves after 2 failures (about 20 s) and serves
 * after 2 successes (about 20 s). Faster than the ALB defaults (30 s, 5 healthy): a broken node
 * stops getting users quickly, and a new one serves 20 s after it is ready instead of 150 s. Two
 * successes suffice because a node enters the target group only after checking itself.
 */
export const HEALTH_CHECK = { interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 2 };

export class FarmLoadBalancer extends pulumi.ComponentResource {
  public readonly securityGroup: ec2.SecurityGroup;
  /** Who the load balancer is to the rules of the parts it reaches (it serves no port to them). */
  public readonly connections: Connections;
  public readonly loadBalancer: lb.LoadBalancer;
  public readonly targetGroup: lb.TargetGroup;
  public readonly dnsName: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;
  /** More than ERROR_RATE_PERCENT of requests end in a 5xx. */
  public readonly errorRateAlarm: cloudwatch.MetricAlarm;
  /** Only when allowedCidrs holds an Output: the prefix list of those CIDRs. */
  public readonly allowedPrefixList?: ec2.ManagedPrefixList;

  constructor(name: string, args: FarmLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:FarmLoadBalancer", name, {}, opts);
    const parent = { parent: this };
    const https = args.certificateArn !== undefined;

    this.securityGroup = securityGroup(`${name}-sg`, args.vpcId, "aspnet-webfarm load balancer", args.tags, parent);
    this.connections = new Connections(this.securityGroup, "lb", "the load balancer");
    // Port 80 stays open with HTTPS too: it only answers with a redirect to 443.
    const ports: [number, string][] = https
      ? [
          [WEB_PORT, "HTTP"],
          [HTTPS_PORT, "HTTPS"],
        ]
      : [[WEB_PORT, "HTTP"]];
    const cidrs = args.allowedCidrs;
    if (Array.isArray(cidrs) && cidrs.every((c): c is string => typeof c === "string")) {
      for (const [port, what] of ports)
        allowFromCidrs(`${name}-${what.toLowerCase()}`, this.securityGroup, port, cidrs, what, args.tags, parent);
    } else {
      // Known only later: a rule per CIDR would need the list now, so the CIDRs go into a prefix
      // list whose entries change in place, and each port gets one rule naming it.
      const entries = pulumi.output(cidrs).apply((list) => [...new Set(list)].sort());
      this.allowedPrefixList = new ec2.ManagedPrefixList(
        `${name}-allowed`,
        {
          addressFamily: "IPv4",
          maxEntries: entries.apply((list) => list.length),
          entries: entries.apply((list) =>
            list.map((cidr) => ({ cidr, description: "allowed to reach the farm's load balancer" })),
          ),
          tags: nameTags(args.tags, `${name}-allowed`),
        },
        parent,
      );
      for (const [port, what] of ports) {
        allowFromPrefixList(
          `${name}-${what.toLowerCase()}-allowed`,
          this.securityGroup,
          port,
          this.allowedPrefixList.id,
          what,
          args.tags,
          parent,
        );
      }
    }

    const logs = args.accessLogs ? this.logBucket(name, args.tags) : undefined;
    this.loadBalancer = new lb.LoadBalancer(
      name,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [this.securityGroup.id],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection,
        accessLogs: logs ? { bucket: logs.bucket, prefix: name, enabled: true } : undefined,
        tags: nameTags(args.tags, name),
      },
      { parent: this, dependsOn: logs ? [logs.policy] : [] },
    );

    this.targetGroup = new lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        port: WEB_PORT,
        protocol: "HTTP",
        targetType: "instance",
        // Sessions live in the session store (state server or SQL Server), not on a node: connections
        // can drain quickly on a rolling change.
        deregistrationDelay: 30,
        healthCheck: {
          enabled: true,
          protocol: "HTTP",
          port: "traffic-port",
          path: args.healthCheckPath,
          matcher: "200",
          ...HEALTH_CHECK,
        },
        // Off: not needed with a shared session store, and leaving it off exposes a machineKey or site-id
        // mismatch at once instead of hiding it behind one node per user.
        stickiness: { type: "lb_cookie", enabled: false },
        tags: nameTags(args.tags, `${name}-tg`),
      },
      parent,
    );

    const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];
    new lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: WEB_PORT,
        protocol: "HTTP",
        defaultActions: https
          ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: String(HTTPS_PORT), statusCode: "HTTP_301" } }]
          : forward,
        tags: nameTags(args.tags, `${name}-http`),
      },
      parent,
    );
    if (https) {
      new lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: this.loadBalancer.arn,
          port: HTTPS_PORT,
          protocol: "HTTPS",
          sslPolicy: TLS_POLICY,
          certificateArn: args.certificateArn,
          defaultActions: forward,
          tags: nameTags(args.tags, `${name}-https`),
        },
        parent,
      );
    }

    this.errorRateAlarm = this.alarms(name, args);

    this.dnsName = this.loadBalancer.dnsName;
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${this.loadBalancer.dnsName}/`;
    this.registerOutputs({
      dnsName: this.dnsName,
      url: this.url,
      arn: this.loadBalancer.arn,
      targetGroupArn: this.targetGroup.arn,
    });
  }

  /** A private, encrypted bucket the regional ELB log-delivery account may write to. */
  private logBucket(name: string, tags: Tags) {
    // ALB access logs support SSE-S3 only (not KMS), without a bucket key.
    const bucket = privateBucket(`${name}-logs`, tags, this, { bucketKey: false, ownerEnforced: false });
    const logDelivery = elb.getServiceAccountOutput({}, { parent: this });
    const account = getCallerIdentityOutput({}, { parent: this });
    const delivery = pulumi.all([bucket.arn, logDelivery.arn, account.accountId]).apply(([arn, elbArn, accountId]) => [
      {
        Sid: "AlbAccessLogs",
        Effect: "Allow",
        Principal: { AWS: elbArn },
        Action: "s3:PutObject",
        Resource: `${arn}/${name}/AWSLogs/${accountId}/*`,
      },
    ]);
    const policy = tlsOnlyBucketPolicy(`${name}-logs`, bucket, this, delivery);
    return { bucket: bucket.bucket, policy };
  }

  /** The 5xx-rate alarm: notifies, and stops and rolls back a release while it fires. */
  private alarms(name: string, args: FarmLoadBalancerArgs): cloudwatch.MetricAlarm {
    const actions = args.alarmTopicArn ? [args.alarmTopicArn] : [];
    new cloudwatch.MetricAlarm(
      `${name}-unhealthy-hosts`,
      {
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
      },
      { parent: this },
    );
    const metric = (id: string, metricName: string) => ({
      id,
      metric: {
        namespace: "AWS/ApplicationELB",
        metricName,
        dimensions: { LoadBalancer: this.loadBalancer.arnSuffix },
        period: 300,
        stat: "Sum",
      },
    });
    return new cloudwatch.MetricAlarm(
      `${name}-5xx-rate`,
      {
        alarmDescription: `aspnet-webfarm: more than ${ERROR_RATE_PERCENT}% of requests end in a 5xx`,
        metricQueries: [
          metric("requests", "RequestCount"),
          metric("target5xx", "HTTPCode_Target_5XX_Count"),
          metric("elb5xx", "HTTPCode_ELB_5XX_Count"),
          {
            id: "rate",
            expression: "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests",
            label: "5xx percent",
            returnData: true,
          },
        ],
        evaluationPeriods: 1,
        threshold: ERROR_RATE_PERCENT,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: actions,
        okActions: actions,
        tags: nameTags(args.tags, `${name}-5xx-rate`),
      },
      { parent: this },
    );
  }
}
