// SQL Server session state's generated parts: the <sessionState> attributes and connection string,
// the web node's SQL steps, and the setup instance's script (structure, quoting, the lock).
import YAML from "yaml";
import {
  AGENT_JOB_STATEMENTS,
  APP_LOCK_TIMEOUT_MS,
  bootScriptOf,
  farmWebConfigFragment,
  parseFarmFragment,
  rdsTrustBundleUrl,
  sessionSetupUserData,
  SESSION_READY_PROBE,
  SQL_COMMAND_TIMEOUT_SECONDS,
  sqlServerConnectionString,
  USER_DATA_LIMIT_BYTES,
  webNodeUserData,
} from "../../../../components/windows";
import {
  sqlServerNodeSession,
  sqlSessionAttributes,
} from "../../../../components/sessions/sqlServer/windows/sqlSession";
import { balanced } from "../../../support/powershell";

const boot = {
  region: "eu-west-1",
  dnsSuffix: "amazonaws.com",
  cloudWatchConfigParameter: "/aspnet-webfarm/prod/shop-prod/cloudwatch-agent/state-server",
};
const sqlSession = {
  sessionSecret: "aspnet-webfarm/prod/shop-prod/session-store",
  trustBundleUrl: rdsTrustBundleUrl("aws", "eu-west-1"),
};
const MASTER = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf";
const key = { validationKey: "A".repeat(128), decryptionKey: "B".repeat(64), validation: "HMACSHA256" as const };
/** The boot script the user data carries (compressed behind the loader). */
const scriptOf = (userData: string) => bootScriptOf(userData);
const steps = (script: string) => [...script.matchAll(/^Step '((?:[^']|'')+)'/gm)].map((m) => m[1].replace(/''/g, "'"));

test("SQLServer <sessionState>: the connection string names the database, so allowCustomSqlDatabase is true", () => {
  const sqlConnectionString = sqlServerConnectionString({
    host: "shop-sessions-1.c0ffee.eu-west-1.rds.amazonaws.com",
    port: 1433,
    database: "ASPState",
    user: "webfarm_session",
    password: "Abc123Def456Ghi789Jkl012",
  });
  expect(sqlConnectionString).toBe(
    "Data Source=tcp:shop-sessions-1.c0ffee.eu-west-1.rds.amazonaws.com,1433;Initial Catalog=ASPState;User ID=webfarm_session;Password=Abc123Def456Ghi789Jkl012;Encrypt=True;TrustServerCertificate=False;Connect Timeout=10;Application Name=aspnet-webfarm",
  );
  const { sessionState } = parseFarmFragment(farmWebConfigFragment(key, sqlSessionAttributes(30, sqlConnectionString)));
  expect(sessionState).toEqual({
    mode: "SQLServer",
    allowCustomSqlDatabase: "true",
    sqlCommandTimeout: "10",
    cookieless: "false",
    timeout: "30",
    sqlConnectionString,
  });
});

test.each([
  ["a password with a quote", { password: "Abc123Def456Ghi7'; DROP" }, /password must be 16-128 letters and digits/],
  ["a short password", { password: "short" }, /password/],
  ["a database that is not an identifier", { database: "ASP;State" }, /database must be a SQL identifier/],
  ["a host with a semicolon", { host: "db;Password=x" }, /host/],
])("a connection string refuses %s", (_label, bad, message) => {
  const good = {
    host: "db.example",
    port: 1433,
    database: "ASPState",
    user: "webfarm_session",
    password: "A".repeat(32),
  };
  expect(() => sqlServerConnectionString({ ...good, ...bad })).toThrow(message);
});

test("RDS's CA bundle comes from the partition's own trust store", () => {
  expect(rdsTrustBundleUrl("aws", "eu-west-1")).toBe(
    "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem",
  );
  expect(rdsTrustBundleUrl("aws-us-gov", "us-gov-west-1")).toMatch(
    /^https:\/\/truststore\.pki\.us-gov-west-1\.rds\.amazonaws\.com\//,
  );
  expect(rdsTrustBundleUrl("aws-cn", "cn-north-1")).toMatch(/amazonaws\.com\.cn\/cn-north-1\/cn-north-1-bundle\.pem$/);
});

describe("a web node in SQLServer mode", () => {
  const userData = webNodeUserData({
    ...boot,
    keyParameterName: "/aspnet-webfarm/prod/shop-prod/machine-key",
    keyVersion: "1",
    keyValidation: "HMACSHA256",
    healthCheckPath: "/health.aspx",
    session: sqlServerNodeSession(sqlSession),
    codeDeploy: { currentRelease: { application: "shop-prod", deploymentGroup: "shop-prod-web" } },
    lifecycleHook: "shop-prod-ready",
  });
  const script = scriptOf(userData);

  test("fits EC2's 16 KB with an application and a launch hook (the largest node there is)", () => {
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    expect(balanced(script)).toBe(true);
  });

  test("trusts RDS's CAs, reads its login, waits for the database, then writes the web.configs and schedules the cleanup", () => {
    const order = steps(script);
    const at = (s: string) => order.indexOf(s);
    for (const s of [
      "trust Amazon RDS's certificate authorities",
      "read the session store's login from Secrets Manager",
      "wait until the session database is set up",
      "schedule the expired-session cleanup",
    ])
      expect(order).toContain(s);
    expect(at("read the machine key from SSM Parameter Store")).toBeLessThan(
      at("write machineKey and sessionState to both root web.configs"),
    );
    expect(at("wait until the session database is set up")).toBeLessThan(
      at("write machineKey and sessionState to both root web.configs"),
    );
    expect(script).toContain("$SessionAttributes['sqlConnectionString'] = Get-SqlConnectionString $SessionDb");
  });

  test("waits for what its EXECUTE-only login may do, run TempGetVersion, not OBJECT_ID on a table (NULL for it)", () => {
    expect(SESSION_READY_PROBE).toBe("DECLARE @v char(10); EXEC dbo.TempGetVersion @v OUTPUT; SELECT @v");
    expect(script).toContain(`$ready = (Invoke-Sql $c '${SESSION_READY_PROBE}') -isnot [DBNull]`);
    expect(script).not.toContain("OBJECT_ID");
  });

  test("the cleanup job's script holds no password: it reads the secret each run", () => {
    expect(script).toContain("('$c = Open-Sql (Read-Secret ' + \"'\" + $SessionSecret + \"'\" + ' 60)')");
    expect(script).toContain("dbo.DeleteExpiredSessions");
    expect(script).toMatch(/-RepetitionInterval \(New-TimeSpan -Minutes 15\)/);
  });
});

describe("the session database's setup", () => {
  const userData = sessionSetupUserData({ ...boot, ...sqlSession, masterSecretArn: MASTER });
  const script = scriptOf(userData);

  test("is an EC2Launch v2 task whose PowerShell is well formed and within 16 KB", () => {
    expect(YAML.parse(userData).tasks[0].inputs[0].detach).toBe(false);
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    expect(balanced(script)).toBe(true);
  });

  test("fails loudly, naming the path, when aspnet_regsql.exe is not there, before anything else", () => {
    expect(script).toContain(
      "$RegSql = Join-Path $env:WINDIR 'Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_regsql.exe'",
    );
    expect(steps(script)[1]).toBe("check aspnet_regsql is there");
    expect(script).toContain(
      "if (-not (Test-Path -LiteralPath $RegSql -PathType Leaf)) { throw ('aspnet_regsql.exe not found at ' + $RegSql",
    );
  });

  test("RDS's CA bundle is read in memory, never from a file; self-signed roots go to Root, intermediates to CA", () => {
    const trust = script.slice(
      script.indexOf("Step 'trust Amazon RDS''s certificate authorities' {"),
      script.indexOf("Step 'read the session store''s login"),
    );
    expect(trust).toContain(
      "$bundle = [Text.Encoding]::ASCII.GetString((Invoke-WebRequest -Uri $RdsTrustBundle -UseBasicParsing).RawContentStream.ToArray())",
    );
    expect(trust).not.toMatch(/-OutFile|\$env:TEMP|Get-Content|Set-Content/);
    expect(trust).toContain(
      "X509Store($(if ($cert.Subject -eq $cert.Issuer) { 'Root' } else { 'CA' }), 'LocalMachine')",
    );
    expect(trust.match(/X509Store\(/g)).toHaveLength(1);
  });

  test("a second setup waiting for the lock gets sp_getapplock's timeout (-1), before the client's command timeout", () => {
    expect(APP_LOCK_TIMEOUT_MS).toBeLessThan(SQL_COMMAND_TIMEOUT_SECONDS * 1000);
    expect(script).toContain(`@LockOwner = N'Session', @LockTimeout = ${APP_LOCK_TIMEOUT_MS}; SELECT @r`);
    expect(script).toContain(`$k.CommandText = $Sql; $k.CommandTimeout = ${SQL_COMMAND_TIMEOUT_SECONDS}`);
    expect(script).toContain("if ($lock -lt 0) { throw ('could not take the setup lock (' + $lock + ')') }");
  });

  test("takes an exclusive application lock, installs Microsoft's schema unless its tables are there, and releases the lock", () => {
    const lock = script.indexOf("sp_getapplock @Resource = N'aspnet-webfarm-session-setup', @LockMode = N'Exclusive'");
    const create = script.indexOf("& $RegSql -ssadd -sstype p -sqlexportonly $sql");
    const release = script.indexOf("sp_releaseapplock @Resource = N'aspnet-webfarm-session-setup'");
    expect(lock).toBeGreaterThan(0);
    expect(create).toBeGreaterThan(lock);
    expect(release).toBeGreaterThan(create);
    // The tables are the script's last objects: a half-installed schema (a failed first setup) is installed again.
    expect(script).toContain(
      `if ((Invoke-Sql $c "SELECT OBJECT_ID(N'[ASPState].dbo.ASPStateTempSessions', N'U')") -is [DBNull]) {`,
    );
  });

  // The "create the session database" step's code (comments dropped), and its batch loop.
  const body = script
    .slice(
      script.indexOf("Step 'create the session database, once' {"),
      script.indexOf("Step 'check the session login"),
    )
    .replace(/^\s*#.*\n/gm, "");
  const loop = body.slice(
    body.indexOf("foreach ($batch in $batches) {"),
    body.indexOf("} else { Write-Output ('database "),
  );

  test("never sends the SQL Server Agent job's batches, on any edition: each is found once, then skipped", () => {
    // The RDS master user may not run sp_add_category (sysadmin only), and Express has no Agent.
    expect(AGENT_JOB_STATEMENTS).toEqual([
      "EXECUTE msdb.dbo.sp_delete_job @job_name = @jobname",
      "EXECUTE msdb.dbo.sp_add_category @name = N'[Uncategorized (Local)]'",
      "EXECUTE @ReturnCode = msdb.dbo.sp_add_job",
    ]);
    expect(script).toContain(
      "$AgentBatches = @('EXECUTE msdb.dbo.sp_delete_job @job_name = @jobname', 'EXECUTE msdb.dbo.sp_add_category @name = N''[Uncategorized (Local)]''', 'EXECUTE @ReturnCode = msdb.dbo.sp_add_job')",
    );
    // A changed script (a job batch missing or doubled) stops the setup before any batch is sent.
    const found = body.indexOf(
      "foreach ($s in $AgentBatches) { if (@($batches | Where-Object { $_.Contains($s) }).Count -ne 1) { throw ('not one batch with: ' + $s) } }",
    );
    expect(found).toBeGreaterThan(0);
    expect(found).toBeLessThan(body.indexOf("foreach ($batch in $batches) {"));
    // The loop's first statement skips a batch holding any of them; nothing else is ever skipped.
    const lines = loop.split("\n").map((l) => l.trim());
    expect(lines[1]).toBe(
      "if (@($AgentBatches | Where-Object { $batch.Contains($_) }).Count -gt 0) { Write-Output 'SQL Server Agent job batch: not sent'; continue }",
    );
    expect(loop.match(/\bcontinue\b/g)).toHaveLength(1);
    // No error number is tolerated anywhere, and no edition switch is left.
    expect(script).not.toMatch(/14261|14262|SqlAgent|ExpectedErrors/);
  });

  test("any error in any other batch stops the setup: nothing catches around the batches", () => {
    expect(loop).toContain("$k.CommandText = $batch; $k.CommandTimeout = 600; [void]$k.ExecuteNonQuery()");
    // The step's only try is the connection's try/finally; the step runner turns the throw into a failed boot.
    expect(body).not.toMatch(/\bcatch\b|\btrap\b|-ErrorAction|SilentlyContinue|FireInfoMessageEventOnUserErrors/);
    expect(body.match(/\btry\b/g)).toHaveLength(1);
    expect(body).toContain("} finally { $c.Dispose() }");
    expect(script).toContain("try { & $Body } catch { Fail ($Name + ': ' + $_.Exception.Message) }");
  });

  test("expired sessions: every node's cleanup task deletes them, as the session login, on every edition", () => {
    const node = scriptOf(
      webNodeUserData({
        ...boot,
        keyParameterName: "/aspnet-webfarm/prod/shop-prod/machine-key",
        keyVersion: "1",
        keyValidation: "HMACSHA256",
        healthCheckPath: "/health.aspx",
        session: sqlServerNodeSession(sqlSession),
      }),
    );
    expect(node).toContain("`$k.CommandText = 'dbo.DeleteExpiredSessions'");
    expect(node).toMatch(/-RepetitionInterval \(New-TimeSpan -Minutes 15\)/);
  });

  test("the login gets its password as a parameter (SQL Server quotes it), and rights on the session database only", () => {
    expect(script).toContain("QUOTENAME(@p, N'''')");
    expect(script).toContain("'@p' = $SessionDb.password");
    expect(script).not.toMatch(/\+ \$SessionDb\.password \+/);
    expect(script).toContain("N' FOR LOGIN ' + QUOTENAME(@l) + N'; GRANT EXECUTE TO ' + QUOTENAME(@l)");
    expect(script).not.toMatch(/sysadmin|db_owner|ALTER ANY/);
  });

  test("checks, as the session login, what the nodes will check", () => {
    expect(script).toContain(`try { if ((Invoke-Sql $c '${SESSION_READY_PROBE}') -is [DBNull])`);
    expect(script.match(/OBJECT_ID/g)).toHaveLength(1); // the master user's own check, above
  });

  test("reads RDS's master secret (the only machine allowed to) and stops itself afterwards", () => {
    expect(script).toContain(`$MasterSecret = '${MASTER}'`);
    expect(steps(script).at(-1)).toBe("stop this instance once done");
    expect(() => sessionSetupUserData({ ...boot, ...sqlSession, masterSecretArn: "arn:aws:s3:::bucket" })).toThrow(
      /masterSecretArn must be a Secrets Manager secret ARN/,
    );
  });
});
