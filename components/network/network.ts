// The farm's network: its own VPC (public + private subnet per AZ, IGW, NAT) or one the caller
// brings. Either way the rest of the farm sees the same shape.
import * as ec2 from "@pulumi/aws/ec2";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import * as pulumi from "@pulumi/pulumi";
import { farmConfigError, NetworkArgs, networkArgProblems, networkSchema } from "../args/args";
import { planSubnets } from "./cidr";
import { nameTags, Tags } from "../aws/tags";
import { Need } from "../aws/waits";

/** A network of the farm's own: WebFarm's network group (the same rules and defaults), with its tags. */
export interface OwnNetworkArgs extends NetworkArgs {
  /**
   * Tags for every resource of the network.
   * @default {}
   */
  tags?: Tags;
}

/** A brought network's ids, as the farm uses them (WebFarm's existingNetwork group, resolved). */
interface ExistingNetworkIds {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  privateSubnetIds: pulumi.Input<string>[];
}

export interface FarmNetworkShape {
  vpcId: pulumi.Output<string>;
  publicSubnetIds: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
  /** The VPC's CIDRs (the state server's firewall admits them: they do not change when AZs do). */
  vpcCidrs: pulumi.Output<string[]>;
  /** What a node in the private subnets must wait for to reach out (its own network: the NAT routes). */
  needs: Need[];
}

/** Builds the farm's own VPC. Subnets and routes are named by AZ index, never by AZ name. */
export class FarmNetwork extends pulumi.ComponentResource implements FarmNetworkShape {
  public readonly vpcId: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string>[];
  public readonly privateSubnetIds: pulumi.Output<string>[];
  public readonly vpcCidrs: pulumi.Output<string[]>;
  public readonly natGatewayIds: pulumi.Output<string>[];
  public readonly needs: Need[];

  constructor(name: string, rawArgs: OwnNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = networkArgProblems(rawArgs);
    if (problems.length > 0) throw farmConfigError(`FarmNetwork "${name}"`, problems);
    const args = networkSchema.parse(rawArgs);
    super("aspnet-webfarm:index:FarmNetwork", name, {}, opts);
    this.needs = [{ what: "egress from the private subnets (their routes through NAT)", resource: this }];
    const parent = { parent: this };
    const plan = planSubnets(args.vpcCidr, args.azCount);
    const zones = args.availabilityZones
      ? pulumi.output(args.availabilityZones)
      : getAvailabilityZonesOutput(
          { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
          parent,
        ).apply((z) => z.names);
    const zone = (i: number) =>
      zones.apply((names) => {
        if (i >= names.length) throw new Error(`azCount ${args.azCount} exceeds the ${names.length} AZs available`);
        return names[i];
      });

    const vpc = new ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: nameTags(args.tags, `${name}-vpc`),
      },
      parent,
    );
    // Adopt the VPC's default group and leave it with no rules, so nothing can use it by accident.
    new ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      {
        vpcId: vpc.id,
        tags: nameTags(args.tags, `${name}-default-sg (unused)`),
      },
      parent,
    );
    const igw = new ec2.InternetGateway(
      `${name}-igw`,
      {
        vpcId: vpc.id,
        tags: nameTags(args.tags, `${name}-igw`),
      },
      parent,
    );

    const publicRoutes = new ec2.RouteTable(
      `${name}-public-rt`,
      {
        vpcId: vpc.id,
        tags: nameTags(args.tags, `${name}-public-rt`),
      },
      parent,
    );
    new ec2.Route(
      `${name}-public-default`,
      {
        routeTableId: publicRoutes.id,
        destinationCidrBlock: "0.0.0.0/0",
        gatewayId: igw.id,
      },
      parent,
    );

    const subnetIn = (tier: "public" | "private", i: number, cidr: string) =>
      new ec2.Subnet(
        `${name}-${tier}-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: cidr,
          availabilityZone: zone(i),
          // No subnet hands out public addresses: the load balancer and NAT get theirs
          // explicitly, and the nodes none.
          mapPublicIpOnLaunch: false,
          tags: nameTags(args.tags, `${name}-${tier}-${i}`),
        },
        parent,
      );
    const publicSubnets = plan.publicCidrs.map((cidr, i) => {
      const subnet = subnetIn("public", i, cidr);
      new ec2.RouteTableAssociation(
        `${name}-public-${i}`,
        {
          subnetId: subnet.id,
          routeTableId: publicRoutes.id,
        },
        parent,
      );
      return subnet;
    });

    const natCount = args.natPerAz ? args.azCount : 1;
    const nats = [...Array(natCount).keys()].map((i) => {
      const eip = new ec2.Eip(
        `${name}-nat-${i}`,
        {
          domain: "vpc",
          tags: nameTags(args.tags, `${name}-nat-${i}`),
        },
        parent,
      );
      return new ec2.NatGateway(
        `${name}-nat-${i}`,
        {
          allocationId: eip.id,
          subnetId: publicSubnets[i].id,
          tags: nameTags(args.tags, `${name}-nat-${i}`),
        },
        { parent: this, dependsOn: [igw] },
      );
    });

    const privateSubnets = plan.privateCidrs.map((cidr, i) => {
      const subnet = subnetIn("private", i, cidr);
      const routes = new ec2.RouteTable(
        `${name}-private-${i}`,
        {
          vpcId: vpc.id,
          tags: nameTags(args.tags, `${name}-private-${i}`),
        },
        parent,
      );
      new ec2.Route(
        `${name}-private-${i}-default`,
        {
          routeTableId: routes.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: nats[i % natCount].id,
        },
        parent,
      );
      new ec2.RouteTableAssociation(
        `${name}-private-${i}`,
        {
          subnetId: subnet.id,
          routeTableId: routes.id,
        },
        parent,
      );
      return subnet;
    });

    this.vpcId = vpc.id;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.vpcCidrs = pulumi.output([args.vpcCidr]);
    this.natGatewayIds = nats.map((n) => n.id);
    this.registerOutputs({
      vpcId: this.vpcId,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
    });
  }
}

/** A network another stack owns: looks up the private subnets' CIDRs, creates nothing. */
export function existingNetwork(args: ExistingNetworkIds, opts: pulumi.InvokeOutputOptions): FarmNetworkShape {
  const privateSubnetIds = args.privateSubnetIds.map((id) => pulumi.output(id));
  return {
    vpcId: pulumi.output(args.vpcId),
    publicSubnetIds: args.publicSubnetIds.map((id) => pulumi.output(id)),
    privateSubnetIds,
    vpcCidrs: ec2
      .getVpcOutput({ id: args.vpcId }, opts)
      .apply((vpc) => [...new Set([vpc.cidrBlock, ...vpc.cidrBlockAssociations.map((a) => a.cidrBlock)])]),
    // Its routes are its owner's, in place before the farm.
    needs: [],
  };
}
