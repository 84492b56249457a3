// The one fixture set of the offline engine: what AWS and the providers would answer, for tests,
// plans, the benchmark and the policy tests alike. Ids name the resource (`Subnet.shop-net-private-0`);
// values only AWS knows appear as `<Type>.<name>.<property>`, so a plan shows where they come from.
import { createHash } from "crypto";

export type InvokeHandler = (inputs: Record<string, any>) => Record<string, any>;
/** What the mock returns on top of a resource's inputs (what AWS or a provider would compute). */
export type OutputsFunction = (
  type: string,
  name: string,
  inputs: Record<string, any>,
  id: string,
) => Record<string, any>;

export interface Fixtures {
  invokes: Record<string, InvokeHandler>;
  outputs: OutputsFunction;
  idOf: (type: string, name: string) => string;
  /** What an invoke nobody answers says: where to add its answer (the default names engine/fixtures.ts). */
  missingInvoke?: (token: string) => string;
}

export const FIXTURE_ACCOUNT = "123456789012";
export const WINDOWS_2022_PARAMETER = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base";
/** What Amazon's "latest Windows Server 2022" parameter resolves to here. */
export const FIXTURE_WINDOWS_AMI = `resolved-at-deploy:${WINDOWS_2022_PARAMETER}`;
/** What a FarmImage's parameter (/imagebuilder/<name>/<version>/ami) names offline: read at deploy. */
export const fixtureFarmAmi = (parameter: string) => `resolved-at-deploy:${parameter}`;
const FARM_IMAGE_PARAMETER = /^\/imagebuilder\/[^/]+\/[^/]+\/ami$/;

/** The AMI a farm image stack exports here (what a real build would produce, shaped like one). */
export const FIXTURE_FARM_AMI = "ami-0fa4a1b2c3d4e5f60";

export interface Subnet {
  cidrBlock: string;
  availabilityZone: string;
  vpcId: string;
}

/** Subnets of a network "another stack owns", for bring-your-own tests and examples. */
export const EXISTING_VPC = "vpc-0e00000000000000e";
export const EXISTING_SUBNETS: Record<string, Subnet> = {
  "subnet-0a00000000000000a": { cidrBlock: "172.20.0.0/24", availabilityZone: "eu-west-1a", vpcId: EXISTING_VPC },
  "subnet-0b00000000000000b": { cidrBlock: "172.20.1.0/24", availabilityZone: "eu-west-1b", vpcId: EXISTING_VPC },
  "subnet-0c00000000000000c": { cidrBlock: "172.20.10.0/24", availabilityZone: "eu-west-1a", vpcId: EXISTING_VPC },
  "subnet-0d00000000000000d": { cidrBlock: "172.20.11.0/24", availabilityZone: "eu-west-1b", vpcId: EXISTING_VPC },
};
export const EXISTING_NETWORK = {
  vpcId: EXISTING_VPC,
  publicSubnetIds: ["subnet-0a00000000000000a", "subnet-0b00000000000000b"],
  privateSubnetIds: ["subnet-0c00000000000000c", "subnet-0d00000000000000d"],
};

export interface FixtureOptions {
  region?: string;
  /** The region's AZ letters. */
  zoneLetters?: string;
  /** Subnets the account holds; a lookup of any other throws, with `subnetMissing`'s message. */
  subnets?: Record<string, Subnet>;
  subnetMissing?: (id: string) => string;
  /** Overrides for single outputs, e.g. a StackReference's. */
  outputs?: OutputsFunction;
}

const shortType = (type: string) => type.split(":").pop() ?? type;
/** Ids name the resource: `Subnet.shop-dev-net-private-0` instead of a cloud id. */
export const resourceIdOf = (type: string, name: string) => `${shortType(type)}.${name}`;

const digest = (...parts: unknown[]) => createHash("sha256").update(JSON.stringify(parts)).digest("hex");

/** The partition of a region, as the provider's getPartition answers. */
export function partitionOf(region: string): { partition: string; dnsSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

export function fixtures(options: FixtureOptions = {}): Fixtures {
  const region = options.region ?? "eu-west-1";
  const zones = (options.zoneLetters ?? "abc").split("").map((l) => `${region}${l}`);
  const subnets = options.subnets ?? EXISTING_SUBNETS;
  const { partition, dnsSuffix } = partitionOf(region);
  const invokes: Record<string, InvokeHandler> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
      id: region,
      names: zones,
      zoneIds: zones.map((_, i) => `${region}-az${i + 1}`),
    }),
    "aws:index/getRegion:getRegion": () => ({ id: region, name: region, region }),
    "aws:index/getPartition:getPartition": () => ({
      id: partition,
      partition,
      dnsSuffix,
      reverseDnsPrefix: "com.amazonaws",
    }),
    "aws:ssm/getParameter:getParameter": (inputs) => {
      const value =
        inputs.name === WINDOWS_2022_PARAMETER
          ? FIXTURE_WINDOWS_AMI
          : FARM_IMAGE_PARAMETER.test(inputs.name)
            ? fixtureFarmAmi(inputs.name)
            : undefined;
      if (value === undefined) throw new Error(`unmocked SSM parameter ${inputs.name}`);
      return { name: inputs.name, type: "String", value, insecureValue: value };
    },
    "aws:elb/getServiceAccount:getServiceAccount": () => ({
      id: "elb-account",
      arn: `arn:${partition}:iam::156460612806:root`,
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
      id: FIXTURE_ACCOUNT,
      accountId: FIXTURE_ACCOUNT,
      arn: `arn:${partition}:iam::${FIXTURE_ACCOUNT}:user/deployer`,
      userId: "AIDDEPLOYER",
    }),
    "aws:ec2/getVpc:getVpc": (inputs) => {
      const cidrs = [
        ...new Set(
          Object.values(subnets)
            .filter((x) => x.vpcId === inputs.id)
            .map((x) => `${x.cidrBlock.split(".").slice(0, 2).join(".")}.0.0/16`),
        ),
      ];
      if (cidrs.length === 0)
        throw new Error(options.subnetMissing?.(inputs.id) ?? `VPC ${inputs.id} is not in the fixtures`);
      return {
        id: inputs.id,
        cidrBlock: cidrs[0],
        cidrBlockAssociations: cidrs.map((cidrBlock) => ({ cidrBlock, associationId: "assoc", state: "associated" })),
      };
    },
    "aws:route53/getZone:getZone": (inputs) => ({
      id: `Zone.${inputs.name}`,
      zoneId: `Zone.${inputs.name}.zoneId`,
      name: inputs.name,
    }),
    // The farm image's newest scheduled build: none yet, so FarmImage keeps its first build's AMI.
    "aws:ec2/getAmiIds:getAmiIds": () => ({ ids: [] }),
    "aws:ec2/getSubnet:getSubnet": (inputs) => {
      const subnet = subnets[inputs.id];
      if (!subnet) throw new Error(options.subnetMissing?.(inputs.id) ?? `subnet ${inputs.id} is not in the fixtures`);
      return { id: inputs.id, ...subnet };
    },
  };

  const outputs: OutputsFunction = (type, name, inputs, id) => {
    const override = options.outputs?.(type, name, inputs, id);
    if (override && Object.keys(override).length > 0) return override;
    switch (type) {
      case "random:index/randomBytes:RandomBytes": {
        // New bytes whenever the keepers change, as the provider replaces the resource then.
        let hex = "";
        for (let i = 0; hex.length < inputs.length * 2; i++) hex += digest(name, inputs.keepers ?? {}, i);
        hex = hex.slice(0, inputs.length * 2);
        return { hex, base64: Buffer.from(hex, "hex").toString("base64") };
      }
      case "aws:ec2/launchTemplate:LaunchTemplate":
        // A new version number whenever the template's inputs change, as EC2 numbers them.
        return { arn: `${id}.arn`, latestVersion: 1 + (parseInt(digest(inputs).slice(0, 6), 16) % 1000) };
      // ARNs the kit validates when they arrive as Outputs are shaped like AWS's.
      case "aws:acm/certificate:Certificate": {
        const h = digest(type, name);
        const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
        return {
          arn: `arn:${partition}:acm:${region}:${FIXTURE_ACCOUNT}:certificate/${uuid}`,
          domainValidationOptions: [
            {
              domainName: inputs.domainName,
              resourceRecordName: `_proof.${inputs.domainName}.`,
              resourceRecordType: "CNAME",
              resourceRecordValue: "_proof.acm-validations.aws.",
            },
          ],
        };
      }
      case "aws:sns/topic:Topic":
        return { arn: `arn:${partition}:sns:${region}:${FIXTURE_ACCOUNT}:${inputs.name ?? name}` };
      case "aws:s3/bucketObjectv2:BucketObjectv2":
        return { arn: `${id}.arn`, versionId: `${id}.versionId` };
      case "aws:route53/record:Record":
        return { fqdn: inputs.name };
      case "aws:rds/instance:Instance": {
        const identifier = `${inputs.identifierPrefix ?? `${name}-`}${digest(name).slice(0, 8)}`;
        const address = `${identifier}.c0ffee000000.${region}.rds.${dnsSuffix}`;
        return {
          identifier,
          address,
          endpoint: `${address}:${inputs.port ?? 1433}`,
          port: inputs.port ?? 1433,
          arn: `arn:${partition}:rds:${region}:${FIXTURE_ACCOUNT}:db:${identifier}`,
          masterUserSecrets: [
            {
              secretArn: `arn:${partition}:secretsmanager:${region}:${FIXTURE_ACCOUNT}:secret:rds!db-${digest(identifier).slice(0, 8)}-AbCdEf`,
              secretStatus: "active",
              kmsKeyId: "aws/secretsmanager",
            },
          ],
        };
      }
      case "aws:secretsmanager/secret:Secret":
        return {
          arn: `arn:${partition}:secretsmanager:${region}:${FIXTURE_ACCOUNT}:secret:${inputs.name ?? name}-AbCdEf`,
        };
      case "random:index/randomPassword:RandomPassword": {
        // Letters and digits, as the kit asks for (special: false); the same for the same name.
        const chars = Buffer.from(digest(name, "password") + digest(name, "password", 2), "hex")
          .toString("base64")
          .replace(/[^A-Za-z0-9]/g, "");
        return { result: chars.slice(0, inputs.length ?? 32), bcryptHash: "[hash]" };
      }
      case "aws:imagebuilder/image:Image":
        // The AMI an image build distributes, named by what was built.
        return {
          arn: `arn:${partition}:imagebuilder:${region}:${FIXTURE_ACCOUNT}:image/${name}/1.0.0/1`,
          outputResources: [
            { amis: [{ image: `ami-0${digest(name).slice(0, 16)}`, region, accountId: FIXTURE_ACCOUNT, name }] },
          ],
        };
      case "pulumi:pulumi:StackReference":
        // Another stack's outputs: a farm image stack exports imageId.
        return { outputs: { imageId: FIXTURE_FARM_AMI }, secretOutputNames: [] };
      // Identities and groups that policies name are shaped like AWS's (the permission proof
      // evaluates those policies against calls on real-format ARNs).
      case "aws:iam/role:Role": {
        const roleName = inputs.name ?? `${name}-${digest(name).slice(0, 7)}`;
        return { name: roleName, arn: `arn:${partition}:iam::${FIXTURE_ACCOUNT}:role/${roleName}` };
      }
      case "aws:autoscaling/group:Group": {
        const groupName = inputs.name ?? `${name}-${digest(name).slice(0, 7)}`;
        const h = digest(type, groupName);
        const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
        return {
          name: groupName,
          arn: `arn:${partition}:autoscaling:${region}:${FIXTURE_ACCOUNT}:autoScalingGroup:${uuid}:autoScalingGroupName/${groupName}`,
        };
      }
      case "aws:s3/bucket:Bucket":
      case "aws:s3/bucketV2:BucketV2":
        return {
          bucket: inputs.bucket ?? `${name}-bucket`,
          arn: `arn:${partition}:s3:::${inputs.bucket ?? `${name}-bucket`}`,
        };
      default: {
        const known = (property: string) => ({ [property]: inputs[property] ?? `${id}.${property}` });
        return {
          arn: `${id}.arn`,
          arnSuffix: `${id}.arnSuffix`,
          dnsName: `${id}.dnsName`,
          zoneId: `${id}.zoneId`,
          privateIp: `${id}.privateIp`,
          ...known("name"),
        };
      }
    }
  };
  return { invokes, outputs, idOf: resourceIdOf };
}

/** The offline plan's view of a region: AZs <region>a-f; another stack's subnets cannot be looked up. */
export function planFixtures(region: string): Fixtures {
  return fixtures({
    region,
    zoneLetters: "abcdef",
    subnets: {},
    subnetMissing: (id) => `an offline plan cannot look up ${id} of another network; use pulumi preview`,
  });
}
