# aspnet-webfarm release hook: install (generated).
# CodeDeploy runs hooks in 32-bit PowerShell, where the IIS provider cannot work: relaunch as 64-bit.
if ($env:PROCESSOR_ARCHITEW6432 -eq 'AMD64') {
  & (Join-Path $env:WINDIR 'sysnative\WindowsPowerShell\v1.0\powershell.exe') -NoProfile -ExecutionPolicy Bypass -File $PSCommandPath
  exit $LASTEXITCODE
}
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$Log = 'C:\ProgramData\aspnet-webfarm\release.log'
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Log) | Out-Null
function Say([string]$Text) { $line = (Get-Date -Format o) + ' install: ' + $Text; Write-Output $line; Add-Content -LiteralPath $Log -Value $line }
# Any error fails the hook with exit 1, which fails the deployment on this node (CodeDeploy rolls back).
trap { Say ('FAILED: ' + $_.Exception.Message); exit 1 }
$Release = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '..\release.json') | ConvertFrom-Json
$SiteName = 'Default Web Site'
$ReleaseRoot = 'C:\inetpub\shop-asg\releases'
$ReleaseDir = Join-Path $ReleaseRoot $Release.version
$Marker = Join-Path $ReleaseDir '.webfarm-release'

if ((Test-Path -LiteralPath $Marker) -and ((Get-Content -Raw -LiteralPath $Marker).Trim() -eq $Release.sha256)) {
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
$location = $doc.CreateElement('location')
$location.SetAttribute('path', $Release.healthCheckPath.TrimStart('/'))
$location.InnerXml = $exemptions[$features]
[void]$doc.DocumentElement.AppendChild($location)
$doc.Save($configPath)

# The health page lives in the release and runs in its application (its AppDomain, bin and web.config):
# a node without a release, or whose application does not start, is never healthy.
$health = Join-Path $ReleaseDir ($Release.healthCheckPath.TrimStart('/') -replace '/', '\')
if (-not (Test-Path -LiteralPath $health)) {
  New-Item -ItemType Directory -Force -Path (Split-Path -Parent $health) | Out-Null
  $content = if ($health.ToLower().EndsWith('.aspx')) { '<%@ Page Language="C#" EnableSessionState="false" %>OK' } else { 'OK' }
  Set-Content -LiteralPath $health -Value $content -Encoding UTF8
}
Set-Content -LiteralPath $Marker -Value $Release.sha256
Say ('release ' + $Release.version + ' installed')
exit 0
