version: 1.1
tasks:
- task: executeScript
  inputs:
  - frequency: once
    type: powershell
    runAs: localSystem
    detach: false
    content: |-
      # aspnet-webfarm boot loader (generated): the boot script is below, gzip-compressed and base64-encoded
      # to keep the user data well under EC2's 16 KB (plans/<stack>/ shows it expanded). It is written
      # to a file and run; its exit code is this task's.
      $ErrorActionPreference = 'Stop'
      $Script = 'C:\ProgramData\aspnet-webfarm\boot.ps1'
      $Dir = (New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Script)).FullName
      # SYSTEM and Administrators only: ProgramData lets Users add files to its subfolders.
      icacls.exe $Dir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' /Q
      if ($LASTEXITCODE) { throw 'icacls failed' }
      $Packed = [System.IO.MemoryStream]::new([Convert]::FromBase64String('<payload 1: 5460 characters of base64, expanded below>'))
      $Gzip = [System.IO.Compression.GZipStream]::new($Packed, [System.IO.Compression.CompressionMode]::Decompress)
      $Reader = [System.IO.StreamReader]::new($Gzip, [System.Text.UTF8Encoding]::new($false))
      try { $Text = $Reader.ReadToEnd() } finally { $Reader.Dispose() }
      [System.IO.File]::WriteAllText($Script, $Text, [System.Text.UTF8Encoding]::new($true))
      & (Join-Path $PSHOME 'powershell.exe') -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $Script
      exit $LASTEXITCODE
# ---- payload 1, expanded (what the node runs) ----
# aspnet-webfarm web node bootstrap (generated; EC2Launch v2 runs it once and waits for it).
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\aspnet-webfarm' | Out-Null
Start-Transcript -Path 'C:\ProgramData\aspnet-webfarm\boot.log' -Append | Out-Null
$Region = 'eu-west-1'
$LifecycleHook = 'shop-asg-ready'
$InstanceId = $null
try { $InstanceId = Get-EC2InstanceMetadata -Category InstanceId } catch { Write-Output ('no instance id from IMDS: ' + $_.Exception.Message) }

# The boot's status, seen without logging in: the instance's tag webfarm:boot.
function Set-BootStatus([string]$Status) {
  if (-not $InstanceId) { return }
  try { New-EC2Tag -Resource $InstanceId -Tag @{ Key = 'webfarm:boot'; Value = $Status.Substring(0, [Math]::Min($Status.Length, 255)) } -Region $Region }
  catch { Write-Output ('could not tag the boot status: ' + $_.Exception.Message) }
}
# Auto Scaling: InService only once the node says so (CONTINUE); ABANDON replaces it.
function Complete-Launch([string]$Result) {
  if (-not $LifecycleHook -or -not $InstanceId) { return }
  try {
    $group = (Get-ASAutoScalingInstance -InstanceId $InstanceId -Region $Region).AutoScalingGroupName
    Complete-ASLifecycleAction -LifecycleHookName $LifecycleHook -AutoScalingGroupName $group -InstanceId $InstanceId -LifecycleActionResult $Result -Region $Region
  } catch { Write-Output ('could not complete the lifecycle action: ' + $_.Exception.Message) }
}
# A failure: the tag, the System event log, the launch abandoned, exit 1 (EC2Launch records it).
function Fail([string]$Message) {
  $text = 'aspnet-webfarm web node: FAILED: ' + $Message
  Write-Output $text
  try {
    if (-not [System.Diagnostics.EventLog]::SourceExists('aspnet-webfarm')) { New-EventLog -LogName System -Source 'aspnet-webfarm' }
    Write-EventLog -LogName System -Source 'aspnet-webfarm' -EventId 1001 -EntryType Error -Message $text
  } catch { Write-Output ('could not write the event log: ' + $_.Exception.Message) }
  Set-BootStatus ('failed: ' + $Message)
  Complete-Launch 'ABANDON'
  try { Stop-Transcript | Out-Null } catch { }
  exit 1
}
function Step([string]$Name, [scriptblock]$Body) {
  Write-Output ('aspnet-webfarm web node: ' + $Name)
  Set-BootStatus ('running: ' + $Name)
  try { & $Body } catch { Fail ($Name + ': ' + $_.Exception.Message) }
}
function Install-Agent([string]$What, [string]$Service, [string]$Url) {
  if (Get-Service -Name $Service -ErrorAction SilentlyContinue) { Write-Host ('already installed: ' + $What); return }
  $msi = Join-Path $env:TEMP ($Service + '.msi')
  Invoke-WebRequest -Uri $Url -OutFile $msi -UseBasicParsing
  foreach ($try in 1..5) {
    $p = Start-Process msiexec.exe -ArgumentList @('/i', $msi, '/quiet', '/norestart', '/l', ($msi + '.log')) -Wait -PassThru
    if ($p.ExitCode -ne 1618 -or $try -eq 5) { break }
    Write-Host ('another installation is in progress (1618); the ' + $What + ' again in ' + ($try * 30) + ' s')
    Start-Sleep -Seconds ($try * 30)
  }
  if ($p.ExitCode -notin 0, 3010) { throw ('the ' + $What + ' installer exited ' + $p.ExitCode) }
  if (-not (Get-Service -Name $Service -ErrorAction SilentlyContinue)) { throw ('no ' + $Service + ' service after installing the ' + $What) }
}

$KeyParameter = '/aspnet-webfarm/asg/shop-asg/machine-key'
$KeyVersion = '1'
$KeyValidation = 'HMACSHA256'
$SessionAttributes = [ordered]@{ mode = 'StateServer'; stateConnectionString = 'tcpip=state.shop-asg.internal:42424'; stateNetworkTimeout = '10'; cookieless = 'false'; timeout = '20' }
$StateHost = 'state.shop-asg.internal'
$StatePort = 42424
$SiteName = 'Default Web Site'
$SiteId = 1
$HealthFile = 'health.aspx'
$HealthContent = '<%@ Page Language="C#" EnableSessionState="false" %>OK'
$ValidationKeyChars = @{ HMACSHA256 = 128; HMACSHA384 = 256; HMACSHA512 = 256; SHA1 = 128 }
$WaitsEnd = (Get-Date).AddSeconds(2400)
function Get-WaitSeconds([int]$Most) { [int][Math]::Max(0, [Math]::Min($Most, ($WaitsEnd - (Get-Date)).TotalSeconds)) }

# From here on, this log, IIS's and the event logs reach CloudWatch Logs.
Step 'start the CloudWatch agent' {
  $image = 'C:\ProgramData\aspnet-webfarm\image.json'; if (Test-Path -LiteralPath $image) { Write-Output ('farm image: ' + (Get-Content -Raw -LiteralPath $image)) }
  Install-Agent 'CloudWatch agent' 'AmazonCloudWatchAgent' 'https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi'
  & (Join-Path $env:ProgramFiles 'Amazon\AmazonCloudWatchAgent\amazon-cloudwatch-agent-ctl.ps1') -a fetch-config -m ec2 -s -c 'ssm:/aspnet-webfarm/asg/shop-asg/cloudwatch-agent/web-node'
  if ($LASTEXITCODE -ne 0) { throw ('the CloudWatch agent did not start (exit ' + $LASTEXITCODE + ')') }
}

Step 'install IIS and ASP.NET 4.x' {
  $missing = @(Get-WindowsFeature -Name 'Web-Server', 'Web-Asp-Net45', 'NET-Framework-45-ASPNET' | Where-Object { -not $_.Installed } | ForEach-Object { $_.Name })
  if ($missing.Count -eq 0) { Write-Output ('already installed: ' + (@('Web-Server', 'Web-Asp-Net45', 'NET-Framework-45-ASPNET') -join ', ')) }
  else {
    $result = Install-WindowsFeature -Name $missing
    if (-not $result.Success) { throw ('Install-WindowsFeature did not succeed for ' + ($missing -join ', ')) }
  }
}

# Never in user data: read with the instance role, backing off up to 10 minutes (credentials, NAT).
Step 'read the machine key from SSM Parameter Store' {
  $raw = $null
  $deadline = (Get-Date).AddSeconds((Get-WaitSeconds 600))
  $wait = 5
  while (-not $raw) {
    try { $raw = (Get-SSMParameter -Name $KeyParameter -WithDecryption $true -Region $Region).Value }
    catch {
      if ((Get-Date) -gt $deadline) { throw }
      Write-Output ('key not readable yet (' + $_.Exception.Message + '); again in ' + $wait + ' s')
      Start-Sleep -Seconds $wait
      $wait = [Math]::Min($wait * 2, 60)
    }
  }
  $script:Key = $raw | ConvertFrom-Json
  if ($script:Key.version -ne $KeyVersion) { throw ('parameter holds key version ' + $script:Key.version + ', expected ' + $KeyVersion) }
  if ($script:Key.validation -cne $KeyValidation) { throw ('parameter holds validation ' + $script:Key.validation + ', expected ' + $KeyValidation) }
  $want = $ValidationKeyChars[$KeyValidation]
  if ($script:Key.validationKey -notmatch ('^[0-9A-Fa-f]{' + $want + '}$')) { throw ('validationKey is not ' + $want + ' hex characters') }
  if ($script:Key.decryptionKey -notmatch '^[0-9A-Fa-f]{64}$') { throw 'decryptionKey is not 64 hex characters' }
}

# Both root web.configs (32-bit pools read Framework, 64-bit Framework64), via the XML DOM; the original is kept once. Then DPAPI-encrypted.
Step 'write machineKey and sessionState to both root web.configs' {
  foreach ($framework in 'Framework', 'Framework64') {
    $path = Join-Path $env:WINDIR ('Microsoft.NET\' + $framework + '\v4.0.30319\Config\web.config')
    if (-not (Test-Path -LiteralPath $path)) { throw ('missing ' + $path) }
    $backup = $path + '.before-webfarm'
    if (-not (Test-Path -LiteralPath $backup)) { Copy-Item -LiteralPath $path -Destination $backup }
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
    foreach ($s in 'machineKey', 'sessionState') {
      & ($path -replace 'Config.web.config$', 'aspnet_regiis.exe') -pe "system.web/$s" -prov 'DataProtectionConfigurationProvider' | Out-Null
      if (([xml](Get-Content -Raw $path)).configuration.'system.web'.$s.configProtectionProvider -ne 'DataProtectionConfigurationProvider') { throw "$s in clear: $path" }
    }
  }
}

# KB 325056: the state server keys sessions by /LM/W3SVC/<siteId>/ROOT, so every node pins it.
Step 'pin the site id and write the health check file' {
  Import-Module WebAdministration
  $site = Get-Website | Where-Object { $_.Name -eq $SiteName }
  if (-not $site) { throw ('no IIS site named ' + $SiteName) }
  $other = Get-Website | Where-Object { $_.Id -eq $SiteId -and $_.Name -ne $SiteName }
  if ($other) { throw ('site id ' + $SiteId + ' is taken by ' + $other.Name) }
  if ($site.Id -ne $SiteId) { Set-ItemProperty -Path ('IIS:\Sites\' + $SiteName) -Name id -Value $SiteId }
  $root = [Environment]::ExpandEnvironmentVariables($site.physicalPath)
  $file = Join-Path $root $HealthFile
  New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file) | Out-Null
  Set-Content -LiteralPath $file -Value $HealthContent -Encoding UTF8
}

Step 'restart IIS and check the health page answers 200' {
  & iisreset.exe /restart | Out-Null
  if ($LASTEXITCODE -ne 0) { throw ('iisreset exited ' + $LASTEXITCODE) }
  $url = 'http://localhost/' + ($HealthFile -replace '\\', '/')
  foreach ($attempt in 1..10) {
    try { if ((Invoke-WebRequest -Uri $url -UseBasicParsing -TimeoutSec 30).StatusCode -eq 200) { break } } catch { }
    if ($attempt -eq 10) { throw ($url + ' did not answer 200') }
    Start-Sleep -Seconds 3
  }
}

Step 'install the CodeDeploy agent' {
  Install-Agent 'CodeDeploy agent' 'codedeployagent' 'https://aws-codedeploy-eu-west-1.s3.eu-west-1.amazonaws.com/latest/codedeploy-agent.msi'
  Set-Service -Name 'codedeployagent' -StartupType Automatic
  Start-Service -Name 'codedeployagent'
}

# The state server may still be booting: report, do not fail.
if (-not (Test-NetConnection -ComputerName $StateHost -Port $StatePort -InformationLevel Quiet)) {
  Write-Output ('aspnet-webfarm web node: warning: state server ' + $StateHost + ':' + $StatePort + ' not reachable yet')
}
Set-BootStatus 'ok'
Complete-Launch 'CONTINUE'
Write-Output 'aspnet-webfarm web node: ready'
Stop-Transcript | Out-Null
exit 0