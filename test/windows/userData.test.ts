// The user data the nodes run at first boot: an EC2Launch v2 document whose one task runs the
// PowerShell not detached; structure checks, hostile input, size. The reviewed copy of each
// script is the one in plans/<stack>/ (checked by the plan tests).
import YAML from "yaml";
import {
  BOOT_TAG,
  KEY_READ_SECONDS,
  stateServerUserData,
  USER_DATA_LIMIT_BYTES,
  webNodeUserData,
} from "../../components/windows";
import { balanced } from "../support/powershell";

const boot = {
  region: "eu-west-1",
  dnsSuffix: "amazonaws.com",
  cloudWatchConfigParameter: "/aspnet-webfarm/dev/shop/cloudwatch-agent/web-node",
};
const web = {
  ...boot,
  keyParameterName: "/aspnet-webfarm/dev/shop/machine-key",
  keyVersion: "1",
  keyValidation: "HMACSHA256" as const,
  stateHost: "10.0.128.10",
  statePort: 42424,
  healthCheckPath: "/health.aspx",
};
const state = { ...boot, statePort: 42424, webCidrs: ["10.0.0.0/16"] };

/** The PowerShell inside the EC2Launch v2 document, and the task that runs it. */
function task(userData: string) {
  const document = YAML.parse(userData);
  expect(document.version).toBe(1.1);
  expect(document.tasks).toHaveLength(1);
  expect(document.tasks[0].task).toBe("executeScript");
  return document.tasks[0].inputs[0] as {
    frequency: string;
    type: string;
    runAs: string;
    detach: boolean;
    content: string;
  };
}

/** Both scripts: run once, waited for, stop on any error and fail loudly where an operator looks. */
function expectFailsLoudly(userData: string) {
  const t = task(userData);
  expect(t).toMatchObject({ frequency: "once", type: "powershell", runAs: "localSystem", detach: false });
  const script = t.content;
  expect(script).toContain("$ErrorActionPreference = 'Stop'");
  expect(script).toMatch(
    /function Fail[\s\S]*Write-EventLog -LogName System[\s\S]*Set-BootStatus \('failed: ' \+ \$Message\)[\s\S]*exit 1/,
  );
  expect(script).toContain(`New-EC2Tag -Resource $InstanceId -Tag @{ Key = '${BOOT_TAG}'`);
  expect(script.trimEnd().split("\n").slice(-5)).toEqual(expect.arrayContaining(["Set-BootStatus 'ok'", "exit 0"]));
  expect(balanced(script)).toBe(true);
  // The CloudWatch agent comes first, so even a failed boot's log reaches CloudWatch.
  expect(script.indexOf("Step 'start the CloudWatch agent'")).toBeLessThan(
    script.indexOf("Step '", script.indexOf("Step 'start the CloudWatch agent'") + 1),
  );
  expect(script).toContain("amazon-cloudwatch-agent-ctl.ps1') -a fetch-config -m ec2 -s -c 'ssm:");
}

test("the delimiter check rejects a broken script", () => {
  expect(balanced("if ($x) { Write-Output 'a' ")).toBe(false);
  expect(balanced("<powershell>if ($x) { Write-Output 'a' </powershell>")).toBe(false);
  expect(balanced('<powershell>Write-Output "unclosed</powershell>')).toBe(false);
  expect(balanced("<powershell>if ($x) { Write-Output 'it''s {' }</powershell>")).toBe(true);
});

describe("web node user data", () => {
  const script = webNodeUserData(web);

  test("is one EC2Launch v2 task, run once and waited for, that stops on errors and fails loudly", () =>
    expectFailsLoudly(script));

  test("reads the key with backoff for about ten minutes, and keeps the root web.config's original once", () => {
    expect(KEY_READ_SECONDS).toBe(600);
    expect(script).toContain("$deadline = (Get-Date).AddSeconds(600)");
    expect(script).toContain("$wait = [Math]::Min($wait * 2, 60)");
    expect(script).toContain(
      "if (-not (Test-Path -LiteralPath $backup)) { Copy-Item -LiteralPath $path -Destination $backup }",
    );
    expect(script).not.toContain("-Destination ($path + '.before-webfarm') -Force");
  });

  test("in Auto Scaling mode it completes the launch lifecycle action: CONTINUE when ready, ABANDON on failure", () => {
    expect(script).toContain("$LifecycleHook = $null");
    const scaled = task(webNodeUserData({ ...web, lifecycleHook: "shop-ready" })).content;
    expect(scaled).toContain("$LifecycleHook = 'shop-ready'");
    expect(scaled).toContain(
      "Complete-ASLifecycleAction -LifecycleHookName $LifecycleHook -AutoScalingGroupName $group -InstanceId $InstanceId -LifecycleActionResult $Result",
    );
    expect(scaled).toMatch(/Set-BootStatus 'ok'\nComplete-Launch 'CONTINUE'/);
    expect(scaled).toMatch(/Set-BootStatus \('failed: ' \+ \$Message\)\n\s*Complete-Launch 'ABANDON'/);
  });

  test("installs whichever of IIS and ASP.NET 4.x the machine lacks (none on a farm image), checked on the machine", () => {
    expect(script).toContain(
      "$missing = @(Get-WindowsFeature -Name 'Web-Server', 'Web-Asp-Net45', 'NET-Framework-45-ASPNET' | Where-Object { -not $_.Installed }",
    );
    expect(script).toContain("$result = Install-WindowsFeature -Name $missing");
    // The image's own record is only logged: nothing is skipped because an image says so.
    expect(script).toMatch(
      /\$image = 'C:\\ProgramData\\aspnet-webfarm\\image\.json'; if \(Test-Path -LiteralPath \$image\) \{ Write-Output/,
    );
    expect(script.match(/image\.json/g)).toHaveLength(1);
  });

  test("installs the CloudWatch agent only when its service is missing, and fails when it is still missing after", () => {
    expect(script).toContain(
      "if (Get-Service -Name $Service -ErrorAction SilentlyContinue) { Write-Host ('already installed: ' + $What); return }",
    );
    expect(script).toContain("throw ('no ' + $Service + ' service after installing the ' + $What)");
    expect(script).toContain(
      "Install-Agent 'CloudWatch agent' 'AmazonCloudWatchAgent' 'https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/",
    );
  });

  test("reads the key from the SecureString parameter with decryption, and checks version and lengths", () => {
    expect(script).toContain("$KeyParameter = '/aspnet-webfarm/dev/shop/machine-key'");
    expect(script).toContain("Get-SSMParameter -Name $KeyParameter -WithDecryption $true -Region $Region");
    expect(script).toContain("$KeyVersion = '1'");
    expect(script).toMatch(/HMACSHA256 = 128/);
  });

  test("writes machineKey and sessionState into both the 32-bit and 64-bit root web.config", () => {
    expect(script).toContain("foreach ($framework in 'Framework', 'Framework64')");
    expect(script).toContain("'\\v4.0.30319\\Config\\web.config'");
    expect(script).toContain("$machineKey.SetAttribute('decryption', 'AES')");
    expect(script).toContain("stateConnectionString = 'tcpip=10.0.128.10:42424'");
    expect(script).toContain("mode = 'StateServer'");
  });

  test("pins the site id (KB 325056) and writes a session-free health page", () => {
    expect(script).toContain("$SiteName = 'Default Web Site'");
    expect(script).toContain("$SiteId = 1");
    expect(script).toContain("$HealthFile = 'health.aspx'");
    expect(script).toContain('EnableSessionState="false"');
  });

  test("contains no key material", () => {
    expect(script).not.toMatch(/[0-9A-Fa-f]{40,}/);
    expect(script).not.toMatch(/<machineKey/i);
  });

  test("a different key version or algorithm changes the script (so nodes are replaced)", () => {
    expect(webNodeUserData({ ...web, keyVersion: "2" })).not.toBe(script);
    expect(webNodeUserData({ ...web, keyValidation: "HMACSHA512" })).not.toBe(script);
  });

  test.each([
    ["a quote in the parameter name", { keyParameterName: "/x'; Remove-Item C:\\ -Recurse; '" }],
    ["a space in the key version", { keyVersion: "1 2" }],
    ["a quote in the state host", { stateHost: "10.0.0.1'" }],
    ["a subexpression in the state host", { stateHost: "$(calc)" }],
    ["a quote in the region", { region: "eu-west-1'" }],
    ["a quote in the health path", { healthCheckPath: "/health'.aspx" }],
    ["a folder as health path", { healthCheckPath: "/health/" }],
    ["port 0", { statePort: 0 }],
  ])("rejects %s", (_label, override) => {
    expect(() => webNodeUserData({ ...web, ...override } as typeof web)).toThrow();
  });

  test("stays under EC2's 16 KB limit even with the longest allowed values", () => {
    const longest = webNodeUserData({
      ...web,
      stateHost: `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.internal`,
      keyParameterName: `/${"p".repeat(1000)}`,
    });
    expect(Buffer.byteLength(longest)).toBeLessThan(USER_DATA_LIMIT_BYTES);
  });
});

describe("state server user data", () => {
  const script = stateServerUserData(state);

  test("is one EC2Launch v2 task, run once and waited for, that stops on errors and fails loudly", () =>
    expectFailsLoudly(script));

  test("fails when the aspnet_state service is missing", () => {
    expect(script).toContain("if (-not (Get-Service -Name aspnet_state -ErrorAction SilentlyContinue)) { throw");
  });

  test("sets AllowRemoteConnection (singular) and Port as DWORDs under the service's Parameters key", () => {
    expect(script).toContain("'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters'");
    expect(script).toContain("-Name AllowRemoteConnection -PropertyType DWord -Value 1");
    expect(script).not.toContain("AllowRemoteConnections");
    expect(script).toContain("-Name Port -PropertyType DWord -Value $StatePort");
    expect(script).toContain("$StatePort = 42424");
  });

  test("starts the service automatically and restarts it after writing the values", () => {
    const registry = script.indexOf("AllowRemoteConnection -PropertyType");
    expect(script).toContain("Set-Service -Name aspnet_state -StartupType Automatic");
    expect(script.indexOf("Restart-Service -Name aspnet_state")).toBeGreaterThan(registry);
  });

  test("opens the firewall for the state port from the VPC only", () => {
    expect(script).toContain("$WebCidrs = @('10.0.0.0/16')");
    expect(script).toMatch(
      /New-NetFirewallRule .*-Direction Inbound -Protocol TCP -LocalPort \$StatePort -RemoteAddress \$WebCidrs -Action Allow/,
    );
    expect(script).not.toMatch(/RemoteAddress (Any|0\.0\.0\.0)/);
  });

  test.each([
    ["a quote in a CIDR", { webCidrs: ["10.0.0.0/8'"] }],
    ["no CIDR", { webCidrs: [] }],
    ["port 65536", { statePort: 65536 }],
    ["a lifecycle hook with a quote", { lifecycleHook: "ready'" }],
    ["a DNS suffix that is not AWS's", { dnsSuffix: "evil.example" }],
  ])("rejects %s", (_label, override) => {
    expect(() => stateServerUserData({ ...state, ...override })).toThrow();
  });

  test("too many CIDRs for 16 KB is an error when generated, not a failed boot", () => {
    const many = Array.from({ length: 1200 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/24`);
    expect(() => stateServerUserData({ ...state, webCidrs: many })).toThrow(/at most 16384/);
  });
});
