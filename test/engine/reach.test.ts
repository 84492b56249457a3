// Who may reach whom, read once for the plan and the graph helper: each inbound rule with its
// group, ports and source named by the reader, and whether an older rule already allowed it.
import { inboundRules, portsOf, ruleCovered, INGRESS_RULE_TYPE } from "../../engine/reach";

const rule = (inputs: Record<string, unknown>) => ({ type: INGRESS_RULE_TYPE, inputs });
const names = { group: (id: unknown) => `group ${id}`, prefixList: (id: unknown) => `list ${id}` };

test("names each rule's group and source the reader's way, and reads every source kind", () => {
  const rules = inboundRules(
    [
      rule({
        securityGroupId: "sg-web",
        ipProtocol: "tcp",
        fromPort: 80,
        toPort: 80,
        referencedSecurityGroupId: "sg-lb",
      }),
      rule({ securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
      rule({ securityGroupId: "sg-lb", ipProtocol: "tcp", fromPort: 80, toPort: 80, prefixListId: "pl-1" }),
      rule({ securityGroupId: "sg-x", ipProtocol: "-1", cidrIpv6: "::/0" }),
      { type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", inputs: { securityGroupId: "sg-web" } },
    ],
    names,
  );
  expect(rules.map((r) => `${r.group} <- ${r.source} ${portsOf(r)} ${r.sourceIsCidr}`)).toEqual([
    "group sg-web <- group sg-lb tcp/80 false",
    "group sg-lb <- 0.0.0.0/0 tcp/443 true",
    "group sg-lb <- list pl-1 tcp/80 false",
    "group sg-x <- ::/0 tcp/0-65535 true",
  ]);
  expect(rules[0].groupId).toBe("sg-web");
});

test("a new rule is covered only by an older one on the same group with a wider or equal source and ports", () => {
  const [wide, narrow, otherGroup, fromGroup] = inboundRules(
    [
      rule({ securityGroupId: "lb", ipProtocol: "tcp", fromPort: 80, toPort: 443, cidrIpv4: "10.0.0.0/8" }),
      rule({ securityGroupId: "lb", ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "10.1.0.0/16" }),
      rule({ securityGroupId: "web", ipProtocol: "tcp", fromPort: 80, toPort: 80, cidrIpv4: "10.1.0.0/16" }),
      rule({ securityGroupId: "lb", ipProtocol: "tcp", fromPort: 80, toPort: 80, referencedSecurityGroupId: "web" }),
    ],
    names,
  );
  expect(ruleCovered(narrow, [wide])).toBe(true);
  expect(ruleCovered(wide, [narrow])).toBe(false);
  expect(ruleCovered(otherGroup, [wide])).toBe(false);
  expect(ruleCovered(fromGroup, [wide])).toBe(false);
  expect(ruleCovered(fromGroup, [fromGroup])).toBe(true);
});

test("reads a team's other rule shapes too: an ec2 SecurityGroupRule of type ingress, and a group's inline ingress", () => {
  const rules = inboundRules(
    [
      {
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        inputs: {
          type: "ingress",
          securityGroupId: "sg-state",
          protocol: "tcp",
          fromPort: 42424,
          toPort: 42424,
          cidrBlocks: ["0.0.0.0/0"],
        },
      },
      {
        type: "aws:ec2/securityGroupRule:SecurityGroupRule",
        inputs: {
          type: "egress",
          securityGroupId: "sg-state",
          protocol: "-1",
          fromPort: 0,
          toPort: 0,
          cidrBlocks: ["0.0.0.0/0"],
        },
      },
      {
        type: "aws:ec2/securityGroup:SecurityGroup",
        name: "team-admin",
        inputs: {
          ingress: [{ protocol: "tcp", fromPort: 3389, toPort: 3389, securityGroups: ["sg-bastion"], self: true }],
        },
      },
    ],
    names,
  );
  expect(rules.map((r) => `${r.group} <- ${r.source} ${portsOf(r)}`)).toEqual([
    "group sg-state <- 0.0.0.0/0 tcp/42424",
    "group SecurityGroup.team-admin <- group sg-bastion tcp/3389",
    "group SecurityGroup.team-admin <- group SecurityGroup.team-admin tcp/3389",
  ]);
});
