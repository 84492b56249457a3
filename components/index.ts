// The kit's public entry point.
export { WebFarm, WEB_FARM_TYPE, defaultKeyParameterName } from "./farm/webFarm";
export type { WebFarmArgs, ResolvedWebFarmArgs, Problem } from "./args/args";
// Every argument group's interface (NodesArgs, NetworkArgs, ..., AppArgs, SecretReference), as generated.
export type * from "./args/groupTypes";
export {
  appSchema,
  argsSchema,
  sqlServerSchema,
  ownNetworkSchema,
  defaultsOf,
  FLAT_ARGUMENTS,
  TYPE_NAMES,
  warnOnce,
  SESSION_STORES,
  LITERAL_OF,
  validateWebFarmArgs,
  webFarmArgProblems,
  farmConfigError,
  MAX_NODES,
  MAX_FARM_NAME_LENGTH,
  DEFAULT_STATE_PORT,
} from "./args/args";
export { FARM_TAG, ROLE_TAG } from "./aws/tags";
// What `farm.webNodes.instances` and `farm.stateServer.instance` hold (registered lean: aws/lean.ts).
export type { FarmInstance } from "./aws/instance";
export * as windows from "./windows";
// The farm's own Windows image (EC2 Image Builder): nodes that serve in minutes.
export { FarmImage, farmImageArgProblems, farmImageSchema } from "./image/farmImage";
export type { FarmImageArgs } from "./image/farmImage";
// For stacks that share one network between farms (examples/two-farms).
export { FarmNetwork } from "./network/network";
export type { OwnNetworkArgs, FarmNetworkShape } from "./network/network";
// A session store from outside the kit: a folder of its own that registers its factory (sessions/contract.ts).
export { registerSessionStore } from "./sessions/contract";
export type * from "./sessions/contract";
export type {
  NodeSessionBoot,
  SessionBoot,
  SessionStateAttributes,
  SessionStore,
  SessionStoreFactory,
  SessionStoreOutputs,
} from "./sessions/contract";
