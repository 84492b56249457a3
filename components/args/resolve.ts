// From what a program gives to what the parts read: every problem at once (in the spelling the
// user wrote), then the arguments grouped by part with every default filled in and each choice made.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { NodeMode } from "./constants";
import { azListProblems, crossFieldProblems } from "./crossField";
import { inUsersSpelling, regroupFlatArguments } from "./flat";
import { farmConfigError, Problem, projectAndStackProblems, schemaProblems } from "./problems";
import { argsSchema, defaultsOf, imageSchema, ownNetworkSchema, stateServerSchema, tags } from "./schema";
import { input } from "./problems";
import type { WebFarmArgs } from "./types";

type Parsed = z.output<typeof argsSchema>;
type Group<K extends keyof Parsed> = NonNullable<Parsed[K]>;

export interface OwnNetwork {
  kind: "own";
  vpcCidr: string;
  azCount: number;
  natPerAz: boolean;
  availabilityZones?: string[];
}
export interface ExistingNetwork {
  kind: "existing";
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  privateSubnetIds: pulumi.Input<string>[];
}

/**
 * WebFarmArgs after validation, grouped by part, every default filled in and each choice made
 * (own or existing network; the state server or SQL Server). The parts read only this.
 */
export interface ResolvedWebFarmArgs {
  network: OwnNetwork | ExistingNetwork;
  /** The nodes' arguments with maxCount filled in (the scaling and Spot options as parsed). */
  nodes: Omit<NonNullable<Parsed["nodes"]>, "maxCount"> & { mode: NodeMode; maxCount: number };
  loadBalancer: Group<"loadBalancer">;
  /** The web nodes' image and the state server's (also the SQL Server setup instance's). */
  image: Group<"image">;
  /** Exactly one of stateServer and sqlServer: the session store. */
  stateServer?: Group<"stateServer">;
  sqlServer?: Group<"sqlServer">;
  sessionTimeoutMinutes: number;
  machineKey: Group<"machineKey">;
  observability: Group<"observability">;
  app?: Group<"app">;
  deletionProtection: boolean;
  waitForDeployments: boolean;
  tags: Parsed["tags"];
}

/** Every problem with a farm's name and args (empty when they are fine), in the spelling given. */
export function webFarmArgProblems(name: string, args: unknown): Problem[] {
  if (args === null || typeof args !== "object")
    return [{ propertyPath: "args", reason: "must be an object with at least nodes.count" }];
  const { args: grouped, problems, ...spelling } = regroupFlatArguments(args as Record<string, unknown>);
  return [
    ...problems,
    ...[...schemaProblems(argsSchema, grouped, "WebFarm"), ...crossFieldProblems(name, grouped)].map((p) =>
      inUsersSpelling(p, spelling),
    ),
  ];
}

/** Validates and fills in defaults; throws one InputPropertiesError naming every problem. */
export function validateWebFarmArgs(name: string, args: WebFarmArgs): ResolvedWebFarmArgs {
  const problems = [
    ...webFarmArgProblems(name, args),
    ...projectAndStackProblems(pulumi.getProject(), pulumi.getStack()),
  ];
  if (problems.length > 0) throw farmConfigError(`WebFarm "${name}"`, problems);
  return resolve(argsSchema.parse(regroupFlatArguments(args as unknown as Record<string, unknown>).args));
}

function resolve(p: Parsed): ResolvedWebFarmArgs {
  const nodes = p.nodes!;
  const existing = p.existingNetwork;
  return {
    network: existing
      ? { kind: "existing", ...existing }
      : { kind: "own", ...(p.network ?? defaultsOf(ownNetworkSchema)) },
    nodes: { ...nodes, maxCount: nodes.maxCount ?? nodes.count },
    loadBalancer: p.loadBalancer ?? defaultsOf(argsSchema.shape.loadBalancer.unwrap()),
    image: p.image ?? defaultsOf(imageSchema),
    // With SQL Server sessions, the store's settings with their defaults, and no state server.
    ...(p.sqlServer ? { sqlServer: p.sqlServer } : { stateServer: p.stateServer ?? defaultsOf(stateServerSchema) }),
    sessionTimeoutMinutes: p.sessionTimeoutMinutes,
    machineKey: p.machineKey ?? defaultsOf(argsSchema.shape.machineKey.unwrap()),
    observability: p.observability ?? defaultsOf(argsSchema.shape.observability.unwrap()),
    ...(p.app ? { app: p.app } : {}),
    deletionProtection: p.deletionProtection,
    waitForDeployments: p.waitForDeployments,
    tags: p.tags,
  };
}

/** The own-network arguments, as FarmNetwork takes them on its own (examples/two-farms). */
export const networkSchema = ownNetworkSchema.extend({ tags: input(tags).default({}) });

/** Every problem with a FarmNetwork's args (the same rules as WebFarm's network). */
export function networkArgProblems(args: unknown): Problem[] {
  if (args === null || typeof args !== "object") return [{ propertyPath: "args", reason: "must be an object" }];
  return [
    ...schemaProblems(networkSchema, args, "FarmNetwork"),
    ...azListProblems(args as Record<string, unknown>, ""),
  ];
}
