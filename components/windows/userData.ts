// User data for the Windows nodes (EC2Launch v2, Windows Server 2022): the web nodes' and the state
// server's steps. Pure functions: plain values in, text out. Every embedded value is validated and
// single-quoted; the document, the boot status and the first step come from boot.ts. The session
// store's part of a web node's boot comes from the store (SessionBoot), included as it is.
import * as rules from "../args/rules";
import {
  agentInstallers,
  CODEDEPLOY_AGENT_SERVICE,
  installAgent,
  installFeatures,
  startAgent,
  STATE_FEATURES,
  WEB_FEATURES,
} from "./agents";
import { BootValues, psHashtable, script, Step } from "./boot";
import { SITE_ID, SITE_NAME } from "./site";
import { spotWatchStep } from "./spotWatch";
import { protectRootWebConfig } from "./webConfig";
import {
  checkCidr,
  checkParameterName,
  checkPort,
  checkToken,
  checkUrlPath,
  checkValidation,
  DECRYPTION_KEY_BYTES,
  psLiteral,
  VALIDATION_ALGORITHMS,
  ValidationAlgorithm,
  validationKeyBytes,
} from "./values";

/** How long the node keeps trying to read its key (a NAT gateway or the role may come late). */
export const KEY_READ_SECONDS = 600;
/**
 * With an application, or in Auto Scaling mode, every wait of the boot (key, session login, session
 * database) ends within this many seconds of the script's start, whatever each step's own limit
 * (10, 60 and 45 minutes: up to 115 in all): the agent starts only after them, and CodeDeploy waits
 * at most an hour for an agent to respond to a pending deployment (CodeDeploy, "Troubleshooting
 * Amazon EC2 Auto Scaling issues"); the launch hook abandons a node after an hour
 * (webNodes.ts, LAUNCH_TIMEOUT_SECONDS). Windows' own setup and the installs take the rest of it.
 */
export const APPLICATION_WAITS_SECONDS = 2400;

/**
 * A session store's part of a web node's boot. The boot includes it as it is, knowing no store: the
 * store's own generator (e.g. sessions/stateServer/windows) makes it.
 */
export interface SessionBoot {
  /**
   * The <sessionState> attributes the boot writes into both root web.configs, as $SessionAttributes
   * (a step of `before` may add one, e.g. a connection string read at boot).
   */
  sessionState: Record<string, string>;
  /** Its script variables, declared after the machine key's (validated and quoted by the store). */
  variables: string[];
  /** Its steps once the machine key is read, before the root web.configs are written. */
  before: Step[];
  /** Its steps once IIS serves, before the release and the CodeDeploy agent. */
  after: Step[];
  /** Lines after the last step: what must not fail the boot (a warning). */
  closing: string[];
}

/**
 * A store's part of the boot, given how the boot writes a wait's limit in seconds: with an
 * application or a launch hook, what is left of APPLICATION_WAITS_SECONDS, at most that limit.
 */
export type NodeSessionBoot = (waitSeconds: (most: number) => string) => SessionBoot;

export interface WebNodeBootValues extends BootValues {
  /** SSM SecureString parameter holding the machine key as JSON. */
  keyParameterName: string;
  /** The key version the node expects to find in the parameter (machineKeyVersion). */
  keyVersion: string;
  /** The validation algorithm the node expects; with keyVersion, it puts a key change into user data. */
  keyValidation: ValidationAlgorithm;
  /** The session store's part of the boot, from the store's own generator (its folder's windows/). */
  session: NodeSessionBoot;
  /** The load balancer's health check path, served session-free. */
  healthCheckPath: string;
  /**
   * With an application: the node installs the CodeDeploy agent; the health page then comes with
   * each release. With `currentRelease` (instances mode, where CodeDeploy does not serve new
   * instances by itself) the node installs the group's last successful release at boot, with the
   * same hooks CodeDeploy runs. Without it (Auto Scaling mode) the boot writes the kit's health page
   * as a placeholder (see healthPageAtBoot).
   */
  codeDeploy?: { currentRelease?: { application: string; deploymentGroup: string } };
  /**
   * Spot nodes: the boot starts a watch (a scheduled task) that, on EC2's interruption notice,
   * deregisters the node from this target group (spotWatch.ts).
   * @default undefined (no watch)
   */
  spotWatch?: { targetGroupArn: string };
}

/** "IPv4 CIDR blocks per VPC": 5 by default, "can be increased up to a maximum of 50" (docs.aws.amazon.com/general/latest/gr/vpc-service.html). */
export const MAX_VPC_CIDRS = 50;

export interface StateServerBootValues extends BootValues {
  statePort: number;
  /**
   * The sources the Windows Firewall admits on the state port: the VPC's CIDRs. Not the web
   * subnets, so the state server's user data (and the instance) stays the same when AZs change.
   */
  webCidrs: string[];
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

/**
 * Whether the boot writes the kit's health page: without an application, and in Auto Scaling mode
 * with one. There the group waits for healthy nodes before the deployment group and the first
 * release can exist, so the first nodes must be healthy without a release; later nodes are in
 * service only once CodeDeploy's own launch hook installed the last successful release
 * (CodeDeploy user guide, "Integrating CodeDeploy with Amazon EC2 Auto Scaling"). In instances
 * mode the page comes with the release: a node is healthy only once it serves the application.
 */
export function healthPageAtBoot(codeDeploy: WebNodeBootValues["codeDeploy"]): boolean {
  return codeDeploy === undefined || codeDeploy.currentRelease === undefined;
}

/**
 * The name of the boot's last step with an application, which installs (if missing) and starts the
 * agent; the name is the one operators and tests already know.
 */
export const START_CODEDEPLOY_AGENT_STEP = "install the CodeDeploy agent";

/**
 * The boot's last step with an application: the CodeDeploy agent (installed unless the image has
 * it, held stopped there) starts only now, once the node is configured, so no release hook runs on
 * a half-configured node (agents.ts, holdAgent; CodeDeploy troubleshooting, Auto Scaling section).
 */
function startCodeDeployAgentStep(v: WebNodeBootValues): Step {
  return {
    name: START_CODEDEPLOY_AGENT_STEP,
    body: [
      installAgent("CodeDeploy agent", CODEDEPLOY_AGENT_SERVICE, agentInstallers(v.region, v.dnsSuffix).codeDeploy),
      ...startAgent(CODEDEPLOY_AGENT_SERVICE),
    ],
  };
}

/** Instances mode: the current release, installed by the boot itself (before the agent starts). */
function currentReleaseSteps(v: WebNodeBootValues): Step[] {
  const current = v.codeDeploy?.currentRelease;
  if (!current) return [];
  const application = rules.check(rules.token, "application", current.application);
  const group = rules.check(rules.token, "deploymentGroup", current.deploymentGroup);
  return [
    {
      name: "install the current release",
      comment:
        "CodeDeploy serves only Auto Scaling groups' new instances: install the last successful release with its hooks.",
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
  // With an application or a launch hook (both give up after an hour), a wait takes what is left of
  // the boot's shared budget, at most its own limit.
  const budgeted = values.codeDeploy !== undefined || values.lifecycleHook !== undefined;
  const waitSeconds = (most: number) => (budgeted ? `(Get-WaitSeconds ${most})` : `${most}`);
  const session = values.session(waitSeconds);
  const health = healthCheckFile(values.healthCheckPath);
  const keyLengths = VALIDATION_ALGORITHMS.map((a) => `${a} = ${validationKeyBytes(a) * 2}`).join("; ");
  const app = values.codeDeploy !== undefined;
  const writeHealth = healthPageAtBoot(values.codeDeploy);

  const steps: Step[] = [
    {
      name: "install IIS and ASP.NET 4.x",
      body: installFeatures(WEB_FEATURES),
    },
    {
      name: "read the machine key from SSM Parameter Store",
      comment: `Never in user data: read with the instance role, backing off up to ${KEY_READ_SECONDS / 60} minutes (credentials, NAT).`,
      body: [
        "$raw = $null",
        `$deadline = (Get-Date).AddSeconds(${waitSeconds(KEY_READ_SECONDS)})`,
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
    ...session.before,
    {
      name: "write machineKey and sessionState to both root web.configs",
      comment:
        "Both root web.configs (32-bit pools read Framework, 64-bit Framework64), via the XML DOM; the original is kept once. Then DPAPI-encrypted.",
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
        ...protectRootWebConfig().map((l) => `  ${l}`),
        "}",
      ],
    },
    {
      name: writeHealth ? "pin the site id and write the health check file" : "pin the site id",
      comment: "KB 325056: the state server keys sessions by /LM/W3SVC/<siteId>/ROOT, so every node pins it.",
      body: [
        "Import-Module WebAdministration",
        "$site = Get-Website | Where-Object { $_.Name -eq $SiteName }",
        "if (-not $site) { throw ('no IIS site named ' + $SiteName) }",
        "$other = Get-Website | Where-Object { $_.Id -eq $SiteId -and $_.Name -ne $SiteName }",
        "if ($other) { throw ('site id ' + $SiteId + ' is taken by ' + $other.Name) }",
        "if ($site.Id -ne $SiteId) { Set-ItemProperty -Path ('IIS:\\Sites\\' + $SiteName) -Name id -Value $SiteId }",
        ...(!writeHealth
          ? []
          : [
              "$root = [Environment]::ExpandEnvironmentVariables($site.physicalPath)",
              "$file = Join-Path $root $HealthFile",
              "New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file) | Out-Null",
              "Set-Content -LiteralPath $file -Value $HealthContent -Encoding UTF8",
            ]),
      ],
    },
    !writeHealth
      ? {
          // The health page comes with the release: nothing to check yet.
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
    ...session.after,
    ...(values.spotWatch ? [spotWatchStep(values.region, values.spotWatch.targetGroupArn)] : []),
    ...(app ? currentReleaseSteps(values) : []),
  ];

  return script(
    "web node",
    values,
    [
      `$KeyParameter = ${psLiteral(parameter)}`,
      `$KeyVersion = ${psLiteral(version)}`,
      `$KeyValidation = ${psLiteral(validation)}`,
      `$SessionAttributes = ${psHashtable(session.sessionState)}`,
      ...session.variables,
      `$SiteName = ${psLiteral(SITE_NAME)}`,
      `$SiteId = ${SITE_ID}`,
      ...(!writeHealth
        ? []
        : [`$HealthFile = ${psLiteral(health.relativePath)}`, `$HealthContent = ${psLiteral(health.content)}`]),
      `$ValidationKeyChars = @{ ${keyLengths} }`,
      ...(budgeted
        ? [
            `$WaitsEnd = (Get-Date).AddSeconds(${APPLICATION_WAITS_SECONDS})`,
            "function Get-WaitSeconds([int]$Most) { [int][Math]::Max(0, [Math]::Min($Most, ($WaitsEnd - (Get-Date)).TotalSeconds)) }",
          ]
        : []),
    ],
    // Add steps above, never after this one: the agent must start last.
    app ? [...steps, startCodeDeployAgentStep(values)] : steps,
    session.closing,
  );
}

export function stateServerUserData(values: StateServerBootValues): string {
  const port = checkPort("statePort", values.statePort);
  if (values.webCidrs.length === 0) throw new Error("webCidrs must not be empty");
  if (values.webCidrs.length > MAX_VPC_CIDRS)
    throw new Error(`webCidrs has ${values.webCidrs.length} CIDRs; a VPC has at most ${MAX_VPC_CIDRS}`);
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
