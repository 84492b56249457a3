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
      $Packed = [System.IO.MemoryStream]::new([Convert]::FromBase64String('<payload 1: 5868 characters of base64, expanded below>'))
      $Gzip = [System.IO.Compression.GZipStream]::new($Packed, [System.IO.Compression.CompressionMode]::Decompress)
      $Reader = [System.IO.StreamReader]::new($Gzip, [System.Text.UTF8Encoding]::new($false))
      try { $Text = $Reader.ReadToEnd() } finally { $Reader.Dispose() }
      [System.IO.File]::WriteAllText($Script, $Text, [System.Text.UTF8Encoding]::new($true))
      & (Join-Path $PSHOME 'powershell.exe') -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $Script
      exit $LASTEXITCODE
# ---- payload 1, expanded (what the node runs) ----
# aspnet-webfarm session store setup bootstrap (generated; EC2Launch v2 runs it once and waits for it).
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
  $text = 'aspnet-webfarm session store setup: FAILED: ' + $Message
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
  Write-Output ('aspnet-webfarm session store setup: ' + $Name)
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

$SessionSecret = 'aspnet-webfarm/prod/shop-prod/session-store'
$RdsTrustBundle = 'https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem'
$SqlOptions = 'Encrypt=True;TrustServerCertificate=False;Connect Timeout=10;Application Name=aspnet-webfarm'
# SQL helpers (Write-Host, not Write-Output: a function's output is its value).
function Invoke-Sql($Connection, [string]$Sql, [hashtable]$Parameters = @{}) {
  $k = $Connection.CreateCommand(); $k.CommandText = $Sql; $k.CommandTimeout = 600
  foreach ($n in $Parameters.Keys) { [void]$k.Parameters.AddWithValue($n, $Parameters[$n]) }
  return $k.ExecuteScalar()
}
function Get-SqlConnectionString($Db, [string]$Database = $Db.dbname, [string]$User = $Db.username, [string]$Password = $Db.password) {
  return 'Data Source=tcp:' + $Db.host + ',' + $Db.port + ';Initial Catalog=' + $Database + ';User ID=' + $User + ';Password=' + $Password + ';' + $SqlOptions
}
function Open-Sql($Db, [string]$Database = $Db.dbname, [string]$User = $Db.username, [string]$Password = $Db.password) {
  $c = New-Object System.Data.SqlClient.SqlConnection (Get-SqlConnectionString $Db $Database $User $Password); $c.Open(); return $c
}
function Read-Secret([string]$Id, [int]$Seconds) {
  $deadline = (Get-Date).AddSeconds($Seconds); $wait = 5
  while ($true) {
    try { return ((Get-SECSecretValue -SecretId $Id -Region $Region).SecretString | ConvertFrom-Json) }
    catch { if ((Get-Date) -gt $deadline) { throw }; Write-Host ('secret ' + $Id + ': ' + $_.Exception.Message); Start-Sleep -Seconds $wait; $wait = [Math]::Min($wait * 2, 60) }
  }
}
$MasterSecret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-3bdb7b22-AbCdEf'
$Database = 'ASPState'
$Login = 'webfarm_session'
$RegSql = Join-Path $env:WINDIR 'Microsoft.NET\Framework64\v4.0.30319\aspnet_regsql.exe'
$AgentBatches = @('EXECUTE msdb.dbo.sp_delete_job @job_name = @jobname', 'EXECUTE msdb.dbo.sp_add_category @name = N''[Uncategorized (Local)]''', 'EXECUTE @ReturnCode = msdb.dbo.sp_add_job')

# From here on, this log, IIS's and the event logs reach CloudWatch Logs.
Step 'start the CloudWatch agent' {
  $image = 'C:\ProgramData\aspnet-webfarm\image.json'; if (Test-Path -LiteralPath $image) { Write-Output ('farm image: ' + (Get-Content -Raw -LiteralPath $image)) }
  Install-Agent 'CloudWatch agent' 'AmazonCloudWatchAgent' 'https://amazoncloudwatch-agent-eu-west-1.s3.eu-west-1.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi'
  & (Join-Path $env:ProgramFiles 'Amazon\AmazonCloudWatchAgent\amazon-cloudwatch-agent-ctl.ps1') -a fetch-config -m ec2 -s -c 'ssm:/aspnet-webfarm/prod/shop-prod/cloudwatch-agent/state-server'
  if ($LASTEXITCODE -ne 0) { throw ('the CloudWatch agent did not start (exit ' + $LASTEXITCODE + ')') }
}

Step 'check aspnet_regsql is there' {
  if (-not (Test-Path -LiteralPath $RegSql -PathType Leaf)) { throw ('aspnet_regsql.exe not found at ' + $RegSql + ' (.NET Framework 4.x, 64-bit)') }
}

Step 'trust Amazon RDS''s certificate authorities' {
  $bundle = [Text.Encoding]::ASCII.GetString((Invoke-WebRequest -Uri $RdsTrustBundle -UseBasicParsing).RawContentStream.ToArray())
  $blocks = [regex]::Matches($bundle, '-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----')
  if ($blocks.Count -eq 0) { throw 'no certificate in the RDS bundle' }
  foreach ($b in $blocks) {
    $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([Convert]::FromBase64String(($b.Groups[1].Value -replace '\s', '')))
    $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($(if ($cert.Subject -eq $cert.Issuer) { 'Root' } else { 'CA' }), 'LocalMachine')
    $store.Open('ReadWrite')
    try { $store.Add($cert) } finally { $store.Close() }
  }
}

# Read with the instance role, which may read this one secret.
Step 'read the session store''s login from Secrets Manager' {
  $script:SessionDb = Read-Secret $SessionSecret 3600
  foreach ($field in 'host', 'port', 'dbname', 'username', 'password') { if (-not $SessionDb.$field) { throw ('the session secret has no ' + $field) } }
  if ($SessionDb.password -notmatch '^[A-Za-z0-9]{16,128}$') { throw 'the session password is not 16-128 letters and digits' }
}

# sp_getapplock: a second setup waits here, then finds the schema and changes nothing. The schema is Microsoft's (persisted sessions), exported by aspnet_regsql; its tables are made last, so once the master user (the owner) sees them it is complete.
Step 'create the session database, once' {
  $master = Read-Secret $MasterSecret 600
  $c = Open-Sql $SessionDb 'master' $master.username $master.password
  try {
    $lock = Invoke-Sql $c "DECLARE @r int; EXEC @r = sp_getapplock @Resource = N'aspnet-webfarm-session-setup', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 540000; SELECT @r"
    if ($lock -lt 0) { throw ('could not take the setup lock (' + $lock + ')') }
    if ((Invoke-Sql $c "SELECT OBJECT_ID(N'[ASPState].dbo.ASPStateTempSessions', N'U')") -is [DBNull]) {
      $sql = Join-Path $env:TEMP 'InstallPersistSqlState.sql'
      & $RegSql -ssadd -sstype p -sqlexportonly $sql | Out-Null
      if ($LASTEXITCODE -ne 0) { throw ('aspnet_regsql exited ' + $LASTEXITCODE) }
      $batches = @((Get-Content -Raw -LiteralPath $sql) -split '(?m)^\s*GO\s*$' | Where-Object { $_.Trim() })
      # The Agent job's batches are never sent (AGENT_JOB_STATEMENTS); each must be found once.
      foreach ($s in $AgentBatches) { if (@($batches | Where-Object { $_.Contains($s) }).Count -ne 1) { throw ('not one batch with: ' + $s) } }
      foreach ($batch in $batches) {
        if (@($AgentBatches | Where-Object { $batch.Contains($_) }).Count -gt 0) { Write-Output 'SQL Server Agent job batch: not sent'; continue }
        # Unhandled: any error in any other batch stops the setup (ExecuteNonQuery reads every result).
        $k = $c.CreateCommand(); $k.CommandText = $batch; $k.CommandTimeout = 600; [void]$k.ExecuteNonQuery()
      }
    } else { Write-Output ('database ' + $Database + ' is set up') }
    # The login's password comes as a parameter, quoted by SQL Server itself.
    [void](Invoke-Sql $c "DECLARE @s nvarchar(max) = CASE WHEN SUSER_ID(@l) IS NULL THEN N'CREATE' ELSE N'ALTER' END + N' LOGIN ' + QUOTENAME(@l) + N' WITH PASSWORD = ' + QUOTENAME(@p, N''''); EXEC (@s)" @{ '@l' = $Login; '@p' = $SessionDb.password })
    [void](Invoke-Sql $c "DECLARE @s nvarchar(max) = N'USE ' + QUOTENAME(@d) + N'; IF USER_ID(' + QUOTENAME(@l, N'''') + N') IS NULL CREATE USER ' + QUOTENAME(@l) + N' FOR LOGIN ' + QUOTENAME(@l) + N'; GRANT EXECUTE TO ' + QUOTENAME(@l); EXEC (@s)" @{ '@d' = $Database; '@l' = $Login })
    [void](Invoke-Sql $c "EXEC sp_releaseapplock @Resource = N'aspnet-webfarm-session-setup', @LockOwner = N'Session'")
  } finally { $c.Dispose() }
}

Step 'check the session login can use its database' {
  $c = Open-Sql $SessionDb
  try { if ((Invoke-Sql $c 'DECLARE @v char(10); EXEC dbo.TempGetVersion @v OUTPUT; SELECT @v') -is [DBNull]) { throw 'TempGetVersion answered nothing' } } finally { $c.Dispose() }
}

# Nothing more to do until the next setup; stopped, it costs its disk only.
Step 'stop this instance once done' {
  & shutdown.exe /s /t 120 /c 'aspnet-webfarm: session store set up' | Out-Null
}

Set-BootStatus 'ok'
Complete-Launch 'CONTINUE'
Write-Output 'aspnet-webfarm session store setup: ready'
Stop-Transcript | Out-Null
exit 0