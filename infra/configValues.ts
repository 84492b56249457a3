// Raw stack config values (strings, as Pulumi hands them over) read as the types their keys declare.
import { Problem } from "../components";
import type { ConfigShape } from "./config";

/** Optional keys default to "", 0 or []: each means "not set". */
export function isEmpty(value: unknown): boolean {
  return value === undefined || value === "" || value === 0 || (Array.isArray(value) && value.length === 0);
}

export function parseValue(key: string, decl: ConfigShape, raw: string, problems: Problem[]): unknown {
  const bad = (reason: string) => {
    problems.push({ propertyPath: key, reason: `${reason}; got ${JSON.stringify(raw)}` });
    return undefined;
  };
  switch (decl.type) {
    case "string":
      return raw;
    case "integer":
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : bad("must be a number");
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : bad("must be true or false");
    case "array": {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return bad("must be a YAML list");
      }
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? value
        : bad("must be a list of strings");
    }
  }
}

/** A list of Key=Value items (tags, settings) as a map. */
export function parsePairs(key: string, list: string[], problems: Problem[]): Record<string, string> {
  const map: Record<string, string> = {};
  list.forEach((entry, i) => {
    const at = entry.indexOf("=");
    if (at <= 0)
      problems.push({ propertyPath: `${key}[${i}]`, reason: `must be Key=Value; got ${JSON.stringify(entry)}` });
    else map[entry.slice(0, at)] = entry.slice(at + 1);
  });
  return map;
}

/** Name=ssm:<parameter> / Name=secretsmanager:<secret> items as secret references. */
export function parseSecretReferences(key: string, list: string[], problems: Problem[]) {
  const refs: Record<string, { ssmParameter?: string; secretsManagerSecret?: string }> = {};
  for (const [name, source] of Object.entries(parsePairs(key, list, problems))) {
    const m = /^(ssm|secretsmanager):(.+)$/.exec(source);
    if (!m)
      problems.push({
        propertyPath: `${key}.${name}`,
        reason: `must be ssm:<parameter> or secretsmanager:<secret>; got ${JSON.stringify(source)}`,
      });
    else refs[name] = m[1] === "ssm" ? { ssmParameter: m[2] } : { secretsManagerSecret: m[2] };
  }
  return refs;
}
