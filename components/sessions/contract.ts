// What the farm needs of a session store, and how the farm finds the store its arguments chose.
// Each store lives in its own folder under sessions/ and exports a factory; WebFarm asks for the
// store (sessions/index.ts) and never names one. A store brings everything the nodes need of it from
// its own folder: its part of their boot and its <sessionState> attributes (its windows/ generator),
// which the farm's generators include without knowing the store.
// A store from outside the kit (a test fixture's, a user's) is a folder of its own that calls
// registerSessionStore: no file of the kit changes. A new built-in store is a new folder, one entry
// in sessions/index.ts, and its group of the arguments in components/args: the public arguments are
// static (the package schema), so choosing a built-in store by its group is the arguments' part;
// the registry is for stores chosen otherwise (a registered store's answers() decides).
import * as pulumi from "@pulumi/pulumi";
import { ResolvedWebFarmArgs } from "../args/args";
import { Connections } from "../aws/securityGroups";
import { Need } from "../aws/waits";
import type { FarmContext } from "../farm/context";
import { SessionWidget } from "../observability/dashboard";
import type { NodeSessionBoot } from "../windows/userData";
import type { SessionStateAttributes } from "../windows/webConfig";

export type { NodeSessionBoot, SessionBoot } from "../windows/userData";
export type { SessionStateAttributes } from "../windows/webConfig";

/**
 * The session outputs WebFarm declares (statically, for its package schema): a store gives the
 * values it has, the farm reports the others as undefined.
 */
export interface SessionStoreOutputs {
  /** The host the nodes put in stateConnectionString. */
  stateServerAddress?: pulumi.Output<string>;
  /** The session database's address. */
  sessionStoreAddress?: pulumi.Output<string>;
  /** The secret holding the nodes' login to the session database. */
  sessionStoreSecretArn?: pulumi.Output<string>;
  /** The state server's security group. */
  stateServerSecurityGroupId?: pulumi.Output<string>;
  /** The session database's security group. */
  sessionStoreSecurityGroupId?: pulumi.Output<string>;
}

/** What the farm needs of a session store. */
export interface SessionStore {
  /** Its component (the store's resources' parent), for the farm's accessors. */
  readonly component: pulumi.ComponentResource;
  /** Who may connect and on which port: the farm lets the web nodes in on its default port. */
  readonly connections: Connections;
  /** Its part of the web nodes' boot (in their user data): variables, steps, <sessionState> attributes. */
  readonly nodeBoot: pulumi.Input<NodeSessionBoot>;
  /** The one secret the web nodes may read for it (their login), if any. */
  readonly nodeSecretArn?: pulumi.Input<string>;
  /** The <sessionState> attributes of the farm's web.config fragment (a secret when they hold a password). */
  readonly sessionState: pulumi.Input<SessionStateAttributes>;
  /** What a node's boot, its serving gate and the application's agents must wait for. */
  readonly needs: Need[];
  /** Its widgets on the farm's dashboard, below the load balancer's and the nodes'. */
  readonly widgets: pulumi.Input<SessionWidget[]>;
  /** The farm's session outputs it has values for. */
  readonly outputs: SessionStoreOutputs;
}

/** A kind of session store: which arguments choose it, and how it is built in a farm. */
export interface SessionStoreFactory {
  /** Its name, in messages. */
  readonly kind: string;
  /** Whether the validated arguments choose this store (built-ins: their group is present). */
  answers(args: ResolvedWebFarmArgs): boolean;
  /** Builds the store in the farm: under `context.parent`, named from `context.name`. */
  build(context: FarmContext, args: ResolvedWebFarmArgs): SessionStore;
}

const registered: SessionStoreFactory[] = [];

/**
 * Makes a store from outside the kit (a test fixture, a user's store) available to every farm built
 * afterwards. Registered stores are asked before the built-in ones, newest first, so one may answer
 * to arguments a built-in store answers to as well (the fake store answers to a tag).
 */
export function registerSessionStore(factory: SessionStoreFactory): void {
  if (registered.some((f) => f.kind === factory.kind))
    throw new Error(`a session store "${factory.kind}" is registered already`);
  registered.unshift(factory);
}

/** The store the arguments chose: the first of the registered, then the built-in stores, that answers. */
export function chooseStore(args: ResolvedWebFarmArgs, builtIn: SessionStoreFactory[]): SessionStoreFactory {
  const factories = [...registered, ...builtIn];
  const factory = factories.find((f) => f.answers(args));
  if (!factory)
    throw new Error(`no session store answers to these arguments (known: ${factories.map((f) => f.kind).join(", ")})`);
  return factory;
}

/** The resources among needs: what dependsOn takes. */
export function resourcesOf(needs: Need[]): pulumi.Resource[] {
  return needs.flatMap((n) => (n.resource ? [n.resource] : []));
}
