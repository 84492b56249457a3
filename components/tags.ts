// Tags every taggable child carries: the caller's tags, then Name (and a role where it applies).
export type Tags = Record<string, string>;

export const ROLE_TAG = "webfarm:role";
export type FarmRole = "web-node" | "state-server";

export function nameTags(callerTags: Tags, name: string, role?: FarmRole): Tags {
  return { ...callerTags, Name: name, ...(role ? { [ROLE_TAG]: role } : {}) };
}
