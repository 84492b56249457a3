// Each policy shown to pass good input and reject bad input, with the arguments the policy
// engine would give it; then every policy over what the dev and prod programs register.
import {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as vpc from "@pulumi/aws/vpc";
import { program } from "../../infra/program";
import { stackConfig } from "../../infra/stackFile";
import { RecordedResource, runProgram } from "../../engine/engine";
import {
  asPolicyResources,
  byToken,
  checkPolicies,
  OPTIONS,
  policyResource as basePolicyResource,
} from "../../engine/policyCheck";
import * as p from "../../policy/policies";
import { ec2LaunchDocument, stateServerNodeSession, webNodeUserData } from "../../components/windows";

const urn = (type: string, name: string) => `urn:pulumi:test::aspnet-webfarm::${type}::${name}`;
const policyResource = (type: string, name: string, props: Record<string, any>) =>
  basePolicyResource(type, name, props, urn(type, name));

function resourceArgs(
  type: string,
  props: Record<string, any>,
  config: Record<string, unknown> = {},
): ResourceValidationArgs {
  return {
    type,
    props,
    urn: urn(type, "r"),
    name: "r",
    opts: OPTIONS,
    stackTags: new Map(),
    isType: byToken,
    asType: byToken,
    getConfig: <T extends object>() => ({ statePort: 42424, ...config }) as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason}`);
    },
  };
}

function check(
  policy: ResourceValidationPolicy,
  type: string,
  props: Record<string, any>,
  config?: Record<string, unknown>,
): string[] {
  const messages: string[] = [];
  const validations = ([] as any[]).concat(policy.validateResource ?? []);
  for (const v of validations) v(resourceArgs(type, props, config), (m: string) => messages.push(m));
  return messages;
}

/** A stack of policy resources; `deps` names, per property, the resources it depends on. */
function stack(
  spec: { name: string; type: string; props?: Record<string, any>; deps?: Record<string, string[]> }[],
): PolicyResource[] {
  const byName = new Map<string, PolicyResource>();
  for (const s of spec) byName.set(s.name, policyResource(s.type, s.name, s.props ?? {}));
  for (const s of spec) {
    const r = byName.get(s.name)!;
    for (const [prop, names] of Object.entries(s.deps ?? {})) {
      r.propertyDependencies[prop] = names.map((n) => byName.get(n)!);
      r.dependencies.push(...r.propertyDependencies[prop]);
    }
  }
  return [...byName.values()];
}

function checkStack(policy: StackValidationPolicy, resources: PolicyResource[]): string[] {
  const messages: string[] = [];
  const args: StackValidationArgs = {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({ statePort: 42424 }) as T,
    notApplicable: (reason?: string) => {
      throw new Error(`not applicable: ${reason}`);
    },
  };
  policy.validateStack(args, (m) => messages.push(m));
  return messages;
}

describe("state port only from security groups", () => {
  const rule = { securityGroupId: "sg-1", ipProtocol: "tcp", fromPort: 42424, toPort: 42424 };
  test("passes a rule from the web nodes' group, and CIDR rules on other ports", () => {
    expect(
      check(p.statePortFromGroupsOnly, p.TYPES.ingressRule, { ...rule, referencedSecurityGroupId: "sg-web" }),
    ).toEqual([]);
    expect(
      check(p.statePortFromGroupsOnly, p.TYPES.ingressRule, {
        ...rule,
        fromPort: 80,
        toPort: 80,
        cidrIpv4: "0.0.0.0/0",
      }),
    ).toEqual([]);
  });
  test.each([
    ["the internet", { ...rule, cidrIpv4: "0.0.0.0/0" }],
    ["IPv6 anywhere", { ...rule, cidrIpv6: "::/0" }],
    ["a private range", { ...rule, cidrIpv4: "10.0.0.0/8" }],
    ["a port range that includes it", { ...rule, fromPort: 40000, toPort: 50000, cidrIpv4: "10.0.128.0/20" }],
  ])("rejects the state port open to %s", (_label, props) => {
    const [message] = check(p.statePortFromGroupsOnly, p.TYPES.ingressRule, props);
    expect(message).toMatch(/opens the state port 42424 .*referencedSecurityGroupId/);
  });
  test("all traffic from a CIDR is reported once per session port (the state port and SQL Server's)", () => {
    const messages = check(p.statePortFromGroupsOnly, p.TYPES.ingressRule, {
      securityGroupId: "sg-1",
      ipProtocol: "-1",
      cidrIpv4: "10.0.0.0/16",
    });
    expect(messages.map((m) => m.split(" to ")[0])).toEqual([
      "Inbound rule opens the state port 42424",
      "Inbound rule opens the SQL Server port 1433",
    ]);
  });
  test("SQL Server's port: from the web nodes' group only, and the session database never public", () => {
    const sql = { securityGroupId: "sg-db", ipProtocol: "tcp", fromPort: 1433, toPort: 1433 };
    expect(
      check(p.statePortFromGroupsOnly, p.TYPES.ingressRule, { ...sql, referencedSecurityGroupId: "sg-web" }),
    ).toEqual([]);
    expect(check(p.statePortFromGroupsOnly, p.TYPES.ingressRule, { ...sql, cidrIpv4: "10.0.0.0/8" })).toEqual([
      expect.stringMatching(/opens the SQL Server port 1433 to 10\.0\.0\.0\/8/),
    ]);
    expect(check(p.statePortFromGroupsOnly, p.TYPES.database, { publiclyAccessible: true })).toEqual([
      expect.stringMatching(/session database is publicly accessible/),
    ]);
    expect(check(p.statePortFromGroupsOnly, p.TYPES.database, { publiclyAccessible: false })).toEqual([]);
  });
  test("rejects inline ingress and SecurityGroupRule resources too, on a configured port", () => {
    expect(
      check(
        p.statePortFromGroupsOnly,
        p.TYPES.securityGroup,
        { ingress: [{ protocol: "tcp", fromPort: 42500, toPort: 42500, cidrBlocks: ["0.0.0.0/0"] }] },
        { statePort: 42500 },
      ),
    ).toHaveLength(1);
    const ingress = { type: "ingress", protocol: "tcp", fromPort: 42424, toPort: 42424 };
    const checkRule = (props: object) =>
      check(p.statePortFromGroupsOnly, p.TYPES.securityGroupRule, { ...ingress, ...props });
    expect(checkRule({ cidrBlocks: ["10.0.0.0/8"] })).toHaveLength(1);
    expect(checkRule({ sourceSecurityGroupId: "sg-web" })).toEqual([]);
  });
});

describe("farm instances private", () => {
  const network = (instanceProps: Record<string, any>, subnet: string) =>
    stack([
      { name: "igw", type: p.TYPES.internetGateway },
      { name: "nat", type: "aws:ec2/natGateway:NatGateway" },
      { name: "public-rt", type: p.TYPES.routeTable },
      { name: "private-rt", type: p.TYPES.routeTable },
      { name: "public-default", type: p.TYPES.route, deps: { routeTableId: ["public-rt"], gatewayId: ["igw"] } },
      { name: "private-default", type: p.TYPES.route, deps: { routeTableId: ["private-rt"], natGatewayId: ["nat"] } },
      { name: "public", type: p.TYPES.subnet, props: { mapPublicIpOnLaunch: false } },
      { name: "private", type: p.TYPES.subnet, props: { mapPublicIpOnLaunch: false } },
      { name: "public-assoc", type: p.TYPES.association, deps: { subnetId: ["public"], routeTableId: ["public-rt"] } },
      {
        name: "private-assoc",
        type: p.TYPES.association,
        deps: { subnetId: ["private"], routeTableId: ["private-rt"] },
      },
      {
        name: "web-0",
        type: p.TYPES.instance,
        props: { tags: { [p.ROLE_TAG]: "web-node" }, ...instanceProps },
        deps: { subnetId: [subnet] },
      },
    ]);
  test("passes a node in a NAT-routed subnet without a public IP", () => {
    expect(checkStack(p.farmInstancesPrivate, network({ associatePublicIpAddress: false }, "private"))).toEqual([]);
  });
  test("rejects a node in a subnet that routes to the internet gateway", () => {
    expect(checkStack(p.farmInstancesPrivate, network({ associatePublicIpAddress: false }, "public"))).toEqual([
      expect.stringMatching(/web-0 is in subnet public, which routes to an internet gateway/),
    ]);
  });
  test("rejects a node that may get a public IP", () => {
    expect(checkStack(p.farmInstancesPrivate, network({ associatePublicIpAddress: true }, "private"))).toEqual([
      expect.stringMatching(/may get a public IP/),
    ]);
  });
});

describe("instance hardening", () => {
  const good = { metadataOptions: { httpTokens: "required" }, rootBlockDevice: { encrypted: true } };
  test("IMDSv2: passes required tokens, rejects optional or unset", () => {
    expect(check(p.imdsV2Required, p.TYPES.instance, good)).toEqual([]);
    expect(check(p.imdsV2Required, p.TYPES.instance, { metadataOptions: { httpTokens: "optional" } })).toHaveLength(1);
    expect(check(p.imdsV2Required, p.TYPES.launchTemplate, {})).toHaveLength(1);
  });
  test("root volume: passes encrypted, rejects unencrypted instances and launch templates", () => {
    expect(check(p.rootVolumesEncrypted, p.TYPES.instance, good)).toEqual([]);
    expect(check(p.rootVolumesEncrypted, p.TYPES.instance, { rootBlockDevice: { encrypted: false } })).toHaveLength(1);
    expect(
      check(p.rootVolumesEncrypted, p.TYPES.launchTemplate, {
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { encrypted: "true" } }],
      }),
    ).toEqual([]);
    expect(
      check(p.rootVolumesEncrypted, p.TYPES.launchTemplate, {
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { volumeSize: 50 } }],
      }),
    ).toHaveLength(1);
  });
});

describe("no machine key in user data", () => {
  const key = "A1B2".repeat(32);
  test("passes the kit's own script, which reads the key at boot", () => {
    expect(
      check(p.noMachineKeyInUserData, p.TYPES.instance, {
        userData:
          "<powershell>Get-SSMParameter -Name '/x/machine-key' -WithDecryption $true; ami-0123456789abcdef0</powershell>",
      }),
    ).toEqual([]);
  });
  test.each([
    [
      "an inline <machineKey> element",
      { userData: `<powershell>'<machineKey validationKey="x"/>' | Out-File web.config</powershell>` },
    ],
    ["a long hex run", { userData: `<powershell>$k = '${key}'</powershell>` }],
    ["a key in base64 user data", { userDataBase64: Buffer.from(`$k='${key}'`).toString("base64") }],
  ])("rejects %s", (_label, props) => {
    expect(check(p.noMachineKeyInUserData, p.TYPES.instance, props)).toHaveLength(1);
  });
  test("checks launch templates' base64 user data", () => {
    expect(
      check(p.noMachineKeyInUserData, p.TYPES.launchTemplate, {
        userData: Buffer.from(`<machineKey decryptionKey="x"/>`).toString("base64"),
      }),
    ).toHaveLength(1);
  });

  // The kit's user data carries its boot script compressed: the policy reads it expanded.
  const kitUserData = (lines: string[]) => ec2LaunchDocument(lines);
  test("passes the kit's real web node user data, its compressed script expanded", () => {
    const userData = webNodeUserData({
      region: "eu-west-1",
      dnsSuffix: "amazonaws.com",
      cloudWatchConfigParameter: "/aspnet-webfarm/dev/shop/cloudwatch-agent/web-node",
      keyParameterName: "/aspnet-webfarm/dev/shop/machine-key",
      keyVersion: "1",
      keyValidation: "HMACSHA256",
      session: stateServerNodeSession({ stateHost: "state.shop.internal", statePort: 42424 }),
      healthCheckPath: "/health.aspx",
    });
    expect(check(p.noMachineKeyInUserData, p.TYPES.instance, { userData })).toEqual([]);
    expect(
      check(p.noMachineKeyInUserData, p.TYPES.launchTemplate, { userData: Buffer.from(userData).toString("base64") }),
    ).toEqual([]);
  });
  test.each([
    ["a hex key", [`$k = '${key}'`]],
    ["an inline <machineKey> element", [`'<machineKey validationKey="x"/>' | Out-File web.config`]],
  ])("control: finds %s planted in the compressed script, which a plain scan misses", (_label, lines) => {
    const userData = kitUserData(["Write-Output 'boot'", ...lines]);
    expect(userData).not.toMatch(p.KEY_LIKE_HEX);
    expect(userData).not.toMatch(/<machineKey/i);
    expect(check(p.noMachineKeyInUserData, p.TYPES.instance, { userData })).toHaveLength(1);
    expect(
      check(p.noMachineKeyInUserData, p.TYPES.launchTemplate, { userData: Buffer.from(userData).toString("base64") }),
    ).toHaveLength(1);
  });
  test("a compressed payload it cannot expand is a violation, not a pass", () => {
    const userData = kitUserData(["Write-Output 'boot'"]).replace(/H4sI([A-Za-z0-9+/]{40})/, "H4sIAAAA$1");
    const reports = check(p.noMachineKeyInUserData, p.TYPES.instance, { userData });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/cannot be checked: user data payload 1 is not a gzip stream/);
  });
});

describe("machine key parameter", () => {
  test("passes a SecureString, rejects a String", () => {
    expect(
      check(p.machineKeyParameterSecure, p.TYPES.parameter, {
        name: "/app/dev/shop/machine-key",
        type: "SecureString",
      }),
    ).toEqual([]);
    expect(
      check(p.machineKeyParameterSecure, p.TYPES.parameter, { name: "/app/dev/shop/machine-key", type: "String" }),
    ).toEqual([expect.stringMatching(/Set type: "SecureString"/)]);
    expect(
      check(p.machineKeyParameterSecure, p.TYPES.parameter, { name: "/app/dev/feature-flag", type: "String" }),
    ).toEqual([]);
  });
});

describe("advisories", () => {
  test("an internet-facing balancer without HTTPS is reported; with an HTTPS listener it is not", () => {
    const lb = { name: "lb", type: p.TYPES.loadBalancer, props: { internal: false } };
    expect(
      checkStack(
        p.httpsOnPublicLoadBalancer,
        stack([
          lb,
          { name: "http", type: p.TYPES.listener, props: { protocol: "HTTP" }, deps: { loadBalancerArn: ["lb"] } },
        ]),
      ),
    ).toHaveLength(1);
    expect(
      checkStack(
        p.httpsOnPublicLoadBalancer,
        stack([
          lb,
          { name: "https", type: p.TYPES.listener, props: { protocol: "HTTPS" }, deps: { loadBalancerArn: ["lb"] } },
        ]),
      ),
    ).toEqual([]);
    expect(p.httpsOnPublicLoadBalancer.enforcementLevel).toBe("advisory");
  });
  test("stickiness on is reported, off is not", () => {
    expect(
      check(p.stickinessOff, p.TYPES.targetGroup, { stickiness: { type: "lb_cookie", enabled: true } }),
    ).toHaveLength(1);
    expect(check(p.stickinessOff, p.TYPES.targetGroup, { stickiness: { type: "lb_cookie", enabled: false } })).toEqual(
      [],
    );
    expect(p.stickinessOff.enforcementLevel).toBe("advisory");
  });
});

test("every policy has a description and a name, and all but the advisories are mandatory", () => {
  for (const policy of p.POLICIES) {
    expect(policy.description.length).toBeGreaterThan(40);
    expect(["mandatory", "advisory"]).toContain(policy.enforcementLevel);
  }
  expect(p.POLICIES.filter((x) => x.enforcementLevel === "advisory").map((x) => x.name)).toEqual([
    "internet-facing-load-balancer-https",
    "target-group-stickiness-off",
  ]);
});

const stacks: Record<string, PolicyResource[]> = {};
const recorded: Record<string, RecordedResource[]> = {};
beforeAll(async () => {
  for (const stack of ["dev", "prod"]) {
    const { mocks } = await runProgram(program, { stack, config: stackConfig(stack) });
    recorded[stack] = mocks.resources;
    stacks[stack] = asPolicyResources(mocks.resources);
  }
});

describe.each(["dev", "prod"])("the kit's own %s stack", (stackName) => {
  let resources: PolicyResource[];
  beforeAll(() => (resources = stacks[stackName]));

  test("passes every mandatory policy (the offline check `aspnet-webfarm policy` runs)", async () => {
    const violations = await checkPolicies(recorded[stackName]);
    expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([]);
  });

  test("the checks had something to check (instances in subnets behind route tables)", () => {
    const instances = resources.filter((r) => r.type === p.TYPES.instance);
    expect(instances.length).toBeGreaterThan(2);
    for (const i of instances) expect(i.propertyDependencies.subnetId?.[0]?.type).toBe(p.TYPES.subnet);
  });
});

test("advisory: dev (HTTP only) is told to add HTTPS, prod is not", () => {
  expect(checkStack(p.httpsOnPublicLoadBalancer, stacks.dev)).toHaveLength(1);
  expect(checkStack(p.httpsOnPublicLoadBalancer, stacks.prod)).toEqual([]);
});

test("the offline check names the policy and a team's own resource that breaks it", async () => {
  const { mocks } = await runProgram(
    () => {
      const farm = program(undefined);
      return farm.then((outputs) => {
        const groupId = (outputs as { stateServerSecurityGroupId: unknown }).stateServerSecurityGroupId;
        new vpc.SecurityGroupIngressRule("team-debug", {
          securityGroupId: groupId as string,
          cidrIpv4: "0.0.0.0/0",
          ipProtocol: "tcp",
          fromPort: 42424,
          toPort: 42424,
        });
      });
    },
    { stack: "dev", config: stackConfig("dev") },
  );
  const violations = await checkPolicies(mocks.resources);
  expect(violations.filter((v) => v.enforcement === "mandatory")).toEqual([
    expect.objectContaining({
      policy: p.statePortFromGroupsOnly.name,
      resource: `${p.TYPES.ingressRule} team-debug`,
    }),
  ]);
});
