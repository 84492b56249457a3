// PowerShell user data for the Windows nodes (EC2Launch v2, Windows Server 2022). Pure functions:
// plain values in, script text out. Every embedded value is validated and single-quoted.
import * as rules from "../rules";
import { SITE_ID, SITE_NAME } from "./site";
import { sessionStateAttributes } from "./webConfig";
import {
  checkCidr,
  checkValidation,
  checkParameterName,
  checkPort,
  checkRegion,
  checkToken,
  checkUrlPath,
  DECRYPTION_KEY_BYTES,
  psLiteral,
  VALIDATION_ALGORITHMS,
  ValidationAlgorithm,
  validationKeyBytes,
} from "./values";

/** EC2 rejects raw user data over 16 KB (fact sheet §4). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;
export const BOOT_LOG = "C:\\ProgramData\\aspnet-webfarm\\boot.log";
const EVENT_SOURCE = "aspnet-webfarm";

export interface WebNodeBootValues {
  /** SSM SecureString parameter holding the machine key as JSON. */
  keyParameterName: string;
  /** The key version the node expects to find in the parameter (machineKeyVersion). */
  keyVersion: string;
  /** The validation algorithm the node expects; with keyVersion, it puts a key change into user data. */
  keyValidation: ValidationAlgorithm;
  region: string;
  stateHost: string;
  statePort: number;
  /** The load balancer's health check path, served session-free. */
  healthCheckPath: string;
  sessionTimeoutMinutes?: number;
  /**
   * With an application: the node installs the CodeDeploy agent; the health page then comes with
   * each release (a node with no release is never healthy). With `currentRelease` (instances mode,
   * where CodeDeploy does not serve new instances by itself) the node installs the group's last
   * successful release at boot, with the same hooks CodeDeploy runs.
   */
  codeDeploy?: {
    /** The region's DNS suffix (amazonaws.com, amazonaws.com.cn), for the agent's download. */
    dnsSuffix: string;
    currentRelease?: { application: string; deploymentGroup: string };
  };
}

export interface StateServerBootValues {
  statePort: number;
  /** The web nodes' subnets: the only sources the Windows Firewall admits on the state port. */
  webSubnetCidrs: string[];
}

/** Shared opening: stop on any error, log to a file, and report failures where EC2 shows them. */
function prelude(role: string): string[] {
  return [
    "<powershell>",
    `# aspnet-webfarm ${role} bootstrap (generated). Runs once, at first boot, under EC2Launch v2.`,
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "New-Item -ItemType Directory -Force -Path 'C:\\ProgramData\\aspnet-webfarm' | Out-Null",
    `Start-Transcript -Path ${psLiteral(BOOT_LOG)} -Append | Out-Null`,
    "",
    "# A failure exits non-zero (EC2Launch logs it) and is written to the System event log,",
    "# whose latest errors appear in the EC2 console output (get-console-output).",
    "function Fail([string]$Message) {",
    `  $text = ${psLiteral(`aspnet-webfarm ${role}: FAILED: `)} + $Message`,
    "  Write-Output $text",
    "  try {",
    `    if (-not [System.Diagnostics.EventLog]::SourceExists(${psLiteral(EVENT_SOURCE)})) { New-EventLog -LogName System -Source ${psLiteral(EVENT_SOURCE)} }`,
    `    Write-EventLog -LogName System -Source ${psLiteral(EVENT_SOURCE)} -EventId 1001 -EntryType Error -Message $text`,
    "  } catch { Write-Output ('could not write the event log: ' + $_.Exception.Message) }",
    "  try { Stop-Transcript | Out-Null } catch { }",
    "  exit 1",
    "}",
    "function Step([string]$Name, [scriptblock]$Body) {",
    `  Write-Output (${psLiteral(`aspnet-webfarm ${role}: `)} + $Name)`,
    "  try { & $Body } catch { Fail ($Name + ': ' + $_.Exception.Message) }",
    "}",
    "",
  ];
}

function ending(role: string): string[] {
  return [
    "",
    `Write-Output ${psLiteral(`aspnet-webfarm ${role}: ready`)}`,
    "Stop-Transcript | Out-Null",
    "exit 0",
    "</powershell>",
  ];
}

function finish(lines: string[]): string {
  const script = lines.join("\r\n") + "\r\n";
  const bytes = Buffer.byteLength(script, "utf8");
  if (bytes > USER_DATA_LIMIT_BYTES) {
    throw new Error(`user data is ${bytes} bytes; EC2 accepts at most ${USER_DATA_LIMIT_BYTES}`);
  }
  return script;
}

function psHashtable(values: Record<string, string>): string {
  const entries = Object.entries(values).map(([k, v]) => `${k} = ${psLiteral(v)}`);
  return `[ordered]@{ ${entries.join("; ")} }`;
}

/** The file, relative to the site root, that answers the health check without a session. */
export function healthCheckFile(healthCheckPath: string): { relativePath: string; content: string } {
  const path = checkUrlPath("healthCheckPath", healthCheckPath);
  const relativePath = path.slice(1).replace(/\//g, "\\");
  const content = path.toLowerCase().endsWith(".aspx")
    ? '<%@ Page Language="C#" EnableSessionState="false" %>OK'
    : "OK";
  return { relativePath, content };
}

/** The CodeDeploy agent (unless the image has it), then, in instances mode, the current release. */
function codeDeploySteps(region: string, app: NonNullable<WebNodeBootValues["codeDeploy"]>): string[] {
  const suffix = rules.check(dnsSuffix, "dnsSuffix", app.dnsSuffix);
  const installer = `https://aws-codedeploy-${region}.s3.${region}.${suffix}/latest/codedeploy-agent.msi`;
  const current = app.currentRelease;
  return [
    "Step 'install the CodeDeploy agent' {",
    "  if (Get-Service -Name codedeployagent -ErrorAction SilentlyContinue) { Write-Output 'the image has the agent'; return }",
    "  $msi = Join-Path $env:TEMP 'codedeploy-agent.msi'",
    `  Invoke-WebRequest -Uri ${psLiteral(installer)} -OutFile $msi -UseBasicParsing`,
    "  $installer = Start-Process msiexec.exe -ArgumentList @('/i', $msi, '/quiet', '/l', (Join-Path $env:TEMP 'codedeploy-agent-install.log')) -Wait -PassThru",
    "  if ($installer.ExitCode -ne 0) { throw ('the agent installer exited ' + $installer.ExitCode) }",
    "  if (-not (Get-Service -Name codedeployagent -ErrorAction SilentlyContinue)) { throw 'no codedeployagent service after the install' }",
    "}",
    "",
    ...(current
      ? [
          "# CodeDeploy serves new instances of an Auto Scaling group by itself, not single ones:",
          "# install the group's last successful release with the very hooks CodeDeploy runs.",
          "Step 'install the current release' {",
          `  $group = Get-CDDeploymentGroup -ApplicationName ${psLiteral(rules.check(rules.token, "application", current.application))} -DeploymentGroupName ${psLiteral(rules.check(rules.token, "deploymentGroup", current.deploymentGroup))} -Region $Region`,
          "  if (-not $group.LastSuccessfulDeployment.DeploymentId) { Write-Output 'no release yet: the first release installs it'; return }",
          "  $bundle = (Get-CDDeployment -DeploymentId $group.LastSuccessfulDeployment.DeploymentId -Region $Region).Revision.S3Location",
          "  $dir = Join-Path $env:TEMP 'aspnet-webfarm-release'",
          "  $zip = $dir + '.zip'",
          "  $s3 = @{ BucketName = $bundle.Bucket; Key = $bundle.Key; File = $zip; Region = $Region }",
          "  if ($bundle.Version) { $s3.VersionId = $bundle.Version }",
          "  Read-S3Object @s3 | Out-Null",
          "  Expand-Archive -LiteralPath $zip -DestinationPath $dir -Force",
          "  foreach ($hook in 'install', 'start', 'validate') {",
          "    & powershell.exe -NoProfile -ExecutionPolicy Bypass -File (Join-Path $dir ('hooks\\' + $hook + '.ps1'))",
          "    if ($LASTEXITCODE -ne 0) { throw ('release hook ' + $hook + ' failed; see C:\\ProgramData\\aspnet-webfarm\\release.log') }",
          "  }",
          "}",
          "",
        ]
      : []),
  ];
}

const dnsSuffix = rules
  .text("must be a DNS suffix")
  .regex(/^amazonaws\.com(\.cn)?$/, { error: "must be amazonaws.com or amazonaws.com.cn" });

export function webNodeUserData(values: WebNodeBootValues): string {
  const parameter = checkParameterName("keyParameterName", values.keyParameterName);
  const version = checkToken("keyVersion", values.keyVersion);
  const validation = checkValidation(values.keyValidation);
  const region = checkRegion("region", values.region);
  const session = sessionStateAttributes({
    stateHost: values.stateHost,
    statePort: values.statePort,
    timeoutMinutes: values.sessionTimeoutMinutes,
  });
  const health = healthCheckFile(values.healthCheckPath);
  const keyLengths = VALIDATION_ALGORITHMS.map((a) => `${a} = ${validationKeyBytes(a) * 2}`).join("; ");
  const app = values.codeDeploy;

  return finish([
    ...prelude("web node"),
    `$KeyParameter = ${psLiteral(parameter)}`,
    `$KeyVersion = ${psLiteral(version)}`,
    `$KeyValidation = ${psLiteral(validation)}`,
    `$Region = ${psLiteral(region)}`,
    `$SessionAttributes = ${psHashtable(session)}`,
    `$StateHost = ${psLiteral(values.stateHost)}`,
    `$StatePort = ${checkPort("statePort", values.statePort)}`,
    `$SiteName = ${psLiteral(SITE_NAME)}`,
    `$SiteId = ${SITE_ID}`,
    ...(app
      ? []
      : [`$HealthFile = ${psLiteral(health.relativePath)}`, `$HealthContent = ${psLiteral(health.content)}`]),
    `$ValidationKeyChars = @{ ${keyLengths} }`,
    "",
    "Step 'install IIS and ASP.NET 4.x' {",
    "  $result = Install-WindowsFeature -Name Web-Server, Web-Asp-Net45, NET-Framework-45-ASPNET",
    "  if (-not $result.Success) { throw 'Install-WindowsFeature did not succeed' }",
    "}",
    "",
    "# The key never travels in user data: read it from the SecureString parameter with the",
    "# instance role, retrying while the instance profile's credentials arrive.",
    "Step 'read the machine key from SSM Parameter Store' {",
    "  $raw = $null",
    "  foreach ($attempt in 1..10) {",
    "    try { $raw = (Get-SSMParameter -Name $KeyParameter -WithDecryption $true -Region $Region).Value; break }",
    "    catch { if ($attempt -eq 10) { throw }; Start-Sleep -Seconds 6 }",
    "  }",
    "  $script:Key = $raw | ConvertFrom-Json",
    "  if ($script:Key.version -ne $KeyVersion) { throw ('parameter holds key version ' + $script:Key.version + ', expected ' + $KeyVersion) }",
    "  if ($script:Key.validation -cne $KeyValidation) { throw ('parameter holds validation ' + $script:Key.validation + ', expected ' + $KeyValidation) }",
    "  $want = $ValidationKeyChars[$KeyValidation]",
    "  if ($script:Key.validationKey -notmatch ('^[0-9A-Fa-f]{' + $want + '}$')) { throw ('validationKey is not ' + $want + ' hex characters') }",
    `  if ($script:Key.decryptionKey -notmatch '^[0-9A-Fa-f]{${DECRYPTION_KEY_BYTES * 2}}$') { throw 'decryptionKey is not ${DECRYPTION_KEY_BYTES * 2} hex characters' }`,
    "}",
    "",
    "# Machine level, in both root web.configs: 32-bit application pools read Framework, 64-bit",
    "# ones Framework64. The element is built with the XML DOM, so values are escaped.",
    "Step 'write machineKey and sessionState to both root web.configs' {",
    "  foreach ($framework in 'Framework', 'Framework64') {",
    "    $path = Join-Path $env:WINDIR ('Microsoft.NET\\' + $framework + '\\v4.0.30319\\Config\\web.config')",
    "    if (-not (Test-Path -LiteralPath $path)) { throw ('missing ' + $path) }",
    "    Copy-Item -LiteralPath $path -Destination ($path + '.before-webfarm') -Force",
    "    $doc = New-Object System.Xml.XmlDocument",
    "    $doc.PreserveWhitespace = $true",
    "    $doc.Load($path)",
    "    $systemWeb = $doc.DocumentElement.SelectSingleNode('system.web')",
    "    if (-not $systemWeb) { $systemWeb = $doc.DocumentElement.AppendChild($doc.CreateElement('system.web')) }",
    "    foreach ($name in 'machineKey', 'sessionState') { foreach ($old in @($systemWeb.SelectNodes($name))) { [void]$systemWeb.RemoveChild($old) } }",
    "    $machineKey = $doc.CreateElement('machineKey')",
    "    $machineKey.SetAttribute('validationKey', $script:Key.validationKey)",
    "    $machineKey.SetAttribute('decryptionKey', $script:Key.decryptionKey)",
    "    $machineKey.SetAttribute('validation', $script:Key.validation)",
    "    $machineKey.SetAttribute('decryption', 'AES')",
    "    [void]$systemWeb.AppendChild($machineKey)",
    "    $stateElement = $doc.CreateElement('sessionState')",
    "    foreach ($entry in $SessionAttributes.GetEnumerator()) { $stateElement.SetAttribute($entry.Key, $entry.Value) }",
    "    [void]$systemWeb.AppendChild($stateElement)",
    "    $doc.Save($path)",
    "  }",
    "}",
    "",
    "# KB 325056: the state server keys sessions by /LM/W3SVC/<siteId>/ROOT, so every node pins it.",
    `Step 'pin the site id${app ? "" : " and write the health check file"}' {`,
    "  Import-Module WebAdministration",
    "  $site = Get-Website | Where-Object { $_.Name -eq $SiteName }",
    "  if (-not $site) { throw ('no IIS site named ' + $SiteName) }",
    "  $other = Get-Website | Where-Object { $_.Id -eq $SiteId -and $_.Name -ne $SiteName }",
    "  if ($other) { throw ('site id ' + $SiteId + ' is taken by ' + $other.Name) }",
    "  if ($site.Id -ne $SiteId) { Set-ItemProperty -Path ('IIS:\\Sites\\' + $SiteName) -Name id -Value $SiteId }",
    ...(app
      ? []
      : [
          "  $root = [Environment]::ExpandEnvironmentVariables($site.physicalPath)",
          "  $file = Join-Path $root $HealthFile",
          "  New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file) | Out-Null",
          "  Set-Content -LiteralPath $file -Value $HealthContent -Encoding UTF8",
        ]),
    "}",
    "",
    ...(app
      ? [
          // With an application the health page comes with the release: nothing to check yet.
          "Step 'restart IIS' {",
          "  & iisreset.exe /restart | Out-Null",
          "  if ($LASTEXITCODE -ne 0) { throw ('iisreset exited ' + $LASTEXITCODE) }",
          "}",
          "",
          ...codeDeploySteps(region, app),
        ]
      : [
          "Step 'restart IIS and check the health page answers 200' {",
          "  & iisreset.exe /restart | Out-Null",
          "  if ($LASTEXITCODE -ne 0) { throw ('iisreset exited ' + $LASTEXITCODE) }",
          "  $url = 'http://localhost/' + ($HealthFile -replace '\\\\', '/')",
          "  foreach ($attempt in 1..10) {",
          "    try { if ((Invoke-WebRequest -Uri $url -UseBasicParsing -TimeoutSec 30).StatusCode -eq 200) { break } } catch { }",
          "    if ($attempt -eq 10) { throw ($url + ' did not answer 200') }",
          "    Start-Sleep -Seconds 3",
          "  }",
          "}",
          "",
        ]),
    "# The state server may still be booting: report, do not fail.",
    "if (-not (Test-NetConnection -ComputerName $StateHost -Port $StatePort -InformationLevel Quiet)) {",
    "  Write-Output ('aspnet-webfarm web node: warning: state server ' + $StateHost + ':' + $StatePort + ' not reachable yet')",
    "}",
    ...ending("web node"),
  ]);
}

export function stateServerUserData(values: StateServerBootValues): string {
  const port = checkPort("statePort", values.statePort);
  if (values.webSubnetCidrs.length === 0) throw new Error("webSubnetCidrs must not be empty");
  const cidrs = values.webSubnetCidrs.map((c, i) => psLiteral(checkCidr(`webSubnetCidrs[${i}]`, c)));

  return finish([
    ...prelude("state server"),
    `$StatePort = ${port}`,
    `$WebSubnets = @(${cidrs.join(", ")})`,
    "$Parameters = 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters'",
    "",
    "Step 'install ASP.NET 4.x (brings the state service)' {",
    "  $result = Install-WindowsFeature -Name NET-Framework-45-ASPNET",
    "  if (-not $result.Success) { throw 'Install-WindowsFeature did not succeed' }",
    "  if (-not (Get-Service -Name aspnet_state -ErrorAction SilentlyContinue)) { throw 'the aspnet_state service is not registered' }",
    "}",
    "",
    "# AllowRemoteConnection (singular) and Port are read when the service starts.",
    "Step 'allow remote connections on the state port' {",
    "  if (-not (Test-Path -Path $Parameters)) { New-Item -Path $Parameters -Force | Out-Null }",
    "  New-ItemProperty -Path $Parameters -Name AllowRemoteConnection -PropertyType DWord -Value 1 -Force | Out-Null",
    "  New-ItemProperty -Path $Parameters -Name Port -PropertyType DWord -Value $StatePort -Force | Out-Null",
    "}",
    "",
    "# The service is Manual by default, and some updates reset it: make it Automatic and self-restarting.",
    "Step 'start the state service automatically' {",
    "  Set-Service -Name aspnet_state -StartupType Automatic",
    "  & sc.exe failure aspnet_state reset= 86400 actions= restart/5000/restart/5000/restart/5000 | Out-Null",
    "  Restart-Service -Name aspnet_state -Force",
    "}",
    "",
    "# The protocol has no authentication: the network is the only boundary.",
    "Step 'open the Windows Firewall for the web subnets only' {",
    "  Get-NetFirewallRule -Name 'aspnet-webfarm-state' -ErrorAction SilentlyContinue | Remove-NetFirewallRule",
    "  New-NetFirewallRule -Name 'aspnet-webfarm-state' -DisplayName 'ASP.NET State Service from the web nodes' -Direction Inbound -Protocol TCP -LocalPort $StatePort -RemoteAddress $WebSubnets -Action Allow -Profile Any | Out-Null",
    "}",
    "",
    "Step 'check the state service listens' {",
    "  foreach ($attempt in 1..10) {",
    "    if (Get-NetTCPConnection -LocalPort $StatePort -State Listen -ErrorAction SilentlyContinue) { break }",
    "    if ($attempt -eq 10) { throw ('nothing listens on port ' + $StatePort) }",
    "    Start-Sleep -Seconds 2",
    "  }",
    "}",
    ...ending("state server"),
  ]);
}
