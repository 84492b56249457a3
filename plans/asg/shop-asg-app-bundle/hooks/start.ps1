# aspnet-webfarm release hook: start (generated).
# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.
if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {
  $info = New-Object System.Diagnostics.ProcessStartInfo (Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe')
  $info.Arguments = '-NoProfile -ExecutionPolicy Bypass -File "' + $PSCommandPath + '"'
  $info.UseShellExecute = $false; $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true
  $child = [System.Diagnostics.Process]::Start($info)
  $out = $child.StandardOutput.ReadToEndAsync(); $err = $child.StandardError.ReadToEndAsync()
  $done = $child.WaitForExit(570000)
  if (-not $done) { & taskkill.exe /PID $child.Id /T /F | Out-Null }
  if ($out.Wait(10000)) { Write-Output $out.Result }; if ($err.Wait(10000)) { Write-Output $err.Result }
  if (-not $done) { Write-Output 'start: FAILED: not done after 570 s (the hook times out at 600 s): stopped'; exit 1 }
  exit $child.ExitCode
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Log = 'C:\ProgramData\aspnet-webfarm\release.log'
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null
function Say([string]$Text) { $line = (Get-Date -Format o) + ' start: ' + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }
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

Import-Module WebAdministration
if (-not (Test-Path -LiteralPath $Marker)) { throw ('release ' + $Release.version + ' is not installed') }
$site = Get-Item ('IIS:\Sites\' + $SiteName)
$previous = $site.physicalPath
Set-ItemProperty -LiteralPath ('IIS:\Sites\' + $SiteName) -Name physicalPath -Value $ReleaseDir
Restart-WebAppPool -Name $site.applicationPool
Say ($SiteName + ' serves ' + $ReleaseDir + ' (was ' + $previous + ')')
# The first request compiles the application: make it here, not in a user's request.
foreach ($path in (@($Release.healthCheckPath, $Release.validatePath) | Where-Object { $_ })) {
  try { Invoke-WebRequest -Uri ('http://localhost' + $path) -UseBasicParsing -TimeoutSec 120 | Out-Null } catch { Say ('warm-up ' + $path + ': ' + $_.Exception.Message) }
}
Get-ChildItem -LiteralPath $ReleaseRoot -Directory | Sort-Object LastWriteTime -Descending | Select-Object -Skip 3 | Where-Object { $_.FullName -ne $ReleaseDir } | Remove-Item -Recurse -Force
exit 0
