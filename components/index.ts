// The kit's public entry point.
export { WebFarm, WEB_FARM_TYPE, defaultKeyParameterName } from "./webFarm";
export type { WebFarmArgs, AppArgs, SqlServerArgs, SecretReference, ResolvedWebFarmArgs, Problem } from "./args";
export {
  appSchema,
  argsSchema,
  sqlServerSchema,
  STATE_SERVER_ONLY,
  SESSION_STORES,
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
// The farm's own Windows image (EC2 Image Builder): nodes that serve in minutes.
export { FarmImage, farmImageArgProblems, farmImageSchema } from "./farmImage";
export type { FarmImageArgs } from "./farmImage";
// For stacks that share one network between farms (examples/two-farms).
export { FarmNetwork } from "./network";
export type { OwnNetworkArgs, FarmNetworkShape } from "./network";
