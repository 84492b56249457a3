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

foreach ($path in @($Release.healthCheckPath, $Release.validatePath)) {
  $url = 'http://localhost' + $path
  $ok = $false
  foreach ($attempt in 1..20) {
    try {
      $code = (Invoke-WebRequest -Uri $url -UseBasicParsing -TimeoutSec 30 -MaximumRedirection 0).StatusCode
      if ($code -eq 200) { $ok = $true; break }
      Say ($url + ' answered ' + $code)
    } catch { Say ($url + ': ' + $_.Exception.Message) }
    Start-Sleep -Seconds 3
  }
  if (-not $ok) { throw ($url + ' did not answer 200 through IIS') }
}
Say ('release ' + $Release.version + ' answers on this node')
exit 0
