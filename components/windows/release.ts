// A release of the team's application, as CodeDeploy runs it on each Windows node: the appspec and
// its PowerShell hooks (pure functions: plain values in, text out), and the manifest they read.
// The hooks are the same for every release of a farm; what changes (version, where the site is,
// its settings) is in release.json beside them, written by the kit with JSON.stringify.
import * as rules from "../rules";
import { checkRegion, checkToken, checkUrlPath, psLiteral } from "./values";
import { SITE_NAME } from "./site";

/** No CodeDeploy limit applies to hook scripts; the kit keeps each one small enough to read. */
export const HOOK_SCRIPT_LIMIT_BYTES = 16 * 1024;
export const RELEASE_LOG = "C:\\ProgramData\\aspnet-webfarm\\release.log";
/** The appSettings key every release carries: its label, for the application and for checks. */
export const RELEASE_SETTING = "webfarm:release";
/** How many installed releases a node keeps (the serving one is never removed). */
export const RELEASES_KEPT = 3;

/** Where a site's build lives in S3. */
export interface SiteLocation {
  bucket: string;
  key: string;
  versionId?: string;
}

/** Where an application setting's value comes from on the node, at install time. */
export interface SecretSource {
  ssmParameter?: string;
  secretsManagerSecret?: string;
}

/** release.json: what one release is. Plain data; the hooks never evaluate any of it as code. */
export interface ReleaseManifest {
  version: string;
  /** Identifies the build: a re-run of the same release skips the download. */
  sha256: string;
  region: string;
  site: SiteLocation;
  healthCheckPath: string;
  validatePath: string;
  appSettings: { name: string; value: string }[];
  connectionStrings: { name: string; value: string }[];
  secretAppSettings: ({ name: string } & SecretSource)[];
  secretConnectionStrings: ({ name: string } & SecretSource)[];
}

/** The folder each release is installed into: C:\inetpub\<farm>\releases\<version>. */
export function releaseRoot(farmName: string): string {
  return `C:\\inetpub\\${checkToken("farmName", farmName)}\\releases`;
}

/** Characters XML 1.0 cannot hold even escaped: a setting name or value with them cannot be written. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
export const settingName = rules
  .text("must be a setting name")
  .min(1, { error: "must not be empty" })
  .max(1024, {
    error: "must be at most 1024 characters",
  })
  .refine((v) => !XML_UNSAFE.test(v), { error: "holds a control character, which no XML attribute can carry" });
export const settingValue = rules.text("must be text").refine((v) => !XML_UNSAFE.test(v), {
  error: "holds a control character, which no XML attribute can carry",
});

/** Checks a manifest the way the hooks will read it; returns it unchanged. */
export function checkManifest(m: ReleaseManifest): ReleaseManifest {
  checkToken("version", m.version);
  rules.check(rules.hexKey(32), "sha256", m.sha256);
  checkRegion("region", m.region);
  rules.check(rules.s3Bucket, "site.bucket", m.site.bucket);
  rules.check(rules.s3Key, "site.key", m.site.key);
  checkUrlPath("healthCheckPath", m.healthCheckPath);
  rules.check(rules.appPath, "validatePath", m.validatePath);
  const names = new Map<string, string>();
  const entries = [
    ...m.appSettings.map((s) => ["appSettings", s.name, s.value] as const),
    ...m.secretAppSettings.map((s) => ["appSettings", s.name, undefined] as const),
    ...m.connectionStrings.map((s) => ["connectionStrings", s.name, s.value] as const),
    ...m.secretConnectionStrings.map((s) => ["connectionStrings", s.name, undefined] as const),
  ];
  for (const [section, name, value] of entries) {
    rules.check(settingName, `${section} name`, name);
    if (value !== undefined) rules.check(settingValue, `${section}.${name}`, value);
    const key = `${section}:${name.toLowerCase()}`;
    if (names.has(key)) throw new Error(`${section}.${name} is set twice`);
    names.set(key, name);
  }
  for (const s of [...m.secretAppSettings, ...m.secretConnectionStrings]) {
    if ((s.ssmParameter === undefined) === (s.secretsManagerSecret === undefined)) {
      throw new Error(`${s.name} must name exactly one of ssmParameter and secretsManagerSecret`);
    }
  }
  return m;
}

export function releaseManifestJson(m: ReleaseManifest): string {
  return JSON.stringify(checkManifest(m), null, 2) + "\n";
}

/** appspec.yml for EC2 in-place deployments on Windows: no `files`, the hooks install the site. */
export function appSpec(): string {
  return [
    "version: 0.0",
    "os: windows",
    "hooks:",
    ...HOOKS.flatMap((h) => [`  ${h.event}:`, `    - location: hooks/${h.file}`, `      timeout: ${h.timeoutSeconds}`]),
    "",
  ].join("\n");
}

export interface HookScriptValues {
  farmName: string;
}

/** Opening of every hook: 64-bit PowerShell, stop on any error, log, read the manifest. */
function hookPrelude(hook: string, farmName: string): string[] {
  return [
    `# aspnet-webfarm release hook: ${hook} (generated).`,
    "# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.",
    "if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {",
    "  & (Join-Path $env:WINDIR 'sysnative\\WindowsPowerShell\\v1.0\\powershell.exe') -NoProfile -ExecutionPolicy Bypass -File $PSCommandPath",
    "  exit $LASTEXITCODE",
    "}",
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    `$Log = ${psLiteral(RELEASE_LOG)}`,
    "New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null",
    `function Say([string]$Text) { $line = (Get-Date -Format o) + ${psLiteral(` ${hook}: `)} + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }`,
    "# Any error fails the hook with exit 1, which fails the deployment on this node (CodeDeploy rolls back).",
    "trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }",
    "$Release = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '..\\release.json') | ConvertFrom-Json",
    `$SiteName = ${psLiteral(SITE_NAME)}`,
    `$ReleaseRoot = ${psLiteral(releaseRoot(farmName))}`,
    "$ReleaseDir = Join-Path $ReleaseRoot $Release.version",
    "$Marker = Join-Path $ReleaseDir '.webfarm-release'",
    "",
  ];
}

function finishScript(name: string, lines: string[]): string {
  const script = [...lines, "exit 0", ""].join("\r\n");
  const bytes = Buffer.byteLength(script, "utf8");
  if (bytes > HOOK_SCRIPT_LIMIT_BYTES)
    throw new Error(`${name} is ${bytes} bytes; the kit keeps hooks under ${HOOK_SCRIPT_LIMIT_BYTES}`);
  return script;
}

/** BeforeInstall: download the site, expand it into a new release folder, write its settings. */
export function installHook(v: HookScriptValues): string {
  return finishScript("install.ps1", [
    ...hookPrelude("install", v.farmName),
    "if ((Test-Path -LiteralPath $Marker) -and ((Get-Content -Raw -LiteralPath $Marker).Trim() -eq $Release.sha256)) {",
    "  Say ('release ' + $Release.version + ' is installed already')",
    "  exit 0",
    "}",
    "if (Test-Path -LiteralPath $ReleaseDir) { Remove-Item -LiteralPath $ReleaseDir -Recurse -Force }",
    "New-Item -ItemType Directory -Force -Path $ReleaseDir | Out-Null",
    "$zip = Join-Path $env:TEMP ('aspnet-webfarm-' + $Release.version + '.zip')",
    "$s3 = @{ BucketName = $Release.site.bucket; Key = $Release.site.key; File = $zip; Region = $Release.region }",
    "if ($Release.site.versionId) { $s3.VersionId = $Release.site.versionId }",
    "Read-S3Object @s3 | Out-Null",
    "Expand-Archive -LiteralPath $zip -DestinationPath $ReleaseDir -Force",
    "Remove-Item -LiteralPath $zip -Force",
    "Say ('expanded ' + $Release.site.key + ' into ' + $ReleaseDir)",
    "",
    "$configPath = Join-Path $ReleaseDir 'web.config'",
    'if (-not (Test-Path -LiteralPath $configPath)) { Set-Content -LiteralPath $configPath -Value \'<?xml version="1.0" encoding="utf-8"?><configuration />\' -Encoding UTF8 }',
    "$doc = New-Object System.Xml.XmlDocument",
    "$doc.PreserveWhitespace = $true",
    "$doc.Load($configPath)",
    "# The farm sets these at machine level; an application's own would silently override them.",
    "$web = $doc.DocumentElement.SelectSingleNode('system.web')",
    "if ($web) { foreach ($name in 'machineKey', 'sessionState') { if ($web.SelectSingleNode($name)) { throw ('the application''s web.config sets <' + $name + '>, which would override the farm''s: remove it') } } }",
    "function Get-Section([string]$Name) {",
    "  $node = $doc.DocumentElement.SelectSingleNode($Name)",
    "  if (-not $node) { $node = $doc.DocumentElement.AppendChild($doc.CreateElement($Name)) }",
    "  return $node",
    "}",
    "# Children are matched by comparing attributes, never by an XPath built from a name.",
    "function Set-Entry([string]$Section, [string]$KeyAttribute, [string]$Key, [string]$ValueAttribute, [string]$Value) {",
    "  $node = Get-Section $Section",
    "  $entry = $null",
    "  foreach ($child in @($node.ChildNodes)) { if ($child.LocalName -eq 'add' -and $child.GetAttribute($KeyAttribute) -eq $Key) { $entry = $child } }",
    "  if (-not $entry) { $entry = $node.AppendChild($doc.CreateElement('add')); $entry.SetAttribute($KeyAttribute, $Key) }",
    "  $entry.SetAttribute($ValueAttribute, $Value)",
    "}",
    "function Get-Secret($Source) {",
    "  if ($Source.ssmParameter) { return (Get-SSMParameter -Name $Source.ssmParameter -WithDecryption $true -Region $Release.region).Value }",
    "  return (Get-SECSecretValue -SecretId $Source.secretsManagerSecret -Region $Release.region).SecretString",
    "}",
    "# Values are written, never logged: the log names the settings only.",
    "foreach ($s in @($Release.appSettings)) { Set-Entry 'appSettings' 'key' $s.name 'value' $s.value }",
    "foreach ($s in @($Release.secretAppSettings)) { Set-Entry 'appSettings' 'key' $s.name 'value' (Get-Secret $s) }",
    "foreach ($c in @($Release.connectionStrings)) { Set-Entry 'connectionStrings' 'name' $c.name 'connectionString' $c.value }",
    "foreach ($c in @($Release.secretConnectionStrings)) { Set-Entry 'connectionStrings' 'name' $c.name 'connectionString' (Get-Secret $c) }",
    `Set-Entry 'appSettings' 'key' ${psLiteral(RELEASE_SETTING)} 'value' $Release.version`,
    "$doc.Save($configPath)",
    "Say ('settings written: ' + ((@($Release.appSettings) + @($Release.secretAppSettings) + @($Release.connectionStrings) + @($Release.secretConnectionStrings) | ForEach-Object { $_.name }) -join ', '))",
    "",
    "# The health page lives in the release: a node without a release is never healthy.",
    "$health = Join-Path $ReleaseDir ($Release.healthCheckPath.TrimStart('/') -replace '/', '\\')",
    "if (-not (Test-Path -LiteralPath $health)) {",
    "  New-Item -ItemType Directory -Force -Path (Split-Path -Parent $health) | Out-Null",
    "  $content = if ($health.ToLower().EndsWith('.aspx')) { '<%@ Page Language=\"C#\" EnableSessionState=\"false\" %>OK' } else { 'OK' }",
    "  Set-Content -LiteralPath $health -Value $content -Encoding UTF8",
    "}",
    "Set-Content -LiteralPath $Marker -Value $Release.sha256",
    "Say ('release ' + $Release.version + ' installed')",
  ]);
}

/** ApplicationStart: point the site at the release in one step, recycle the pool, warm up. */
export function startHook(v: HookScriptValues): string {
  return finishScript("start.ps1", [
    ...hookPrelude("start", v.farmName),
    "Import-Module WebAdministration",
    "if (-not (Test-Path -LiteralPath $Marker)) { throw ('release ' + $Release.version + ' is not installed') }",
    "$site = Get-Item ('IIS:\\Sites\\' + $SiteName)",
    "$previous = $site.physicalPath",
    "Set-ItemProperty -LiteralPath ('IIS:\\Sites\\' + $SiteName) -Name physicalPath -Value $ReleaseDir",
    "Restart-WebAppPool -Name $site.applicationPool",
    "Say ($SiteName + ' serves ' + $ReleaseDir + ' (was ' + $previous + ')')",
    "# The first request compiles the application: make it here, not in a user's request.",
    "foreach ($path in @($Release.healthCheckPath, $Release.validatePath)) {",
    "  try { Invoke-WebRequest -Uri ('http://localhost' + $path) -UseBasicParsing -TimeoutSec 120 | Out-Null } catch { Say ('warm-up ' + $path + ': ' + $_.Exception.Message) }",
    "}",
    `Get-ChildItem -LiteralPath $ReleaseRoot -Directory | Sort-Object LastWriteTime -Descending | Select-Object -Skip ${RELEASES_KEPT} | Where-Object { $_.FullName -ne $ReleaseDir } | Remove-Item -Recurse -Force`,
  ]);
}

/** ValidateService: the health page and the application's own URL answer 200 through IIS here. */
export function validateHook(v: HookScriptValues): string {
  return finishScript("validate.ps1", [
    ...hookPrelude("validate", v.farmName),
    "foreach ($path in @($Release.healthCheckPath, $Release.validatePath)) {",
    "  $url = 'http://localhost' + $path",
    "  $ok = $false",
    "  foreach ($attempt in 1..20) {",
    "    try {",
    "      $code = (Invoke-WebRequest -Uri $url -UseBasicParsing -TimeoutSec 30 -MaximumRedirection 0).StatusCode",
    "      if ($code -eq 200) { $ok = $true; break }",
    "      Say ($url + ' answered ' + $code)",
    "    } catch { Say ($url + ': ' + $_.Exception.Message) }",
    "    Start-Sleep -Seconds 3",
    "  }",
    "  if (-not $ok) { throw ($url + ' did not answer 200 through IIS') }",
    "}",
    "Say ('release ' + $Release.version + ' answers on this node')",
  ]);
}

export const HOOKS = [
  { event: "BeforeInstall", file: "install.ps1", timeoutSeconds: 900, generate: installHook },
  { event: "ApplicationStart", file: "start.ps1", timeoutSeconds: 600, generate: startHook },
  { event: "ValidateService", file: "validate.ps1", timeoutSeconds: 300, generate: validateHook },
] as const;

/** Every file of a release bundle but the manifest, by path in the bundle. */
export function bundleFiles(v: HookScriptValues): Record<string, string> {
  return {
    "appspec.yml": appSpec(),
    ...Object.fromEntries(HOOKS.map((h) => [`hooks/${h.file}`, h.generate(v)])),
  };
}
