// What a node needs installed (Windows features, the CloudWatch and CodeDeploy agents), written
// once for both places that install it: the farm image's build (image.ts) and each node's boot
// (userData.ts), which installs only what it finds missing. Pure: values in, PowerShell lines out.
import * as rules from "../rules";
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
 * Installs an agent's MSI unless its service is there already, and fails unless the service is
 * there after: a PowerShell function, defined once per script and called per agent.
 */
export const INSTALL_AGENT_FUNCTION = [
  "function Install-Agent([string]$What, [string]$Service, [string]$Url) {",
  "  if (Get-Service -Name $Service -ErrorAction SilentlyContinue) { Write-Host ('already installed: ' + $What); return }",
  "  $msi = Join-Path $env:TEMP ($Service + '.msi')",
  "  Invoke-WebRequest -Uri $Url -OutFile $msi -UseBasicParsing",
  "  $p = Start-Process msiexec.exe -ArgumentList @('/i', $msi, '/quiet', '/l', ($msi + '.log')) -Wait -PassThru",
  "  if ($p.ExitCode -ne 0) { throw ('the ' + $What + ' installer exited ' + $p.ExitCode) }",
  "  if (-not (Get-Service -Name $Service -ErrorAction SilentlyContinue)) { throw ('no ' + $Service + ' service after installing the ' + $What) }",
  "}",
];

/** One agent's install: a call of INSTALL_AGENT_FUNCTION. */
export function installAgent(what: string, service: string, installer: string): string {
  return `Install-Agent ${psLiteral(what)} ${psLiteral(service)} ${psLiteral(installer)}`;
}
