// What a node needs installed (Windows features, the CloudWatch and CodeDeploy agents), written
// once for both places that install it: the farm image's build (image.ts) and each node's boot
// (userData.ts), which installs only what it finds missing. Pure: values in, PowerShell lines out.
import * as rules from "../args/rules";
import { checkRegion, psLiteral } from "./values";

/** Windows features a web node serves with: IIS, ASP.NET 4.x in IIS, ASP.NET 4.x itself. */
export const WEB_FEATURES = ["Web-Server", "Web-Asp-Net45", "NET-Framework-45-ASPNET"] as const;
/** The state server's: ASP.NET 4.x brings the aspnet_state service. */
export const STATE_FEATURES = ["NET-Framework-45-ASPNET"] as const;

export const CLOUDWATCH_AGENT_SERVICE = "AmazonCloudWatchAgent";
export const CODEDEPLOY_AGENT_SERVICE = "codedeployagent";

/** Where the farm image records what it baked in (the boot log shows it; checks never rely on it). */
export const IMAGE_MARKER = "C:\\ProgramData\\aspnet-webfarm\\image.json";

export const dnsSuffix = rules
  .text("must be a DNS suffix")
  .regex(/^amazonaws\.com(\.cn)?$/, { error: "must be amazonaws.com or amazonaws.com.cn" });

/** Where the agents' installers are, in the region's own bucket (so a node needs no other internet). */
export function agentInstallers(region: string, suffix: string): { cloudWatch: string; codeDeploy: string } {
  const r = checkRegion("region", region);
  const s = rules.check(dnsSuffix, "dnsSuffix", suffix);
  return {
    cloudWatch: `https://amazoncloudwatch-agent-${r}.s3.${r}.${s}/windows/amd64/latest/amazon-cloudwatch-agent.msi`,
    codeDeploy: `https://aws-codedeploy-${r}.s3.${r}.${s}/latest/codedeploy-agent.msi`,
  };
}

/**
 * Installs the features not installed yet; says so when none are missing (a farm image has them).
 * The check is on the machine itself, never on what an image claims.
 */
export function installFeatures(features: readonly string[]): string[] {
  const list = features.map((f) => psLiteral(rules.check(rules.token, "feature", f))).join(", ");
  return [
    `$missing = @(Get-WindowsFeature -Name ${list} | Where-Object { -not $_.Installed } | ForEach-Object { $_.Name })`,
    `if ($missing.Count -eq 0) { Write-Output ('already installed: ' + (@(${list}) -join ', ')) }`,
    "else {",
    "  $result = Install-WindowsFeature -Name $missing",
    "  if (-not $result.Success) { throw ('Install-WindowsFeature did not succeed for ' + ($missing -join ', ')) }",
    "}",
  ];
}

/**
 * msiexec's exit codes that mean installed: 0, and 3010 ERROR_SUCCESS_REBOOT_REQUIRED ("the install
 * completed successfully, but a restart is required"; Microsoft Learn, "MsiExec.exe and InstMsi.exe
 * error messages"). `/norestart` keeps msiexec from restarting the machine itself (1641 would then
 * mean it did, mid-boot: a failure here). No restart follows a 3010: AWS's own install steps for
 * both agents use them right after msiexec (CodeDeploy, "Install the CodeDeploy agent for Windows
 * Server": msiexec, then Get-Service codedeployagent; CloudWatch user guide, installing the agent on
 * Windows Server from the command line: msiexec, then amazon-cloudwatch-agent-ctl.ps1), and each caller checks the
 * service (here) and starts it (fetch-config, Start-Service), so one that needs a restart fails there.
 */
export const MSI_SUCCESS_EXIT_CODES = [0, 3010] as const;

/**
 * msiexec's 1618 ERROR_INSTALL_ALREADY_RUNNING: "Another installation is already in progress"
 * (Microsoft Learn, "MsiExec.exe and InstMsi.exe error messages"; "_MSIExecute Mutex": only one
 * installation at a time runs its execute sequence). A fresh Windows boot may still be installing
 * something, so Install-Agent tries again, waiting longer each time, then fails.
 */
export const MSI_BUSY_EXIT_CODE = 1618;
/** How many times Install-Agent runs msiexec while it answers 1618. */
export const MSI_BUSY_TRIES = 5;
/** Seconds before try n+1 after a 1618: n times this (30, 60, 90, 120 s: 5 minutes in all). */
export const MSI_BUSY_BACKOFF_SECONDS = 30;

/**
 * Installs an agent's MSI unless its service is there already, and fails unless the service is
 * there after: a PowerShell function, defined once per script and called per agent.
 */
export const INSTALL_AGENT_FUNCTION = [
  "function Install-Agent([string]$What, [string]$Service, [string]$Url) {",
  "  if (Get-Service -Name $Service -ErrorAction SilentlyContinue) { Write-Host ('already installed: ' + $What); return }",
  "  $msi = Join-Path $env:TEMP ($Service + '.msi')",
  "  Invoke-WebRequest -Uri $Url -OutFile $msi -UseBasicParsing",
  `  foreach ($try in 1..${MSI_BUSY_TRIES}) {`,
  "    $p = Start-Process msiexec.exe -ArgumentList @('/i', $msi, '/quiet', '/norestart', '/l', ($msi + '.log')) -Wait -PassThru",
  `    if ($p.ExitCode -ne ${MSI_BUSY_EXIT_CODE} -or $try -eq ${MSI_BUSY_TRIES}) { break }`,
  `    Write-Host ('another installation is in progress (${MSI_BUSY_EXIT_CODE}); the ' + $What + ' again in ' + ($try * ${MSI_BUSY_BACKOFF_SECONDS}) + ' s')`,
  `    Start-Sleep -Seconds ($try * ${MSI_BUSY_BACKOFF_SECONDS})`,
  "  }",
  `  if ($p.ExitCode -notin ${MSI_SUCCESS_EXIT_CODES.join(", ")}) { throw ('the ' + $What + ' installer exited ' + $p.ExitCode) }`,
  "  if (-not (Get-Service -Name $Service -ErrorAction SilentlyContinue)) { throw ('no ' + $Service + ' service after installing the ' + $What) }",
  "}",
];

/** How long holding the agent waits for it to finish starting, then to stop (each). */
export const HOLD_AGENT_WAIT_SECONDS = 180;

/**
 * The CodeDeploy agent is held stopped (startup Manual) until a node is configured, then started
 * as the boot's last step: an agent running earlier can run a release's hooks before the machine
 * key, session state and site id are written, so a node could pass validation with default session
 * settings. CodeDeploy, "Troubleshooting Amazon EC2 Auto Scaling issues" (docs.aws.amazon.com/
 * codedeploy/latest/userguide/troubleshooting-auto-scaling.html): configure the AMI so the agent is
 * in a Stopped state, and start it as the final step of the instance's initialization.
 */
export function holdAgent(service: string): string[] {
  const s = psLiteral(rules.check(rules.token, "service", service));
  const wait = `[TimeSpan]::FromSeconds(${HOLD_AGENT_WAIT_SECONDS})`;
  // The MSI starts the service as it returns, so it may still be StartPending; a stop control then
  // fails (ControlService: ERROR_SERVICE_CANNOT_ACCEPT_CTRL in SERVICE_START_PENDING or
  // SERVICE_STOP_PENDING; Microsoft Learn, "ControlService function (winsvc.h)"). So: wait until it
  // runs, stop it, wait until it is stopped. WaitForStatus throws a TimeoutException once the time
  // is up, failing the build (Microsoft Learn, "ServiceController.WaitForStatus Method").
  return [
    `$held = Get-Service -Name ${s}`,
    `Set-Service -Name ${s} -StartupType Manual`,
    `if ($held.Status -eq 'StartPending') { $held.WaitForStatus('Running', ${wait}) }`,
    "$held.Refresh()",
    `if ($held.Status -eq 'Running') { Stop-Service -Name ${s} -Force }`,
    `$held.WaitForStatus('Stopped', ${wait})`,
  ];
}

/** The held agent, started for good: Automatic from now on (a reboot keeps it), running now. */
export function startAgent(service: string): string[] {
  const s = psLiteral(rules.check(rules.token, "service", service));
  return [`Set-Service -Name ${s} -StartupType Automatic`, `Start-Service -Name ${s}`];
}

/** One agent's install: a call of INSTALL_AGENT_FUNCTION. */
export function installAgent(what: string, service: string, installer: string): string {
  return `Install-Agent ${psLiteral(what)} ${psLiteral(service)} ${psLiteral(installer)}`;
}
