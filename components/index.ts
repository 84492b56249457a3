// The kit's public entry point.
export { WebFarm, WEB_FARM_TYPE, defaultKeyParameterName } from "./webFarm";
export type { WebFarmArgs, AppArgs, SecretReference, ResolvedWebFarmArgs, Problem } from "./args";
export {
  appSchema,
  argsSchema,
  LITERAL_OF,
  validateWebFarmArgs,
  webFarmArgProblems,
  farmConfigError,
  MAX_NODES,
  MAX_FARM_NAME_LENGTH,
  DEFAULT_STATE_PORT,
} from "./args";
export { FARM_TAG, ROLE_TAG } from "./tags";
export * as windows from "./windows";
// For stacks that share one network between farms (examples/two-farms).
export { FarmNetwork } from "./network";
export type { OwnNetworkArgs, FarmNetworkShape } from "./network";
