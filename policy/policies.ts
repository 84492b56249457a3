// The farm's invariants as Pulumi policies, for whatever program uses the farm. Kept apart from
// index.ts (which starts the policy server) so tests can call each policy directly.
import {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
// The tag, roles and ports are the kit's own, so the policies and the farm cannot drift apart.
import { DEFAULT_STATE_PORT, ROLE_TAG } from "../components";
import type { FarmRole } from "../components/aws/tags";
import { HTTPS_PORT, WEB_PORT } from "../components/loadBalancer/loadBalancer";
import { SQL_PORT } from "../components/sessions/sqlServer/sqlSessionStore";
// The kit's one user data decoder: a compressed boot script is scanned as the node will run it.
import { expandUserData } from "../components/windows/loader";

export { DEFAULT_STATE_PORT, ROLE_TAG };
/** Every role the kit tags an instance with (the record makes the list follow FarmRole). */
const ROLES: Record<FarmRole, true> = { "web-node": true, "state-server": true, "session-setup": true };
export const FARM_ROLES: string[] = Object.keys(ROLES);

export const TYPES = {
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  subnet: "aws:ec2/subnet:Subnet",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  internetGateway: "aws:ec2/internetGateway:InternetGateway",
  parameter: "aws:ssm/parameter:Parameter",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  database: "aws:rds/instance:Instance",
};

interface StatePortConfig {
  statePort: number;
  sqlPort: number;
}

const covers = (from: unknown, to: unknown, protocol: unknown, port: number) =>
  protocol === "-1" ||
  protocol === "all" ||
  (typeof from === "number" && typeof to === "number" && from <= port && port <= to);

/**
 * The session store's ports only from security groups: the state port (42424 by default; its
 * protocol has no authentication) and SQL Server's (1433), and the session database never public.
 */
export const statePortFromGroupsOnly: ResourceValidationPolicy = {
  name: "state-port-from-security-groups-only",
  description:
    "The session store's ports, the ASP.NET State Service's (no authentication or encryption) and SQL Server's, may be opened only to security groups (the web nodes'), never to a CIDR or prefix list; the session database is never publicly accessible.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      statePort: { type: "integer", default: DEFAULT_STATE_PORT, minimum: 1, maximum: 65535 },
      sqlPort: { type: "integer", default: SQL_PORT, minimum: 1, maximum: 65535 },
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const config = args.getConfig<StatePortConfig>();
    const ports: [number, string][] = [
      [config.statePort ?? DEFAULT_STATE_PORT, "the state port"],
      [config.sqlPort ?? SQL_PORT, "the SQL Server port"],
    ];
    const p = args.props;
    if (args.type === TYPES.database && p.publiclyAccessible === true)
      report(
        "The session database is publicly accessible. Set publiclyAccessible to false: only the web nodes reach it.",
      );
    for (const [port, what] of ports) {
      const fix = `Open port ${port} with a rule whose source is the web nodes' security group (referencedSecurityGroupId), and remove the CIDR source.`;
      if (args.type === TYPES.ingressRule && covers(p.fromPort, p.toPort, p.ipProtocol, port)) {
        const source = p.cidrIpv4 ?? p.cidrIpv6 ?? p.prefixListId;
        if (source !== undefined) report(`Inbound rule opens ${what} ${port} to ${source}. ${fix}`);
      }
      if (
        args.type === TYPES.securityGroupRule &&
        p.type === "ingress" &&
        covers(p.fromPort, p.toPort, p.protocol, port)
      ) {
        const sources = [...(p.cidrBlocks ?? []), ...(p.ipv6CidrBlocks ?? []), ...(p.prefixListIds ?? [])];
        if (sources.length > 0 || p.self === true)
          report(`Security group rule opens ${what} ${port} to ${sources.join(", ") || "itself"}. ${fix}`);
      }
      if (args.type === TYPES.securityGroup) {
        for (const rule of p.ingress ?? []) {
          const sources = [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? []), ...(rule.prefixListIds ?? [])];
          if (covers(rule.fromPort, rule.toPort, rule.protocol, port) && sources.length > 0) {
            report(`Inline ingress opens ${what} ${port} to ${sources.join(", ")}. ${fix}`);
          }
        }
      }
    }
  },
};

const isFarmInstance = (r: { type: string; props: Record<string, any> }) =>
  r.type === TYPES.instance && FARM_ROLES.includes(r.props.tags?.[ROLE_TAG]);

/** The farm's instances (web nodes, state server, session setup): no public IP, no route to an internet gateway. */
export const farmInstancesPrivate: StackValidationPolicy = {
  name: "farm-instances-private",
  description:
    "The farm's instances (web nodes, the state server, the session setup) have no public IP and sit in subnets without a route to an internet gateway; only the load balancer faces the internet.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const deps = (r: PolicyResource, prop: string) => r.propertyDependencies[prop] ?? [];
    const routesToIgw = new Set(
      args.resources
        .filter((r) => r.type === TYPES.route && deps(r, "gatewayId").some((d) => d.type === TYPES.internetGateway))
        .flatMap((r) => deps(r, "routeTableId").map((t) => t.urn)),
    );
    const publicSubnets = new Set(
      args.resources
        .filter((r) => r.type === TYPES.association && deps(r, "routeTableId").some((t) => routesToIgw.has(t.urn)))
        .flatMap((r) => deps(r, "subnetId").map((s) => s.urn)),
    );
    for (const r of args.resources.filter(isFarmInstance)) {
      const role = r.props.tags[ROLE_TAG];
      if (r.props.associatePublicIpAddress !== false) {
        report(`The ${role} ${r.name} may get a public IP. Set associatePublicIpAddress: false.`, r.urn);
      }
      for (const subnet of deps(r, "subnetId")) {
        if (publicSubnets.has(subnet.urn)) {
          report(
            `The ${role} ${r.name} is in subnet ${subnet.name}, which routes to an internet gateway. Put it in a private subnet (outbound through NAT).`,
            r.urn,
          );
        }
        if (subnet.props.mapPublicIpOnLaunch === true) {
          report(
            `The ${role} ${r.name} is in subnet ${subnet.name}, which maps public IPs on launch. Use a private subnet.`,
            r.urn,
          );
        }
      }
    }
  },
};

/** IMDSv2 only: a stolen request forwarded by the app cannot read the role's credentials. */
export const imdsV2Required: ResourceValidationPolicy = {
  name: "instances-require-imdsv2",
  description:
    'Every instance and launch template requires IMDSv2 session tokens (metadataOptions.httpTokens = "required").',
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.instance && args.type !== TYPES.launchTemplate) return;
    if (args.props.metadataOptions?.httpTokens !== "required") {
      report(`${args.name} allows IMDSv1. Set metadataOptions: { httpTokens: "required" }.`);
    }
  },
};

export const rootVolumesEncrypted: ResourceValidationPolicy = {
  name: "root-volumes-encrypted",
  description: "Every instance's root volume (and every launch template volume) is encrypted.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === TYPES.instance && args.props.rootBlockDevice?.encrypted !== true) {
      report(`${args.name}'s root volume is not encrypted. Set rootBlockDevice: { encrypted: true }.`);
    }
    if (args.type === TYPES.launchTemplate) {
      const mappings: any[] = args.props.blockDeviceMappings ?? [];
      if (
        mappings.length === 0 ||
        mappings.some((m) => m.ebs && m.ebs.encrypted !== true && m.ebs.encrypted !== "true")
      ) {
        report(
          `${args.name} launches unencrypted volumes. Add blockDeviceMappings with ebs: { encrypted: "true" } for the root device.`,
        );
      }
    }
  },
};

/** A run of hex this long is key-like: an AMI id (17) or a GUID part never gets there. */
export const KEY_LIKE_HEX = /[0-9A-Fa-f]{40,}/;

function userDataTexts(type: string, props: Record<string, any>): string[] {
  const decode = (b64: unknown) => (typeof b64 === "string" ? Buffer.from(b64, "base64").toString("utf8") : undefined);
  const texts =
    type === TYPES.instance
      ? [props.userData, decode(props.userDataBase64)]
      : type === TYPES.launchTemplate
        ? [decode(props.userData)]
        : [];
  return texts.filter((t): t is string => typeof t === "string");
}

/** User data is readable by anyone with ec2:DescribeInstanceAttribute: no key there. */
export const noMachineKeyInUserData: ResourceValidationPolicy = {
  name: "no-machine-key-in-user-data",
  description:
    "No instance or launch template user data contains a machine key: neither an inline <machineKey element nor a long hex run, also inside a gzip-compressed payload. User data is readable by anyone with ec2:DescribeInstanceAttribute.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const raw of userDataTexts(args.type, args.props)) {
      let text: string;
      try {
        // Compressed payloads (the kit's boot loader) are scanned expanded: compressed, a key hides.
        text = expandUserData(raw);
      } catch (error) {
        report(`${args.name}'s user data cannot be checked: ${(error as Error).message}.`);
        continue;
      }
      if (/<machineKey/i.test(text))
        report(
          `${args.name}'s user data contains an inline <machineKey> element. Store the key in an SSM SecureString and read it at boot.`,
        );
      else if (KEY_LIKE_HEX.test(text))
        report(
          `${args.name}'s user data contains a ${KEY_LIKE_HEX.exec(text)![0].length}-character hex run that looks like a key. Store secrets in an SSM SecureString and read them at boot.`,
        );
    }
  },
};

export const machineKeyParameterSecure: ResourceValidationPolicy = {
  name: "machine-key-parameter-secure-string",
  description:
    "The SSM parameter that holds the machine key is a SecureString (encrypted with KMS, decrypted only with kms:Decrypt).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPES.parameter) return;
    const name = String(args.props.name ?? args.name);
    if (/machine-?key/i.test(name) && args.props.type !== "SecureString") {
      report(`Parameter ${name} holds a machine key but is a ${args.props.type}. Set type: "SecureString".`);
    }
  },
};

export const httpsOnPublicLoadBalancer: StackValidationPolicy = {
  name: "internet-facing-load-balancer-https",
  description:
    "An internet-facing load balancer should serve HTTPS: forms-auth tickets and session cookies otherwise cross the internet in clear text.",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    const listeners = args.resources.filter((r) => r.type === TYPES.listener);
    for (const lb of args.resources.filter((r) => r.type === TYPES.loadBalancer && r.props.internal !== true)) {
      const https = listeners.some(
        (l) =>
          l.props.protocol === "HTTPS" && (l.propertyDependencies.loadBalancerArn ?? []).some((d) => d.urn === lb.urn),
      );
      if (!https)
        report(
          `${lb.name} faces the internet without an HTTPS listener. Set certificateArn (an ACM certificate) so port ${WEB_PORT} redirects to ${HTTPS_PORT}.`,
          lb.urn,
        );
    }
  },
};

export const stickinessOff: ResourceValidationPolicy = {
  name: "target-group-stickiness-off",
  description:
    "Sticky sessions are not needed with the kit's shared session store (the ASP.NET State Service or SQL Server), and they hide a machineKey or IIS site-id mismatch behind one node per user.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (args.type === TYPES.targetGroup && args.props.stickiness?.enabled === true) {
      report(
        `${args.name} has stickiness on. Turn it off (stickiness: { enabled: false }) so every node serves every user and a key mismatch shows at once.`,
      );
    }
  },
};

export const POLICIES = [
  statePortFromGroupsOnly,
  farmInstancesPrivate,
  imdsV2Required,
  rootVolumesEncrypted,
  noMachineKeyInUserData,
  machineKeyParameterSecure,
  httpsOnPublicLoadBalancer,
  stickinessOff,
];
