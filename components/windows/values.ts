// Checks for every value that is embedded in generated PowerShell or XML. Each returns the value
// unchanged or throws, so a configured value can never break out of the string it lands in. The
// rules themselves are the ones the arguments are validated with (../rules.ts).
import { z } from "zod";
import * as rules from "../args/rules";

export const VALIDATION_ALGORITHMS = ["HMACSHA256", "HMACSHA384", "HMACSHA512", "SHA1"] as const;
export type ValidationAlgorithm = (typeof VALIDATION_ALGORITHMS)[number];
export const validationAlgorithm = z.enum(VALIDATION_ALGORITHMS, {
  error: `must be one of ${VALIDATION_ALGORITHMS.join(", ")}`,
});

/** Key sizes in bytes, per the fact sheet (RS MachineKeySection / key-size constants). */
export function validationKeyBytes(algorithm: ValidationAlgorithm): number {
  return algorithm === "HMACSHA384" || algorithm === "HMACSHA512" ? 128 : 64;
}
/** AES-256: the only decryption key the kit generates. */
export const DECRYPTION_KEY_BYTES = 32;

export const checkHexKey = (field: string, value: string, bytes: number): string =>
  rules.check(rules.hexKey(bytes), field, value);
export const checkValidation = (value: string): ValidationAlgorithm =>
  rules.check(validationAlgorithm, "validation", value);
export const checkHost = (field: string, value: string): string => rules.check(rules.host, field, value);
export const checkPort = (field: string, value: number): number => rules.check(rules.port, field, value);
export const checkCidr = (field: string, value: string): string => rules.check(rules.cidr, field, value);
export const checkParameterName = (field: string, value: string): string =>
  rules.check(rules.ssmParameterName, field, value);
export const checkToken = (field: string, value: string): string => rules.check(rules.token, field, value);
export const checkRegion = (field: string, value: string): string => rules.check(rules.region, field, value);
export const checkUrlPath = (field: string, value: string): string => rules.check(rules.urlPath, field, value);

/** A PowerShell single-quoted literal. Callers validate first; doubling quotes is the backstop. */
export function psLiteral(value: string | number): string {
  return `'${String(value).replace(/'/g, "''")}'`;
}
