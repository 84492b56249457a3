// Who may reach whom: a graph's inbound security group rules, each with the group it opens, its
// ports and its source. One reading for the offline plan (its summary, its diagram, the diff's
// check for wider access) and for the tests' graph helper, which each name groups their own way.
import * as ipaddr from "ipaddr.js";

export const SECURITY_GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup";
export const INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

export interface InboundRule {
  /** The group the rule opens, named; `groupId` is its id. */
  group: string;
  groupId: unknown;
  protocol: string;
  from: number;
  to: number;
  /** A CIDR, or the source group or prefix list named. */
  source: string;
  sourceIsCidr: boolean;
}

/** How a reader names a security group and a managed prefix list, from their ids. */
export interface ReachNames {
  group(id: unknown): string;
  prefixList(id: unknown): string;
}

/** Every inbound rule among `resources` (recorded or planned), named by `names`. */
export function inboundRules(
  resources: readonly { type: string; inputs: Record<string, unknown> }[],
  names: ReachNames,
): InboundRule[] {
  return resources
    .filter((r) => r.type === INGRESS_RULE_TYPE)
    .map((r) => {
      const i = r.inputs as Record<string, any>;
      const cidr = i.cidrIpv4 ?? i.cidrIpv6;
      const allPorts = i.ipProtocol === "-1";
      return {
        group: names.group(i.securityGroupId),
        groupId: i.securityGroupId,
        protocol: allPorts ? "tcp" : i.ipProtocol,
        from: allPorts ? 0 : i.fromPort,
        to: allPorts ? 65535 : i.toPort,
        source:
          cidr ??
          (i.referencedSecurityGroupId
            ? names.group(i.referencedSecurityGroupId)
            : i.prefixListId !== undefined
              ? names.prefixList(i.prefixListId)
              : "?"),
        sourceIsCidr: cidr !== undefined,
      };
    });
}

/** "tcp/80", or "tcp/1024-65535" for a range. */
export const portsOf = (r: InboundRule): string => `${r.protocol}/${r.from === r.to ? r.from : `${r.from}-${r.to}`}`;

function cidrCovers(outer: string, inner: string): boolean {
  try {
    const [oAddr, oBits] = ipaddr.parseCIDR(outer);
    const [iAddr, iBits] = ipaddr.parseCIDR(inner);
    return oAddr.kind() === iAddr.kind() && iBits >= oBits && iAddr.match(oAddr, oBits);
  } catch {
    return outer === inner;
  }
}

/** Does an older rule already let in everything `rule` does (same group, wider or equal source and ports)? */
export function ruleCovered(rule: InboundRule, old: InboundRule[]): boolean {
  return old.some(
    (o) =>
      o.group === rule.group &&
      o.from <= rule.from &&
      o.to >= rule.to &&
      (rule.sourceIsCidr
        ? o.sourceIsCidr && cidrCovers(o.source, rule.source)
        : !o.sourceIsCidr && o.source === rule.source),
  );
}
