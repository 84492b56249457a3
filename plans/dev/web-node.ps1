<powershell>
# aspnet-webfarm web node bootstrap (generated). Runs once, at first boot, under EC2Launch v2.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\aspnet-webfarm' | Out-Null
Start-Transcript -Path 'C:\ProgramData\aspnet-webfarm\boot.log' -Append | Out-Null

# A failure exits non-zero (EC2Launch logs it) and is written to the System event log,
# whose latest errors appear in the EC2 console output (get-console-output).
function Fail([string]$Message) {
  $text = 'aspnet-webfarm web node: FAILED: ' + $Message
  Write-Output $text
  try {
    if (-not [System.Diagnostics.EventLog]::SourceExists('aspnet-webfarm')) { New-EventLog -LogName System -Source 'aspnet-webfarm' }
    Write-EventLog -LogName System -Source 'aspnet-webfarm' -EventId 1001 -EntryType Error -Message $text
  } catch { Write-Output ('could not write the event log: ' + $_.Exception.Message) }
  try { Stop-Transcript | Out-Null } catch { }
  exit 1
}
function Step([string]$Name, [scriptblock]$Body) {
  Write-Output ('aspnet-webfarm web node: ' + $Name)
  try { & $Body } catch { Fail ($Name + ': ' + $_.Exception.Message) }
}

$KeyParameter = '/aspnet-webfarm/dev/shop-dev/machine-key'
$KeyVersion = '1'
$KeyValidation = 'HMACSHA256'
$Region = 'eu-west-1'
$SessionAttributes = [ordered]@{ mode = 'StateServer'; stateConnectionString = 'tcpip=state.shop-dev.internal:42424'; stateNetworkTimeout = '10'; cookieless = 'false'; timeout = '20' }
$StateHost = 'state.shop-dev.internal'
$StatePort = 42424
$SiteName = 'Default Web Site'
$SiteId = 1
$ValidationKeyChars = @{ HMACSHA256 = 128; HMACSHA384 = 256; HMACSHA512 = 256; SHA1 = 128 }

Step 'install IIS and ASP.NET 4.x' {
  $result = Install-WindowsFeature -Name Web-Server, Web-Asp-Net45, NET-Framework-45-ASPNET
  if (-not $result.Success) { throw 'Install-WindowsFeature did not succeed' }
}

# The key never travels in user data: read it from the SecureString parameter with the
# instance role, retrying while the instance profile's credentials arrive.
Step 'read the machine key from SSM Parameter Store' {
  $raw = $null
  foreach ($attempt in 1..10) {
    try { $raw = (Get-SSMParameter -Name $KeyParameter -WithDecryption $true -Region $Region).Value; break }
    catch { if ($attempt -eq 10) { throw }; Start-Sleep -Seconds 6 }
  }
  $script:Key = $raw | ConvertFrom-Json
  if ($script:Key.version -ne $KeyVersion) { throw ('parameter holds key version ' + $script:Key.version + ', expected ' + $KeyVersion) }
  if ($script:Key.validation -cne $KeyValidation) { throw ('parameter holds validation ' + $script:Key.validation + ', expected ' + $KeyValidation) }
  $want = $ValidationKeyChars[$KeyValidation]
  if ($script:Key.validationKey -notmatch ('^[0-9A-Fa-f]{' + $want + '}$')) { throw ('validationKey is not ' + $want + ' hex characters') }
  if ($script:Key.decryptionKey -notmatch '^[0-9A-Fa-f]{64}$') { throw 'decryptionKey is not 64 hex characters' }
}

# Machine level, in both root web.configs: 32-bit application pools read Framework, 64-bit
# ones Framework64. The element is built with the XML DOM, so values are escaped.
Step 'write machineKey and sessionState to both root web.configs' {
  foreach ($framework in 'Framework', 'Framework64') {
    $path = Join-Path $env:WINDIR ('Microsoft.NET\' + $framework + '\v4.0.30319\Config\web.config')
    if (-not (Test-Path -LiteralPath $path)) { throw ('missing ' + $path) }
    Copy-Item -LiteralPath $path -Destination ($path + '.before-webfarm') -Force
    $doc = New-Object System.Xml.XmlDocument
    $doc.PreserveWhitespace = $true
    $doc.Load($path)
    $systemWeb = $doc.DocumentElement.SelectSingleNode('system.web')
    if (-not $systemWeb) { $systemWeb = $doc.DocumentElement.AppendChild($doc.CreateElement('system.web')) }
    foreach ($name in 'machineKey', 'sessionState') { foreach ($old in @($systemWeb.SelectNodes($name))) { [void]$systemWeb.RemoveChild($old) } }
    $machineKey = $doc.CreateElement('machineKey')
    $machineKey.SetAttribute('validationKey', $script:Key.validationKey)
    $machineKey.SetAttribute('decryptionKey', $script:Key.decryptionKey)
    $machineKey.SetAttribute('validation', $script:Key.validation)
    $machineKey.SetAttribute('decryption', 'AES')
    [void]$systemWeb.AppendChild($machineKey)
    $stateElement = $doc.CreateElement('sessionState')
    foreach ($entry in $SessionAttributes.GetEnumerator()) { $stateElement.SetAttribute($entry.Key, $entry.Value) }
    [void]$systemWeb.AppendChild($stateElement)
    $doc.Save($path)
  }
}

# KB 325056: the state server keys sessions by /LM/W3SVC/<siteId>/ROOT, so every node pins it.
Step 'pin the site id' {
  Import-Module WebAdministration
  $site = Get-Website | Where-Object { $_.Name -eq $SiteName }
  if (-not $site) { throw ('no IIS site named ' + $SiteName) }
  $other = Get-Website | Where-Object { $_.Id -eq $SiteId -and $_.Name -ne $SiteName }
  if ($other) { throw ('site id ' + $SiteId + ' is taken by ' + $other.Name) }
  if ($site.Id -ne $SiteId) { Set-ItemProperty -Path ('IIS:\Sites\' + $SiteName) -Name id -Value $SiteId }
}

Step 'restart IIS' {
  & iisreset.exe /restart | Out-Null
  if ($LASTEXITCODE -ne 0) { throw ('iisreset exited ' + $LASTEXITCODE) }
}

Step 'install the CodeDeploy agent' {
  if (Get-Service -Name codedeployagent -ErrorAction SilentlyContinue) { Write-Output 'the image has the agent'; return }
  $msi = Join-Path $env:TEMP 'codedeploy-agent.msi'
  Invoke-WebRequest -Uri 'https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/codedeploy-agent.msi' -OutFile $msi -UseBasicParsing
  $installer = Start-Process msiexec.exe -ArgumentList @('/i', $msi, '/quiet', '/l', (Join-Path $env:TEMP 'codedeploy-agent-install.log')) -Wait -PassThru
  if ($installer.ExitCode -ne 0) { throw ('the agent installer exited ' + $installer.ExitCode) }
  if (-not (Get-Service -Name codedeployagent -ErrorAction SilentlyContinue)) { throw 'no codedeployagent service after the install' }
}

# CodeDeploy serves new instances of an Auto Scaling group by itself, not single ones:
# install the group's last successful release with the very hooks CodeDeploy runs.
Step 'install the current release' {
  $group = Get-CDDeploymentGroup -ApplicationName 'shop-dev' -DeploymentGroupName 'shop-dev-web' -Region $Region
  if (-not $group.LastSuccessfulDeployment.DeploymentId) { Write-Output 'no release yet: the first release installs it'; return }
  $bundle = (Get-CDDeployment -DeploymentId $group.LastSuccessfulDeployment.DeploymentId -Region $Region).Revision.S3Location
  $dir = Join-Path $env:TEMP 'aspnet-webfarm-release'
  $zip = $dir + '.zip'
  $s3 = @{ BucketName = $bundle.Bucket; Key = $bundle.Key; File = $zip; Region = $Region }
  if ($bundle.Version) { $s3.VersionId = $bundle.Version }
  Read-S3Object @s3 | Out-Null
  Expand-Archive -LiteralPath $zip -DestinationPath $dir -Force
  foreach ($hook in 'install', 'start', 'validate') {
    & powershell.exe -NoProfile -ExecutionPolicy Bypass -File (Join-Path $dir ('hooks\' + $hook + '.ps1'))
    if ($LASTEXITCODE -ne 0) { throw ('release hook ' + $hook + ' failed; see C:\ProgramData\aspnet-webfarm\release.log') }
  }
}

# The state server may still be booting: report, do not fail.
if (-not (Test-NetConnection -ComputerName $StateHost -Port $StatePort -InformationLevel Quiet)) {
  Write-Output ('aspnet-webfarm web node: warning: state server ' + $StateHost + ':' + $StatePort + ' not reachable yet')
}

Write-Output 'aspnet-webfarm web node: ready'
Stop-Transcript | Out-Null
exit 0
</powershell>
