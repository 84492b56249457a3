// The user data the nodes run at first boot: an EC2Launch v2 document whose one task, not
// detached, is a short loader carrying the boot script gzip+base64; structure checks, the loader's
// round trip, hostile input, and the size of every user data document at the longest values
// validation allows. The reviewed copy of each script is the one in plans/<stack>/.
import { createHash } from "crypto";
import { gunzipSync } from "zlib";
import YAML from "yaml";
import {
  MAX_FARM_NAME_LENGTH,
  MAX_HEALTH_CHECK_PATH_LENGTH,
  MAX_KEY_PARAMETER_NAME_LENGTH,
  MAX_PROJECT_NAME_LENGTH,
  MAX_STACK_NAME_LENGTH,
  webFarmArgProblems,
} from "../../components/args/args";
import { codeDeployNames } from "../../components/releases/application";
import { farmNames } from "../../components/aws/names";
import { stateAddress } from "../../components/sessions/stateServer/stateServer";
import { stateServerNodeSession } from "../../components/sessions/stateServer/windows/stateSession";
import { sqlServerNodeSession } from "../../components/sessions/sqlServer/windows/sqlSession";
import { launchHookName } from "../../components/nodes/webNodes";
import {
  BOOT_SCRIPT,
  BOOT_TAG,
  bootScriptOf,
  ec2LaunchDocument,
  expandUserData,
  KEY_READ_SECONDS,
  MAX_VPC_CIDRS,
  packScript,
  rdsTrustBundleUrl,
  sessionSetupUserData,
  stateServerUserData,
  USER_DATA_BUDGET_BYTES,
  USER_DATA_LIMIT_BYTES,
  userDataPayloads,
  webNodeUserData,
  WebNodeBootValues,
} from "../../components/windows";
import { bootTextOf, buildFarm, inputsText, T, userDataOf } from "../support/graph";
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
  session: stateServerNodeSession({ stateHost: "10.0.128.10", statePort: 42424 }),
  healthCheckPath: "/health.aspx",
};
const state = { ...boot, statePort: 42424, webCidrs: ["10.0.0.0/16"] };
/** sha256 (first 16 hex) of packScript's output for a fixed text: pins the compressor's bytes. */
const PACKED_DIGEST = "b0010ef8b220a2e5";

/** The EC2Launch v2 document's one task (its content is the loader), with the script the loader carries. */
function task(userData: string) {
  const document = YAML.parse(userData);
  expect(document.version).toBe(1.1);
  expect(document.tasks).toHaveLength(1);
  expect(document.tasks[0].task).toBe("executeScript");
  const input = document.tasks[0].inputs[0] as {
    frequency: string;
    type: string;
    runAs: string;
    detach: boolean;
    content: string;
  };
  return { ...input, loader: input.content, content: bootScriptOf(userData) };
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

describe("the loader (the task's content)", () => {
  const userData = webNodeUserData(web);
  const { loader, content: script } = task(userData);

  test("unpacks the script with GZipStream, writes it as UTF-8 with a BOM, runs it with -File and exits with its code", () => {
    expect(balanced(loader)).toBe(true);
    expect(loader).toContain(`$Script = '${BOOT_SCRIPT}'`);
    expect(loader).toMatch(/\[Convert\]::FromBase64String\('H4sI[A-Za-z0-9+/]+={0,2}'\)/);
    expect(loader).toContain(
      "[System.IO.Compression.GZipStream]::new($Packed, [System.IO.Compression.CompressionMode]::Decompress)",
    );
    expect(loader).toContain("[System.IO.File]::WriteAllText($Script, $Text, [System.Text.UTF8Encoding]::new($true))");
    expect(loader).toContain(
      "& (Join-Path $PSHOME 'powershell.exe') -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $Script",
    );
    // The script's exit code is the task's: EC2Launch v2 (detach: false) sees a failed boot.
    expect(loader.trimEnd().split("\n").slice(-1)).toEqual(["exit $LASTEXITCODE"]);
    expect(script.trimEnd().split("\n").slice(-1)).toEqual(["exit 0"]);
    expect(loader).toContain("$ErrorActionPreference = 'Stop'");
  });

  test("makes its folder SYSTEM's and Administrators' only (no inherited Users' write) before writing the script", () => {
    const at = loader.indexOf(
      "icacls.exe $Dir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' /Q",
    );
    expect(at).toBeGreaterThan(loader.indexOf("$Dir = (New-Item -ItemType Directory -Force"));
    expect(loader.indexOf("if ($LASTEXITCODE) { throw 'icacls failed' }")).toBeGreaterThan(at);
    expect(loader.indexOf("[System.IO.File]::WriteAllText($Script")).toBeGreaterThan(at);
  });

  test("is small: all but the payload is under 1.5 KB (1.2 KB before the folder's ACL)", () => {
    const payload = /H4sI[A-Za-z0-9+/]+={0,2}/.exec(userData)![0];
    expect(Buffer.byteLength(userData) - payload.length).toBeLessThan(1500);
  });

  test("round trip: Node's own zlib (not the packer's library) decompresses the payload to exactly the script", () => {
    const lines = ["# a script", "", "Write-Output 'it''s ü'", "  exit 0"];
    const document = ec2LaunchDocument(lines);
    const [payload, ...more] = /H4sI[A-Za-z0-9+/]+={0,2}/.exec(document) ?? [];
    expect(more).toEqual([]);
    expect(gunzipSync(Buffer.from(payload!, "base64")).toString("utf8")).toBe(lines.join("\n"));
    expect(bootScriptOf(document)).toBe(lines.join("\n"));
    // The node's real script too: the one the generator built, from its first line to its last.
    expect(script.startsWith("# aspnet-webfarm web node bootstrap")).toBe(true);
    expect(userDataPayloads(userData)).toEqual([script]);
  });

  test("is byte-identical on every machine: a fixed text packs to fixed bytes (no time, a pinned compressor)", () => {
    const packed = Buffer.from(packScript("Write-Output 'aspnet-webfarm'\n".repeat(20)), "base64");
    expect([...packed.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    // A compressor upgrade that changes these bytes would replace every node: decide it in review.
    expect(createHash("sha256").update(packed).digest("hex").slice(0, 16)).toBe(PACKED_DIGEST);
    expect(webNodeUserData(web)).toBe(userData);
  });

  test("pins the script by content: any change to it changes the user data", () => {
    expect(ec2LaunchDocument(["exit 0"])).not.toBe(ec2LaunchDocument(["exit 1"]));
    expect(webNodeUserData({ ...web, healthCheckPath: "/health2.aspx" })).not.toBe(userData);
  });

  test("control: a key planted in the script hides from a plain scan of the user data, not from the decoder", () => {
    const key = "A1B2".repeat(32);
    const planted = ec2LaunchDocument([`$k = '${key}'`, "'<machineKey validationKey=\"x\"/>' | Out-File web.config"]);
    expect(planted).not.toContain(key);
    expect(planted).not.toMatch(/<machineKey/);
    expect(expandUserData(planted)).toContain(key);
    expect(expandUserData(planted)).toMatch(/<machineKey/);
  });

  test("control: the graph helpers' scan text (inputsText) finds it in an instance and in a launch template", () => {
    const planted = ec2LaunchDocument(["$k = 'A1B2A1B2A1B2A1B2A1B2A1B2A1B2A1B2A1B2A1B2A1B2'"]);
    const resource = (type: string, userData: string) =>
      ({ type, name: "n", inputs: { userData }, secretPaths: [] }) as unknown as Parameters<typeof inputsText>[0];
    expect(JSON.stringify(resource(T.instance, planted).inputs)).not.toContain("A1B2A1B2A1B2");
    expect(inputsText(resource(T.instance, planted))).toContain("A1B2A1B2A1B2");
    expect(inputsText(resource(T.template, Buffer.from(planted).toString("base64")))).toContain("A1B2A1B2A1B2");
  });

  test("a payload that does not decompress is an error, not a silent pass", () => {
    const broken = userData.replace(/H4sI([A-Za-z0-9+/]{40})/, "H4sIAAAA$1");
    expect(() => expandUserData(broken)).toThrow(/payload 1 is not a gzip stream/);
  });
});

test("the delimiter check rejects a broken script", () => {
  expect(balanced("if ($x) { Write-Output 'a' ")).toBe(false);
  expect(balanced("<powershell>if ($x) { Write-Output 'a' </powershell>")).toBe(false);
  expect(balanced('<powershell>Write-Output "unclosed</powershell>')).toBe(false);
  expect(balanced("<powershell>if ($x) { Write-Output 'it''s {' }</powershell>")).toBe(true);
});

describe("web node user data", () => {
  const userData = webNodeUserData(web);
  const script = bootScriptOf(userData);

  test("is one EC2Launch v2 task, run once and waited for, that stops on errors and fails loudly", () =>
    expectFailsLoudly(userData));

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

  test("contains no key material, its compressed script read expanded", () => {
    const text = expandUserData(userData);
    expect(text).toContain("Get-SSMParameter -Name $KeyParameter");
    expect(text).not.toMatch(/[0-9A-Fa-f]{40,}/);
    expect(text).not.toMatch(/<machineKey/i);
  });

  test("a different key version or algorithm changes the script (so nodes are replaced)", () => {
    expect(webNodeUserData({ ...web, keyVersion: "2" })).not.toBe(userData);
    expect(webNodeUserData({ ...web, keyValidation: "HMACSHA512" })).not.toBe(userData);
  });

  test.each([
    ["a quote in the parameter name", { keyParameterName: "/x'; Remove-Item C:\\ -Recurse; '" }],
    ["a space in the key version", { keyVersion: "1 2" }],
    ["a quote in the state host", { session: stateServerNodeSession({ stateHost: "10.0.0.1'", statePort: 42424 }) }],
    [
      "a subexpression in the state host",
      { session: stateServerNodeSession({ stateHost: "$(calc)", statePort: 42424 }) },
    ],
    ["a quote in the region", { region: "eu-west-1'" }],
    ["a quote in the health path", { healthCheckPath: "/health'.aspx" }],
    ["a folder as health path", { healthCheckPath: "/health/" }],
    ["port 0", { session: stateServerNodeSession({ stateHost: "10.0.128.10", statePort: 0 }) }],
  ])("rejects %s", (_label, override) => {
    expect(() => webNodeUserData({ ...web, ...override } as typeof web)).toThrow();
  });
});

describe("state server user data", () => {
  const userData = stateServerUserData(state);
  const script = bootScriptOf(userData);

  test("is one EC2Launch v2 task, run once and waited for, that stops on errors and fails loudly", () =>
    expectFailsLoudly(userData));

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

  test("more CIDRs than a VPC can have is an error when generated, not a failed boot", () => {
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `10.${i}.0.0/16`);
    expect(() => stateServerUserData({ ...state, webCidrs: cidrs(MAX_VPC_CIDRS + 1) })).toThrow(/at most 50/);
    expect(() => stateServerUserData({ ...state, webCidrs: cidrs(MAX_VPC_CIDRS) })).not.toThrow();
  });
});

// ---- size at the longest values validation allows ------------------------------------------

/** Deterministic characters that compress like the worst a user could type (mulberry32). */
function noise(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (alphabet: string, length: number) =>
    Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
}
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The longest value of each thing that reaches user data, as validation allows it. */
function longestValues(seed = 22) {
  const pick = noise(seed);
  const project = "p" + pick(`${ALNUM}_.-`, MAX_PROJECT_NAME_LENGTH - 1);
  const stack = "s" + pick(`${ALNUM}_.-`, MAX_STACK_NAME_LENGTH - 1);
  const farm = "f" + pick(`${ALNUM}-`, MAX_FARM_NAME_LENGTH - 2) + "z";
  return {
    project,
    stack,
    farm,
    names: farmNames(project, stack, farm),
    keyParameterName: "/k" + pick(`${ALNUM}_.-/`, MAX_KEY_PARAMETER_NAME_LENGTH - 3) + "k",
    healthCheckPath: "/h" + pick(`${ALNUM}._-/`, MAX_HEALTH_CHECK_PATH_LENGTH - 3) + "x",
    machineKeyVersion: "v" + pick(`${ALNUM}._-`, 63),
    // Regions are validated at 32 characters (today's longest is 15); the GovCloud partition's URLs are the longest.
    region: "ab-" + pick("abcdefghijklmnopqrstuvwxyz", 27) + "-9",
    partition: "aws-us-gov",
    dnsSuffix: "amazonaws.com.cn",
  };
}

describe(`every user data document fits the kit's budget (${USER_DATA_BUDGET_BYTES} bytes, 75% of EC2's ${USER_DATA_LIMIT_BYTES}) at the longest values`, () => {
  const v = longestValues();

  test("those values are the longest validation allows: each passes, one more character fails", () => {
    const args = (over: Record<string, unknown>) => ({ nodeCount: 2, ...over });
    expect(
      webFarmArgProblems(
        v.farm,
        args({
          healthCheckPath: v.healthCheckPath,
          keyParameterName: v.keyParameterName,
          machineKeyVersion: v.machineKeyVersion,
        }),
      ),
    ).toEqual([]);
    const fields = (over: Record<string, unknown>, name = v.farm) =>
      webFarmArgProblems(name, args(over)).map((p) => p.propertyPath);
    expect(fields({ healthCheckPath: v.healthCheckPath + "x" })).toEqual(["healthCheckPath"]);
    expect(fields({ keyParameterName: v.keyParameterName + "k" })).toEqual(["keyParameterName"]);
    expect(fields({ machineKeyVersion: v.machineKeyVersion + "1" })).toEqual(["machineKeyVersion"]);
    expect(fields({}, v.farm + "z")).toEqual(["name"]);
    // The generators hold the same line on values that come from AWS or Pulumi.
    const boot = {
      region: v.region,
      dnsSuffix: v.dnsSuffix,
      cloudWatchConfigParameter: v.names.agentConfig.stateServer,
    };
    expect(() => stateServerUserData({ ...boot, statePort: 1, webCidrs: ["10.0.0.0/16"] })).not.toThrow();
    expect(() =>
      stateServerUserData({ ...boot, region: "a" + v.region, statePort: 1, webCidrs: ["10.0.0.0/16"] }),
    ).toThrow(/region/);
  });

  const web = (mode: { sql: boolean; app?: "instances" | "autoscaling"; hook: boolean }): WebNodeBootValues => ({
    region: v.region,
    dnsSuffix: v.dnsSuffix,
    cloudWatchConfigParameter: v.names.agentConfig.webNode,
    lifecycleHook: mode.hook ? launchHookName(v.farm) : undefined,
    keyParameterName: v.keyParameterName,
    keyVersion: v.machineKeyVersion,
    keyValidation: "HMACSHA512",
    session: mode.sql
      ? sqlServerNodeSession({
          sessionSecret: v.names.sessionSecret,
          trustBundleUrl: rdsTrustBundleUrl(v.partition, v.region),
          timeoutMinutes: 525600,
        })
      : stateServerNodeSession({ stateHost: stateAddress(v.farm).host, statePort: 65535, timeoutMinutes: 525600 }),
    healthCheckPath: v.healthCheckPath,
    codeDeploy:
      mode.app === undefined
        ? undefined
        : { currentRelease: mode.app === "instances" ? codeDeployNames(v.farm) : undefined },
  });
  const modes = [false, true].flatMap((sql) =>
    [undefined, "instances" as const, "autoscaling" as const].flatMap((app) =>
      (app === "instances" ? [false] : app === "autoscaling" ? [true] : [false, true]).map((hook) => ({
        sql,
        app,
        hook,
      })),
    ),
  );

  test.each(modes)("web node, SQL Server $sql, application $app, launch hook $hook", (mode) => {
    const userData = webNodeUserData(web(mode));
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_BUDGET_BYTES);
    // The longest values are really in it.
    expect(bootScriptOf(userData)).toContain(v.keyParameterName);
  });

  test.each([false, true])("web node in Auto Scaling mode with the Spot interruption watch, SQL Server %s", (sql) => {
    const pick = noise(11);
    // A target group name has at most 32 characters; its id is 16 hex digits.
    const targetGroupArn = `arn:${v.partition}:elasticloadbalancing:${v.region}:123456789012:targetgroup/t${pick(`${ALNUM}-`, 30)}z/${pick("0123456789abcdef", 16)}`;
    const userData = webNodeUserData({
      ...web({ sql, app: "autoscaling", hook: true }),
      spotWatch: { targetGroupArn },
    });
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_BUDGET_BYTES);
    expect(bootScriptOf(userData)).toContain(targetGroupArn);
  });

  test("state server, with as many VPC CIDRs as AWS allows", () => {
    const pick = noise(7);
    const octet = () => String(Number(pick("0123456789", 3)) % 256);
    const cidrs = Array.from({ length: MAX_VPC_CIDRS }, () => `${octet()}.${octet()}.${octet()}.0/24`);
    const userData = stateServerUserData({
      region: v.region,
      dnsSuffix: v.dnsSuffix,
      cloudWatchConfigParameter: v.names.agentConfig.stateServer,
      statePort: 65535,
      webCidrs: cidrs,
    });
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_BUDGET_BYTES);
  });

  test("the session database's setup instance", () => {
    const userData = sessionSetupUserData({
      region: v.region,
      dnsSuffix: v.dnsSuffix,
      cloudWatchConfigParameter: v.names.agentConfig.stateServer,
      sessionSecret: v.names.sessionSecret,
      trustBundleUrl: rdsTrustBundleUrl(v.partition, v.region),
      // RDS names the master user's secret rds!db-<uuid>-<6 characters>.
      masterSecretArn: `arn:aws-us-gov:secretsmanager:${v.region}:123456789012:secret:rds!db-0123abcd-4567-89ef-0123-456789abcdef-AbCdEf`,
    });
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_BUDGET_BYTES);
  });
});

test("through the component: every user data a farm registers, at the longest names and values, fits the budget", async () => {
  const v = longestValues(5);
  const { graph } = await buildFarm(
    {
      nodeCount: 2,
      sessionStore: "sqlServer",
      healthCheckPath: v.healthCheckPath,
      keyParameterName: v.keyParameterName,
      machineKeyVersion: v.machineKeyVersion,
      sessionTimeoutMinutes: 525600,
      validation: "HMACSHA512",
      app: { bucket: "shop-builds", key: "shop/site.zip" },
    },
    v.farm,
    { project: v.project, stack: v.stack },
  );
  const nodes = [...graph.ofType(T.instance), ...graph.ofType(T.template)];
  expect(nodes.map((r) => r.inputs.tags?.["webfarm:role"]).sort()).toEqual(["session-setup", "web-node", "web-node"]);
  for (const node of nodes) {
    expect(Buffer.byteLength(userDataOf(node))).toBeLessThanOrEqual(USER_DATA_BUDGET_BYTES);
    expect(bootTextOf(node)).toContain(v.stack);
  }
});
