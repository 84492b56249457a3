// A release of the team's application, as CodeDeploy runs it on each Windows node: the appspec and
// its PowerShell hooks (pure functions: plain values in, text out), and the manifest they read.
// The hooks are the same for every release of a farm; what changes (version, where the site is,
// its settings) is in release.json beside them, written by the kit with JSON.stringify.
import { createHash } from "crypto";
import * as rules from "../../args/rules";
import { checkRegion, checkToken, checkUrlPath, psLiteral } from "../../windows/values";
import { SITE_NAME } from "../../windows/site";
import { EXEMPTION_REPLACED, healthPageExemptionXml } from "../../windows/webConfig";

/** No CodeDeploy limit applies to hook scripts; the kit keeps each one small enough to read. */
export const HOOK_SCRIPT_LIMIT_BYTES = 16 * 1024;
export const RELEASE_LOG = "C:\\ProgramData\\aspnet-webfarm\\release.log";
/** The appSettings key every release carries: its label, for the application and for checks. */
export const RELEASE_SETTING = "webfarm:release";
/** How many installed releases a node keeps (the serving one is never removed). */
export const RELEASES_KEPT = 3;
/** Each hook's timeout in the appspec (CodeDeploy stops a hook at its timeout and fails the node). */
export const HOOK_TIMEOUT_SECONDS = { install: 900, start: 600, validate: 300 } as const;
/**
 * A hook's 64-bit child is stopped this long before the hook's timeout: on a timeout the agent
 * kills only the process it started ("It is up to the script to handle killing child processes it
 * spawns", aws-codedeploy-agent lib/instance_agent/plugins/codedeploy/hook_executor.rb).
 */
export const CHILD_MARGIN_SECONDS = 30;

/** Where IIS URL Rewrite's module is, under %windir%, once installed: the kit installs it nowhere. */
export const REWRITE_MODULE = "System32\\inetsrv\\rewrite.dll";
export const REWRITE_MISSING =
  "the application's web.config has a <rewrite> section, but IIS URL Rewrite is not installed on the nodes (the kit does not install it): every page would answer 500.19; remove <rewrite>, or install the URL Rewrite module in the farm image";
/**
 * A site precompiled without updatable UI serves no .aspx page it was not compiled with ("Selecting
 * a Precompilation Model", Microsoft Learn: the markup is compiled into assemblies and its files are
 * placeholders), so the kit's generated health page could never answer.
 */
export const PRECOMPILED_NOT_UPDATABLE =
  'the site is precompiled without updatable UI (PrecompiledApp.config updatable="false"), so the health page the kit adds cannot run: ship the health page in the site, or precompile it as updatable';

/** ValidateService's checks end this long after it starts: its timeout less the child's margin and 30 s to report. */
export const VALIDATE_SECONDS = HOOK_TIMEOUT_SECONDS.validate - CHILD_MARGIN_SECONDS - 30;

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
  /**
   * An application URL the release must answer on each node, besides the health page. None: the
   * health page alone, which the application itself serves, so a release passes when it starts.
   */
  validatePath?: string;
  /** Statuses besides 200 that validatePath may answer (redirects are not followed). */
  validateStatuses: number[];
  appSettings: { name: string; value: string }[];
  connectionStrings: { name: string; value: string }[];
  secretAppSettings: ({ name: string } & SecretSource)[];
  secretConnectionStrings: ({ name: string } & SecretSource)[];
  /**
   * The hash of the bundle's appspec and hooks (releaseBundle sets it): release.json's own hash is
   * the release's identity on a node, so a change to the hooks (e.g. the health page's exemption)
   * is a new release too, as is a change to any setting or to the build (sha256).
   */
  kitSha256?: string;
}

/** The folder releases are installed into: C:\inetpub\<farm>\releases\<version>-<12 hex of releaseId>. */
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
  if (m.kitSha256 !== undefined) rules.check(rules.hexKey(32), "kitSha256", m.kitSha256);
  checkRegion("region", m.region);
  rules.check(rules.s3Bucket, "site.bucket", m.site.bucket);
  rules.check(rules.s3Key, "site.key", m.site.key);
  checkUrlPath("healthCheckPath", m.healthCheckPath);
  if (m.validatePath !== undefined) rules.check(rules.appPath, "validatePath", m.validatePath);
  m.validateStatuses.forEach((code, i) => rules.check(rules.wholeNumber(100, 599), `validateStatuses[${i}]`, code));
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

const sha256Hex = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * A release's identity on a node: the SHA-256 of release.json's bytes, as the hooks compute it
 * (Get-FileHash, whose Hash is the hex digest: Microsoft Learn, "Get-FileHash"). release.json holds
 * the build's hash, every setting and secret reference, the checks, and the hooks' hash (kitSha256):
 * any change to the release changes it, so the release installs into a new folder.
 */
export function releaseId(releaseJson: string): string {
  return sha256Hex(releaseJson);
}

/** The folder name a release installs into on a node (under releaseRoot). */
export function releaseFolderName(releaseJson: string): string {
  const { version } = JSON.parse(releaseJson) as ReleaseManifest;
  return `${checkToken("version", version)}-${releaseId(releaseJson).slice(0, 12)}`;
}

/** Every file of a release bundle, by path: the appspec, the hooks, and release.json naming their hash. */
export function releaseBundle(m: Omit<ReleaseManifest, "kitSha256">, v: HookScriptValues): Record<string, string> {
  const files = bundleFiles(v);
  const kitSha256 = sha256Hex(JSON.stringify(Object.entries(files).sort(([a], [b]) => a.localeCompare(b))));
  return { ...files, "release.json": releaseManifestJson({ ...m, kitSha256 }) };
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

/**
 * Opening of every hook: 64-bit PowerShell, stop on any error, log, read the manifest.
 * The 64-bit child has a deadline CHILD_MARGIN_SECONDS before the hook's timeout, after which it and
 * its children are ended (taskkill /T: "Ends the specified process and any child processes started
 * by it", Microsoft Learn "taskkill") and the hook fails: the agent would end only this 32-bit parent.
 * Its output is read through pipes (both at once, so neither fills) and passed on to the agent's log.
 */
function hookPrelude(hook: keyof typeof HOOK_TIMEOUT_SECONDS, farmName: string): string[] {
  const childSeconds = HOOK_TIMEOUT_SECONDS[hook] - CHILD_MARGIN_SECONDS;
  return [
    `# aspnet-webfarm release hook: ${hook} (generated).`,
    "# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.",
    "if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {",
    "  $info = New-Object System.Diagnostics.ProcessStartInfo (Join-Path $env:WINDIR 'sysnative\\WindowsPowerShell\\v1.0\\powershell.exe')",
    "  $info.Arguments = '-NoProfile -ExecutionPolicy Bypass -File \"' + $PSCommandPath + '\"'",
    "  $info.UseShellExecute = $false; $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true",
    "  $child = [System.Diagnostics.Process]::Start($info)",
    "  $out = $child.StandardOutput.ReadToEndAsync(); $err = $child.StandardError.ReadToEndAsync()",
    `  $done = $child.WaitForExit(${childSeconds * 1000})`,
    "  if (-not $done) { & taskkill.exe /PID $child.Id /T /F | Out-Null }",
    "  if ($out.Wait(10000)) { Write-Output $out.Result }; if ($err.Wait(10000)) { Write-Output $err.Result }",
    `  if (-not $done) { Write-Output ${psLiteral(`${hook}: FAILED: not done after ${childSeconds} s (the hook times out at ${HOOK_TIMEOUT_SECONDS[hook]} s): stopped`)}; exit 1 }`,
    "  exit $child.ExitCode",
    "}",
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    `$Log = ${psLiteral(RELEASE_LOG)}`,
    "New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null",
    `function Say([string]$Text) { $line = (Get-Date -Format o) + ${psLiteral(` ${hook}: `)} + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }`,
    "# Any error fails the hook with exit 1, which fails the deployment on this node (CodeDeploy rolls back).",
    "trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }",
    "$ReleaseFile = Join-Path $PSScriptRoot '..\\release.json'",
    "$Release = Get-Content -Raw -LiteralPath $ReleaseFile | ConvertFrom-Json",
    "# The release's identity (releaseId): release.json's hash covers the build, every setting and the hooks.",
    "$ReleaseId = (Get-FileHash -Algorithm SHA256 -LiteralPath $ReleaseFile).Hash.ToLowerInvariant()",
    `$SiteName = ${psLiteral(SITE_NAME)}`,
    `$ReleaseRoot = ${psLiteral(releaseRoot(farmName))}`,
    "# A changed release installs into a new folder: IIS never serves a folder being rewritten.",
    "$ReleaseDir = Join-Path $ReleaseRoot ($Release.version + '-' + $ReleaseId.Substring(0, 12))",
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
    "if ((Test-Path -LiteralPath $Marker) -and ((Get-Content -Raw -LiteralPath $Marker).Trim() -eq $ReleaseId)) {",
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
    "# The nodes have no IIS URL Rewrite module (the kit does not install it): a <rewrite> section makes",
    "# every page answer 500.19 (an unrecognized configuration section), so the release stops here instead.",
    `if ($doc.SelectSingleNode('//system.webServer/rewrite') -and -not (Test-Path -LiteralPath (Join-Path $env:windir ${psLiteral(REWRITE_MODULE)}))) { throw ${psLiteral(REWRITE_MISSING)} }`,
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
    "Say ('settings written: ' + ((@($Release.appSettings) + @($Release.secretAppSettings) + @($Release.connectionStrings) + @($Release.secretConnectionStrings) | ForEach-Object { $_.name }) -join ', '))",
    "",
    "# The health page is exempt from the application's own access and rewrite rules (a login or HTTPS",
    "# redirect would fail the load balancer's check): ASP.NET authorization always, IIS URL Authorization",
    "# and URL Rewrite only where the application uses them (a <rewrite> without the module breaks the site).",
    "$features = '' + [int][bool]($doc.SelectSingleNode('//system.webServer/security/authorization')) + [int][bool]($doc.SelectSingleNode('//system.webServer/rewrite'))",
    `$exemptions = @{ ${["00", "01", "10", "11"]
      .map(
        (k) =>
          `'${k}' = ${psLiteral(healthPageExemptionXml({ iisAuthorization: k[0] === "1", rewrite: k[1] === "1" }))}`,
      )
      .join("; ")} }`,
    "# The application's own <location> for the page, if any (paths compare case-insensitively, as IIS's do),",
    "# takes the exemption: a second <location> with the same path and sections may be refused as a duplicate.",
    "$healthRelative = $Release.healthCheckPath.TrimStart('/')",
    "$location = $null",
    "foreach ($child in @($doc.DocumentElement.ChildNodes)) { if ($child.LocalName -eq 'location' -and $child.GetAttribute('path').TrimStart('/') -eq $healthRelative) { $location = $child } }",
    "if (-not $location) { $location = $doc.DocumentElement.AppendChild($doc.CreateElement('location')); $location.SetAttribute('path', $healthRelative) }",
    "$exemption = $doc.CreateElement('location')",
    "$exemption.InnerXml = $exemptions[$features]",
    `# Sections merge; the rule lists (${EXEMPTION_REPLACED.join(", ")}) are the kit's own in the page's location.`,
    "function Merge-Into($Target, $Source) {",
    "  foreach ($part in @($Source.ChildNodes)) {",
    "    $same = @($Target.ChildNodes | Where-Object { $_.LocalName -eq $part.LocalName })",
    `    if ((${EXEMPTION_REPLACED.map((n) => `'${n}'`).join(", ")}) -contains $part.LocalName -or $same.Count -eq 0) { foreach ($old in $same) { [void]$Target.RemoveChild($old) }; [void]$Target.AppendChild($part.CloneNode($true)) }`,
    "    else { Merge-Into $same[0] $part }",
    "  }",
    "}",
    "Merge-Into $location $exemption",
    "$doc.Save($configPath)",
    "",
    "# The health page lives in the release and runs in its application (its AppDomain, bin and web.config):",
    "# a node without a release, or whose application does not start, is never healthy.",
    "$health = Join-Path $ReleaseDir ($Release.healthCheckPath.TrimStart('/') -replace '/', '\\')",
    "if (-not (Test-Path -LiteralPath $health)) {",
    "  $precompiled = Join-Path $ReleaseDir 'PrecompiledApp.config'",
    `  if ((Test-Path -LiteralPath $precompiled) -and ([xml](Get-Content -Raw -LiteralPath $precompiled)).precompiledApp.updatable -eq 'false') { throw ${psLiteral(PRECOMPILED_NOT_UPDATABLE)} }`,
    "  New-Item -ItemType Directory -Force -Path (Split-Path -Parent $health) | Out-Null",
    "  $content = if ($health.ToLower().EndsWith('.aspx')) { '<%@ Page Language=\"C#\" EnableSessionState=\"false\" %>OK' } else { 'OK' }",
    "  Set-Content -LiteralPath $health -Value $content -Encoding UTF8",
    "}",
    "Set-Content -LiteralPath $Marker -Value $ReleaseId",
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
    "foreach ($path in (@($Release.healthCheckPath, $Release.validatePath) | Where-Object { $_ })) {",
    "  try { Invoke-WebRequest -Uri ('http://localhost' + $path) -UseBasicParsing -TimeoutSec 120 | Out-Null } catch { Say ('warm-up ' + $path + ': ' + $_.Exception.Message) }",
    "}",
    `Get-ChildItem -LiteralPath $ReleaseRoot -Directory | Sort-Object LastWriteTime -Descending | Select-Object -Skip ${RELEASES_KEPT} | Where-Object { $_.FullName -ne $ReleaseDir } | Remove-Item -Recurse -Force`,
  ]);
}

/**
 * ValidateService, through IIS on the node: the health page answers 200, which proves the release's
 * application started. The page runs in it: in IIS's integrated pipeline (an application pool's
 * default, Microsoft Learn "ApplicationPool.ManagedPipelineMode") an exception in Application_Start
 * fails every request of the AppDomain (.NET reference source, System.Web/Hosting/IPipelineRuntime.cs
 * InitializeApplication keeps it as HttpRuntime.InitializationException); in the classic pipeline
 * Application_Start runs again on each request until it succeeds (HttpApplicationFactory.cs,
 * EnsureAppStartCalled). The start hook's warm-up request cannot use the failure up.
 * Then validatePath, if set, answers 200 or a status the user listed. Redirects are answers, not
 * followed (HttpWebRequest.AllowAutoRedirect false); a 4xx/5xx answer comes as a WebException
 * whose Response holds the status (Microsoft Learn, HttpWebRequest.GetResponse).
 */
export function validateHook(v: HookScriptValues): string {
  return finishScript("validate.ps1", [
    ...hookPrelude("validate", v.farmName),
    "function Get-Status([string]$Url, [int]$TimeoutMs) {",
    "  $request = [System.Net.HttpWebRequest]::Create($Url)",
    "  $request.AllowAutoRedirect = $false",
    "  $request.Timeout = $TimeoutMs",
    "  try { $response = $request.GetResponse() } catch {",
    "    $e = $_.Exception",
    "    while ($e -and -not ($e -is [System.Net.WebException])) { $e = $e.InnerException }",
    "    if (-not ($e -and $e.Response)) { throw }",
    "    $response = $e.Response",
    "  }",
    "  try { return [int]$response.StatusCode } finally { $response.Close() }",
    "}",
    `# One deadline for every path, before the hook's ${HOOK_TIMEOUT_SECONDS.validate} s and its 64-bit child's ${HOOK_TIMEOUT_SECONDS.validate - CHILD_MARGIN_SECONDS} s: the`,
    "# message naming the option is printed before CodeDeploy or the parent stops this script.",
    `$Deadline = (Get-Date).AddSeconds(${VALIDATE_SECONDS})`,
    "function Test-Url([string]$Path, [int[]]$Accepted, [string]$Hint) {",
    "  $url = 'http://localhost' + $Path",
    "  $last = 'was not asked: no time left'",
    "  for (;;) {",
    "    # Each request waits at most 30 s, and never past the deadline.",
    "    $left = [int]($Deadline - (Get-Date)).TotalMilliseconds",
    "    if ($left -lt 1000) { break }",
    "    try { $code = Get-Status $url ([Math]::Min(30000, $left)); if ($Accepted -contains $code) { return }; $last = 'answered ' + $code } catch { $last = $_.Exception.Message }",
    "    Say ($url + ': ' + $last)",
    "    if (($Deadline - (Get-Date)).TotalSeconds -lt 4) { break }",
    "    Start-Sleep -Seconds 3",
    "  }",
    "  throw ($url + ' ' + $last + ' through IIS, not ' + ($Accepted -join ' or ') + ': ' + $Hint)",
    "}",
    "Test-Url $Release.healthCheckPath @(200) 'the application did not start, or it refuses the health page (which runs in it: see its answer and the event log)'",
    "if ($Release.validatePath) {",
    "  Test-Url $Release.validatePath (@(200) + @($Release.validateStatuses)) 'set appValidatePath to a page of the application that answers 200, or list its status in appValidateStatuses'",
    "}",
    "Say ('release ' + $Release.version + ' answers on this node')",
  ]);
}

export const HOOKS = [
  { event: "BeforeInstall", file: "install.ps1", timeoutSeconds: HOOK_TIMEOUT_SECONDS.install, generate: installHook },
  { event: "ApplicationStart", file: "start.ps1", timeoutSeconds: HOOK_TIMEOUT_SECONDS.start, generate: startHook },
  {
    event: "ValidateService",
    file: "validate.ps1",
    timeoutSeconds: HOOK_TIMEOUT_SECONDS.validate,
    generate: validateHook,
  },
] as const;

/** Every file of a release bundle but the manifest, by path in the bundle. */
export function bundleFiles(v: HookScriptValues): Record<string, string> {
  return {
    "appspec.yml": appSpec(),
    ...Object.fromEntries(HOOKS.map((h) => [`hooks/${h.file}`, h.generate(v)])),
  };
}
