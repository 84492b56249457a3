// The farm image's build steps: an Image Builder component document (AWSTOE YAML) whose
// PowerShell installs what every node needs and whose validate and test phases check it.
import YAML from "yaml";
import {
  APPLICATION_WAITS_SECONDS,
  bootScriptOf,
  COMPONENT_DATA_LIMIT,
  HOLD_AGENT_WAIT_SECONDS,
  holdAgent,
  imageComponentDocument,
  INSTALL_AGENT_FUNCTION,
  installAgent,
  installFeatures,
  KEY_READ_SECONDS,
  MSI_BUSY_EXIT_CODE,
  MSI_BUSY_TRIES,
  rdsTrustBundleUrl,
  SESSION_DATABASE_WAIT_SECONDS,
  SESSION_SECRET_WAIT_SECONDS,
  sessionSetupUserData,
  START_CODEDEPLOY_AGENT_STEP,
  stateServerUserData,
  WEB_FEATURES,
  webNodeUserData,
  WebNodeBootValues,
} from "../../../components/windows";
import { balanced } from "../../support/powershell";
import { sqlServerNodeSession, stateServerNodeSession } from "../../../components/windows";

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
  session: stateServerNodeSession({ stateHost: "state.shop.internal", statePort: 42424 }),
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
    expect(holdAgent("codedeployagent")).toContain(`Set-Service -Name ${AGENT} -StartupType Manual`);
    for (const phase of ["validate", "test"]) {
      const check = phases[phase][0].inputs.commands[0];
      expect(check).toContain(`$agent = Get-Service -Name ${AGENT}`);
      expect(check).toContain("if ($agent.StartType -ne 'Manual' -or $agent.Status -ne 'Stopped') { throw");
    }
    // Nothing in the image starts it.
    expect(imageComponentDocument(values)).not.toMatch(/Start-Service|StartupType Automatic/);
  });

  test("holding the agent waits (bounded) for a service still starting, stops it, then waits until it is stopped", () => {
    // A stop control fails while the service is StartPending (ControlService,
    // ERROR_SERVICE_CANNOT_ACCEPT_CTRL), and the MSI returns with the service just started.
    const hold = holdAgent("codedeployagent");
    const at = (prefix: string) => hold.findIndex((l) => l.startsWith(prefix));
    const wait = `[TimeSpan]::FromSeconds(${HOLD_AGENT_WAIT_SECONDS})`;
    expect(HOLD_AGENT_WAIT_SECONDS).toBeLessThanOrEqual(300);
    expect(hold[at("if ($held.Status -eq 'StartPending')")]).toBe(
      `if ($held.Status -eq 'StartPending') { $held.WaitForStatus('Running', ${wait}) }`,
    );
    expect(hold[at("if ($held.Status -eq 'Running')")]).toBe(
      `if ($held.Status -eq 'Running') { Stop-Service -Name ${AGENT} -Force }`,
    );
    // The cached status is read again before deciding to stop; the last word is a bounded wait for Stopped.
    expect(at("$held = Get-Service")).toBe(0);
    expect(at("if ($held.Status -eq 'StartPending')")).toBeLessThan(at("$held.Refresh()"));
    expect(at("$held.Refresh()")).toBeLessThan(at("if ($held.Status -eq 'Running')"));
    expect(hold.at(-1)).toBe(`$held.WaitForStatus('Stopped', ${wait})`);
    // Every wait has its time-out: none that could hang the build.
    for (const line of hold.filter((l) => l.includes("WaitForStatus(")))
      expect(line).toMatch(/WaitForStatus\('\w+', \[TimeSpan\]::FromSeconds\(\d+\)\)/);
    expect(balanced(hold.join("\n"))).toBe(true);
  });

  test.each<[string, WebNodeBootValues]>([
    ["Auto Scaling, state server", { ...web, codeDeploy: {} }],
    [
      "instances, current release",
      { ...web, codeDeploy: { currentRelease: { application: "shop", deploymentGroup: "shop-web" } } },
    ],
    ["Auto Scaling, SQL Server sessions", { ...web, session: sqlServerNodeSession(sqlSession), codeDeploy: {} }],
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

  test("with an application or a launch hook every wait of the boot ends within 40 minutes, inside the hour either allows", () => {
    // CodeDeploy waits at most an hour for an agent to respond to a pending deployment; the agent starts
    // after these waits, whose own limits add up to 115 minutes with SQL Server sessions.
    expect(KEY_READ_SECONDS + SESSION_SECRET_WAIT_SECONDS + SESSION_DATABASE_WAIT_SECONDS).toBe(115 * 60);
    expect(APPLICATION_WAITS_SECONDS).toBeLessThanOrEqual(40 * 60);
    const sqlWeb = { ...web, session: sqlServerNodeSession(sqlSession) };
    const withApp = scriptOf(webNodeUserData({ ...sqlWeb, codeDeploy: {} }));
    expect(withApp).toContain(`$WaitsEnd = (Get-Date).AddSeconds(${APPLICATION_WAITS_SECONDS})`);
    expect(withApp).toContain(
      "function Get-WaitSeconds([int]$Most) { [int][Math]::Max(0, [Math]::Min($Most, ($WaitsEnd - (Get-Date)).TotalSeconds)) }",
    );
    // Each wait takes what is left of that budget, at most its own limit; the budget starts before the steps.
    const waits = [
      `$deadline = (Get-Date).AddSeconds((Get-WaitSeconds ${KEY_READ_SECONDS}))`,
      `Read-Secret $SessionSecret (Get-WaitSeconds ${SESSION_SECRET_WAIT_SECONDS})`,
      `$deadline = (Get-Date).AddSeconds((Get-WaitSeconds ${SESSION_DATABASE_WAIT_SECONDS})); $wait = 10`,
    ];
    for (const w of waits) expect(withApp.indexOf(w)).toBeGreaterThan(withApp.indexOf("$WaitsEnd = "));
    expect(withApp.indexOf("$WaitsEnd = ")).toBeLessThan(withApp.indexOf("Step '"));
    // No other deadline of its own (Read-Secret's is the argument above).
    const deadlines = withApp
      .split("\n")
      .filter((l) => /AddSeconds\((?!\$Seconds\))/.test(l) && !l.includes("$WaitsEnd = "));
    expect(deadlines.length).toBe(2);
    for (const line of deadlines) expect(line).toContain("(Get-WaitSeconds ");
    expect(balanced(withApp)).toBe(true);
    // Without an application nothing is pending for an agent: each wait keeps its own limit.
    const withoutApp = scriptOf(webNodeUserData(sqlWeb));
    expect(withoutApp).not.toContain("Get-WaitSeconds");
    expect(withoutApp).toContain(`Read-Secret $SessionSecret ${SESSION_SECRET_WAIT_SECONDS}`);
    expect(withoutApp).toContain(`$deadline = (Get-Date).AddSeconds(${KEY_READ_SECONDS})`);
    // In Auto Scaling mode the launch hook abandons the node after an hour: the same budget, app or not.
    const hooked = scriptOf(webNodeUserData({ ...sqlWeb, lifecycleHook: "shop-ready" }));
    for (const w of waits) expect(hooked).toContain(w);
  });

  test("without an application the boot never starts the agent an image may hold", () => {
    expect(webNodeUserData(web)).not.toContain(AGENT);
    expect(stepsOf(scriptOf(webNodeUserData(web)))).not.toContain(START_CODEDEPLOY_AGENT_STEP);
  });
});

/**
 * Runs Install-Agent's msiexec loop as written, for a sequence of exit codes (no PowerShell here):
 * the loop's bounds, its break condition and the final check are read from the generated lines, so
 * a change to any of them changes what this returns.
 */
function runInstallLoop(exitCodes: number[]): { tries: number; sleeps: number[]; installed: boolean } {
  const text = INSTALL_AGENT_FUNCTION.join("\n");
  const tries = Number(/foreach \(\$try in 1\.\.(\d+)\) \{/.exec(text)![1]);
  const [, busy, last] = /if \(\$p\.ExitCode -ne (\d+) -or \$try -eq (\d+)\) \{ break \}/.exec(text)!;
  const backoff = Number(/Start-Sleep -Seconds \(\$try \* (\d+)\)/.exec(text)![1]);
  const accepted = /if \(\$p\.ExitCode -notin ([\d, ]+)\) \{ throw /.exec(text)![1].split(",").map(Number);
  expect(Number(last)).toBe(tries);
  const sleeps: number[] = [];
  let code = NaN;
  let run = 0;
  for (let t = 1; t <= tries; t++) {
    code = exitCodes[run++];
    if (code !== Number(busy) || t === Number(last)) break;
    sleeps.push(t * backoff);
  }
  return { tries: run, sleeps, installed: accepted.includes(code) };
}

test("msiexec: 0 and 3010 (installed, restart requested) pass at once, any other exit code but 1618 fails at once", () => {
  expect(runInstallLoop([0])).toEqual({ tries: 1, sleeps: [], installed: true });
  expect(runInstallLoop([3010])).toEqual({ tries: 1, sleeps: [], installed: true });
  // 1641: msiexec restarted the machine (it may not, /norestart); 1603 fatal; 1: generic.
  for (const code of [1, 1603, 1641])
    expect(runInstallLoop([code])).toEqual({ tries: 1, sleeps: [], installed: false });
  expect(INSTALL_AGENT_FUNCTION.join("\n")).toContain("'/quiet', '/norestart'");
});

test("msiexec: 1618 (another installation in progress) is retried with a growing, bounded wait, then fails", () => {
  expect(MSI_BUSY_EXIT_CODE).toBe(1618);
  // Busy once, then installed.
  expect(runInstallLoop([1618, 0])).toEqual({ tries: 2, sleeps: [30], installed: true });
  expect(runInstallLoop([1618, 1618, 3010])).toEqual({ tries: 3, sleeps: [30, 60], installed: true });
  // Busy after the retry: a real failure is not retried.
  expect(runInstallLoop([1618, 1603, 0])).toEqual({ tries: 2, sleeps: [30], installed: false });
  // Busy every time: MSI_BUSY_TRIES runs, then the build or boot fails, within 5 minutes of waiting.
  const always = runInstallLoop(Array(10).fill(1618));
  expect(always).toEqual({ tries: MSI_BUSY_TRIES, sleeps: [30, 60, 90, 120], installed: false });
  expect(always.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(300);
});

test("msiexec runs only inside Install-Agent, in every script that installs an agent", () => {
  const check = INSTALL_AGENT_FUNCTION.find((l) => l.includes("$p.ExitCode -notin"))!;
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
    expect(text).toContain(INSTALL_AGENT_FUNCTION.find((l) => l.includes("{ break }"))!.trim());
  }
});
