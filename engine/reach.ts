// Who may reach whom: a graph's inbound security group rules, each with the group it opens, its
// ports and its source. One reading for the offline plan (its summary, its diagram, the diff's
// check for wider access) and for the tests' graph helper, which each name groups their own way.
import * as ipaddr from "ipaddr.js";
import { resourceIdOf } from "./fixtures";

export const SECURITY_GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup";
export const INGRESS_RULE_TYPE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const SECURITY_GROUP_RULE_TYPE = "aws:ec2/securityGroupRule:SecurityGroupRule";

/** A recorded or planned resource, as far as reading its rules goes (a plan's have no id). */
export interface RuleSource {
  type: string;
  name?: string;
  id?: string;
  inputs: Record<string, unknown>;
}

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
export function inboundRules(resources: readonly RuleSource[], names: ReachNames): InboundRule[] {
  return resources.flatMap(asIngressRules).map((r) => {
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

/**
 * A resource's inbound rules in the shape reach.ts reads (one aws.vpc.SecurityGroupIngressRule's
 * inputs per source): the vpc rule itself, an aws.ec2.SecurityGroupRule of type "ingress", or a
 * security group's inline `ingress` blocks.
 */
export function asIngressRules(r: RuleSource): RuleSource[] {
  if (r.type === INGRESS_RULE_TYPE) return [r];
  const i = r.inputs as Record<string, any>;
  const blocks: Record<string, any>[] =
    r.type === SECURITY_GROUP_RULE_TYPE && i.type === "ingress"
      ? [{ ...i, group: i.securityGroupId, groups: i.sourceSecurityGroupId ? [i.sourceSecurityGroupId] : [] }]
      : r.type === SECURITY_GROUP_TYPE
        ? ((i.ingress ?? []) as Record<string, any>[]).map((b) => ({
            ...b,
            group: r.id ?? resourceIdOf(r.type, r.name ?? ""),
            groups: b.securityGroups ?? [],
          }))
        : [];
  return blocks.flatMap((b) => {
    const base = {
      securityGroupId: b.group,
      ipProtocol: b.protocol === "all" ? "-1" : String(b.protocol),
      fromPort: b.fromPort,
      toPort: b.toPort,
    };
    const sources: Record<string, unknown>[] = [
      ...(b.cidrBlocks ?? []).map((c: string) => ({ cidrIpv4: c })),
      ...(b.ipv6CidrBlocks ?? []).map((c: string) => ({ cidrIpv6: c })),
      ...[...b.groups, ...(b.self ? [b.group] : [])].map((g: unknown) => ({ referencedSecurityGroupId: g })),
      ...(b.prefixListIds ?? []).map((p: unknown) => ({ prefixListId: p })),
    ];
    return sources.map((s) => ({ type: INGRESS_RULE_TYPE, inputs: { ...base, ...s } }));
  });
}
