// The session stores built into the kit: importing a store's module registers it (contract.ts).
// A new built-in store is a folder of its own and one line here.
import "./stateServer/store";
import "./sqlServer/store";

export { registerSessionStore, resourcesOf, sessionStoreFor } from "./contract";
export type { NodeSessionBoot, SessionStore, SessionStoreFactory, SessionStoreOutputs } from "./contract";
