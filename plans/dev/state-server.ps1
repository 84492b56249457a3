<powershell>
# aspnet-webfarm state server bootstrap (generated). Runs once, at first boot, under EC2Launch v2.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
New-Item -ItemType Directory -Force -Path 'C:\ProgramData\aspnet-webfarm' | Out-Null
Start-Transcript -Path 'C:\ProgramData\aspnet-webfarm\boot.log' -Append | Out-Null

# A failure exits non-zero (EC2Launch logs it) and is written to the System event log,
# whose latest errors appear in the EC2 console output (get-console-output).
function Fail([string]$Message) {
  $text = 'aspnet-webfarm state server: FAILED: ' + $Message
  Write-Output $text
  try {
    if (-not [System.Diagnostics.EventLog]::SourceExists('aspnet-webfarm')) { New-EventLog -LogName System -Source 'aspnet-webfarm' }
    Write-EventLog -LogName System -Source 'aspnet-webfarm' -EventId 1001 -EntryType Error -Message $text
  } catch { Write-Output ('could not write the event log: ' + $_.Exception.Message) }
  try { Stop-Transcript | Out-Null } catch { }
  exit 1
}
function Step([string]$Name, [scriptblock]$Body) {
  Write-Output ('aspnet-webfarm state server: ' + $Name)
  try { & $Body } catch { Fail ($Name + ': ' + $_.Exception.Message) }
}

$StatePort = 42424
$WebSubnets = @('10.20.128.0/20', '10.20.144.0/20')
$Parameters = 'HKLM:\SYSTEM\CurrentControlSet\Services\aspnet_state\Parameters'

Step 'install ASP.NET 4.x (brings the state service)' {
  $result = Install-WindowsFeature -Name NET-Framework-45-ASPNET
  if (-not $result.Success) { throw 'Install-WindowsFeature did not succeed' }
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

# The protocol has no authentication: the network is the only boundary.
Step 'open the Windows Firewall for the web subnets only' {
  Get-NetFirewallRule -Name 'aspnet-webfarm-state' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
  New-NetFirewallRule -Name 'aspnet-webfarm-state' -DisplayName 'ASP.NET State Service from the web nodes' -Direction Inbound -Protocol TCP -LocalPort $StatePort -RemoteAddress $WebSubnets -Action Allow -Profile Any | Out-Null
}

Step 'check the state service listens' {
  foreach ($attempt in 1..10) {
    if (Get-NetTCPConnection -LocalPort $StatePort -State Listen -ErrorAction SilentlyContinue) { break }
    if ($attempt -eq 10) { throw ('nothing listens on port ' + $StatePort) }
    Start-Sleep -Seconds 2
  }
}

Write-Output 'aspnet-webfarm state server: ready'
Stop-Transcript | Out-Null
exit 0
</powershell>
