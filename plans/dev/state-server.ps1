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
      $Packed = [System.IO.MemoryStream]::new([Convert]::FromBase64String('<payload 1: 3512 characters of base64, expanded below>'))
      $Gzip = [System.IO.Compression.GZipStream]::new($Packed, [System.IO.Compression.CompressionMode]::Decompress)
      $Reader = [System.IO.StreamReader]::new($Gzip, [System.Text.UTF8Encoding]::new($false))
      try { $Text = $Reader.ReadToEnd() } finally { $Reader.Dispose() }
      [System.IO.File]::WriteAllText($Script, $Text, [System.Text.UTF8Encoding]::new($true))
      & (Join-Path $PSHOME 'powershell.exe') -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $Script
      exit $LASTEXITCODE
# ---- payload 1, expanded (what the node runs) ----
# aspnet-webfarm state server bootstrap (generated; EC2Launch v2 runs it once and waits for it).
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\aspnet-webfarm' | Out-Null
Start-Transcript -Path 'C:\ProgramData\aspnet-webfarm\boot.log' -Append | Out-Null
$Region = 'eu-west-1'
$LifecycleHook = $null
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
  $text = 'aspnet-webfarm state server: FAILED: ' + $Message
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
  Write-Output ('aspnet-webfarm state server: ' + $Name)
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

$StatePort = 42424
$WebCidrs = @('10.20.0.0/16')
$Parameters = 'HKLM:\SYSTEM\CurrentControlSet\Services\aspnet_state\Parameters'

# From here on, this log, IIS's and the event logs reach CloudWatch Logs.
Step 'start the CloudWatch agent' {
  $image = 'C:\ProgramData\aspnet-webfarm\image.json'; if (Test-Path -LiteralPath $image) { Write-Output ('farm image: ' + (Get-Content -Raw -LiteralPath $image)) }
  Install-Agent 'CloudWatch agent' 'AmazonCloudWatchAgent' 'https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi'
  & (Join-Path $env:ProgramFiles 'Amazon\AmazonCloudWatchAgent\amazon-cloudwatch-agent-ctl.ps1') -a fetch-config -m ec2 -s -c 'ssm:/aspnet-webfarm/dev/shop-dev/cloudwatch-agent/state-server'
  if ($LASTEXITCODE -ne 0) { throw ('the CloudWatch agent did not start (exit ' + $LASTEXITCODE + ')') }
}

Step 'install ASP.NET 4.x (brings the state service)' {
  $missing = @(Get-WindowsFeature -Name 'NET-Framework-45-ASPNET' | Where-Object { -not $_.Installed } | ForEach-Object { $_.Name })
  if ($missing.Count -eq 0) { Write-Output ('already installed: ' + (@('NET-Framework-45-ASPNET') -join ', ')) }
  else {
    $result = Install-WindowsFeature -Name $missing
    if (-not $result.Success) { throw ('Install-WindowsFeature did not succeed for ' + ($missing -join ', ')) }
  }
  if (-not (Get-Service -Name aspnet_state -ErrorAction SilentlyContinue)) { throw 'the aspnet_state service is not registered' }
}

# AllowRemoteConnection (singular) and Port are read when the service starts.
Step 'allow remote connections on the state port' {
  if (-not (Test-Path -Path $Parameters)) { New-Item -Path $Parameters -Force | Out-Null }
  New-ItemProperty -Path $Parameters -Name AllowRemoteConnection -PropertyType DWord -Value 1 -Force | Out-Null
  New-ItemProperty -Path $Parameters -Name Port -PropertyType DWord -Value $StatePort -Force | Out-Null
}

# The service is Manual by default, and some updates reset it: make it Automatic and self-restarting.
Step 'start the state service automatically' {
  Set-Service -Name aspnet_state -StartupType Automatic
  & sc.exe failure aspnet_state reset= 86400 actions= restart/5000/restart/5000/restart/5000 | Out-Null
  Restart-Service -Name aspnet_state -Force
}

# The protocol has no authentication: the web nodes' security group is the boundary; this rule admits the VPC's own addresses only (not the subnets, so a new AZ does not change this server).
Step 'open the Windows Firewall for the VPC only' {
  Get-NetFirewallRule -Name 'aspnet-webfarm-state' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
  New-NetFirewallRule -Name 'aspnet-webfarm-state' -DisplayName 'ASP.NET State Service from the farm''s VPC' -Direction Inbound -Protocol TCP -LocalPort $StatePort -RemoteAddress $WebCidrs -Action Allow -Profile Any | Out-Null
}

Step 'check the state service listens' {
  foreach ($attempt in 1..10) {
    if (Get-NetTCPConnection -LocalPort $StatePort -State Listen -ErrorAction SilentlyContinue) { break }
    if ($attempt -eq 10) { throw ('nothing listens on port ' + $StatePort) }
    Start-Sleep -Seconds 2
  }
}

Set-BootStatus 'ok'
Complete-Launch 'CONTINUE'
Write-Output 'aspnet-webfarm state server: ready'
Stop-Transcript | Out-Null
exit 0