// The Spot interruption watch a web node's boot starts (components/windows/spotWatch.ts): only with
// spotWatch; it polls the documented metadata path with an IMDSv2 token every 5 s, deregisters the
// node's own instance id from the given target group, backs off on errors, and stops once done.
import {
  bootScriptOf,
  SPOT_ACTION_PATH,
  SPOT_BACKOFF_MAX_SECONDS,
  SPOT_POLL_SECONDS,
  SPOT_WATCH_SCRIPT,
  SPOT_WATCH_TASK,
  spotWatchScript,
  webNodeUserData,
} from "../../components/windows";
import { stateServerNodeSession } from "../../components/sessions/stateServer/windows/stateSession";
import { balanced } from "../support/powershell";

const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-tg/0123456789abcdef";
const web = {
  region: "eu-west-1",
  dnsSuffix: "amazonaws.com",
  cloudWatchConfigParameter: "/aspnet-webfarm/dev/shop/cloudwatch-agent/web-node",
  lifecycleHook: "shop-launch",
  keyParameterName: "/aspnet-webfarm/dev/shop/machine-key",
  keyVersion: "1",
  keyValidation: "HMACSHA256" as const,
  session: stateServerNodeSession({ stateHost: "10.0.128.10", statePort: 42424 }),
  healthCheckPath: "/health.aspx",
  codeDeploy: {},
};
const STEP = "Step 'start the Spot interruption watch'";

/** The watch's script as the boot writes it: the Set-Content lines, each a single-quoted literal. */
function writtenScript(boot: string): string[] {
  const start = boot.indexOf(`Set-Content -LiteralPath '${SPOT_WATCH_SCRIPT}' -Encoding UTF8 -Value @(`);
  expect(start).toBeGreaterThan(0);
  const lines = boot.slice(start).split("\n").slice(1);
  const end = lines.findIndex((l) => l.trim() === ")");
  return lines.slice(0, end).map((l) => {
    const m = l.trim().match(/^'((?:[^']|'')*)',?$/);
    if (!m) throw new Error(`not a literal line: ${l}`);
    return m[1].replace(/''/g, "'");
  });
}

describe("without spotWatch", () => {
  test("the boot registers no watch and makes no target group call", () => {
    const boot = bootScriptOf(webNodeUserData(web));
    expect(boot).not.toContain(SPOT_WATCH_TASK);
    expect(boot).not.toContain("Unregister-ELB2Target");
    expect(boot).not.toContain(SPOT_ACTION_PATH);
  });
});

describe("with spotWatch", () => {
  const boot = bootScriptOf(webNodeUserData({ ...web, spotWatch: { targetGroupArn: TG } }));
  const script = writtenScript(boot);
  const text = script.join("\n");

  test("the boot writes the script it generates, unchanged, and both parse (balanced delimiters)", () => {
    expect(script).toEqual(spotWatchScript("eu-west-1", TG));
    expect(balanced(boot)).toBe(true);
    expect(balanced(text)).toBe(true);
  });

  test("registers a task at startup, as SYSTEM, with no time limit, restarted on failure, and starts it now", () => {
    const step = boot.slice(boot.indexOf(STEP));
    expect(step).toContain(
      `-Execute 'powershell.exe' -Argument '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File ${SPOT_WATCH_SCRIPT}'`,
    );
    expect(step).toContain(
      "New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 255 -RestartInterval (New-TimeSpan -Minutes 1)",
    );
    expect(step).toMatch(
      new RegExp(
        `Register-ScheduledTask -TaskName '${SPOT_WATCH_TASK}' -Action \\$action -Trigger \\(New-ScheduledTaskTrigger -AtStartup\\) -Settings \\$settings -User 'NT AUTHORITY\\\\SYSTEM' -RunLevel Highest -Force`,
      ),
    );
    expect(step.indexOf(`Start-ScheduledTask -TaskName '${SPOT_WATCH_TASK}'`)).toBeGreaterThan(
      step.indexOf("Register-ScheduledTask"),
    );
  });

  test("starts before the CodeDeploy agent, which stays the boot's last step", () => {
    const steps = [...boot.matchAll(/^Step '([^']+)'/gm)].map((m) => m[1]);
    expect(steps.indexOf("start the Spot interruption watch")).toBeGreaterThan(0);
    expect(steps[steps.length - 1]).toBe("install the CodeDeploy agent");
  });

  test("polls the documented path every 5 s with an IMDSv2 token; a 404 means no notice", () => {
    expect(SPOT_POLL_SECONDS).toBe(5);
    expect(text).toContain("$Imds = 'http://169.254.169.254/latest/'");
    expect(text).toContain(
      "Invoke-RestMethod -Method Put -Uri ($Imds + 'api/token') -Headers @{ 'X-aws-ec2-metadata-token-ttl-seconds' = '60' }",
    );
    expect(text).toContain("-Headers @{ 'X-aws-ec2-metadata-token' = $token }");
    expect(text).toContain(`$notice = Get-Imds '${SPOT_ACTION_PATH}'`);
    expect(SPOT_ACTION_PATH).toBe("meta-data/spot/instance-action");
    expect(text).toMatch(/\[int\]\$_\.Exception\.Response\.StatusCode -eq 404\)\) \{ throw \}/);
    expect(text).toContain(`Start-Sleep -Seconds ${SPOT_POLL_SECONDS}`);
  });

  test("deregisters this instance's own id from the given target group only, then stops (exit 0)", () => {
    expect(text).toContain(`$TargetGroupArn = '${TG}'`);
    expect(text).toContain("$id = Get-Imds 'meta-data/instance-id'");
    expect(text).toContain(
      "Unregister-ELB2Target -TargetGroupArn $TargetGroupArn -Target @{ Id = $id } -Region $Region -Force",
    );
    // No AWS .NET type by name: in the task's fresh process no AWS cmdlet has loaded the module yet.
    expect(text).not.toMatch(/New-Object\s+Amazon\.|\[Amazon\./);
    expect(text.match(/Unregister-ELB2Target/g)).toHaveLength(1);
    const after = text.slice(text.indexOf("Unregister-ELB2Target"));
    expect(after.indexOf("exit 0")).toBeGreaterThan(0);
    expect(after.indexOf("exit 0")).toBeLessThan(after.indexOf("} catch {"));
  });

  test("logs where the boot logs go and backs off on errors (5 s doubling to 60 s), never looping hot", () => {
    expect(text).toContain("Add-Content -LiteralPath 'C:\\ProgramData\\aspnet-webfarm\\boot.log' -Value $text");
    expect(text).toMatch(/Say \('interruption notice '/);
    expect(text).toMatch(/Say \('deregistered '/);
    const handler = text.slice(text.lastIndexOf("} catch {"));
    expect(handler).toContain("Say ('error: ' + $_.Exception.Message");
    expect(handler).toContain("Start-Sleep -Seconds $wait");
    expect(handler).toContain(`$wait = [Math]::Min($wait * 2, ${SPOT_BACKOFF_MAX_SECONDS})`);
    expect(SPOT_BACKOFF_MAX_SECONDS).toBe(60);
    // Every path through the loop sleeps: the poll's own wait, or the error's.
    const loop = text.slice(text.indexOf("while ($true) {"));
    expect(loop.match(/Start-Sleep/g)).toHaveLength(2);
  });

  test("a value that is not a target group ARN, or a hostile one, is an error when generated", () => {
    const bad = [
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/0123456789abcdef",
      `${TG}'; Remove-Item C:\\ -Recurse; '`,
      "",
    ];
    for (const arn of bad) {
      expect(() => webNodeUserData({ ...web, spotWatch: { targetGroupArn: arn } })).toThrow(/target group ARN/);
    }
    expect(() =>
      spotWatchScript(
        "us-gov-west-1",
        "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/a/0123456789abcdef",
      ),
    ).not.toThrow();
  });
});
