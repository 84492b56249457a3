// The <machineKey> + <sessionState> settings every node shares, as a web.config fragment.
// Built with a real XML library so attribute values are escaped, then parsed back as a check.
import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import { check, wholeNumber } from "../args/rules";
import { RELEASE_SETTING } from "../releases/windows/hooks";
import { checkHexKey, checkValidation, DECRYPTION_KEY_BYTES, ValidationAlgorithm, validationKeyBytes } from "./values";

export interface MachineKeyValues {
  validationKey: string;
  decryptionKey: string;
  validation: ValidationAlgorithm;
}

/**
 * The <sessionState> attributes, in the order written: the session store's own generator makes them
 * (its folder's windows/), the farm's generators write them as they are.
 */
export type SessionStateAttributes = Record<string, string>;

/** The sessionState timeout attribute: minutes, ASP.NET's default 20, at most a year. */
export function sessionTimeout(timeoutMinutes = 20): string {
  return String(check(wholeNumber(1, 525600), "timeoutMinutes", timeoutMinutes));
}

/** The <machineKey> attributes, in the order ASP.NET documents them. Never AutoGenerate/IsolateApps. */
export function machineKeyAttributes(key: MachineKeyValues): Record<string, string> {
  const validation = checkValidation(key.validation);
  return {
    validationKey: checkHexKey("validationKey", key.validationKey, validationKeyBytes(validation)),
    decryptionKey: checkHexKey("decryptionKey", key.decryptionKey, DECRYPTION_KEY_BYTES),
    validation,
    decryption: "AES",
  };
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  format: true,
  indentBy: "  ",
  suppressEmptyNode: true,
  // "true" is a value here, never an HTML-style boolean attribute.
  suppressBooleanAttributes: false,
});

function withPrefix(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v]));
}

/** Builds an XML document from a plain object tree and checks that it parses. */
export function buildXml(tree: Record<string, unknown>): string {
  const xml = String(builder.build(tree)).trim() + "\n";
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) throw new Error(`generated XML does not parse: ${verdict.err.msg}`);
  return xml;
}

/** The children of <system.web> that make a farm node share keys and sessions. */
export function systemWebFarmElements(
  key: MachineKeyValues,
  sessionState: SessionStateAttributes,
): Record<string, unknown> {
  if (!sessionState.mode) throw new Error("the sessionState attributes have no mode");
  return {
    machineKey: withPrefix(machineKeyAttributes(key)),
    sessionState: withPrefix(sessionState),
  };
}

/**
 * The fragment an application team pastes into its web.config's <system.web> (or the kit applies
 * at machine level): `<system.web><machineKey …/><sessionState …/></system.web>`.
 */
export function farmWebConfigFragment(key: MachineKeyValues, sessionState: SessionStateAttributes): string {
  return buildXml({ "system.web": systemWebFarmElements(key, sessionState) });
}

/** Reads a fragment back into attribute maps (used by tests and the local farm's self-check). */
export function parseFarmFragment(xml: string): {
  machineKey: Record<string, string>;
  sessionState: Record<string, string>;
} {
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
  const systemWeb = parsed?.["system.web"] ?? parsed?.configuration?.["system.web"];
  if (!systemWeb?.machineKey || !systemWeb?.sessionState) {
    throw new Error("fragment has no <system.web> with <machineKey> and <sessionState>");
  }
  return { machineKey: systemWeb.machineKey, sessionState: systemWeb.sessionState };
}

/**
 * What an application's own web.config must not do on this farm: carry a <machineKey> or a
 * <sessionState> of its own (it overrides the farm's silently: a per-node key, or InProc sessions).
 */
export function webConfigOverrides(xml: string): string[] {
  let parsed: Record<string, any>;
  try {
    const verdict = XMLValidator.validate(xml);
    if (verdict !== true) return [`its web.config does not parse: ${verdict.err.msg} (line ${verdict.err.line})`];
    parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml);
  } catch (err) {
    return [`its web.config does not parse: ${err instanceof Error ? err.message : String(err)}`];
  }
  const systemWeb = parsed?.configuration?.["system.web"];
  const problems: string[] = [];
  if (systemWeb?.machineKey !== undefined) {
    problems.push(
      "its web.config sets <machineKey>, which would override the farm's shared key: remove it (the farm sets it at machine level)",
    );
  }
  if (systemWeb?.sessionState !== undefined) {
    const mode = systemWeb.sessionState?.mode ?? "InProc";
    problems.push(
      `its web.config sets <sessionState mode="${mode}">, which would override the farm's session store: remove it (the farm sets it at machine level)`,
    );
  }
  return problems;
}

/**
 * What the application's own web.config may hold that would keep the health page from answering
 * the load balancer and the release's checks: IIS URL Authorization rules and URL Rewrite rules
 * (a login redirect, an HTTPS redirect). The kit's exemption names a section only when the
 * application uses it: a <rewrite> section on a server without the URL Rewrite module is a
 * configuration error (HTTP 500.19) for the whole site.
 */
export interface HealthExemptionFeatures {
  iisAuthorization: boolean;
  rewrite: boolean;
}

/**
 * The sections of a <location path="<health page>"> that exempt the page from the application's
 * rules. ASP.NET authorization takes the first matching rule from the most local configuration
 * (Microsoft Learn, "authorization Element (ASP.NET Settings Schema)"; KB 316871 "Control
 * authorization permissions in an ASP.NET application": <location> per file), so one allow of every
 * user wins. IIS URL Authorization evaluates parent rules and deny rules first, so its inherited
 * rules are cleared before the allow. URL Rewrite's distributed rules are a configuration collection
 * evaluated parent to child ("URL Rewrite Module Configuration Reference", Rules Inheritance):
 * <clear/> removes the inherited ones for the page. Global rules (applicationHost.config) remain.
 */
export function healthPageExemption(features: HealthExemptionFeatures): Record<string, unknown> {
  const webServer = {
    ...(features.iisAuthorization
      ? { security: { authorization: { clear: "", add: { "@_accessType": "Allow", "@_users": "*" } } } }
      : {}),
    ...(features.rewrite ? { rewrite: { rules: { clear: "" } } } : {}),
  };
  return {
    "system.web": { authorization: { allow: { "@_users": "*" } } },
    ...(Object.keys(webServer).length > 0 ? { "system.webServer": webServer } : {}),
  };
}

/** The same sections as one line of XML: what a node's install hook puts inside the <location>. */
export function healthPageExemptionXml(features: HealthExemptionFeatures): string {
  return Object.entries(healthPageExemption(features))
    .map(([name, tree]) => buildXml({ [name]: tree }).replace(/\n\s*/g, ""))
    .join("");
}

/** Whether a parsed <configuration> (or any <location> in it) holds system.webServer/<path>. */
function usesSection(configuration: Record<string, any>, path: string[]): boolean {
  const locations = [configuration.location ?? []].flat();
  return [configuration, ...locations].some(
    (scope) => path.reduce<any>((node, name) => node?.[name], scope?.["system.webServer"]) !== undefined,
  );
}

export interface ReleaseConfigOptions {
  /**
   * The farm's elements, put at application level. On AWS they are at machine level; the local farm
   * puts them here because Mono's machine-level web.config is one file for every node.
   */
  farm?: { key: MachineKeyValues; sessionState: SessionStateAttributes };
  appSettings?: { name: string; value: string }[];
  connectionStrings?: { name: string; value: string }[];
  /** The release's label, as the appSettings key webfarm:release. */
  release: string;
  /** Show error details to the client (local rehearsal only; never on a real farm). */
  showErrors?: boolean;
  /** The kit's health page (e.g. "/health.aspx"): exempt from the application's access and rewrite rules. */
  healthPath?: string;
}

type Entries = Record<string, string>[];

/** The exemption's rule lists replace the application's own in the page's location; sections merge (as install.ps1 does). */
export const EXEMPTION_REPLACED: readonly string[] = ["authorization", "rules"];

function mergeExemption(target: Record<string, any>, source: Record<string, unknown>): void {
  for (const [name, part] of Object.entries(source)) {
    const same = target[name];
    if (EXEMPTION_REPLACED.includes(name) || typeof same !== "object" || same === null || Array.isArray(same))
      target[name] = part;
    else mergeExemption(same, part as Record<string, unknown>);
  }
}

function upsert(entries: Entries, keyAttribute: string, key: string, valueAttribute: string, value: string): void {
  const found = entries.find((e) => e[`@_${keyAttribute}`] === key);
  if (found) found[`@_${valueAttribute}`] = value;
  else entries.push({ [`@_${keyAttribute}`]: key, [`@_${valueAttribute}`]: value });
}

/**
 * A release's web.config: the application's own, with the release's settings (and, locally, the
 * farm's elements) written in, as the install hook does on each Windows node.
 */
export function releaseWebConfig(appXml: string | undefined, o: ReleaseConfigOptions): string {
  const source = appXml ?? "<configuration/>";
  const problems = webConfigOverrides(source);
  if (problems.length > 0) throw new Error(`the application's web.config cannot be used: ${problems.join("; ")}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    isArray: (name) => name === "add",
    parseAttributeValue: false,
  });
  const doc = parser.parse(source);
  delete doc["?xml"];
  const configuration = (doc.configuration ||= {});
  const systemWeb = (configuration["system.web"] ||= {});
  if (o.farm) Object.assign(systemWeb, systemWebFarmElements(o.farm.key, o.farm.sessionState));
  if (o.showErrors) systemWeb.customErrors = { ...(systemWeb.customErrors ?? {}), "@_mode": "Off" };
  const appSettings = (configuration.appSettings ||= {});
  const settings: Entries = (appSettings.add ||= []);
  for (const s of o.appSettings ?? []) upsert(settings, "key", s.name, "value", s.value);
  upsert(settings, "key", RELEASE_SETTING, "value", o.release);
  if ((o.connectionStrings ?? []).length > 0) {
    const strings: Entries = ((configuration.connectionStrings ||= {}).add ||= []);
    for (const c of o.connectionStrings ?? []) upsert(strings, "name", c.name, "connectionString", c.value);
  }
  if (o.healthPath) {
    const exemption = healthPageExemption({
      iisAuthorization: usesSection(configuration, ["security", "authorization"]),
      rewrite: usesSection(configuration, ["rewrite"]),
    });
    const path = o.healthPath.replace(/^\//, "");
    const locations: Record<string, any>[] = [configuration.location ?? []].flat();
    // The application's own <location> for the page takes the exemption: two with the same path
    // and sections may be refused as a duplicate. IIS compares paths case-insensitively.
    const own = locations.find(
      (l) =>
        String(l?.["@_path"] ?? "")
          .replace(/^\//, "")
          .toLowerCase() === path.toLowerCase(),
    );
    if (own) mergeExemption(own, exemption);
    else configuration.location = [...locations, { "@_path": path, ...exemption }];
  }
  return buildXml(doc);
}

/**
 * The root web.config sections that hold secrets: the machine key and, in SQLServer mode, the
 * session login's password (sqlConnectionString). A node encrypts them in its own files.
 */
export const PROTECTED_SECTIONS = ["system.web/machineKey", "system.web/sessionState"] as const;
/**
 * DPAPI with the machine's store: machine.config registers DataProtectionConfigurationProvider with
 * useMachineProtection="true" (Microsoft Learn, ProtectedConfigurationSection), so only this machine
 * can decrypt, and every process on it can: the application pools need no key ACL, unlike the RSA
 * provider's key container (aspnet_regiis -pa). What it protects against: a copy of the file
 * (backups, snapshots, support bundles) read anywhere else.
 */
export const PROTECTION_PROVIDER = "DataProtectionConfigurationProvider";

/**
 * PowerShell, for the loop that writes each root web.config ($path): encrypts PROTECTED_SECTIONS in
 * it with its own framework's aspnet_regiis (the 32-bit tool's runtime is Framework's, the 64-bit
 * one's Framework64's): "-pe section … If -app is not specified, the root web.config will be
 * encrypted" (aspnet_regiis -?); it opens it with WebConfigurationManager.OpenWebConfiguration(null)
 * ("If null, the root Web.config file is opened", Microsoft Learn) and calls
 * SectionInformation.ProtectSection (Microsoft reference source, System.Web/Management/regiisutil.cs). ASP.NET decrypts them when it reads the file (Microsoft Learn, "Encrypting and
 * Decrypting Configuration Sections"). Then checks the file itself, whatever the tool's exit code.
 */
export function protectRootWebConfig(): string[] {
  const names = PROTECTED_SECTIONS.map((s) => `'${s.split("/")[1]}'`).join(", ");
  return [
    `foreach ($s in ${names}) {`,
    `  & ($path -replace 'Config.web.config$', 'aspnet_regiis.exe') -pe "system.web/$s" -prov '${PROTECTION_PROVIDER}' | Out-Null`,
    `  if (([xml](Get-Content -Raw $path)).configuration.'system.web'.$s.configProtectionProvider -ne '${PROTECTION_PROVIDER}') { throw "$s in clear: $path" }`,
    "}",
  ];
}
