// SQL Server session state's generated parts: the <sessionState> attributes and connection string,
// the web node's SQL steps, and the setup instance's script (structure, quoting, the lock).
import YAML from "yaml";
import {
  AGENT_JOB_STATEMENT,
  bootScriptOf,
  EXPECTED_BATCH_ERRORS,
  farmWebConfigFragment,
  parseFarmFragment,
  rdsTrustBundleUrl,
  sessionSetupUserData,
  SESSION_READY_PROBE,
  sqlServerConnectionString,
  USER_DATA_LIMIT_BYTES,
  webNodeUserData,
} from "../../components/windows";
import { balanced } from "../support/powershell";

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
  const { sessionState } = parseFarmFragment(farmWebConfigFragment(key, { sqlConnectionString, timeoutMinutes: 30 }));
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
    sqlSession,
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
  const setup = (sqlAgent: boolean) =>
    sessionSetupUserData({ ...boot, ...sqlSession, masterSecretArn: MASTER, sqlAgent });
  const userData = setup(true);
  const script = scriptOf(userData);

  test("is an EC2Launch v2 task whose PowerShell is well formed and within 16 KB", () => {
    for (const u of [userData, setup(false)]) {
      expect(YAML.parse(u).tasks[0].inputs[0].detach).toBe(false);
      expect(Buffer.byteLength(u)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
      expect(balanced(scriptOf(u))).toBe(true);
    }
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

  test("tolerates 14262 on the sp_delete_job batch and 14261 on the sp_add_category batch only, as the script's comments expect", () => {
    expect(EXPECTED_BATCH_ERRORS).toEqual([
      { statement: "EXECUTE msdb.dbo.sp_delete_job @job_name = @jobname", error: 14262 },
      { statement: "EXECUTE msdb.dbo.sp_add_category @name = N'[Uncategorized (Local)]'", error: 14261 },
    ]);
    expect(script).toContain(
      "$ExpectedErrors = @{ 'EXECUTE msdb.dbo.sp_delete_job @job_name = @jobname' = 14262; 'EXECUTE msdb.dbo.sp_add_category @name = N''[Uncategorized (Local)]''' = 14261 }",
    );
    // Each such batch must be found once, or the setup stops (a changed script is never guessed at).
    expect(script).toContain(
      "foreach ($s in @($ExpectedErrors.Keys) + $AgentJob) { if (@($batches | Where-Object { $_.Contains($s) }).Count -ne 1) { throw",
    );
    // Per batch: nothing is allowed unless the batch holds a listed statement, then only its number.
    const loop = script.slice(script.indexOf("foreach ($batch in $batches) {"));
    const reset = loop.indexOf("$allowed = 0");
    const grant = loop.indexOf(
      "foreach ($s in $ExpectedErrors.Keys) { if ($batch.Contains($s)) { $agent = $true; $allowed = $ExpectedErrors[$s] } }",
    );
    const run = loop.indexOf("$k.CommandText = $batch; $k.CommandTimeout = 600; [void]$k.ExecuteNonQuery() }");
    const rethrow = loop.indexOf(
      "if (-not $allowed -or $errors.Count -eq 0 -or @($errors | Where-Object { $_.Number -ne $allowed }).Count -gt 0) { throw }",
    );
    expect([reset, grant, run, rethrow].every((i, n, all) => i > 0 && (n === 0 || i > all[n - 1]))).toBe(true);
    expect(script.match(/\$allowed = /g)).toHaveLength(2);
    // Errors (class > 10) only: SqlClient adds the batch's PRINT messages to the same exception.
    expect(loop).toContain("Where-Object { $_.Class -gt 10 }");
  });

  test("with SQL Server Agent it creates Microsoft's job; without (Express) it skips the job batches", () => {
    expect(AGENT_JOB_STATEMENT).toBe("EXECUTE @ReturnCode = msdb.dbo.sp_add_job");
    expect(script).toContain("$SqlAgent = $true");
    expect(scriptOf(setup(false))).toContain("$SqlAgent = $false");
    expect(script).toContain(
      "if ($agent -and -not $SqlAgent) { Write-Output 'no SQL Server Agent: job batch skipped'; continue }",
    );
    // What deletes expired sessions there: every node's cleanup task, on every edition.
    const node = scriptOf(
      webNodeUserData({
        ...boot,
        keyParameterName: "/aspnet-webfarm/prod/shop-prod/machine-key",
        keyVersion: "1",
        keyValidation: "HMACSHA256",
        healthCheckPath: "/health.aspx",
        sqlSession,
      }),
    );
    expect(node).toContain("dbo.DeleteExpiredSessions");
    expect(node).not.toContain("SqlAgent");
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
    expect(() =>
      sessionSetupUserData({ ...boot, ...sqlSession, masterSecretArn: "arn:aws:s3:::bucket", sqlAgent: true }),
    ).toThrow(/masterSecretArn must be a Secrets Manager secret ARN/);
  });
});
