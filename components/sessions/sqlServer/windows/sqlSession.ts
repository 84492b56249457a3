// SQL Server session state (pure): what a web node does at boot to use the session database, and
// the one-off setup that creates it. The setup runs on a small setup instance, the only machine
// whose role may read the RDS master secret: under an application lock it installs Microsoft's own
// persisted session schema (aspnet_regsql's script) and a login for the nodes with rights on that
// database only. The nodes read that login's secret and wait until the database is ready. Here too:
// the <sessionState> attributes and the web node's part of its boot (sqlServerNodeSession).
import { BootValues, script, Step } from "../../../windows/boot";
import type { NodeSessionBoot } from "../../../windows/userData";
import { SessionStateAttributes, sessionTimeout } from "../../../windows/webConfig";
import { checkHost, checkPort, checkRegion, psLiteral } from "../../../windows/values";

/** The session database and the login the nodes use (never the RDS master user). */
export const SESSION_DATABASE = "ASPState";
export const SESSION_LOGIN = "webfarm_session";
/** TLS with the server's certificate checked (the nodes trust RDS's CA), bounded connects. */
export const SQL_CONNECTION_OPTIONS =
  "Encrypt=True;TrustServerCertificate=False;Connect Timeout=10;Application Name=aspnet-webfarm";

/** RDS's session database connection string; the password is letters and digits only (the kit generates it). */
export function sqlServerConnectionString(c: {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}): string {
  if (!/^[A-Za-z0-9]{16,128}$/.test(c.password)) throw new Error("password must be 16-128 letters and digits");
  const token = (field: string, v: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(v))
      throw new Error(`${field} must be a SQL identifier; got ${JSON.stringify(v)}`);
    return v;
  };
  return [
    `Data Source=tcp:${checkHost("host", c.host)},${checkPort("port", c.port)}`,
    `Initial Catalog=${token("database", c.database)}`,
    `User ID=${token("user", c.user)}`,
    `Password=${c.password}`,
    SQL_CONNECTION_OPTIONS,
  ].join(";");
}

/** How long a node (or the setup) waits for the session store's secret: RDS may still be creating it. */
export const SESSION_SECRET_WAIT_SECONDS = 3600;
/** How long a node waits for the setup to finish the session database. */
export const SESSION_DATABASE_WAIT_SECONDS = 2700;
/** The expired-session cleanup's interval on each node (ASP.NET's own job runs every minute). */
export const CLEANUP_MINUTES = 15;
const CLEANUP_TASK = "aspnet-webfarm-session-cleanup";
const CLEANUP_SCRIPT = "C:\\ProgramData\\aspnet-webfarm\\cleanup-sessions.ps1";
const APP_LOCK = "aspnet-webfarm-session-setup";
/** Invoke-Sql's CommandTimeout: the client gives up on a statement after this. */
export const SQL_COMMAND_TIMEOUT_SECONDS = 600;
/**
 * How long a second setup waits for the lock: under the command's timeout, so the wait ends with
 * sp_getapplock's own -1 ("The lock request timed out", Microsoft Learn, sp_getapplock, Return code
 * values) and the setup's clear error, not a client-side timeout (SqlCommand.CommandTimeout).
 */
export const APP_LOCK_TIMEOUT_MS = (SQL_COMMAND_TIMEOUT_SECONDS - 60) * 1000;

/**
 * The session database is ready when the session login may run its procedures: TempGetVersion (the
 * schema's own version check) answers "2". The login has EXECUTE only, so OBJECT_ID on a table
 * would be NULL for it whatever the state (Microsoft Learn, OBJECT_ID: "may return NULL if the user
 * does not have any permission on the object"; "Metadata visibility configuration").
 */
export const SESSION_READY_PROBE = "DECLARE @v char(10); EXEC dbo.TempGetVersion @v OUTPUT; SELECT @v";

/**
 * aspnet_regsql's session script (InstallSqlState.sql made persisted, as InstallPersistSqlState.sql)
 * ends with a SQL Server Agent job that runs DeleteExpiredSessions every minute, made by three
 * batches: sp_delete_job of an older job, sp_add_category, and sp_add_job with its step, schedule and
 * server. The setup never sends them, on any edition: RDS runs no Agent on Express, and elsewhere the
 * master user is not sysadmin (db_owner, processadmin, setupadmin, SQLAgentUserRole) while "only
 * members of the sysadmin fixed server role can execute sp_add_category". Every node's cleanup task
 * deletes expired sessions instead (sqlSessionSteps), on every edition. Sources: RDS user guide,
 * "Using SQL Server Agent" (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.SQLServer.
 * CommonDBATasks.Agent.html) and "Master user account privileges" (.../UsingWithRDS.MasterAccounts.html);
 * Microsoft Learn, sp_add_category, Permissions (learn.microsoft.com/en-us/sql/relational-databases/
 * system-stored-procedures/sp-add-category-transact-sql).
 * Each batch is found by its statement, exactly once; every other batch runs, and any error stops
 * the setup. Source: the script, e.g. github.com/itsmattkc/dotnet9x bin/dotnetfx20/Win/Microsoft.NET/
 * Framework/URTInstallPath/InstallPersistSqlState.sql; how -sqlexportonly makes it:
 * SqlServices.FixContent (Microsoft reference source, System.Web/Management/SqlServices.cs).
 */
export const AGENT_JOB_STATEMENTS: readonly string[] = [
  "EXECUTE msdb.dbo.sp_delete_job @job_name = @jobname",
  "EXECUTE msdb.dbo.sp_add_category @name = N'[Uncategorized (Local)]'",
  "EXECUTE @ReturnCode = msdb.dbo.sp_add_job",
];

/** Amazon RDS's certificate bundle for the region, by partition (the nodes check the server's certificate). */
export function rdsTrustBundleUrl(partition: string, region: string): string {
  const r = checkRegion("region", region);
  if (partition === "aws-cn") return `https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/${r}/${r}-bundle.pem`;
  if (partition === "aws-us-gov") return `https://truststore.pki.us-gov-west-1.rds.amazonaws.com/${r}/${r}-bundle.pem`;
  return `https://truststore.pki.rds.amazonaws.com/${r}/${r}-bundle.pem`;
}

export interface SqlSessionBootValues {
  /** The Secrets Manager secret with the session login: host, port, dbname, username, password. */
  sessionSecret: string;
  /** Amazon RDS's CA bundle (rdsTrustBundleUrl). */
  trustBundleUrl: string;
}

const secretName = (v: string) => {
  if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(v))
    throw new Error(`sessionSecret must be a Secrets Manager name; got ${JSON.stringify(v)}`);
  return v;
};

/** Variables and helpers both scripts use: where the secret and the CA bundle are, a SQL call, a read with backoff. */
function sqlPrelude(v: SqlSessionBootValues): string[] {
  if (!/^https:\/\/[A-Za-z0-9.-]+\/[A-Za-z0-9./_-]+\.pem$/.test(v.trustBundleUrl))
    throw new Error(`trustBundleUrl must be an https URL of a .pem bundle; got ${JSON.stringify(v.trustBundleUrl)}`);
  return [
    `$SessionSecret = ${psLiteral(secretName(v.sessionSecret))}`,
    `$RdsTrustBundle = ${psLiteral(v.trustBundleUrl)}`,
    `$SqlOptions = ${psLiteral(SQL_CONNECTION_OPTIONS)}`,
    "# SQL helpers (Write-Host, not Write-Output: a function's output is its value).",
    "function Invoke-Sql($Connection, [string]$Sql, [hashtable]$Parameters = @{}) {",
    `  $k = $Connection.CreateCommand(); $k.CommandText = $Sql; $k.CommandTimeout = ${SQL_COMMAND_TIMEOUT_SECONDS}`,
    "  foreach ($n in $Parameters.Keys) { [void]$k.Parameters.AddWithValue($n, $Parameters[$n]) }",
    "  return $k.ExecuteScalar()",
    "}",
    "function Get-SqlConnectionString($Db, [string]$Database = $Db.dbname, [string]$User = $Db.username, [string]$Password = $Db.password) {",
    "  return 'Data Source=tcp:' + $Db.host + ',' + $Db.port + ';Initial Catalog=' + $Database + ';User ID=' + $User + ';Password=' + $Password + ';' + $SqlOptions",
    "}",
    "function Open-Sql($Db, [string]$Database = $Db.dbname, [string]$User = $Db.username, [string]$Password = $Db.password) {",
    "  $c = New-Object System.Data.SqlClient.SqlConnection (Get-SqlConnectionString $Db $Database $User $Password); $c.Open(); return $c",
    "}",
    "function Read-Secret([string]$Id, [int]$Seconds) {",
    "  $deadline = (Get-Date).AddSeconds($Seconds); $wait = 5",
    "  while ($true) {",
    "    try { return ((Get-SECSecretValue -SecretId $Id -Region $Region).SecretString | ConvertFrom-Json) }",
    "    catch { if ((Get-Date) -gt $deadline) { throw }; Write-Host ('secret ' + $Id + ': ' + $_.Exception.Message); Start-Sleep -Seconds $wait; $wait = [Math]::Min($wait * 2, 60) }",
    "  }",
    "}",
  ];
}

/**
 * Trust RDS's CAs, so the connection's certificate is checked (TrustServerCertificate=False). The
 * region's bundle holds its root and intermediate CAs (RDS user guide, "Using SSL/TLS to encrypt a
 * connection to a DB instance or cluster", docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).
 * Read in memory (RawContentStream: the bytes, whatever content type S3 serves), never written to
 * disk. Only the self-signed roots (Subject = Issuer) go to LocalMachine\Root, the trusted root CAs;
 * the intermediates go to LocalMachine\CA, which only builds chains (Microsoft Learn, "StoreName
 * Enum": Root, CertificateAuthority = "CA"). X509Store.Add keeps one copy of a certificate already
 * there (CertAddCertificateContextToStore, CERT_STORE_ADD_REPLACE_EXISTING_INHERIT_PROPERTIES), so a
 * second run changes nothing.
 */
function trustStep(): Step {
  return {
    name: "trust Amazon RDS's certificate authorities",
    body: [
      "$bundle = [Text.Encoding]::ASCII.GetString((Invoke-WebRequest -Uri $RdsTrustBundle -UseBasicParsing).RawContentStream.ToArray())",
      "$blocks = [regex]::Matches($bundle, '-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----')",
      "if ($blocks.Count -eq 0) { throw 'no certificate in the RDS bundle' }",
      "foreach ($b in $blocks) {",
      "  $cert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([Convert]::FromBase64String(($b.Groups[1].Value -replace '\\s', '')))",
      "  $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($(if ($cert.Subject -eq $cert.Issuer) { 'Root' } else { 'CA' }), 'LocalMachine')",
      "  $store.Open('ReadWrite')",
      "  try { $store.Add($cert) } finally { $store.Close() }",
      "}",
    ],
  };
}

/** Reads the session login's secret and checks its shape; sets $SessionDb. */
function readSessionStep(seconds: (most: number) => string = String): Step {
  return {
    name: "read the session store's login from Secrets Manager",
    comment: "Read with the instance role, which may read this one secret.",
    body: [
      `$script:SessionDb = Read-Secret $SessionSecret ${seconds(SESSION_SECRET_WAIT_SECONDS)}`,
      "foreach ($field in 'host', 'port', 'dbname', 'username', 'password') { if (-not $SessionDb.$field) { throw ('the session secret has no ' + $field) } }",
      "if ($SessionDb.password -notmatch '^[A-Za-z0-9]{16,128}$') { throw 'the session password is not 16-128 letters and digits' }",
    ],
  };
}

/**
 * The web node's steps in SQLServer mode, before it writes the root web.configs. `seconds` writes a
 * wait's limit (with an application the node caps it: userData.ts, APPLICATION_WAITS_SECONDS).
 */
export function sqlSessionSteps(
  v: SqlSessionBootValues,
  seconds: (most: number) => string = String,
): { variables: string[]; before: Step[]; after: Step[] } {
  return {
    variables: sqlPrelude(v),
    before: [
      trustStep(),
      readSessionStep(seconds),
      {
        name: "wait until the session database is set up",
        comment: "The setup instance creates it; a node checks, as the session login, that it may use it.",
        body: [
          `$deadline = (Get-Date).AddSeconds(${seconds(SESSION_DATABASE_WAIT_SECONDS)}); $wait = 10`,
          "while ($true) {",
          "  try {",
          "    $c = Open-Sql $SessionDb",
          `    try { $ready = (Invoke-Sql $c ${psLiteral(SESSION_READY_PROBE)}) -isnot [DBNull] } finally { $c.Dispose() }`,
          "    if ($ready) { break }; $why = 'no version'",
          "  } catch { $why = $_.Exception.Message }",
          "  if ((Get-Date) -gt $deadline) { throw ('the session database is not ready: ' + $why) }",
          "  Write-Output ('session database: ' + $why); Start-Sleep -Seconds $wait; $wait = [Math]::Min($wait * 2, 60)",
          "}",
          "$SessionAttributes['sqlConnectionString'] = Get-SqlConnectionString $SessionDb",
        ],
      },
    ],
    after: [
      {
        name: "schedule the expired-session cleanup",
        comment: `Every ${CLEANUP_MINUTES} minutes, on every edition (the setup makes no Agent job); the job reads the secret each run.`,
        body: [
          `Set-Content -LiteralPath ${psLiteral(CLEANUP_SCRIPT)} -Encoding UTF8 -Value @(`,
          "  ('$Region = ' + \"'\" + $Region + \"'\"), ('$SqlOptions = ' + \"'\" + $SqlOptions + \"'\"),",
          "  ('function Get-SqlConnectionString {' + ${function:Get-SqlConnectionString} + '}'),",
          "  ('function Open-Sql {' + ${function:Open-Sql} + '}'), ('function Read-Secret {' + ${function:Read-Secret} + '}'),",
          "  ('$c = Open-Sql (Read-Secret ' + \"'\" + $SessionSecret + \"'\" + ' 60)'),",
          "  \"try { `$k = `$c.CreateCommand(); `$k.CommandText = 'dbo.DeleteExpiredSessions'; `$k.CommandType = 'StoredProcedure'; [void]`$k.ExecuteNonQuery() } finally { `$c.Dispose() }\")",
          `$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument '-NoProfile -NonInteractive -File ${CLEANUP_SCRIPT}'`,
          `$trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(5) -RepetitionInterval (New-TimeSpan -Minutes ${CLEANUP_MINUTES})`,
          `Register-ScheduledTask -TaskName ${psLiteral(CLEANUP_TASK)} -Action $action -Trigger $trigger -User 'SYSTEM' -RunLevel Highest -Force | Out-Null`,
        ],
      },
    ],
  };
}

/**
 * The <sessionState> attributes: the connection string names the database, so allowCustomSqlDatabase
 * must be true. Without a connection string, the ones a node writes before it adds its own at boot,
 * from its secret.
 */
export function sqlSessionAttributes(timeoutMinutes?: number, sqlConnectionString?: string): SessionStateAttributes {
  const timeout = sessionTimeout(timeoutMinutes);
  if (sqlConnectionString !== undefined && (!sqlConnectionString || /["<>]/.test(sqlConnectionString)))
    throw new Error("sqlConnectionString must be a connection string without quotes or angle brackets");
  return {
    mode: "SQLServer",
    allowCustomSqlDatabase: "true",
    sqlCommandTimeout: "10",
    cookieless: "false",
    timeout,
    ...(sqlConnectionString === undefined ? {} : { sqlConnectionString }),
  };
}

/** A web node's part of the boot: the attributes but the connection string, and sqlSessionSteps. */
export function sqlServerNodeSession(v: SqlSessionBootValues & { timeoutMinutes?: number }): NodeSessionBoot {
  return (waitSeconds) => {
    const sessionState = sqlSessionAttributes(v.timeoutMinutes);
    const { variables, before, after } = sqlSessionSteps(v, waitSeconds);
    return { sessionState, variables, before, after, closing: [] };
  };
}

export interface SessionSetupBootValues extends BootValues, SqlSessionBootValues {
  /** RDS's own secret for the master user (manageMasterUserPassword). */
  masterSecretArn: string;
}

/** Where the setup finds aspnet_regsql (.NET Framework 4.x, 64-bit), under %WINDIR%. */
export const REGSQL_PATH = "Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_regsql.exe";

/**
 * The setup instance's user data: create the session database once (Microsoft's persisted schema,
 * from aspnet_regsql -sqlexportonly), the nodes' login and user with EXECUTE on it only, all under
 * an exclusive application lock so a second setup (a replaced setup instance) waits and then
 * changes nothing. The instance stops itself when done.
 */
export function sessionSetupUserData(v: SessionSetupBootValues): string {
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$/.test(v.masterSecretArn))
    throw new Error(`masterSecretArn must be a Secrets Manager secret ARN; got ${JSON.stringify(v.masterSecretArn)}`);
  return script(
    "session store setup",
    v,
    [
      ...sqlPrelude(v),
      `$MasterSecret = ${psLiteral(v.masterSecretArn)}`,
      `$Database = ${psLiteral(SESSION_DATABASE)}`,
      `$Login = ${psLiteral(SESSION_LOGIN)}`,
      `$RegSql = Join-Path $env:WINDIR ${psLiteral(REGSQL_PATH)}`,
      `$AgentBatches = @(${AGENT_JOB_STATEMENTS.map(psLiteral).join(", ")})`,
    ],
    [
      {
        name: "check aspnet_regsql is there",
        body: [
          "if (-not (Test-Path -LiteralPath $RegSql -PathType Leaf)) { throw ('aspnet_regsql.exe not found at ' + $RegSql + ' (.NET Framework 4.x, 64-bit)') }",
        ],
      },
      trustStep(),
      readSessionStep(),
      {
        name: "create the session database, once",
        comment:
          "sp_getapplock: a second setup waits here, then finds the schema and changes nothing. The schema is Microsoft's (persisted sessions), exported by aspnet_regsql; its tables are made last, so once the master user (the owner) sees them it is complete.",
        body: [
          "$master = Read-Secret $MasterSecret 600",
          "$c = Open-Sql $SessionDb 'master' $master.username $master.password",
          "try {",
          `  $lock = Invoke-Sql $c "DECLARE @r int; EXEC @r = sp_getapplock @Resource = N'${APP_LOCK}', @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = ${APP_LOCK_TIMEOUT_MS}; SELECT @r"`,
          "  if ($lock -lt 0) { throw ('could not take the setup lock (' + $lock + ')') }",
          `  if ((Invoke-Sql $c "SELECT OBJECT_ID(N'[${SESSION_DATABASE}].dbo.ASPStateTempSessions', N'U')") -is [DBNull]) {`,
          "    $sql = Join-Path $env:TEMP 'InstallPersistSqlState.sql'",
          "    & $RegSql -ssadd -sstype p -sqlexportonly $sql | Out-Null",
          "    if ($LASTEXITCODE -ne 0) { throw ('aspnet_regsql exited ' + $LASTEXITCODE) }",
          "    $batches = @((Get-Content -Raw -LiteralPath $sql) -split '(?m)^\\s*GO\\s*$' | Where-Object { $_.Trim() })",
          "    # The Agent job's batches are never sent (AGENT_JOB_STATEMENTS); each must be found once.",
          "    foreach ($s in $AgentBatches) { if (@($batches | Where-Object { $_.Contains($s) }).Count -ne 1) { throw ('not one batch with: ' + $s) } }",
          "    foreach ($batch in $batches) {",
          "      if (@($AgentBatches | Where-Object { $batch.Contains($_) }).Count -gt 0) { Write-Output 'SQL Server Agent job batch: not sent'; continue }",
          "      # Unhandled: any error in any other batch stops the setup (ExecuteNonQuery reads every result).",
          `      $k = $c.CreateCommand(); $k.CommandText = $batch; $k.CommandTimeout = ${SQL_COMMAND_TIMEOUT_SECONDS}; [void]$k.ExecuteNonQuery()`,
          "    }",
          "  } else { Write-Output ('database ' + $Database + ' is set up') }",
          "  # The login's password comes as a parameter, quoted by SQL Server itself.",
          "  [void](Invoke-Sql $c \"DECLARE @s nvarchar(max) = CASE WHEN SUSER_ID(@l) IS NULL THEN N'CREATE' ELSE N'ALTER' END + N' LOGIN ' + QUOTENAME(@l) + N' WITH PASSWORD = ' + QUOTENAME(@p, N''''); EXEC (@s)\" @{ '@l' = $Login; '@p' = $SessionDb.password })",
          "  [void](Invoke-Sql $c \"DECLARE @s nvarchar(max) = N'USE ' + QUOTENAME(@d) + N'; IF USER_ID(' + QUOTENAME(@l, N'''') + N') IS NULL CREATE USER ' + QUOTENAME(@l) + N' FOR LOGIN ' + QUOTENAME(@l) + N'; GRANT EXECUTE TO ' + QUOTENAME(@l); EXEC (@s)\" @{ '@d' = $Database; '@l' = $Login })",
          `  [void](Invoke-Sql $c "EXEC sp_releaseapplock @Resource = N'${APP_LOCK}', @LockOwner = N'Session'")`,
          "} finally { $c.Dispose() }",
        ],
      },
      {
        name: "check the session login can use its database",
        body: [
          "$c = Open-Sql $SessionDb",
          `try { if ((Invoke-Sql $c ${psLiteral(SESSION_READY_PROBE)}) -is [DBNull]) { throw 'TempGetVersion answered nothing' } } finally { $c.Dispose() }`,
        ],
      },
      {
        name: "stop this instance once done",
        comment: "Nothing more to do until the next setup; stopped, it costs its disk only.",
        body: ["& shutdown.exe /s /t 120 /c 'aspnet-webfarm: session store set up' | Out-Null"],
      },
    ],
  );
}
