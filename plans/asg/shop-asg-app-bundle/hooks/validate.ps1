# aspnet-webfarm release hook: validate (generated).
# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.
if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {
  $info = New-Object System.Diagnostics.ProcessStartInfo (Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe')
  $info.Arguments = '-NoProfile -ExecutionPolicy Bypass -File "' + $PSCommandPath + '"'
  $info.UseShellExecute = $false; $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true
  $child = [System.Diagnostics.Process]::Start($info)
  $out = $child.StandardOutput.ReadToEndAsync(); $err = $child.StandardError.ReadToEndAsync()
  $done = $child.WaitForExit(270000)
  if (-not $done) { & taskkill.exe /PID $child.Id /T /F | Out-Null }
  if ($out.Wait(10000)) { Write-Output $out.Result }; if ($err.Wait(10000)) { Write-Output $err.Result }
  if (-not $done) { Write-Output 'validate: FAILED: not done after 270 s (the hook times out at 300 s): stopped'; exit 1 }
  exit $child.ExitCode
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Log = 'C:\ProgramData\aspnet-webfarm\release.log'
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null
function Say([string]$Text) { $line = (Get-Date -Format o) + ' validate: ' + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }
# Any error fails the hook with exit 1, which fails the deployment on this node (CodeDeploy rolls back).
trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }
$ReleaseFile = Join-Path $PSScriptRoot '..\release.json'
$Release = Get-Content -Raw -LiteralPath $ReleaseFile | ConvertFrom-Json
# The release's identity (releaseId): release.json's hash covers the build, every setting and the hooks.
$ReleaseId = (Get-FileHash -Algorithm SHA256 -LiteralPath $ReleaseFile).Hash.ToLowerInvariant()
$SiteName = 'Default Web Site'
$ReleaseRoot = 'C:\inetpub\shop-asg\releases'
# A changed release installs into a new folder: IIS never serves a folder being rewritten.
$ReleaseDir = Join-Path $ReleaseRoot ($Release.version + '-' + $ReleaseId.Substring(0, 12))
$Marker = Join-Path $ReleaseDir '.webfarm-release'

function Get-Status([string]$Url, [int]$TimeoutMs) {
  $request = [System.Net.HttpWebRequest]::Create($Url)
  $request.AllowAutoRedirect = $false
  $request.Timeout = $TimeoutMs
  try { $response = $request.GetResponse() } catch {
    $e = $_.Exception
    while ($e -and -not ($e -is [System.Net.WebException])) { $e = $e.InnerException }
    if (-not ($e -and $e.Response)) { throw }
    $response = $e.Response
  }
  try { return [int]$response.StatusCode } finally { $response.Close() }
}
# One deadline for every path, before the hook's 300 s and its 64-bit child's 270 s: the
# message naming the option is printed before CodeDeploy or the parent stops this script.
$Deadline = (Get-Date).AddSeconds(240)
function Test-Url([string]$Path, [int[]]$Accepted, [string]$Hint) {
  $url = 'http://localhost' + $Path
  $last = 'was not asked: no time left'
  for (;;) {
    # Each request waits at most 30 s, and never past the deadline.
    $left = [int]($Deadline - (Get-Date)).TotalMilliseconds
    if ($left -lt 1000) { break }
    try { $code = Get-Status $url ([Math]::Min(30000, $left)); if ($Accepted -contains $code) { return }; $last = 'answered ' + $code } catch { $last = $_.Exception.Message }
    Say ($url + ': ' + $last)
    if (($Deadline - (Get-Date)).TotalSeconds -lt 4) { break }
    Start-Sleep -Seconds 3
  }
  throw ($url + ' ' + $last + ' through IIS, not ' + ($Accepted -join ' or ') + ': ' + $Hint)
}
Test-Url $Release.healthCheckPath @(200) 'the application did not start, or it refuses the health page (which runs in it: see its answer and the event log)'
if ($Release.validatePath) {
  Test-Url $Release.validatePath (@(200) + @($Release.validateStatuses)) 'set appValidatePath to a page of the application that answers 200, or list its status in appValidateStatuses'
}
Say ('release ' + $Release.version + ' answers on this node')
exit 0
