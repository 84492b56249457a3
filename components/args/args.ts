// WebFarm's arguments: one place to import them from. The source of truth is the zod schema
// (schema.ts, app.ts): each argument's rule, default and documentation; the public interfaces
// (types.ts) are generated from it, and so are the stack config and its documentation.
export * from "./constants";
export * from "./problems";
export { appSchema } from "./app";
export {
  argsSchema,
  defaultsOf,
  existingNetworkSchema,
  imageSchema,
  loadBalancerSchema,
  machineKeySchema,
  nodesSchema,
  observabilitySchema,
  ownNetworkSchema,
  sqlServerSchema,
  stateServerSchema,
} from "./schema";
export { FLAT_ARGUMENTS, regroupFlatArguments, newPlaceOf, warnOnce } from "./flat";
export type { FlatArgument } from "./flat";
export * from "./resolve";
export * from "./knownValues";
export type * from "./types";
export type * from "./groupTypes";
