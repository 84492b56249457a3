// The package's `aspnet-webfarm` command on a team's project, in-process (the installed bin itself is
// run by test/package.test.ts): one clear error for each thing it cannot find, a lookup it cannot make
// named with where to answer it, the team's answer used, a secret as a labelled placeholder.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { COMMANDS, run } from "../../cli/main";
import { statePortFromGroupsOnly } from "../../policy/policies";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

let root: string;
const project = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(root, "team-"));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
};
const PULUMI_YAML = "name: team\nruntime: nodejs\nmain: index.js\n";
const STACK = "config:\n  aws:region: eu-west-1\n";
/** A program of the team's own: a topic named after a lookup the kit does not answer. */
const LOOKUP = [
  'const aws = require("@pulumi/aws");',
  "module.exports = async () => {",
  '  const vpc = await aws.ec2.getVpcEndpointService({ service: "s3" });',
  '  new aws.sns.Topic("alerts", { displayName: vpc.serviceName });',
  "  return { service: vpc.serviceName };",
  "};",
].join("\n");

const quietly = async (args: string[], at: string) => {
  const out: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const err = jest.spyOn(console, "error").mockImplementation((...a) => void out.push(a.join(" ")));
  try {
    const code = await run(args, at);
    return { code, out: out.join("\n") };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
};

beforeAll(() => (root = mkdtempSync(join(tmpdir(), "webfarm-cli-"))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("what the command cannot find is one clear error", () => {
  test("no Pulumi.yaml: run it in a Pulumi project's folder", async () => {
    await expect(quietly(["plan"], project({}))).rejects.toThrow(
      /no Pulumi\.yaml in .*run this in a Pulumi project's folder/,
    );
  });

  test("a stack the project does not have, and several stacks with none named", async () => {
    const dir = project({
      "Pulumi.yaml": PULUMI_YAML,
      "Pulumi.dev.yaml": STACK,
      "Pulumi.prod.yaml": STACK,
      "index.js": "",
    });
    await expect(quietly(["plan", "--stack", "nope"], dir)).rejects.toThrow(
      /Pulumi\.nope\.yaml: is "nope" a stack of this project/,
    );
    await expect(quietly(["policy"], dir)).rejects.toThrow(
      /--stack is needed: this project has 2 stacks \(dev, prod\)/,
    );
  });

  test("no program where Pulumi.yaml and package.json point", async () => {
    const dir = project({ "Pulumi.yaml": "name: team\nruntime: nodejs\nmain: src/app.ts\n", "Pulumi.dev.yaml": STACK });
    await expect(quietly(["plan"], dir)).rejects.toThrow(/cannot find the program of .*set `main` in Pulumi\.yaml/);
  });

  test("a lookup the kit answers only online (another network's VPC) says where the team can answer it", async () => {
    const dir = project({
      "Pulumi.yaml": PULUMI_YAML,
      "Pulumi.dev.yaml": STACK,
      "index.js":
        'const aws = require("@pulumi/aws");\nmodule.exports = async () => { await aws.ec2.getVpc({ id: "vpc-0123" }); };\n',
    });
    await expect(quietly(["plan"], dir)).rejects.toThrow(
      /cannot look up .*vpc-0123.*; or answer aws:ec2\/getVpc:getVpc in aspnet-webfarm\.fixtures\.json/,
    );
  });

  test("an unknown command or option", async () => {
    const dir = project({ "Pulumi.yaml": PULUMI_YAML, "Pulumi.dev.yaml": STACK, "index.js": "" });
    await expect(quietly(["apply"], dir)).rejects.toThrow(
      /unknown command "apply"; usage: npx aspnet-webfarm plan\|diff\|policy/,
    );
    await expect(quietly(["plan", "--stak", "dev"], dir)).rejects.toThrow(/--stak/);
  });

  test("--help tells each command's options", async () => {
    const { code, out } = await quietly(["diff", "--help"], root);
    expect(code).toBe(0);
    expect(out).toContain(COMMANDS.diff.usage);
    for (const option of Object.keys(COMMANDS.diff.options)) expect(out).toContain(`--${option}`);
  });
});

describe("lookups and secrets, offline", () => {
  test("a lookup nobody answers names the call and the fixtures file; the team's answer is then used", async () => {
    const dir = project({ "Pulumi.yaml": PULUMI_YAML, "Pulumi.dev.yaml": STACK, "index.js": LOOKUP });
    await expect(quietly(["plan"], dir)).rejects.toThrow(
      /the program calls aws:ec2\/getVpcEndpointService:getVpcEndpointService, a lookup an offline plan cannot make.*aspnet-webfarm\.fixtures\.json/,
    );
    writeFileSync(
      join(dir, "aspnet-webfarm.fixtures.json"),
      JSON.stringify({
        invokes: {
          "aws:ec2/getVpcEndpointService:getVpcEndpointService": { serviceName: "com.amazonaws.eu-west-1.s3" },
        },
      }),
    );
    const { code } = await quietly(["plan"], dir);
    expect(code).toBe(0);
    const plan = JSON.parse(readFileSync(join(dir, "plans", "dev.json"), "utf8"));
    expect(plan.resources).toEqual([
      expect.objectContaining({
        type: "aws:sns/topic:Topic",
        name: "alerts",
        inputs: expect.objectContaining({ displayName: "com.amazonaws.eu-west-1.s3" }),
      }),
    ]);
    expect(readFileSync(join(dir, "plans", "dev.md"), "utf8")).toContain(
      "Generated offline by `npx aspnet-webfarm plan`",
    );
  });

  test("a secret in the stack file is a labelled placeholder, and the plan says so", async () => {
    const dir = project({
      "Pulumi.yaml": PULUMI_YAML,
      "Pulumi.dev.yaml": `${STACK}  team:token:\n    secure: AAABADQXFlU0mxC9qmHsnZ==\n`,
      "index.js": 'const pulumi = require("@pulumi/pulumi");\nnew pulumi.Config().require("token");\n',
    });
    const { code } = await quietly(["plan"], dir);
    expect(code).toBe(0);
    const plan = JSON.parse(readFileSync(join(dir, "plans", "dev.json"), "utf8"));
    expect(plan.note).toContain("team:token: a secret (secure:), shown as [secure team:token: not decrypted offline]");
  });
});

describe("policy, offline", () => {
  /** A team's rule opening port 4000 to the internet: their farm's state server listens there. */
  const OPEN_4000 = [
    'const aws = require("@pulumi/aws");',
    'new aws.vpc.SecurityGroupIngressRule("team-open", {',
    '  securityGroupId: "sg-0123", cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 4000, toPort: 4000,',
    "});",
  ].join("\n");

  test("checks the state port the team configures for the pack (--policy-config), not only the default", async () => {
    const dir = project({ "Pulumi.yaml": PULUMI_YAML, "Pulumi.dev.yaml": STACK, "index.js": OPEN_4000 });
    const atDefault = await quietly(["policy"], dir);
    expect(atDefault.code).toBe(0);
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ [statePortFromGroupsOnly.name]: { statePort: 4000 } }));
    const configured = await quietly(["policy", "--policy-config", "policy.json"], dir);
    expect(configured.code).toBe(1);
    expect(configured.out).toMatch(
      new RegExp(
        `VIOLATION ${statePortFromGroupsOnly.name} on aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule team-open`,
      ),
    );
  });
});
