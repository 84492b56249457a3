// What every node's boot shares (pure): the EC2Launch v2 document around the script, the named
// steps, the boot status, the CloudWatch agent first. userData.ts (web nodes, state server) and
// sqlSession.ts (the session database's setup) build their scripts with it.
//
// The script runs as an EC2Launch v2 executeScript task with `detach: false`, so EC2Launch waits
// for it and its exit code counts. Each step is named; the node reports where it is in the
// instance tag webfarm:boot (`running: <step>`, then `ok` or `failed: <step>: <reason>`), which an
// operator sees without logging in, and the boot log ships to CloudWatch Logs from the first step.
import * as rules from "../args/rules";
import {
  agentInstallers,
  CLOUDWATCH_AGENT_SERVICE,
  IMAGE_MARKER,
  INSTALL_AGENT_FUNCTION,
  installAgent,
} from "./agents";
import { loaderLines, USER_DATA_LIMIT_BYTES } from "./loader";
import { checkParameterName, checkRegion, psLiteral } from "./values";

export const BOOT_LOG = "C:\\ProgramData\\aspnet-webfarm\\boot.log";
/** The instance tag that carries the boot's outcome. */
export const BOOT_TAG = "webfarm:boot";
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

const hookName = rules.text("must be a lifecycle hook name").regex(/^[A-Za-z0-9._-]{1,255}$/, {
  error: "must be a lifecycle hook name (letters, digits, . _ -)",
});

/** One named step: its body runs in a script block; a throw fails the boot with the step's name. */
export interface Step {
  name: string;
  comment?: string;
  body: string[];
}

/** Shared opening: stop on any error, log, and report the boot's state on the instance's tag. */
function prelude(role: string, v: BootValues): string[] {
  const hook = v.lifecycleHook === undefined ? undefined : rules.check(hookName, "lifecycleHook", v.lifecycleHook);
  return [
    `# aspnet-webfarm ${role} bootstrap (generated; EC2Launch v2 runs it once and waits for it).`,
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "New-Item -ItemType Directory -Force -Path 'C:\\ProgramData\\aspnet-webfarm' | Out-Null",
    `Start-Transcript -Path ${psLiteral(BOOT_LOG)} -Append | Out-Null`,
    `$Region = ${psLiteral(checkRegion("region", v.region))}`,
    `$LifecycleHook = ${hook === undefined ? "$null" : psLiteral(hook)}`,
    "$InstanceId = $null",
    "try { $InstanceId = Get-EC2InstanceMetadata -Category InstanceId } catch { Write-Output ('no instance id from IMDS: ' + $_.Exception.Message) }",
    "",
    "# The boot's status, seen without logging in: the instance's tag webfarm:boot.",
    "function Set-BootStatus([string]$Status) {",
    "  if (-not $InstanceId) { return }",
    `  try { New-EC2Tag -Resource $InstanceId -Tag @{ Key = ${psLiteral(BOOT_TAG)}; Value = $Status.Substring(0, [Math]::Min($Status.Length, 255)) } -Region $Region }`,
    "  catch { Write-Output ('could not tag the boot status: ' + $_.Exception.Message) }",
    "}",
    "# Auto Scaling: InService only once the node says so (CONTINUE); ABANDON replaces it.",
    "function Complete-Launch([string]$Result) {",
    "  if (-not $LifecycleHook -or -not $InstanceId) { return }",
    "  try {",
    "    $group = (Get-ASAutoScalingInstance -InstanceId $InstanceId -Region $Region).AutoScalingGroupName",
    "    Complete-ASLifecycleAction -LifecycleHookName $LifecycleHook -AutoScalingGroupName $group -InstanceId $InstanceId -LifecycleActionResult $Result -Region $Region",
    "  } catch { Write-Output ('could not complete the lifecycle action: ' + $_.Exception.Message) }",
    "}",
    "# A failure: the tag, the System event log, the launch abandoned, exit 1 (EC2Launch records it).",
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
    ...INSTALL_AGENT_FUNCTION,
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
 * records the exit code). Its content is the loader (loader.ts), which carries the finished script
 * compressed; checked against EC2's 16 KB limit for raw user data.
 */
export function ec2LaunchDocument(script: string[]): string {
  const document = [
    "version: 1.1",
    "tasks:",
    "- task: executeScript",
    "  inputs:",
    "  - frequency: once",
    "    type: powershell",
    "    runAs: localSystem",
    "    detach: false",
    "    content: |-",
    ...loaderLines(script.join("\n")).map((l) => `      ${l}`),
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
      `$image = ${psLiteral(IMAGE_MARKER)}; if (Test-Path -LiteralPath $image) { Write-Output ('farm image: ' + (Get-Content -Raw -LiteralPath $image)) }`,
      installAgent("CloudWatch agent", CLOUDWATCH_AGENT_SERVICE, cloudWatch),
      `& (Join-Path $env:ProgramFiles 'Amazon\\AmazonCloudWatchAgent\\amazon-cloudwatch-agent-ctl.ps1') -a fetch-config -m ec2 -s -c ${psLiteral(`ssm:${checkParameterName("cloudWatchConfigParameter", v.cloudWatchConfigParameter)}`)}`,
      "if ($LASTEXITCODE -ne 0) { throw ('the CloudWatch agent did not start (exit ' + $LASTEXITCODE + ')') }",
    ],
  };
}

export function script(role: string, v: BootValues, variables: string[], steps: Step[], after: string[] = []): string {
  return ec2LaunchDocument([
    ...prelude(role, v),
    ...variables,
    "",
    ...renderSteps([cloudWatchStep(v), ...steps]),
    ...after,
    ...ending(role),
  ]);
}

export function psHashtable(values: Record<string, string>): string {
  const entries = Object.entries(values).map(([k, v]) => `${k} = ${psLiteral(v)}`);
  return `[ordered]@{ ${entries.join("; ")} }`;
}
