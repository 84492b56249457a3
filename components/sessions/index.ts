// The session stores built into the kit, and the choice among them. A new built-in store is a folder
// of its own exporting a SessionStoreFactory, and one entry in BUILT_IN_STORES.
import { ResolvedWebFarmArgs } from "../args/args";
import { chooseStore, SessionStoreFactory } from "./contract";
import { sqlServerStore } from "./sqlServer/store";
import { stateServerStore } from "./stateServer/store";

/** The built-in stores: each answers to its group of the arguments (exactly one is present). */
export const BUILT_IN_STORES: SessionStoreFactory[] = [stateServerStore, sqlServerStore];

/** The store the arguments chose: a registered store that answers, else the built-in one. */
export function sessionStoreFor(args: ResolvedWebFarmArgs): SessionStoreFactory {
  return chooseStore(args, BUILT_IN_STORES);
}

export { registerSessionStore, resourcesOf } from "./contract";
export type * from "./contract";
