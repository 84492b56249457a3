// SQL Server session state's generated parts: the <sessionState> attributes and connection string,
// the web node's SQL steps, and the setup instance's script (structure, quoting, the lock).
import YAML from "yaml";
import {
  bootScriptOf,
  farmWebConfigFragment,
  parseFarmFragment,
  rdsTrustBundleUrl,
  sessionSetupUserData,
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

  test("takes an exclusive application lock, creates Microsoft's schema only when the database is missing, and releases the lock", () => {
    const lock = script.indexOf("sp_getapplock @Resource = N'aspnet-webfarm-session-setup', @LockMode = N'Exclusive'");
    const create = script.indexOf("& $RegSql -ssadd -sstype p -sqlexportonly $sql");
    const release = script.indexOf("sp_releaseapplock @Resource = N'aspnet-webfarm-session-setup'");
    expect(lock).toBeGreaterThan(0);
    expect(create).toBeGreaterThan(lock);
    expect(release).toBeGreaterThan(create);
    expect(script).toContain("if ((Invoke-Sql $c 'SELECT DB_ID(@d)' @{ '@d' = $Database }) -is [DBNull])");
  });

  test("the login gets its password as a parameter (SQL Server quotes it), and rights on the session database only", () => {
    expect(script).toContain("QUOTENAME(@p, N'''')");
    expect(script).toContain("'@p' = $SessionDb.password");
    expect(script).not.toMatch(/\+ \$SessionDb\.password \+/);
    expect(script).toContain("N' FOR LOGIN ' + QUOTENAME(@l) + N'; GRANT EXECUTE TO ' + QUOTENAME(@l)");
    expect(script).not.toMatch(/sysadmin|db_owner|ALTER ANY/);
  });

  test("reads RDS's master secret (the only machine allowed to) and stops itself afterwards", () => {
    expect(script).toContain(`$MasterSecret = '${MASTER}'`);
    expect(steps(script).at(-1)).toBe("stop this instance once done");
    expect(() => sessionSetupUserData({ ...boot, ...sqlSession, masterSecretArn: "arn:aws:s3:::bucket" })).toThrow(
      /masterSecretArn must be a Secrets Manager secret ARN/,
    );
  });
});
