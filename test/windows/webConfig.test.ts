// The <machineKey>/<sessionState> fragment, checked by parsing it with a real XML parser.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import {
  bootScriptOf,
  farmWebConfigFragment,
  parseFarmFragment,
  PROTECTED_SECTIONS,
  PROTECTION_PROVIDER,
  releaseWebConfig,
  webConfigOverrides,
  webNodeUserData,
  WebNodeBootValues,
} from "../../components/windows";
import {
  stateServerNodeSession,
  stateSessionAttributes,
} from "../../components/sessions/stateServer/windows/stateSession";
import { sqlServerNodeSession } from "../../components/sessions/sqlServer/windows/sqlSession";

const key = { validationKey: "A1".repeat(64), decryptionKey: "B2".repeat(32), validation: "HMACSHA256" as const };
const stateServer = { stateHost: "10.0.128.10", statePort: 42424 };
const state = stateSessionAttributes(stateServer);

describe("web.config fragment", () => {
  test("is well-formed XML with one <system.web> holding machineKey and sessionState", () => {
    const xml = farmWebConfigFragment(key, state);
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
    expect(Object.keys(parsed)).toEqual(["system.web"]);
    expect(Object.keys(parsed["system.web"])).toEqual(["machineKey", "sessionState"]);
  });

  test("carries explicit keys and algorithms, never AutoGenerate or IsolateApps", () => {
    const { machineKey } = parseFarmFragment(farmWebConfigFragment(key, state));
    expect(machineKey).toEqual({
      validationKey: key.validationKey,
      decryptionKey: key.decryptionKey,
      validation: "HMACSHA256",
      decryption: "AES",
    });
    expect(JSON.stringify(machineKey)).not.toMatch(/AutoGenerate|IsolateApps|IsolateByAppId/);
  });

  test("points session state at the state server with tcpip=HOST:PORT", () => {
    const { sessionState } = parseFarmFragment(
      farmWebConfigFragment(key, stateSessionAttributes({ ...stateServer, timeoutMinutes: 30 })),
    );
    expect(sessionState).toMatchObject({
      mode: "StateServer",
      stateConnectionString: "tcpip=10.0.128.10:42424",
      cookieless: "false",
      timeout: "30",
    });
  });

  test.each([
    ["validation key too short", { ...key, validationKey: "AB".repeat(20) }, /validationKey must be 128 hex/],
    ["validation key not hex", { ...key, validationKey: "ZZ".repeat(64) }, /validationKey/],
    ["decryption key wrong length", { ...key, decryptionKey: "AB".repeat(16) }, /decryptionKey must be 64 hex/],
    ["HMACSHA512 with a 64-byte key", { ...key, validation: "HMACSHA512" as const }, /validationKey must be 256 hex/],
    ["unknown algorithm", { ...key, validation: "MD5" as never }, /validation must be one of/],
  ])("rejects a %s", (_label, badKey, message) => {
    expect(() => farmWebConfigFragment(badKey, state)).toThrow(message);
  });

  test.each([
    ["a quote in the host", { stateHost: 'evil" mode="InProc', statePort: 42424 }],
    ["a space in the host", { stateHost: "10.0.0.1 x", statePort: 42424 }],
    ["port 0", { stateHost: "10.0.0.1", statePort: 0 }],
    ["port 70000", { stateHost: "10.0.0.1", statePort: 70000 }],
  ])("rejects %s", (_label, badState) => {
    expect(() => farmWebConfigFragment(key, stateSessionAttributes(badState))).toThrow();
  });

  test("matches the reviewed snapshot", () => {
    expect(farmWebConfigFragment(key, state)).toMatchSnapshot();
  });
});

describe("a release's web.config (what the local farm's nodes run; the install hook does the same on Windows)", () => {
  const app = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <appSettings><add key="Greeting" value="old" /><add key="Keep" value="kept" /></appSettings>
  <system.web><compilation targetFramework="4.5" /></system.web>
</configuration>`;

  test("writes the release's settings over the application's own, keeps the others, and labels the release", () => {
    const xml = releaseWebConfig(app, {
      appSettings: [
        { name: "Greeting", value: 'new "quoted" & <escaped>' },
        { name: "Added", value: "1" },
      ],
      connectionStrings: [{ name: "ShopDb", value: "Server=db;Database=shop" }],
      release: "v2",
    });
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      isArray: (n) => n === "add",
    }).parse(xml).configuration;
    expect(parsed.appSettings.add).toEqual([
      { key: "Greeting", value: 'new "quoted" & <escaped>' },
      { key: "Keep", value: "kept" },
      { key: "Added", value: "1" },
      { key: "webfarm:release", value: "v2" },
    ]);
    expect(parsed.connectionStrings.add).toEqual([{ name: "ShopDb", connectionString: "Server=db;Database=shop" }]);
    expect(parsed["system.web"].compilation).toEqual({ targetFramework: "4.5" });
  });

  test("locally, the farm's machineKey and sessionState go in at application level", () => {
    const { machineKey, sessionState } = parseFarmFragment(
      releaseWebConfig(app, { farm: { key, sessionState: state }, release: "v1" }),
    );
    expect(machineKey.validationKey).toBe(key.validationKey);
    expect(sessionState.stateConnectionString).toBe("tcpip=10.0.128.10:42424");
  });

  test("refuses an application whose own web.config would override the farm's key or session store", () => {
    const inproc = '<configuration><system.web><sessionState mode="InProc" /></system.web></configuration>';
    expect(() => releaseWebConfig(inproc, { release: "v1" })).toThrow(/sets <sessionState mode="InProc">/);
    expect(
      webConfigOverrides(
        '<configuration><system.web><machineKey validationKey="AutoGenerate" /></system.web></configuration>',
      ),
    ).toEqual([expect.stringContaining("sets <machineKey>")]);
    expect(webConfigOverrides("<configuration><system.web>")).toEqual([expect.stringContaining("does not parse")]);
  });
});

describe("the root web.configs' secrets on a Windows node", () => {
  const node = (session: Pick<WebNodeBootValues, "session">) =>
    bootScriptOf(
      webNodeUserData({
        region: "eu-west-1",
        dnsSuffix: "amazonaws.com",
        cloudWatchConfigParameter: "/aspnet-webfarm/prod/shop-prod/cloudwatch-agent/web",
        keyParameterName: "/aspnet-webfarm/prod/shop-prod/machine-key",
        keyVersion: "1",
        keyValidation: "HMACSHA256",
        healthCheckPath: "/health.aspx",
        ...session,
      }),
    );

  test.each([
    ["StateServer", { session: stateServerNodeSession({ stateHost: "state.shop-prod.internal", statePort: 42424 }) }],
    [
      "SQLServer (the SQL password)",
      { session: sqlServerNodeSession({ sessionSecret: "s", trustBundleUrl: "https://t.example/b.pem" }) },
    ],
  ])(
    "%s: machineKey and sessionState are encrypted with the machine's DPAPI key in both files, then checked",
    (_mode, session) => {
      const script = node(session);
      expect(PROTECTED_SECTIONS).toEqual(["system.web/machineKey", "system.web/sessionState"]);
      expect(PROTECTION_PROVIDER).toBe("DataProtectionConfigurationProvider");
      // Inside the loop over both frameworks, right after each file is written: that framework's own tool.
      const loop = script.slice(script.indexOf("foreach ($framework in 'Framework', 'Framework64') {"));
      const saved = loop.indexOf("$doc.Save($path)");
      const encrypt = loop.indexOf(
        "& ($path -replace 'Config.web.config$', 'aspnet_regiis.exe') -pe \"system.web/$s\" -prov 'DataProtectionConfigurationProvider' | Out-Null",
      );
      const check = loop.indexOf(
        "if (([xml](Get-Content -Raw $path)).configuration.'system.web'.$s.configProtectionProvider -ne 'DataProtectionConfigurationProvider') { throw",
      );
      expect(saved).toBeGreaterThan(0);
      expect(encrypt).toBeGreaterThan(saved);
      expect(check).toBeGreaterThan(encrypt);
      expect(loop).toContain("foreach ($s in 'machineKey', 'sessionState') {");
      // Still within the framework loop: the loop closes after the check, before the next step.
      expect(loop.indexOf("\n  }\n}\n", check)).toBeLessThan(loop.indexOf("\nStep "));
    },
  );

  test("the local farm's release web.config (application level, on Mono) is untouched: plain elements", () => {
    const xml = releaseWebConfig(undefined, { farm: { key, sessionState: state }, release: "r1" });
    expect(xml).not.toContain("configProtectionProvider");
    expect(xml).toContain(`validationKey="${key.validationKey}"`);
  });
});
