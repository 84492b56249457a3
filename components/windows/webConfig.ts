// The <machineKey> + <sessionState> settings every node shares, as a web.config fragment.
// Built with a real XML library so attribute values are escaped, then parsed back as a check.
import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import { check, wholeNumber } from "../rules";
import { RELEASE_SETTING } from "./release";
import {
  checkHexKey,
  checkHost,
  checkPort,
  checkValidation,
  DECRYPTION_KEY_BYTES,
  ValidationAlgorithm,
  validationKeyBytes,
} from "./values";

export interface MachineKeyValues {
  validationKey: string;
  decryptionKey: string;
  validation: ValidationAlgorithm;
}

export interface SessionStateValues {
  stateHost: string;
  statePort: number;
  /** Session timeout in minutes (ASP.NET's default is 20). */
  timeoutMinutes?: number;
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

/** The <sessionState> attributes. `tcpip=` is case-sensitive and takes '=', not ':'. */
export function sessionStateAttributes(state: SessionStateValues): Record<string, string> {
  const timeout = check(wholeNumber(1, 525600), "timeoutMinutes", state.timeoutMinutes ?? 20);
  return {
    mode: "StateServer",
    stateConnectionString: `tcpip=${checkHost("stateHost", state.stateHost)}:${checkPort("statePort", state.statePort)}`,
    stateNetworkTimeout: "10",
    cookieless: "false",
    timeout: String(timeout),
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
export function systemWebFarmElements(key: MachineKeyValues, state: SessionStateValues): Record<string, unknown> {
  return {
    machineKey: withPrefix(machineKeyAttributes(key)),
    sessionState: withPrefix(sessionStateAttributes(state)),
  };
}

/**
 * The fragment an application team pastes into its web.config's <system.web> (or the kit applies
 * at machine level): `<system.web><machineKey …/><sessionState …/></system.web>`.
 */
export function farmWebConfigFragment(key: MachineKeyValues, state: SessionStateValues): string {
  return buildXml({ "system.web": systemWebFarmElements(key, state) });
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

export interface ReleaseConfigOptions {
  /**
   * The farm's elements, put at application level. On AWS they are at machine level; the local farm
   * puts them here because Mono's machine-level web.config is one file for every node.
   */
  farm?: { key: MachineKeyValues; state: SessionStateValues };
  appSettings?: { name: string; value: string }[];
  connectionStrings?: { name: string; value: string }[];
  /** The release's label, as the appSettings key webfarm:release. */
  release: string;
  /** Show error details to the client (local rehearsal only; never on a real farm). */
  showErrors?: boolean;
}

type Entries = Record<string, string>[];

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
  if (o.farm) Object.assign(systemWeb, systemWebFarmElements(o.farm.key, o.farm.state));
  if (o.showErrors) systemWeb.customErrors = { ...(systemWeb.customErrors ?? {}), "@_mode": "Off" };
  const appSettings = (configuration.appSettings ||= {});
  const settings: Entries = (appSettings.add ||= []);
  for (const s of o.appSettings ?? []) upsert(settings, "key", s.name, "value", s.value);
  upsert(settings, "key", RELEASE_SETTING, "value", o.release);
  if ((o.connectionStrings ?? []).length > 0) {
    const strings: Entries = ((configuration.connectionStrings ||= {}).add ||= []);
    for (const c of o.connectionStrings ?? []) upsert(strings, "name", c.name, "connectionString", c.value);
  }
  return buildXml(doc);
}
