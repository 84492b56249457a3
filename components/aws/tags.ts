// Tags every taggable child carries: the caller's tags, then Name (and a role where it applies).
import * as pulumi from "@pulumi/pulumi";
import { FARM_TAG, ROLE_TAG } from "../args/rules";

export { FARM_TAG, ROLE_TAG };
/** The caller's tags: a map, or the Output of one (checked by WebFarm once known). */
export type Tags = pulumi.Input<Record<string, pulumi.Input<string>>>;
export type FarmRole = "web-node" | "state-server" | "session-setup";

const isLater = (v: unknown) => pulumi.Output.isInstance(v) || v instanceof Promise;

/** The caller's tags plus Name and role; plain when the caller's are plain, so plans stay readable. */
export function nameTags(
  callerTags: Tags,
  name: string,
  role?: FarmRole,
): pulumi.Input<Record<string, pulumi.Input<string>>> {
  const own = { Name: name, ...(role ? { [ROLE_TAG]: role } : {}) };
  if (!isLater(callerTags)) return { ...(callerTags as Record<string, pulumi.Input<string>>), ...own };
  return pulumi.output(callerTags).apply((t) => ({ ...t, ...own }));
}

/** The caller's tags plus one more (plain when they are plain). */
export function withTag(callerTags: Tags, key: string, value: string): Tags {
  if (!isLater(callerTags)) return { ...(callerTags as Record<string, pulumi.Input<string>>), [key]: value };
  return pulumi.output(callerTags).apply((t) => ({ ...t, [key]: value }));
}
