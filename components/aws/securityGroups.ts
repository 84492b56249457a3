// Security groups with no inline rules: every rule is its own resource with a description
// (mixing inline and separate rules makes every `pulumi up` delete and recreate them).
import * as ec2 from "@pulumi/aws/ec2";
import * as vpc from "@pulumi/aws/vpc";
import * as pulumi from "@pulumi/pulumi";
import { nameTags, Tags } from "./tags";

export function securityGroup(
  name: string,
  vpcId: pulumi.Input<string>,
  description: string,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
): ec2.SecurityGroup {
  return new ec2.SecurityGroup(
    name,
    {
      vpcId,
      description,
      revokeRulesOnDelete: true,
      tags: nameTags(tags, name),
    },
    opts,
  );
}

export interface GroupConnection {
  from: ec2.SecurityGroup;
  to: ec2.SecurityGroup;
  port: number;
  /** What the traffic is, e.g. "ASP.NET state service". */
  what: string;
  /** Who is on each side, for the rule descriptions, e.g. "web nodes". */
  fromLabel: string;
  toLabel: string;
}

/**
 * "`from` may reach `to` on `port`" as one call: the ingress rule on `to` and the matching egress
 * rule on `from`, both naming the other group rather than any CIDR.
 */
export function allowBetweenGroups(name: string, c: GroupConnection, tags: Tags, opts: pulumi.CustomResourceOptions) {
  const ingress = new vpc.SecurityGroupIngressRule(
    `${name}-in`,
    {
      securityGroupId: c.to.id,
      referencedSecurityGroupId: c.from.id,
      ipProtocol: "tcp",
      fromPort: c.port,
      toPort: c.port,
      description: `${c.what} (tcp/${c.port}) from ${c.fromLabel}`,
      tags: nameTags(tags, `${name}-in`),
    },
    opts,
  );
  const egress = new vpc.SecurityGroupEgressRule(
    `${name}-out`,
    {
      securityGroupId: c.from.id,
      referencedSecurityGroupId: c.to.id,
      ipProtocol: "tcp",
      fromPort: c.port,
      toPort: c.port,
      description: `${c.what} (tcp/${c.port}) to ${c.toLabel}`,
      tags: nameTags(tags, `${name}-out`),
    },
    opts,
  );
  return { ingress, egress };
}

/** A logical-name suffix derived from the CIDR itself, so reordering a list replaces nothing. */
export function cidrKey(cidr: string): string {
  return cidr.replace(/[./:]/g, "-");
}

export function allowFromCidrs(
  name: string,
  group: ec2.SecurityGroup,
  port: number,
  cidrs: string[],
  what: string,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
): vpc.SecurityGroupIngressRule[] {
  return [...new Set(cidrs)].map(
    (cidr) =>
      new vpc.SecurityGroupIngressRule(
        `${name}-${cidrKey(cidr)}`,
        {
          securityGroupId: group.id,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: `${what} (tcp/${port}) from ${cidr}`,
          tags: nameTags(tags, `${name}-${cidrKey(cidr)}`),
        },
        opts,
      ),
  );
}

/** One rule admitting a managed prefix list (CIDRs known only at deployment) on `port`. */
export function allowFromPrefixList(
  name: string,
  group: ec2.SecurityGroup,
  port: number,
  prefixListId: pulumi.Input<string>,
  what: string,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
): vpc.SecurityGroupIngressRule {
  return new vpc.SecurityGroupIngressRule(
    name,
    {
      securityGroupId: group.id,
      prefixListId,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      description: `${what} (tcp/${port}) from the farm's allowed CIDRs (prefix list)`,
      tags: nameTags(tags, name),
    },
    opts,
  );
}

/** Amazon's Windows activation (KMS) servers, 169.254.169.250 and .251, on tcp/1688. */
export const WINDOWS_ACTIVATION = { cidr: "169.254.169.250/31", port: 1688 };

/**
 * What a Windows instance of the farm may send out: HTTP(S) through NAT (SSM Parameter Store,
 * Windows Update, certificate revocation lists) and Windows activation.
 */
export function allowOutbound(
  name: string,
  group: ec2.SecurityGroup,
  tags: Tags,
  opts: pulumi.CustomResourceOptions,
): vpc.SecurityGroupEgressRule[] {
  const rules = [
    { key: "443", cidr: "0.0.0.0/0", port: 443, description: "outbound tcp/443 via NAT (SSM, Windows Update)" },
    { key: "80", cidr: "0.0.0.0/0", port: 80, description: "outbound tcp/80 via NAT (Windows Update, CRLs)" },
    {
      key: "kms",
      cidr: WINDOWS_ACTIVATION.cidr,
      port: WINDOWS_ACTIVATION.port,
      description: "Windows activation (Amazon KMS servers)",
    },
  ];
  return rules.map(
    (r) =>
      new vpc.SecurityGroupEgressRule(
        `${name}-out-${r.key}`,
        {
          securityGroupId: group.id,
          cidrIpv4: r.cidr,
          ipProtocol: "tcp",
          fromPort: r.port,
          toPort: r.port,
          description: r.description,
          tags: nameTags(tags, `${name}-out-${r.key}`),
        },
        opts,
      ),
  );
}

/** Where rules between two parts are created: their names' prefix, tags and parent (the farm). */
export interface RuleScope {
  prefix: string;
  tags: Tags;
  opts: pulumi.CustomResourceOptions;
}

/**
 * Who may reach a part, and on which port (CDK's `Connections`, without its inline rules): a part's
 * security group, the key its rules are named by and the label they describe it with, and the port
 * it serves on, so wiring reads `store.connections.allowDefaultPortFrom(nodes.connections, scope)`.
 */
export class Connections {
  constructor(
    /** The part's security group. */
    readonly securityGroup: ec2.SecurityGroup,
    /** In rule names: `<prefix>-<from key>-to-<to key>`, e.g. "web" or "state". */
    readonly key: string,
    /** In rule descriptions, e.g. "the web nodes". */
    readonly label: string,
    /** The port the part serves on, and what the traffic is ("ASP.NET state service"); none for a client only. */
    readonly defaultPort?: { port: number; what: string },
  ) {}

  /** `other` may reach this part on its default port: one ingress rule here, one egress rule there. */
  allowDefaultPortFrom(other: Connections, scope: RuleScope) {
    if (!this.defaultPort) throw new Error(`${this.label} serve on no default port`);
    return allowBetweenGroups(
      `${scope.prefix}-${other.key}-to-${this.key}`,
      {
        from: other.securityGroup,
        to: this.securityGroup,
        port: this.defaultPort.port,
        what: this.defaultPort.what,
        fromLabel: other.label,
        toLabel: this.label,
      },
      scope.tags,
      scope.opts,
    );
  }
}
