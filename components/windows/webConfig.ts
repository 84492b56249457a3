// The <machineKey> + <sessionState> settings every node shares, as a web.config fragment.
// Built with a real XML library so attribute values are escaped, then parsed back as a check.
import { XMLBuilder, XMLParser, XMLValidator } from "fast-xml-parser";
import { check, wholeNumber } from "../rules";
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

export interface ApplicationOptions {
  /** Show error details to the client (local rehearsal only; never on a real farm). */
  showErrors?: boolean;
}

/**
 * A complete application web.config around the farm elements: what the local farm gives each
 * node, and a starting point for an application that keeps its settings at application level.
 */
export function applicationWebConfig(
  key: MachineKeyValues,
  state: SessionStateValues,
  options: ApplicationOptions = {},
): string {
  return buildXml({
    configuration: {
      "system.web": {
        ...systemWebFarmElements(key, state),
        compilation: { "@_targetFramework": "4.5", "@_debug": "false" },
        pages: { "@_enableViewStateMac": "true" },
        customErrors: { "@_mode": options.showErrors ? "Off" : "RemoteOnly" },
      },
    },
  });
}
