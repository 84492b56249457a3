// The farm image's build steps: an Image Builder component document (AWSTOE YAML) whose
// PowerShell installs what every node needs and whose validate and test phases check it.
import YAML from "yaml";
import {
  bootScriptOf,
  COMPONENT_DATA_LIMIT,
  holdAgent,
  imageComponentDocument,
  INSTALL_AGENT_FUNCTION,
  installAgent,
  installFeatures,
  rdsTrustBundleUrl,
  sessionSetupUserData,
  START_CODEDEPLOY_AGENT_STEP,
  stateServerUserData,
  WEB_FEATURES,
  webNodeUserData,
  WebNodeBootValues,
} from "../../components/windows";
import { balanced } from "../support/powershell";

const values = { region: "eu-west-1", dnsSuffix: "amazonaws.com", version: "2026.11.0", codeDeployAgent: true };
const boot = {
  region: "eu-west-1",
  dnsSuffix: "amazonaws.com",
  cloudWatchConfigParameter: "/aspnet-webfarm/dev/shop/cloudwatch-agent/web-node",
};
const web: WebNodeBootValues = {
  ...boot,
  keyParameterName: "/aspnet-webfarm/dev/shop/machine-key",
  keyVersion: "1",
  keyValidation: "HMACSHA256",
  stateHost: "state.shop.internal",
  statePort: 42424,
  healthCheckPath: "/health.aspx",
};
const sqlSession = {
  sessionSecret: "aspnet-webfarm/prod/shop-prod/session-store",
  trustBundleUrl: rdsTrustBundleUrl("aws", "eu-west-1"),
};
const scriptOf = bootScriptOf;
const stepsOf = (script: string) =>
  [...script.matchAll(/^Step '((?:[^']|'')+)'/gm)].map((m) => m[1].replace(/''/g, "'"));

interface Step {
  name: string;
  action: string;
  inputs: { commands: string[] };
}
const phasesOf = (document: string): Record<string, Step[]> =>
  Object.fromEntries((YAML.parse(document).phases as { name: string; steps: Step[] }[]).map((p) => [p.name, p.steps]));

test("a component document with build, validate and test phases, each step PowerShell that stops on errors", () => {
  const document = imageComponentDocument(values);
  const parsed = YAML.parse(document);
  expect(parsed.schemaVersion).toBe(1);
  const phases = phasesOf(document);
  expect(Object.keys(phases)).toEqual(["build", "validate", "test"]);
  expect(phases.build.map((s) => s.name)).toEqual([
    "InstallWindowsFeatures",
    "InstallCloudWatchAgent",
    "InstallCodeDeployAgent",
    "RecordImage",
  ]);
  for (const steps of Object.values(phases))
    for (const step of steps) {
      expect(step.action).toBe("ExecutePowerShell");
      expect(step.inputs.commands).toHaveLength(1);
      const script = step.inputs.commands[0];
      expect(script.split("\n")[0]).toBe("$ErrorActionPreference = 'Stop'");
      expect({ step: step.name, balanced: balanced(script) }).toEqual({ step: step.name, balanced: true });
    }
});

test("the image installs exactly what a node's boot would: the same feature list and agent installers", () => {
  const phases = phasesOf(imageComponentDocument(values));
  const script = (name: string) => phases.build.find((s) => s.name === name)!.inputs.commands[0];
  expect(script("InstallWindowsFeatures")).toContain(installFeatures(WEB_FEATURES).join("\n"));
  const cloudWatch =
    "https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi";
  expect(script("InstallCloudWatchAgent")).toContain(
    [...INSTALL_AGENT_FUNCTION, installAgent("CloudWatch agent", "AmazonCloudWatchAgent", cloudWatch)].join("\n"),
  );
  // A node's user data carries the very same lines, so on the image each finds its work done.
  const userData = webNodeUserData({ ...web, codeDeploy: {} });
  for (const line of [
    ...installFeatures(WEB_FEATURES),
    ...INSTALL_AGENT_FUNCTION,
    installAgent("CloudWatch agent", "AmazonCloudWatchAgent", cloudWatch),
  ])
    expect(bootScriptOf(userData)).toContain(line);
});

test("validate and test check the features, the agents' and the state service's presence, and the image record", () => {
  const phases = phasesOf(imageComponentDocument(values));
  for (const phase of ["validate", "test"]) {
    const check = phases[phase][0].inputs.commands[0];
    expect(check).toContain("throw ('features missing from the image: '");
    expect(check).toContain("foreach ($service in @('AmazonCloudWatchAgent', 'aspnet_state', 'codedeployagent'))");
    expect(check).toContain("Test-Path -LiteralPath 'C:\\ProgramData\\aspnet-webfarm\\image.json'");
  }
  const record = phases.build.find((s) => s.name === "RecordImage")!.inputs.commands[0];
  expect(record).toContain(
    `'{"image":"aspnet-webfarm","version":"2026.11.0","baked":["windows-features","cloudwatch-agent","codedeploy-agent"]}'`,
  );
});

test("without the CodeDeploy agent, the image neither installs nor expects it", () => {
  const document = imageComponentDocument({ ...values, codeDeployAgent: false });
  expect(document).not.toContain("codedeploy");
  expect(phasesOf(document).build.map((s) => s.name)).not.toContain("InstallCodeDeployAgent");
});

test("China's regions download the agents from amazonaws.com.cn", () => {
  const document = imageComponentDocument({ ...values, region: "cn-north-1", dnsSuffix: "amazonaws.com.cn" });
  expect(document).toContain(
    "https://aws-codedeploy-cn-north-1.s3.cn-north-1.amazonaws.com.cn/latest/codedeploy-agent.msi",
  );
});

test("stays within Image Builder's inline limit, and refuses a version or suffix that could break the document", () => {
  expect(imageComponentDocument(values).length).toBeLessThan(COMPONENT_DATA_LIMIT);
  expect(() => imageComponentDocument({ ...values, version: "1.0'; Remove-Item" })).toThrow(/version/);
  expect(() => imageComponentDocument({ ...values, dnsSuffix: "evil.example" })).toThrow(/dnsSuffix/);
});

describe("the CodeDeploy agent runs only once a node is configured (CodeDeploy troubleshooting, Auto Scaling)", () => {
  const AGENT = "'codedeployagent'";

  test("the image installs the agent, then leaves it stopped with startup Manual; validate and test check that", () => {
    const phases = phasesOf(imageComponentDocument(values));
    const build = phases.build.find((s) => s.name === "InstallCodeDeployAgent")!.inputs.commands[0].split("\n");
    const install = build.findIndex((l) => l.startsWith("Install-Agent 'CodeDeploy agent'"));
    expect(install).toBeGreaterThan(0);
    expect(build.slice(install + 1)).toEqual(holdAgent("codedeployagent"));
    expect(holdAgent("codedeployagent")).toEqual([
      `Set-Service -Name ${AGENT} -StartupType Manual`,
      `Stop-Service -Name ${AGENT} -Force`,
    ]);
    for (const phase of ["validate", "test"]) {
      const check = phases[phase][0].inputs.commands[0];
      expect(check).toContain(`$agent = Get-Service -Name ${AGENT}`);
      expect(check).toContain("if ($agent.StartType -ne 'Manual' -or $agent.Status -ne 'Stopped') { throw");
    }
    // Nothing in the image starts it.
    expect(imageComponentDocument(values)).not.toMatch(/Start-Service|StartupType Automatic/);
  });

  test.each<[string, WebNodeBootValues]>([
    ["Auto Scaling, state server", { ...web, codeDeploy: {} }],
    [
      "instances, current release",
      { ...web, codeDeploy: { currentRelease: { application: "shop", deploymentGroup: "shop-web" } } },
    ],
    [
      "Auto Scaling, SQL Server sessions",
      { ...web, stateHost: undefined, statePort: undefined, sqlSession, codeDeploy: {} },
    ],
  ])("a web node's boot (%s) installs and starts the agent as its very last step", (_mode, v) => {
    const script = scriptOf(webNodeUserData(v));
    const steps = stepsOf(script);
    expect(steps.at(-1)).toBe(START_CODEDEPLOY_AGENT_STEP);
    for (const before of [
      "read the machine key from SSM Parameter Store",
      "write machineKey and sessionState to both root web.configs",
      "pin the site id",
      "restart IIS",
      ...(v.codeDeploy?.currentRelease ? ["install the current release"] : []),
    ])
      expect(steps.findIndex((s) => s.startsWith(before))).toBeGreaterThanOrEqual(0);
    // Nothing touches the agent before that step: the MSI starts the service it installs.
    const last = script.indexOf(`Step '${START_CODEDEPLOY_AGENT_STEP}'`);
    expect(script.slice(0, last)).not.toContain(AGENT);
    expect(script.slice(last).split("\n").slice(1, 4)).toEqual([
      "  Install-Agent 'CodeDeploy agent' 'codedeployagent' 'https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/codedeploy-agent.msi'",
      `  Set-Service -Name ${AGENT} -StartupType Automatic`,
      `  Start-Service -Name ${AGENT}`,
    ]);
  });

  test("without an application the boot never starts the agent an image may hold", () => {
    expect(webNodeUserData(web)).not.toContain(AGENT);
    expect(stepsOf(scriptOf(webNodeUserData(web)))).not.toContain(START_CODEDEPLOY_AGENT_STEP);
  });
});

test("msiexec: 0 and 3010 (installed, restart requested) pass, any other exit code fails, in every script that runs it", () => {
  const check = INSTALL_AGENT_FUNCTION.find((l) => l.includes("$p.ExitCode -notin"))!;
  const accepted = /if \(\$p\.ExitCode -notin ([\d, ]+)\) \{ throw /.exec(check)![1].split(",").map(Number);
  const installerFails = (code: number) => !accepted.includes(code);
  expect([0, 3010].map(installerFails)).toEqual([false, false]);
  // 1641: msiexec restarted the machine (it may not, /norestart); 1603 fatal; 1618 another install running.
  expect([1, 1603, 1618, 1641].map(installerFails)).toEqual([true, true, true, true]);
  expect(INSTALL_AGENT_FUNCTION.join("\n")).toContain("'/quiet', '/norestart'");

  const scripts = {
    image: imageComponentDocument(values),
    webNode: bootScriptOf(webNodeUserData({ ...web, codeDeploy: {} })),
    stateServer: bootScriptOf(stateServerUserData({ ...boot, statePort: 42424, webCidrs: ["10.0.0.0/16"] })),
    sessionSetup: bootScriptOf(
      sessionSetupUserData({
        ...boot,
        ...sqlSession,
        masterSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf",
      }),
    ),
  };
  for (const [name, text] of Object.entries(scripts)) {
    // msiexec runs only inside Install-Agent, whose check is the one above.
    const runs = text.split("\n").filter((l) => /msiexec/i.test(l));
    expect({ name, runs: runs.map((l) => l.trim()) }).toEqual({
      name,
      runs: runs.map(() => INSTALL_AGENT_FUNCTION.find((l) => l.includes("msiexec"))!.trim()),
    });
    expect(runs.length).toBeGreaterThan(0);
    expect(text).toContain(check.trim());
  }
});
