# aspnet-webfarm release hook: validate (generated).
# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.
if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {
  & (Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe') -NoProfile -ExecutionPolicy Bypass -File $PSCommandPath
  exit $LASTEXITCODE
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Log = 'C:\ProgramData\aspnet-webfarm\release.log'
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null
function Say([string]$Text) { $line = (Get-Date -Format o) + ' validate: ' + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }
# Any error fails the hook with exit 1, which fails the deployment on this node (CodeDeploy rolls back).
trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }
$Release = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '..\release.json') | ConvertFrom-Json
$SiteName = 'Default Web Site'
$ReleaseRoot = 'C:\inetpub\shop-asg\releases'
$ReleaseDir = Join-Path $ReleaseRoot $Release.version
$Marker = Join-Path $ReleaseDir '.webfarm-release'

function Get-Status([string]$Url) {
  $request = [System.Net.HttpWebRequest]::Create($Url)
  $request.AllowAutoRedirect = $false
  $request.Timeout = 30000
  try { $response = $request.GetResponse() } catch {
    $e = $_.Exception
    while ($e -and -not ($e -is [System.Net.WebException])) { $e = $e.InnerException }
    if (-not ($e -and $e.Response)) { throw }
    $response = $e.Response
  }
  try { return [int]$response.StatusCode } finally { $response.Close() }
}
function Test-Url([string]$Path, [int[]]$Accepted, [string]$Hint) {
  $url = 'http://localhost' + $Path
  $last = ''
  foreach ($attempt in 1..20) {
    try { $code = Get-Status $url; if ($Accepted -contains $code) { return }; $last = 'answered ' + $code } catch { $last = $_.Exception.Message }
    Say ($url + ': ' + $last)
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
