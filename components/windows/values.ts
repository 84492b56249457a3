// Checks for every value that is embedded in generated PowerShell or XML. Each returns the value
// unchanged or throws, so a configured value can never break out of the string it lands in.
import { parseIpv4Cidr } from "../cidr";

export const VALIDATION_ALGORITHMS = ["HMACSHA256", "HMACSHA384", "HMACSHA512", "SHA1"] as const;
export type ValidationAlgorithm = (typeof VALIDATION_ALGORITHMS)[number];

/** Key sizes in bytes, per the fact sheet (RS MachineKeySection / key-size constants). */
export function validationKeyBytes(algorithm: ValidationAlgorithm): number {
  return algorithm === "HMACSHA384" || algorithm === "HMACSHA512" ? 128 : 64;
}
/** AES-256: the only decryption key the kit generates. */
export const DECRYPTION_KEY_BYTES = 32;

export function checkHexKey(field: string, value: string, bytes: number): string {
  if (!/^[0-9A-Fa-f]+$/.test(value) || value.length !== bytes * 2) {
    throw new Error(`${field} must be ${bytes * 2} hex characters (${bytes} bytes)`);
  }
  return value;
}

export function checkValidation(value: string): ValidationAlgorithm {
  if (!(VALIDATION_ALGORITHMS as readonly string[]).includes(value)) {
    throw new Error(`validation must be one of ${VALIDATION_ALGORITHMS.join(", ")}; got "${value}"`);
  }
  return value as ValidationAlgorithm;
}

/** A DNS name or dotted IPv4 address: letters, digits, dots and hyphens only. */
export function checkHost(field: string, value: string): string {
  const label = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
  if (value.length > 253 || !new RegExp(`^${label}(\\.${label})*$`).test(value)) {
    throw new Error(`${field} must be a host name or IPv4 address; got "${value}"`);
  }
  return value;
}

export function checkPort(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${field} must be an integer port 1-65535; got ${value}`);
  }
  return value;
}

export function checkCidr(field: string, value: string): string {
  if (!parseIpv4Cidr(value)) throw new Error(`${field} must be an IPv4 CIDR; got "${value}"`);
  return value;
}

/** SSM parameter names: letters, digits and . - _ / (AWS's own alphabet for them). */
export function checkParameterName(field: string, value: string): string {
  if (!/^\/?[A-Za-z0-9_.\-/]{1,1011}$/.test(value)) {
    throw new Error(`${field} must be an SSM parameter name (letters, digits, . - _ /); got "${value}"`);
  }
  return value;
}

/** A simple token: what a key version, region or tag-like label may be. */
export function checkToken(field: string, value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value)) {
    throw new Error(`${field} must be 1-64 letters, digits, '.', '_' or '-'; got "${value}"`);
  }
  return value;
}

/** An absolute URL path made of safe characters, e.g. "/health.aspx". */
export function checkUrlPath(field: string, value: string): string {
  if (!/^\/[A-Za-z0-9._\-/]{0,1023}$/.test(value)) {
    throw new Error(`${field} must be an absolute path of letters, digits, . - _ /; got "${value}"`);
  }
  return value;
}

/** A PowerShell single-quoted literal. Callers validate first; doubling quotes is the backstop. */
export function psLiteral(value: string | number): string {
  return `'${String(value).replace(/'/g, "''")}'`;
}
