// A release as CodeDeploy runs it on a Windows node: the appspec, the hooks and their manifest.
// No PowerShell runs here: the checks are structure, quoting, size and what each hook does.
import YAML from "yaml";
import { XMLParser } from "fast-xml-parser";
import {
  appSpec,
  bundleFiles,
  checkManifest,
  HOOK_SCRIPT_LIMIT_BYTES,
  healthPageExemptionXml,
  installHook,
  ReleaseManifest,
  releaseManifestJson,
  releaseWebConfig,
  startHook,
  validateHook,
} from "../../components/windows";
import { balanced } from "../support/powershell";

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
    expect(script).toContain(
      "sysnative\\WindowsPowerShell\\v1.0\\powershell.exe') -NoProfile -ExecutionPolicy Bypass -File $PSCommandPath",
    );
    expect(script).toContain("exit $LASTEXITCODE");
  });

  test("stops on any error with exit 1, which fails the node's deployment", () => {
    expect(script).toContain("$ErrorActionPreference = 'Stop'");
    expect(script).toContain("trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }");
    expect(balanced(script)).toBe(true);
  });

  test("reads the release from release.json beside it, and stays small", () => {
    expect(script).toContain(
      "Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '..\\release.json') | ConvertFrom-Json",
    );
    expect(script).toContain("$ReleaseRoot = 'C:\\inetpub\\shop\\releases'");
    expect(Buffer.byteLength(script)).toBeLessThan(HOOK_SCRIPT_LIMIT_BYTES);
  });
});

describe("what each hook does", () => {
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
    expect(hooks.install).toContain("$location.SetAttribute('path', $Release.healthCheckPath.TrimStart('/'))");
    expect(hooks.install).toContain("$location.InnerXml = $exemptions[$features]");
    for (const key of ["00", "01", "10", "11"]) {
      const xml = healthPageExemptionXml({ iisAuthorization: key[0] === "1", rewrite: key[1] === "1" });
      expect(hooks.install).toContain(`'${key}' = '${xml}'`);
    }
    // Saved once, after the exemption.
    expect(hooks.install.indexOf("[void]$doc.DocumentElement.AppendChild($location)")).toBeLessThan(
      hooks.install.indexOf("$doc.Save($configPath)"),
    );
    expect(hooks.install.match(/\$doc\.Save\(/g)).toHaveLength(1);
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

  test("IIS URL Authorization: inherited rules cleared (deny is evaluated first), then every user allowed", () => {
    const app =
      '<configuration><system.webServer><security><authorization><add accessType="Deny" users="?"/></authorization></security></system.webServer></configuration>';
    const config = parse(releaseWebConfig(app, { release: "v2", healthPath: "/health.aspx" }));
    expect(config.location[0]["system.webServer"]).toEqual({
      security: { authorization: { clear: "", add: { accessType: "Allow", users: "*" } } },
    });
  });
});
