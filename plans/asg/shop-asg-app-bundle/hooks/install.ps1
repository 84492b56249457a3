# aspnet-webfarm release hook: install (generated).
# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.
if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {
  $info = New-Object System.Diagnostics.ProcessStartInfo (Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe')
  $info.Arguments = '-NoProfile -ExecutionPolicy Bypass -File "' + $PSCommandPath + '"'
  $info.UseShellExecute = $false; $info.RedirectStandardOutput = $true; $info.RedirectStandardError = $true
  $child = [System.Diagnostics.Process]::Start($info)
  $out = $child.StandardOutput.ReadToEndAsync(); $err = $child.StandardError.ReadToEndAsync()
  $done = $child.WaitForExit(870000)
  if (-not $done) { & taskkill.exe /PID $child.Id /T /F | Out-Null }
  if ($out.Wait(10000)) { Write-Output $out.Result }; if ($err.Wait(10000)) { Write-Output $err.Result }
  if (-not $done) { Write-Output 'install: FAILED: not done after 870 s (the hook times out at 900 s): stopped'; exit 1 }
  exit $child.ExitCode
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Log = 'C:\ProgramData\aspnet-webfarm\release.log'
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null
function Say([string]$Text) { $line = (Get-Date -Format o) + ' install: ' + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }
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

if ((Test-Path -LiteralPath $Marker) -and ((Get-Content -Raw -LiteralPath $Marker).Trim() -eq $ReleaseId)) {
  Say ('release ' + $Release.version + ' is installed already')
  exit 0
}
if (Test-Path -LiteralPath $ReleaseDir) { Remove-Item -LiteralPath $ReleaseDir -Recurse -Force }
New-Item -ItemType Directory -Force -Path $ReleaseDir | Out-Null
$zip = Join-Path $env:TEMP ('aspnet-webfarm-' + $Release.version + '.zip')
$s3 = @{ BucketName = $Release.site.bucket; Key = $Release.site.key; File = $zip; Region = $Release.region }
if ($Release.site.versionId) { $s3.VersionId = $Release.site.versionId }
Read-S3Object @s3 | Out-Null
Expand-Archive -LiteralPath $zip -DestinationPath $ReleaseDir -Force
Remove-Item -LiteralPath $zip -Force
Say ('expanded ' + $Release.site.key + ' into ' + $ReleaseDir)

$configPath = Join-Path $ReleaseDir 'web.config'
if (-not (Test-Path -LiteralPath $configPath)) { Set-Content -LiteralPath $configPath -Value '<?xml version="1.0" encoding="utf-8"?><configuration />' -Encoding UTF8 }
$doc = New-Object System.Xml.XmlDocument
$doc.PreserveWhitespace = $true
$doc.Load($configPath)
# The nodes have no IIS URL Rewrite module (the kit does not install it): a <rewrite> section makes
# every page answer 500.19 (an unrecognized configuration section), so the release stops here instead.
if ($doc.SelectSingleNode('//system.webServer/rewrite') -and -not (Test-Path -LiteralPath (Join-Path $env:windir 'System32\inetsrv\rewrite.dll'))) { throw 'the application''s web.config has a <rewrite> section, but IIS URL Rewrite is not installed on the nodes (the kit does not install it): every page would answer 500.19; remove <rewrite>, or install the URL Rewrite module in the farm image' }
# The farm sets these at machine level; an application's own would silently override them.
$web = $doc.DocumentElement.SelectSingleNode('system.web')
if ($web) { foreach ($name in 'machineKey', 'sessionState') { if ($web.SelectSingleNode($name)) { throw ('the application''s web.config sets <' + $name + '>, which would override the farm''s: remove it') } } }
function Get-Section([string]$Name) {
  $node = $doc.DocumentElement.SelectSingleNode($Name)
  if (-not $node) { $node = $doc.DocumentElement.AppendChild($doc.CreateElement($Name)) }
  return $node
}
# Children are matched by comparing attributes, never by an XPath built from a name.
function Set-Entry([string]$Section, [string]$KeyAttribute, [string]$Key, [string]$ValueAttribute, [string]$Value) {
  $node = Get-Section $Section
  $entry = $null
  foreach ($child in @($node.ChildNodes)) { if ($child.LocalName -eq 'add' -and $child.GetAttribute($KeyAttribute) -eq $Key) { $entry = $child } }
  if (-not $entry) { $entry = $node.AppendChild($doc.CreateElement('add')); $entry.SetAttribute($KeyAttribute, $Key) }
  $entry.SetAttribute($ValueAttribute, $Value)
}
function Get-Secret($Source) {
  if ($Source.ssmParameter) { return (Get-SSMParameter -Name $Source.ssmParameter -WithDecryption $true -Region $Release.region).Value }
  return (Get-SECSecretValue -SecretId $Source.secretsManagerSecret -Region $Release.region).SecretString
}
# Values are written, never logged: the log names the settings only.
foreach ($s in @($Release.appSettings)) { Set-Entry 'appSettings' 'key' $s.name 'value' $s.value }
foreach ($s in @($Release.secretAppSettings)) { Set-Entry 'appSettings' 'key' $s.name 'value' (Get-Secret $s) }
foreach ($c in @($Release.connectionStrings)) { Set-Entry 'connectionStrings' 'name' $c.name 'connectionString' $c.value }
foreach ($c in @($Release.secretConnectionStrings)) { Set-Entry 'connectionStrings' 'name' $c.name 'connectionString' (Get-Secret $c) }
Set-Entry 'appSettings' 'key' 'webfarm:release' 'value' $Release.version
Say ('settings written: ' + ((@($Release.appSettings) + @($Release.secretAppSettings) + @($Release.connectionStrings) + @($Release.secretConnectionStrings) | ForEach-Object { $_.name }) -join ', '))

# The health page is exempt from the application's own access and rewrite rules (a login or HTTPS
# redirect would fail the load balancer's check): ASP.NET authorization always, IIS URL Authorization
# and URL Rewrite only where the application uses them (a <rewrite> without the module breaks the site).
$features = '' + [int][bool]($doc.SelectSingleNode('//system.webServer/security/authorization')) + [int][bool]($doc.SelectSingleNode('//system.webServer/rewrite'))
$exemptions = @{ '00' = '<system.web><authorization><allow users="*"/></authorization></system.web>'; '01' = '<system.web><authorization><allow users="*"/></authorization></system.web><system.webServer><rewrite><rules><clear/></rules></rewrite></system.webServer>'; '10' = '<system.web><authorization><allow users="*"/></authorization></system.web><system.webServer><security><authorization><clear/><add accessType="Allow" users="*"/></authorization></security></system.webServer>'; '11' = '<system.web><authorization><allow users="*"/></authorization></system.web><system.webServer><security><authorization><clear/><add accessType="Allow" users="*"/></authorization></security><rewrite><rules><clear/></rules></rewrite></system.webServer>' }
# The application's own <location> for the page, if any (paths compare case-insensitively, as IIS's do),
# takes the exemption: a second <location> with the same path and sections may be refused as a duplicate.
$healthRelative = $Release.healthCheckPath.TrimStart('/')
$location = $null
foreach ($child in @($doc.DocumentElement.ChildNodes)) { if ($child.LocalName -eq 'location' -and $child.GetAttribute('path').TrimStart('/') -eq $healthRelative) { $location = $child } }
if (-not $location) { $location = $doc.DocumentElement.AppendChild($doc.CreateElement('location')); $location.SetAttribute('path', $healthRelative) }
$exemption = $doc.CreateElement('location')
$exemption.InnerXml = $exemptions[$features]
# Sections merge; the rule lists (authorization, rules) are the kit's own in the page's location.
function Merge-Into($Target, $Source) {
  foreach ($part in @($Source.ChildNodes)) {
    $same = @($Target.ChildNodes | Where-Object { $_.LocalName -eq $part.LocalName })
    if (('authorization', 'rules') -contains $part.LocalName -or $same.Count -eq 0) { foreach ($old in $same) { [void]$Target.RemoveChild($old) }; [void]$Target.AppendChild($part.CloneNode($true)) }
    else { Merge-Into $same[0] $part }
  }
}
Merge-Into $location $exemption
$doc.Save($configPath)

# The health page lives in the release and runs in its application (its AppDomain, bin and web.config):
# a node without a release, or whose application does not start, is never healthy.
$health = Join-Path $ReleaseDir ($Release.healthCheckPath.TrimStart('/') -replace '/', '\')
if (-not (Test-Path -LiteralPath $health)) {
  $precompiled = Join-Path $ReleaseDir 'PrecompiledApp.config'
  if ((Test-Path -LiteralPath $precompiled) -and ([xml](Get-Content -Raw -LiteralPath $precompiled)).precompiledApp.updatable -eq 'false') { throw 'the site is precompiled without updatable UI (PrecompiledApp.config updatable="false"), so the health page the kit adds cannot run: ship the health page in the site, or precompile it as updatable' }
  New-Item -ItemType Directory -Force -Path (Split-Path -Parent $health) | Out-Null
  $content = if ($health.ToLower().EndsWith('.aspx')) { '<%@ Page Language="C#" EnableSessionState="false" %>OK' } else { 'OK' }
  Set-Content -LiteralPath $health -Value $content -Encoding UTF8
}
Set-Content -LiteralPath $Marker -Value $ReleaseId
Say ('release ' + $Release.version + ' installed')
exit 0
