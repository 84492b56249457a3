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
  tags: Tags;
}

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

    this.loadBalancer = new aws.lb.LoadBalancer(name, {
      loadBalancerType: "application",
      internal: false,
      subnets: args.publicSubnetIds,
      securityGroups: [this.securityGroup.id],
      dropInvalidHeaderFields: true,
      tags: nameTags(args.tags, name),
    }, parent);

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
        interval: 15,
        timeout: 5,
        healthyThreshold: 3,
        unhealthyThreshold: 2,
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

    this.dnsName = this.loadBalancer.dnsName;
    this.url = pulumi.interpolate`${https ? "https" : "http"}://${this.loadBalancer.dnsName}/`;
    this.registerOutputs({ dnsName: this.dnsName, url: this.url });
  }
}
