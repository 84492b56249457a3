// Builds a WebFarm under the recording mocks, plus lookups the component tests share.
import { WebFarm, WebFarmArgs } from "../components";
import { RecordedResource, RecordingMocks, runProgram, RunOptions } from "./mocks";

export const T = {
  instance: "aws:ec2/instance:Instance",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  subnet: "aws:ec2/subnet:Subnet",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  nat: "aws:ec2/natGateway:NatGateway",
  eip: "aws:ec2/eip:Eip",
  igw: "aws:ec2/internetGateway:InternetGateway",
  vpc: "aws:ec2/vpc:Vpc",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  attachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  parameter: "aws:ssm/parameter:Parameter",
  randomBytes: "random:index/randomBytes:RandomBytes",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  profile: "aws:iam/instanceProfile:InstanceProfile",
};

export async function buildFarm(args: WebFarmArgs, name = "shop", options?: RunOptions) {
  const { mocks, result } = await runProgram(() => new WebFarm(name, args), options);
  return { mocks, farm: result };
}

/** The security group a rule belongs to / refers to, by the mock's deterministic id. */
export function groupById(mocks: RecordingMocks, id: string): RecordedResource | undefined {
  return mocks.ofType(T.sg).find((g) => g.id === id);
}

export function rulesOf(mocks: RecordingMocks, type: string, groupName: string): RecordedResource[] {
  const group = mocks.named(groupName, T.sg);
  return mocks.ofType(type).filter((r) => r.inputs.securityGroupId === group.id);
}

/** Every inbound source of a group, as "tcp/<port> from <group name | cidr>". */
export function inboundSources(mocks: RecordingMocks, groupName: string): string[] {
  return rulesOf(mocks, T.ingress, groupName)
    .map((r) => `${r.inputs.ipProtocol}/${r.inputs.fromPort}-${r.inputs.toPort} from ${
      r.inputs.referencedSecurityGroupId ? groupById(mocks, r.inputs.referencedSecurityGroupId)?.name : r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6
    }`)
    .sort();
}
