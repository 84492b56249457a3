// User data for the Windows nodes (EC2Launch v2, Windows Server 2022). Pure functions: plain
// values in, text out. Every embedded value is validated and single-quoted.
//
// The script runs as an EC2Launch v2 executeScript task with `detach: false`, so EC2Launch waits
// for it and its exit code counts. Each step is named; the node reports where it is in the
// instance tag webfarm:boot (`running: <step>`, then `ok` or `failed: <step>: <reason>`), which an
// operator sees without logging in, and the boot log ships to CloudWatch Logs from the first step.
import * as rules from "../rules";
import {
  agentInstallers,
  CLOUDWATCH_AGENT_SERVICE,
  CODEDEPLOY_AGENT_SERVICE,
  IMAGE_MARKER,
  installAgent,
  installFeatures,
  STATE_FEATURES,
  WEB_FEATURES,
} from "./agents";
import { SITE_ID, SITE_NAME } from "./site";
import { sessionStateAttributes } from "./webConfig";
import {
  checkCidr,
  checkParameterName,
  checkPort,
  checkRegion,
  checkToken,
  checkUrlPath,
  checkValidation,
  DECRYPTION_KEY_BYTES,
  psLiteral,
  VALIDATION_ALGORITHMS,
  ValidationAlgorithm,
  validationKeyBytes,
} from "./values";

/** EC2 rejects raw user data over 16 KB (fact sheet §4). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;
export const BOOT_LOG = "C:\\ProgramData\\aspnet-webfarm\\boot.log";
/** The instance tag that carries the boot's outcome. */
export const BOOT_TAG = "webfarm:boot";
/** How long the node keeps trying to read its key (a NAT gateway or the role may come late). */
export const KEY_READ_SECONDS = 600;
const EVENT_SOURCE = "aspnet-webfarm";

/** What every node's boot needs: where it is, where its agents come from, how it reports. */
export interface BootValues {
  region: string;
  /** The region's DNS suffix (amazonaws.com, amazonaws.com.cn): where the agents are downloaded from. */
  dnsSuffix: string;
  /** The SSM parameter holding this role's CloudWatch agent configuration. */
  cloudWatchConfigParameter: string;
  /** Auto Scaling mode: the launch lifecycle hook the node completes once it is ready. */
  lifecycleHook?: string;
}

export interface WebNodeBootValues extends BootValues {
  /** SSM SecureString parameter holding the machine key as JSON. */
  keyParameterName: string;
  /** The key version the node expects to find in the parameter (machineKeyVersion). */
  keyVersion: string;
  /** The validation algorithm the node expects; with keyVersion, it puts a key change into user data. */
  keyValidation: ValidationAlgorithm;
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
  codeDeploy?: { currentRelease?: { application: string; deploymentGroup: string } };
}

export interface StateServerBootValues extends BootValues {
  statePort: number;
  /**
   * The sources the Windows Firewall admits on the state port: the VPC's CIDRs. Not the web
   * subnets, so the state server's user data (and the instance) stays the same when AZs change.
   */
  webCidrs: string[];
}

const hookName = rules.text("must be a lifecycle hook name").regex(/^[A-Za-z0-9._-]{1,255}$/, {
  error: "must be a lifecycle hook name (letters, digits, . _ -)",
});

/** One named step: its body runs in a script block; a throw fails the boot with the step's name. */
interface Step {
  name: string;
  comment?: string;
  body: string[];
}

/** Shared opening: stop on any error, log, and report the boot's state on the instance's tag. */
function prelude(role: string, v: BootValues): string[] {
  const hook = v.lifecycleHook === undefined ? undefined : rules.check(hookName, "lifecycleHook", v.lifecycleHook);
  return [
    `# aspnet-webfarm ${role} bootstrap (generated). EC2Launch v2 runs it once, at first boot, and waits for it.`,
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "New-Item -ItemType Directory -Force -Path 'C:\\ProgramData\\aspnet-webfarm' | Out-Null",
    `Start-Transcript -Path ${psLiteral(BOOT_LOG)} -Append | Out-Null`,
    `$Region = ${psLiteral(checkRegion("region", v.region))}`,
    `$LifecycleHook = ${hook === undefined ? "$null" : psLiteral(hook)}`,
    "$InstanceId = $null",
    "try { $InstanceId = Get-EC2InstanceMetadata -Category InstanceId } catch { Write-Output ('no instance id from IMDS: ' + $_.Exception.Message) }",
    "",
    "# Where an operator sees the boot without logging in: the instance's tag webfarm:boot.",
    "function Set-BootStatus([string]$Status) {",
    "  if (-not $InstanceId) { return }",
    `  try { New-EC2Tag -Resource $InstanceId -Tag @{ Key = ${psLiteral(BOOT_TAG)}; Value = $Status.Substring(0, [Math]::Min($Status.Length, 255)) } -Region $Region }`,
    "  catch { Write-Output ('could not tag the boot status: ' + $_.Exception.Message) }",
    "}",
    "# Auto Scaling mode: the node is InService only once it says so (CONTINUE), or is replaced (ABANDON).",
    "function Complete-Launch([string]$Result) {",
    "  if (-not $LifecycleHook -or -not $InstanceId) { return }",
    "  try {",
    "    $group = (Get-ASAutoScalingInstance -InstanceId $InstanceId -Region $Region).AutoScalingGroupName",
    "    Complete-ASLifecycleAction -LifecycleHookName $LifecycleHook -AutoScalingGroupName $group -InstanceId $InstanceId -LifecycleActionResult $Result -Region $Region",
    "  } catch { Write-Output ('could not complete the lifecycle action: ' + $_.Exception.Message) }",
    "}",
    "# A failure: the tag, the System event log, the launch abandoned, and a non-zero exit EC2Launch records.",
    "function Fail([string]$Message) {",
    `  $text = ${psLiteral(`aspnet-webfarm ${role}: FAILED: `)} + $Message`,
    "  Write-Output $text",
    "  try {",
    `    if (-not [System.Diagnostics.EventLog]::SourceExists(${psLiteral(EVENT_SOURCE)})) { New-EventLog -LogName System -Source ${psLiteral(EVENT_SOURCE)} }`,
    `    Write-EventLog -LogName System -Source ${psLiteral(EVENT_SOURCE)} -EventId 1001 -EntryType Error -Message $text`,
    "  } catch { Write-Output ('could not write the event log: ' + $_.Exception.Message) }",
    "  Set-BootStatus ('failed: ' + $Message)",
    "  Complete-Launch 'ABANDON'",
    "  try { Stop-Transcript | Out-Null } catch { }",
    "  exit 1",
    "}",
    "function Step([string]$Name, [scriptblock]$Body) {",
    `  Write-Output (${psLiteral(`aspnet-webfarm ${role}: `)} + $Name)`,
    "  Set-BootStatus ('running: ' + $Name)",
    "  try { & $Body } catch { Fail ($Name + ': ' + $_.Exception.Message) }",
    "}",
    "",
  ];
}

function ending(role: string): string[] {
  return [
    "Set-BootStatus 'ok'",
    "Complete-Launch 'CONTINUE'",
    `Write-Output ${psLiteral(`aspnet-webfarm ${role}: ready`)}`,
    "Stop-Transcript | Out-Null",
    "exit 0",
  ];
}

function renderSteps(steps: Step[]): string[] {
  return steps.flatMap((s) => [
    ...(s.comment ? [`# ${s.comment}`] : []),
    `Step ${psLiteral(s.name)} {`,
    ...s.body.map((l) => `  ${l}`),
    "}",
    "",
  ]);
}

/**
 * The EC2Launch v2 document: one executeScript task, run once, not detached (EC2Launch waits and
 * records the exit code). Checked against EC2's 16 KB limit for raw user data.
 */
export function ec2LaunchDocument(script: string[]): string {
  const document = [
    "version: 1.1",
    "tasks:",
    "  - task: executeScript",
    "    inputs:",
    "      - frequency: once",
    "        type: powershell",
    "        runAs: localSystem",
    "        detach: false",
    "        content: |-",
    ...script.map((l) => (l === "" ? "" : `          ${l}`)),
    "",
  ].join("\n");
  const bytes = Buffer.byteLength(document, "utf8");
  if (bytes > USER_DATA_LIMIT_BYTES) {
    throw new Error(`user data is ${bytes} bytes; EC2 accepts at most ${USER_DATA_LIMIT_BYTES}`);
  }
  return document;
}

/** The CloudWatch agent, first: from then on the boot log, IIS and event logs reach CloudWatch. */
function cloudWatchStep(v: BootValues): Step {
  const { cloudWatch } = agentInstallers(v.region, v.dnsSuffix);
  return {
    name: "start the CloudWatch agent",
    comment: "From here on, this log, IIS's and the event logs reach CloudWatch Logs.",
    body: [
      // What a farm image says it baked in, for the log; the steps check the machine itself.
      `if (Test-Path -LiteralPath ${psLiteral(IMAGE_MARKER)}) { Write-Output ('farm image: ' + (Get-Content -Raw -LiteralPath ${psLiteral(IMAGE_MARKER)})) }`,
      ...installAgent("CloudWatch agent", CLOUDWATCH_AGENT_SERVICE, cloudWatch),
      `& (Join-Path $env:ProgramFiles 'Amazon\\AmazonCloudWatchAgent\\amazon-cloudwatch-agent-ctl.ps1') -a fetch-config -m ec2 -s -c ${psLiteral(`ssm:${checkParameterName("cloudWatchConfigParameter", v.cloudWatchConfigParameter)}`)}`,
      "if ($LASTEXITCODE -ne 0) { throw ('the CloudWatch agent did not start (exit ' + $LASTEXITCODE + ')') }",
    ],
  };
}

function script(role: string, v: BootValues, variables: string[], steps: Step[], after: string[] = []): string {
  return ec2LaunchDocument([
    ...prelude(role, v),
    ...variables,
    "",
    ...renderSteps([cloudWatchStep(v), ...steps]),
    ...after,
    ...ending(role),
  ]);
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
function codeDeploySteps(v: WebNodeBootValues): Step[] {
  const { codeDeploy } = agentInstallers(v.region, v.dnsSuffix);
  const current = v.codeDeploy?.currentRelease;
  const agent: Step = {
    name: "install the CodeDeploy agent",
    body: installAgent("CodeDeploy agent", CODEDEPLOY_AGENT_SERVICE, codeDeploy),
  };
  if (!current) return [agent];
  const application = rules.check(rules.token, "application", current.application);
  const group = rules.check(rules.token, "deploymentGroup", current.deploymentGroup);
  return [
    agent,
    {
      name: "install the current release",
      comment:
        "CodeDeploy serves new instances of an Auto Scaling group by itself, not single ones: install the group's last successful release with the very hooks CodeDeploy runs.",
      body: [
        `$group = Get-CDDeploymentGroup -ApplicationName ${psLiteral(application)} -DeploymentGroupName ${psLiteral(group)} -Region $Region`,
        "if (-not $group.LastSuccessfulDeployment.DeploymentId) { Write-Output 'no release yet: the first release installs it'; return }",
        "$bundle = (Get-CDDeployment -DeploymentId $group.LastSuccessfulDeployment.DeploymentId -Region $Region).Revision.S3Location",
        "$dir = Join-Path $env:TEMP 'aspnet-webfarm-release'",
        "$zip = $dir + '.zip'",
        "$s3 = @{ BucketName = $bundle.Bucket; Key = $bundle.Key; File = $zip; Region = $Region }",
        "if ($bundle.Version) { $s3.VersionId = $bundle.Version }",
        "Read-S3Object @s3 | Out-Null",
        "Expand-Archive -LiteralPath $zip -DestinationPath $dir -Force",
        "foreach ($hook in 'install', 'start', 'validate') {",
        "  & powershell.exe -NoProfile -ExecutionPolicy Bypass -File (Join-Path $dir ('hooks\\' + $hook + '.ps1'))",
        "  if ($LASTEXITCODE -ne 0) { throw ('release hook ' + $hook + ' failed; see C:\\ProgramData\\aspnet-webfarm\\release.log') }",
        "}",
      ],
    },
  ];
}

export function webNodeUserData(values: WebNodeBootValues): string {
  const parameter = checkParameterName("keyParameterName", values.keyParameterName);
  const version = checkToken("keyVersion", values.keyVersion);
  const validation = checkValidation(values.keyValidation);
  const session = sessionStateAttributes({
    stateHost: values.stateHost,
    statePort: values.statePort,
    timeoutMinutes: values.sessionTimeoutMinutes,
  });
  const health = healthCheckFile(values.healthCheckPath);
  const keyLengths = VALIDATION_ALGORITHMS.map((a) => `${a} = ${validationKeyBytes(a) * 2}`).join("; ");
  const app = values.codeDeploy !== undefined;

  const steps: Step[] = [
    {
      name: "install IIS and ASP.NET 4.x",
      body: installFeatures(WEB_FEATURES),
    },
    {
      name: "read the machine key from SSM Parameter Store",
      comment: `The key never travels in user data: read it with the instance role, backing off for up to ${KEY_READ_SECONDS / 60} minutes while the role's credentials or the NAT gateway arrive.`,
      body: [
        "$raw = $null",
        `$deadline = (Get-Date).AddSeconds(${KEY_READ_SECONDS})`,
        "$wait = 5",
        "while (-not $raw) {",
        "  try { $raw = (Get-SSMParameter -Name $KeyParameter -WithDecryption $true -Region $Region).Value }",
        "  catch {",
        "    if ((Get-Date) -gt $deadline) { throw }",
        "    Write-Output ('key not readable yet (' + $_.Exception.Message + '); again in ' + $wait + ' s')",
        "    Start-Sleep -Seconds $wait",
        "    $wait = [Math]::Min($wait * 2, 60)",
        "  }",
        "}",
        "$script:Key = $raw | ConvertFrom-Json",
        "if ($script:Key.version -ne $KeyVersion) { throw ('parameter holds key version ' + $script:Key.version + ', expected ' + $KeyVersion) }",
        "if ($script:Key.validation -cne $KeyValidation) { throw ('parameter holds validation ' + $script:Key.validation + ', expected ' + $KeyValidation) }",
        "$want = $ValidationKeyChars[$KeyValidation]",
        "if ($script:Key.validationKey -notmatch ('^[0-9A-Fa-f]{' + $want + '}$')) { throw ('validationKey is not ' + $want + ' hex characters') }",
        `if ($script:Key.decryptionKey -notmatch '^[0-9A-Fa-f]{${DECRYPTION_KEY_BYTES * 2}}$') { throw 'decryptionKey is not ${DECRYPTION_KEY_BYTES * 2} hex characters' }`,
      ],
    },
    {
      name: "write machineKey and sessionState to both root web.configs",
      comment:
        "Machine level, in both root web.configs: 32-bit pools read Framework, 64-bit ones Framework64. Built with the XML DOM, so values are escaped; the original is kept once (a re-run must not save the edited file over it).",
      body: [
        "foreach ($framework in 'Framework', 'Framework64') {",
        "  $path = Join-Path $env:WINDIR ('Microsoft.NET\\' + $framework + '\\v4.0.30319\\Config\\web.config')",
        "  if (-not (Test-Path -LiteralPath $path)) { throw ('missing ' + $path) }",
        "  $backup = $path + '.before-webfarm'",
        "  if (-not (Test-Path -LiteralPath $backup)) { Copy-Item -LiteralPath $path -Destination $backup }",
        "  $doc = New-Object System.Xml.XmlDocument",
        "  $doc.PreserveWhitespace = $true",
        "  $doc.Load($path)",
        "  $systemWeb = $doc.DocumentElement.SelectSingleNode('system.web')",
        "  if (-not $systemWeb) { $systemWeb = $doc.DocumentElement.AppendChild($doc.CreateElement('system.web')) }",
        "  foreach ($name in 'machineKey', 'sessionState') { foreach ($old in @($systemWeb.SelectNodes($name))) { [void]$systemWeb.RemoveChild($old) } }",
        "  $machineKey = $doc.CreateElement('machineKey')",
        "  $machineKey.SetAttribute('validationKey', $script:Key.validationKey)",
        "  $machineKey.SetAttribute('decryptionKey', $script:Key.decryptionKey)",
        "  $machineKey.SetAttribute('validation', $script:Key.validation)",
        "  $machineKey.SetAttribute('decryption', 'AES')",
        "  [void]$systemWeb.AppendChild($machineKey)",
        "  $stateElement = $doc.CreateElement('sessionState')",
        "  foreach ($entry in $SessionAttributes.GetEnumerator()) { $stateElement.SetAttribute($entry.Key, $entry.Value) }",
        "  [void]$systemWeb.AppendChild($stateElement)",
        "  $doc.Save($path)",
        "}",
      ],
    },
    {
      name: app ? "pin the site id" : "pin the site id and write the health check file",
      comment: "KB 325056: the state server keys sessions by /LM/W3SVC/<siteId>/ROOT, so every node pins it.",
      body: [
        "Import-Module WebAdministration",
        "$site = Get-Website | Where-Object { $_.Name -eq $SiteName }",
        "if (-not $site) { throw ('no IIS site named ' + $SiteName) }",
        "$other = Get-Website | Where-Object { $_.Id -eq $SiteId -and $_.Name -ne $SiteName }",
        "if ($other) { throw ('site id ' + $SiteId + ' is taken by ' + $other.Name) }",
        "if ($site.Id -ne $SiteId) { Set-ItemProperty -Path ('IIS:\\Sites\\' + $SiteName) -Name id -Value $SiteId }",
        ...(app
          ? []
          : [
              "$root = [Environment]::ExpandEnvironmentVariables($site.physicalPath)",
              "$file = Join-Path $root $HealthFile",
              "New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file) | Out-Null",
              "Set-Content -LiteralPath $file -Value $HealthContent -Encoding UTF8",
            ]),
      ],
    },
    app
      ? {
          // With an application the health page comes with the release: nothing to check yet.
          name: "restart IIS",
          body: [
            "& iisreset.exe /restart | Out-Null",
            "if ($LASTEXITCODE -ne 0) { throw ('iisreset exited ' + $LASTEXITCODE) }",
          ],
        }
      : {
          name: "restart IIS and check the health page answers 200",
          body: [
            "& iisreset.exe /restart | Out-Null",
            "if ($LASTEXITCODE -ne 0) { throw ('iisreset exited ' + $LASTEXITCODE) }",
            "$url = 'http://localhost/' + ($HealthFile -replace '\\\\', '/')",
            "foreach ($attempt in 1..10) {",
            "  try { if ((Invoke-WebRequest -Uri $url -UseBasicParsing -TimeoutSec 30).StatusCode -eq 200) { break } } catch { }",
            "  if ($attempt -eq 10) { throw ($url + ' did not answer 200') }",
            "  Start-Sleep -Seconds 3",
            "}",
          ],
        },
    ...(app ? codeDeploySteps(values) : []),
  ];

  return script(
    "web node",
    values,
    [
      `$KeyParameter = ${psLiteral(parameter)}`,
      `$KeyVersion = ${psLiteral(version)}`,
      `$KeyValidation = ${psLiteral(validation)}`,
      `$SessionAttributes = ${psHashtable(session)}`,
      `$StateHost = ${psLiteral(values.stateHost)}`,
      `$StatePort = ${checkPort("statePort", values.statePort)}`,
      `$SiteName = ${psLiteral(SITE_NAME)}`,
      `$SiteId = ${SITE_ID}`,
      ...(app
        ? []
        : [`$HealthFile = ${psLiteral(health.relativePath)}`, `$HealthContent = ${psLiteral(health.content)}`]),
      `$ValidationKeyChars = @{ ${keyLengths} }`,
    ],
    steps,
    [
      "# The state server may still be booting: report, do not fail.",
      "if (-not (Test-NetConnection -ComputerName $StateHost -Port $StatePort -InformationLevel Quiet)) {",
      "  Write-Output ('aspnet-webfarm web node: warning: state server ' + $StateHost + ':' + $StatePort + ' not reachable yet')",
      "}",
    ],
  );
}

export function stateServerUserData(values: StateServerBootValues): string {
  const port = checkPort("statePort", values.statePort);
  if (values.webCidrs.length === 0) throw new Error("webCidrs must not be empty");
  const cidrs = values.webCidrs.map((c, i) => psLiteral(checkCidr(`webCidrs[${i}]`, c)));

  return script(
    "state server",
    values,
    [
      `$StatePort = ${port}`,
      `$WebCidrs = @(${cidrs.join(", ")})`,
      "$Parameters = 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\aspnet_state\\Parameters'",
    ],
    [
      {
        name: "install ASP.NET 4.x (brings the state service)",
        body: [
          ...installFeatures(STATE_FEATURES),
          "if (-not (Get-Service -Name aspnet_state -ErrorAction SilentlyContinue)) { throw 'the aspnet_state service is not registered' }",
        ],
      },
      {
        name: "allow remote connections on the state port",
        comment: "AllowRemoteConnection (singular) and Port are read when the service starts.",
        body: [
          "if (-not (Test-Path -Path $Parameters)) { New-Item -Path $Parameters -Force | Out-Null }",
          "New-ItemProperty -Path $Parameters -Name AllowRemoteConnection -PropertyType DWord -Value 1 -Force | Out-Null",
          "New-ItemProperty -Path $Parameters -Name Port -PropertyType DWord -Value $StatePort -Force | Out-Null",
        ],
      },
      {
        name: "start the state service automatically",
        comment: "The service is Manual by default, and some updates reset it: make it Automatic and self-restarting.",
        body: [
          "Set-Service -Name aspnet_state -StartupType Automatic",
          "& sc.exe failure aspnet_state reset= 86400 actions= restart/5000/restart/5000/restart/5000 | Out-Null",
          "Restart-Service -Name aspnet_state -Force",
        ],
      },
      {
        name: "open the Windows Firewall for the VPC only",
        comment:
          "The protocol has no authentication: the web nodes' security group is the boundary; this rule admits the VPC's own addresses only (not the subnets, so a new AZ does not change this server).",
        body: [
          "Get-NetFirewallRule -Name 'aspnet-webfarm-state' -ErrorAction SilentlyContinue | Remove-NetFirewallRule",
          "New-NetFirewallRule -Name 'aspnet-webfarm-state' -DisplayName 'ASP.NET State Service from the farm''s VPC' -Direction Inbound -Protocol TCP -LocalPort $StatePort -RemoteAddress $WebCidrs -Action Allow -Profile Any | Out-Null",
        ],
      },
      {
        name: "check the state service listens",
        body: [
          "foreach ($attempt in 1..10) {",
          "  if (Get-NetTCPConnection -LocalPort $StatePort -State Listen -ErrorAction SilentlyContinue) { break }",
          "  if ($attempt -eq 10) { throw ('nothing listens on port ' + $StatePort) }",
          "  Start-Sleep -Seconds 2",
          "}",
        ],
      },
    ],
  );
}
