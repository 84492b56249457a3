// The farm image's build steps: an Image Builder component document (AWSTOE YAML) whose
// PowerShell installs what every node needs and whose validate and test phases check it.
import YAML from "yaml";
import {
  bootScriptOf,
  COMPONENT_DATA_LIMIT,
  imageComponentDocument,
  INSTALL_AGENT_FUNCTION,
  installAgent,
  installFeatures,
  WEB_FEATURES,
  webNodeUserData,
} from "../../components/windows";
import { balanced } from "../support/powershell";

const values = { region: "eu-west-1", dnsSuffix: "amazonaws.com", version: "2026.11.0", codeDeployAgent: true };

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
  const userData = webNodeUserData({
    region: "eu-west-1",
    dnsSuffix: "amazonaws.com",
    cloudWatchConfigParameter: "/aspnet-webfarm/dev/shop/cloudwatch-agent/web-node",
    keyParameterName: "/aspnet-webfarm/dev/shop/machine-key",
    keyVersion: "1",
    keyValidation: "HMACSHA256",
    stateHost: "state.shop.internal",
    statePort: 42424,
    healthCheckPath: "/health.aspx",
    codeDeploy: {},
  });
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
