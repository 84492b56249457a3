// A release as CodeDeploy runs it on a Windows node: the appspec, the hooks and their manifest.
// No PowerShell runs here: the checks are structure, quoting, size and what each hook does.
import { createHash } from "crypto";
import YAML from "yaml";
import { XMLParser } from "fast-xml-parser";
import {
  appSpec,
  bundleFiles,
  checkManifest,
  CHILD_MARGIN_SECONDS,
  HOOK_SCRIPT_LIMIT_BYTES,
  HOOK_TIMEOUT_SECONDS,
  HOOKS,
  PRECOMPILED_NOT_UPDATABLE,
  psLiteral,
  releaseBundle,
  releaseFolderName,
  releaseId,
  REWRITE_MISSING,
  VALIDATE_SECONDS,
  healthPageExemptionXml,
  installHook,
  ReleaseManifest,
  releaseManifestJson,
  releaseWebConfig,
  startHook,
  validateHook,
} from "../../../components/windows";
import { balanced } from "../../support/powershell";

const manifest: ReleaseManifest = {
  version: "v2",
  sha256: "ab".repeat(32),
  region: "eu-west-1",
  site: { bucket: "shop-releases", key: "shop/site.zip", versionId: "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" },
  healthCheckPath: "/health.aspx",
  validatePath: "/status.aspx?deep=1",
  validateStatuses: [302],
  appSettings: [{ name: "Greeting", value: 'say "hi" & <bye>' }],
  connectionStrings: [{ name: "Reports", value: "Server=r;Database=x" }],
  secretAppSettings: [{ name: "PaymentKey", ssmParameter: "/shop/prod/payment" }],
  secretConnectionStrings: [{ name: "ShopDb", secretsManagerSecret: "shop/prod/db" }],
};
const hooks = {
  install: installHook({ farmName: "shop" }),
  start: startHook({ farmName: "shop" }),
  validate: validateHook({ farmName: "shop" }),
};

describe("appspec.yml", () => {
  const spec = YAML.parse(appSpec());

  test("is an EC2 in-place appspec for Windows whose hooks install, start and validate", () => {
    expect(spec).toEqual({
      version: 0,
      os: "windows",
      hooks: {
        BeforeInstall: [{ location: "hooks/install.ps1", timeout: 900 }],
        ApplicationStart: [{ location: "hooks/start.ps1", timeout: 600 }],
        ValidateService: [{ location: "hooks/validate.ps1", timeout: 300 }],
      },
    });
  });

  test("every hook it names is in the bundle, and the hooks are the same for every release", () => {
    const files = bundleFiles({ farmName: "shop" });
    for (const hook of Object.values(spec.hooks) as { location: string }[][])
      expect(files[hook[0].location]).toBeDefined();
    expect(Object.keys(files).sort()).toEqual([
      "appspec.yml",
      "hooks/install.ps1",
      "hooks/start.ps1",
      "hooks/validate.ps1",
    ]);
    expect(JSON.stringify(files)).not.toContain("v2");
  });
});

describe.each(Object.entries(hooks))("the %s hook", (_name, script) => {
  test("relaunches itself in 64-bit PowerShell first (CodeDeploy runs hooks in 32-bit, where IIS cannot be managed)", () => {
    const first = script.split("\r\n").findIndex((l) => !l.startsWith("#"));
    expect(script.split("\r\n")[first]).toBe("if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {");
    expect(script).toContain("(Join-Path $env:WINDIR 'sysnative\\WindowsPowerShell\\v1.0\\powershell.exe')");
    expect(script).toContain("$info.Arguments = '-NoProfile -ExecutionPolicy Bypass -File \"' + $PSCommandPath + '\"'");
    expect(script).toContain("exit $child.ExitCode");
  });

  test("the 64-bit child is stopped, with its children, before the hook's timeout (the agent would kill only the parent), and the hook fails", () => {
    const hook = HOOKS.find((h) => h.file === `${_name}.ps1`)!;
    const ms = Number(/\$done = \$child\.WaitForExit\((\d+)\)/.exec(script)?.[1]);
    expect(ms).toBe((hook.timeoutSeconds - CHILD_MARGIN_SECONDS) * 1000);
    expect(ms).toBeLessThan(hook.timeoutSeconds * 1000);
    expect(script).toContain("if (-not $done) { & taskkill.exe /PID $child.Id /T /F | Out-Null }");
    expect(script).toMatch(/if \(-not \$done\) \{ Write-Output '[^']*not done after \d+ s[^']*'; exit 1 \}/);
    // No call operator on the child: it would wait for it without a bound.
    expect(script).not.toMatch(/& \(Join-Path \$env:WINDIR 'sysnative/);
  });

  test("stops on any error with exit 1, which fails the node's deployment", () => {
    expect(script).toContain("$ErrorActionPreference = 'Stop'");
    expect(script).toContain("trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }");
    expect(balanced(script)).toBe(true);
  });

  test("reads the release from release.json beside it, and stays small", () => {
    expect(script).toContain("$ReleaseFile = Join-Path $PSScriptRoot '..\\release.json'");
    expect(script).toContain("$Release = Get-Content -Raw -LiteralPath $ReleaseFile | ConvertFrom-Json");
    expect(script).toContain("$ReleaseRoot = 'C:\\inetpub\\shop\\releases'");
    expect(Buffer.byteLength(script)).toBeLessThan(HOOK_SCRIPT_LIMIT_BYTES);
  });
});

describe("what each hook does", () => {
  test("every hook works in the folder named for the whole release: its version and 12 hex of release.json's hash", () => {
    for (const script of Object.values(hooks)) {
      expect(script).toContain(
        "$ReleaseId = (Get-FileHash -Algorithm SHA256 -LiteralPath $ReleaseFile).Hash.ToLowerInvariant()",
      );
      expect(script).toContain(
        "$ReleaseDir = Join-Path $ReleaseRoot ($Release.version + '-' + $ReleaseId.Substring(0, 12))",
      );
    }
    // "installed already" only for the very same release: the marker holds the whole release's hash, not the build's.
    expect(hooks.install).toContain("(Get-Content -Raw -LiteralPath $Marker).Trim() -eq $ReleaseId)) {");
    expect(hooks.install).toContain("Set-Content -LiteralPath $Marker -Value $ReleaseId");
    expect(hooks.install).not.toContain("$Release.sha256");
  });

  test("install: downloads the build from S3 (its version when given) into a new release folder", () => {
    expect(hooks.install).toContain(
      "$s3 = @{ BucketName = $Release.site.bucket; Key = $Release.site.key; File = $zip; Region = $Release.region }",
    );
    expect(hooks.install).toContain("if ($Release.site.versionId) { $s3.VersionId = $Release.site.versionId }");
    expect(hooks.install).toContain("Expand-Archive -LiteralPath $zip -DestinationPath $ReleaseDir -Force");
  });

  test("install: refuses an application web.config that overrides the farm's machineKey or sessionState", () => {
    expect(hooks.install).toMatch(
      /foreach \(\$name in 'machineKey', 'sessionState'\) \{ if \(\$web\.SelectSingleNode\(\$name\)\) \{ throw/,
    );
  });

  test("install: writes settings by comparing attributes, never by an XPath built from a name", () => {
    expect(hooks.install).toContain(
      "if ($child.LocalName -eq 'add' -and $child.GetAttribute($KeyAttribute) -eq $Key) { $entry = $child }",
    );
    expect(hooks.install).not.toMatch(/SelectSingleNode\([^)]*\$Key/);
    expect(hooks.install).toContain("Set-Entry 'appSettings' 'key' 'webfarm:release' 'value' $Release.version");
  });

  test("install: resolves secrets on the node and never logs a value", () => {
    expect(hooks.install).toContain("Get-SSMParameter -Name $Source.ssmParameter -WithDecryption $true");
    expect(hooks.install).toContain("Get-SECSecretValue -SecretId $Source.secretsManagerSecret");
    for (const line of hooks.install.split("\r\n").filter((l) => l.includes("Say "))) {
      expect({ line, logsValue: /Get-Secret|\.value\b|\$Value/.test(line) }).toEqual({ line, logsValue: false });
    }
  });

  test("install: the health page comes with the release, so a node without one is never healthy", () => {
    expect(hooks.install).toContain("$health = Join-Path $ReleaseDir ($Release.healthCheckPath.TrimStart('/')");
    expect(hooks.install).toContain('EnableSessionState="false"');
  });

  test("start: switches the site's physical path in one step, recycles its pool, warms up, keeps the newest releases", () => {
    const switchAt = hooks.start.indexOf(
      "Set-ItemProperty -LiteralPath ('IIS:\\Sites\\' + $SiteName) -Name physicalPath -Value $ReleaseDir",
    );
    const recycleAt = hooks.start.indexOf("Restart-WebAppPool -Name $site.applicationPool");
    expect(switchAt).toBeGreaterThan(0);
    expect(recycleAt).toBeGreaterThan(switchAt);
    expect(hooks.start).toContain("$SiteName = 'Default Web Site'");
    expect(hooks.start).toMatch(/Select-Object -Skip 3 \| Where-Object \{ \$_\.FullName -ne \$ReleaseDir \}/);
  });

  test("validate: the health page must answer 200 through IIS on the node: the application started", () => {
    expect(hooks.validate).toContain("$url = 'http://localhost' + $Path");
    expect(hooks.validate).toContain(
      "Test-Url $Release.healthCheckPath @(200) 'the application did not start, or it refuses the health page",
    );
  });

  test("validate: validatePath only when set, 200 or a listed status, redirects answered not followed, the option named", () => {
    expect(hooks.validate).toContain("if ($Release.validatePath) {");
    expect(hooks.validate).toContain(
      "Test-Url $Release.validatePath (@(200) + @($Release.validateStatuses)) 'set appValidatePath to a page of the application that answers 200, or list its status in appValidateStatuses'",
    );
    expect(hooks.validate).toContain("$request.AllowAutoRedirect = $false");
    // A 4xx/5xx answer is a WebException (possibly wrapped by PowerShell) carrying the response.
    expect(hooks.validate).toContain(
      "while ($e -and -not ($e -is [System.Net.WebException])) { $e = $e.InnerException }",
    );
    expect(hooks.validate).toContain("if ($Accepted -contains $code) { return }");
    expect(hooks.validate).not.toContain("Invoke-WebRequest");
  });

  test("start: warms up only the paths that are set", () => {
    expect(hooks.start).toContain(
      "foreach ($path in (@($Release.healthCheckPath, $Release.validatePath) | Where-Object { $_ })) {",
    );
  });

  test("install: exempts the health page from the application's access and rewrite rules, where it uses them", () => {
    expect(hooks.install).toContain("$healthRelative = $Release.healthCheckPath.TrimStart('/')");
    expect(hooks.install).toContain("$exemption.InnerXml = $exemptions[$features]");
    for (const key of ["00", "01", "10", "11"]) {
      const xml = healthPageExemptionXml({ iisAuthorization: key[0] === "1", rewrite: key[1] === "1" });
      expect(hooks.install).toContain(`'${key}' = '${xml}'`);
    }
    // Saved once, after the exemption.
    expect(hooks.install.indexOf("Merge-Into $location $exemption")).toBeLessThan(
      hooks.install.indexOf("$doc.Save($configPath)"),
    );
    expect(hooks.install.match(/\$doc\.Save\(/g)).toHaveLength(1);
  });

  test("install: the application's own <location> for the health page (any case) takes the exemption; a new one only without it", () => {
    // PowerShell's -eq compares strings case-insensitively.
    expect(hooks.install).toContain(
      "if ($child.LocalName -eq 'location' -and $child.GetAttribute('path').TrimStart('/') -eq $healthRelative) { $location = $child }",
    );
    expect(hooks.install).toContain(
      "if (-not $location) { $location = $doc.DocumentElement.AppendChild($doc.CreateElement('location')); $location.SetAttribute('path', $healthRelative) }",
    );
    // The rule lists are replaced, the sections around them merged.
    expect(hooks.install).toContain(
      "if (('authorization', 'rules') -contains $part.LocalName -or $same.Count -eq 0) { foreach ($old in $same) { [void]$Target.RemoveChild($old) }; [void]$Target.AppendChild($part.CloneNode($true)) }",
    );
    expect(hooks.install).toContain("else { Merge-Into $same[0] $part }");
  });

  test("install: a <rewrite> section without IIS URL Rewrite on the node fails the release, naming the module, before anything is saved", () => {
    const check = hooks.install.indexOf(
      "if ($doc.SelectSingleNode('//system.webServer/rewrite') -and -not (Test-Path -LiteralPath (Join-Path $env:windir 'System32\\inetsrv\\rewrite.dll'))) { throw",
    );
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(hooks.install.indexOf("$doc.Save($configPath)"));
    expect(hooks.install).toContain(psLiteral(REWRITE_MISSING));
    expect(REWRITE_MISSING).toMatch(/IIS URL Rewrite is not installed on the nodes/);
  });

  test("install: a site precompiled without updatable UI and without its own health page fails the release, saying what to do", () => {
    const check = hooks.install.indexOf(
      "if ((Test-Path -LiteralPath $precompiled) -and ([xml](Get-Content -Raw -LiteralPath $precompiled)).precompiledApp.updatable -eq 'false') { throw",
    );
    expect(check).toBeGreaterThan(hooks.install.indexOf("if (-not (Test-Path -LiteralPath $health)) {"));
    expect(check).toBeLessThan(hooks.install.indexOf("Set-Content -LiteralPath $health"));
    expect(PRECOMPILED_NOT_UPDATABLE).toMatch(/ship the health page in the site, or precompile it as updatable/);
  });

  test("validate: one deadline for every path, before the child's own; each request waits at most what is left", () => {
    expect(hooks.validate).toContain(`$Deadline = (Get-Date).AddSeconds(${VALIDATE_SECONDS})`);
    // The last request may start just before the deadline and wait what is left; the message then has 30 s.
    expect(VALIDATE_SECONDS + 30).toBeLessThanOrEqual(HOOK_TIMEOUT_SECONDS.validate - CHILD_MARGIN_SECONDS);
    expect(hooks.validate).toContain("$request.Timeout = $TimeoutMs");
    expect(hooks.validate).toContain("$left = [int]($Deadline - (Get-Date)).TotalMilliseconds");
    expect(hooks.validate).toContain("Get-Status $url ([Math]::Min(30000, $left))");
    expect(hooks.validate).toContain("if (($Deadline - (Get-Date)).TotalSeconds -lt 4) { break }");
    // No fixed attempt count: 20 x (30 s + 3 s) per path outlasted the hook's 300 s.
    expect(hooks.validate).not.toMatch(/1\.\.20|\$request\.Timeout = 30000/);
  });
});

describe("a release's identity on the nodes", () => {
  const base = manifest;
  const bundle = (m: Omit<ReleaseManifest, "kitSha256">, farmName = "shop") => releaseBundle(m, { farmName });
  const folder = (m: Omit<ReleaseManifest, "kitSha256">, farmName = "shop") =>
    releaseFolderName(bundle(m, farmName)["release.json"]);

  test("is release.json's SHA-256, which names the hooks' hash too; the folder is the version and 12 hex of it", () => {
    const files = bundle(base);
    const json = files["release.json"];
    expect(releaseId(json)).toBe(createHash("sha256").update(Buffer.from(json, "utf8")).digest("hex"));
    expect(folder(base)).toBe(`v2-${releaseId(json).slice(0, 12)}`);
    expect(JSON.parse(json).kitSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(files).sort()).toEqual([
      "appspec.yml",
      "hooks/install.ps1",
      "hooks/start.ps1",
      "hooks/validate.ps1",
      "release.json",
    ]);
    expect(folder(base)).toBe(folder({ ...base })); // the same release: the same folder, installed once
  });

  test.each([
    ["an application setting", { appSettings: [{ name: "Greeting", value: "hello" }] }],
    ["a secret reference", { secretAppSettings: [{ name: "PaymentKey", ssmParameter: "/shop/prod/payment-2" }] }],
    ["the validation path", { validatePath: "/other.aspx" }],
    ["the validation statuses", { validateStatuses: [302, 401] }],
    ["the health page", { healthCheckPath: "/status/health.aspx" }],
    ["the build", { sha256: "cd".repeat(32) }],
  ])("a release that changes only %s installs into a new folder (same version)", (_label, change) => {
    expect(folder({ ...base, ...change })).not.toBe(folder(base));
    expect(folder({ ...base, ...change })).toMatch(/^v2-[0-9a-f]{12}$/);
  });

  test("a release whose hooks change (here: another farm's root) is a new release too", () => {
    expect(bundle(base, "shop")["hooks/install.ps1"]).not.toBe(bundle(base, "shop2")["hooks/install.ps1"]);
    expect(folder(base, "shop2")).not.toBe(folder(base, "shop"));
  });
});

describe("release.json", () => {
  test("holds the release as data, references to secrets but no secret", () => {
    const json = JSON.parse(releaseManifestJson(manifest));
    expect(json).toEqual(manifest);
    expect(json.secretAppSettings).toEqual([{ name: "PaymentKey", ssmParameter: "/shop/prod/payment" }]);
  });

  test.each([
    ["a version with a quote", { version: "v2'; rm" }],
    ["a key with a wildcard (it lands in an IAM policy)", { site: { bucket: "shop-releases", key: "shop/*" } }],
    ["a bucket with capitals", { site: { bucket: "Shop", key: "a.zip" } }],
    ["a setting name with a control character", { appSettings: [{ name: "A\u0001", value: "x" }] }],
    ["a setting value with a control character", { appSettings: [{ name: "A", value: "x\u0008" }] }],
    [
      "the same setting twice",
      { appSettings: [{ name: "A", value: "1" }], secretAppSettings: [{ name: "a", ssmParameter: "/p" }] },
    ],
    [
      "a secret with two sources",
      { secretAppSettings: [{ name: "A", ssmParameter: "/p", secretsManagerSecret: "s" }] },
    ],
    ["a secret with no source", { secretConnectionStrings: [{ name: "A" }] }],
    ["a validate path without a slash", { validatePath: "status.aspx" }],
  ])("rejects %s", (_label, override) => {
    expect(() => checkManifest({ ...manifest, ...override } as ReleaseManifest)).toThrow();
  });
});

describe("the health page's exemption in a release's web.config", () => {
  const parse = (xml: string) =>
    new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "location" }).parse(xml)
      .configuration;
  const loginApp = `<configuration>
  <system.web><authentication mode="Forms"><forms loginUrl="login.aspx"/></authentication>
    <authorization><deny users="?"/></authorization></system.web>
  <location path="admin"><system.webServer><rewrite><rules><rule name="https"><match url=".*"/><action type="Redirect" url="https://{HTTP_HOST}/{R:0}"/></rule></rules></rewrite></system.webServer></location>
</configuration>`;

  test("allows every user and clears the rewrite rules for the health page, the application's rules untouched", () => {
    const config = parse(releaseWebConfig(loginApp, { release: "v2", healthPath: "/health.aspx" }));
    expect(config["system.web"].authorization.deny).toEqual({ users: "?" });
    const health = config.location.find((l: { path: string }) => l.path === "health.aspx");
    expect(health["system.web"].authorization).toEqual({ allow: { users: "*" } });
    expect(health["system.webServer"]).toEqual({ rewrite: { rules: { clear: "" } } });
    expect(config.location).toHaveLength(2);
  });

  test("names no section the application does not use: <rewrite> without the URL Rewrite module breaks the site", () => {
    const config = parse(releaseWebConfig("<configuration/>", { release: "v2", healthPath: "/status/health.aspx" }));
    expect(config.location).toEqual([
      { path: "status/health.aspx", "system.web": { authorization: { allow: { users: "*" } } } },
    ]);
  });

  test("the application's own <location> for the page (any case) takes the exemption: no second one with the same path", () => {
    const app = `<configuration>
  <location path="/Health.ASPX"><system.web><authorization><deny users="?"/></authorization><httpRuntime executionTimeout="5"/></system.web>
    <system.webServer><rewrite><rules><rule name="https"><match url=".*"/><action type="Redirect" url="https://x/"/></rule></rules></rewrite><caching enabled="false"/></system.webServer></location>
</configuration>`;
    const config = parse(releaseWebConfig(app, { release: "v2", healthPath: "/health.aspx" }));
    expect(config.location).toHaveLength(1);
    expect(config.location[0].path).toBe("/Health.ASPX");
    // The kit's rules replace the application's for the page; its other settings stay.
    expect(config.location[0]["system.web"]).toEqual({
      authorization: { allow: { users: "*" } },
      httpRuntime: { executionTimeout: "5" },
    });
    expect(config.location[0]["system.webServer"]).toEqual({
      rewrite: { rules: { clear: "" } },
      caching: { enabled: "false" },
    });
  });

  test("IIS URL Authorization: inherited rules cleared (deny is evaluated first), then every user allowed", () => {
    const app =
      '<configuration><system.webServer><security><authorization><add accessType="Deny" users="?"/></authorization></security></system.webServer></configuration>';
    const config = parse(releaseWebConfig(app, { release: "v2", healthPath: "/health.aspx" }));
    expect(config.location[0]["system.webServer"]).toEqual({
      security: { authorization: { clear: "", add: { accessType: "Allow", users: "*" } } },
    });
  });
});
