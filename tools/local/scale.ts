// Scaling the running local farm, in the order Auto Scaling and the load balancer use
// (/work/tmp/i24-facts.md Q4, Q6; shared/domain/operations-facts.md):
// - out: a new node starts with the current release (CodeDeploy deploys the deployment group's last
//   successful revision to every new instance) and the farm's one key, passes its health check (and
//   the release's validation path) on the node itself, and only then joins the balancer's rotation;
// - in: the node leaves the rotation first, its in-flight requests finish (nginx's old worker exits
//   once they are done: the target group's draining), then it stops (Auto Scaling deregisters and
//   waits for the deregistration delay before it terminates);
// - a Spot interruption: on the notice the node leaves the rotation (the node-side watcher's
//   DeregisterTargets), the stop comes later (two minutes on AWS, seconds here), and Auto Scaling
//   launches a replacement, which joins as any new node does.
// Node numbers stay contiguous: a scale-in stops the newest nodes (the highest numbers).
import { rmSync } from "fs";
import type { LocalFarm } from "./farm";
import { Validation, validateNode } from "./deploy";
import { sleep } from "./http";
import { assertPortsFree, nodePorts, portCollisions } from "./ports";

/** The most nodes `npm run local` and `npm run local:scale` run. */
export const MAX_NODES = 20;

export interface ScaleEvent {
  node: string;
  event: "Launch" | "HealthCheck" | "InService" | "Deregister" | "Drained" | "Terminated";
  /** Milliseconds since the scale (or the interruption notice) began. */
  at: number;
}

export interface ScaleResult {
  from: number;
  to: number;
  seconds: number;
  events: ScaleEvent[];
}

/** What a new node must answer before it joins: the current release's checks, else the farm's (--validate-path). */
export function launchValidation(farm: LocalFarm, defaults: Validation = {}): Validation {
  const { validatePath, validateStatuses } = farm.current;
  return validatePath !== undefined ? { validatePath, validateStatuses } : defaults;
}

/**
 * Launches node i as a new instance (nothing kept from an earlier node in its slot): the current
 * release with the farm's key, the node's own health check, then into the rotation.
 */
async function launchNode(
  farm: LocalFarm,
  i: number,
  validation: Validation,
  event: (node: number, e: ScaleEvent["event"]) => void,
): Promise<void> {
  rmSync(farm.nodeDir(i), { recursive: true, force: true });
  const release = farm.current;
  farm.switchTo(i, release.version, farm.install(i, release));
  event(i, "Launch");
  await farm.startNode(i, { wait: false });
  await validateNode(farm, i, validation);
  event(i, "HealthCheck");
  await farm.setInRotation(i, true);
  event(i, "InService");
}

/** Takes nodes out of the rotation (they drain), then stops them. */
async function retire(
  farm: LocalFarm,
  nodes: number[],
  event: (node: number, e: ScaleEvent["event"]) => void,
): Promise<void> {
  for (const i of nodes) event(i, "Deregister");
  await farm.setInRotation(nodes, false);
  for (const i of nodes) event(i, "Drained");
  for (const i of nodes) {
    await farm.stopNode(i);
    event(i, "Terminated");
  }
}

/** Sets the node count (the balancer's per-node servers follow it) and reloads the balancer. */
async function resize(farm: LocalFarm, nodes: number): Promise<void> {
  const gone = [...Array(Math.max(0, farm.options.nodes - nodes)).keys()].map((k) => nodes + k);
  farm.options.nodes = nodes;
  farm.serving.length = Math.min(farm.serving.length, nodes);
  farm.servingFolders.length = Math.min(farm.servingFolders.length, nodes);
  await farm.setInRotation(gone, false);
}

/**
 * Changes the running farm's node count to `nodes`, in Auto Scaling's order (above). A new node
 * that fails its checks is stopped and the farm keeps its former size; the error names the node.
 */
export async function scaleFarm(farm: LocalFarm, nodes: number, validation?: Validation): Promise<ScaleResult> {
  const from = farm.options.nodes;
  const started = Date.now();
  const events: ScaleEvent[] = [];
  const event = (i: number, e: ScaleEvent["event"]) => {
    events.push({ node: farm.nodeName(i), event: e, at: Date.now() - started });
    farm.log(`${farm.nodeName(i)}: ${e}`);
  };
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES)
    throw new Error(`the node count must be a whole number 1-${MAX_NODES}; got ${nodes}`);
  if (nodes > from) {
    const added = [...Array(nodes - from).keys()].map((k) => from + k);
    const collisions = portCollisions({ ...farm.options, nodes });
    if (collisions.length > 0) throw new Error(collisions.join("; "));
    await assertPortsFree(
      added.flatMap((i) => [
        { port: nodePorts(farm.options.port, i).http, what: `${farm.nodeName(i)}'s HTTP server` },
        { port: nodePorts(farm.options.port, i).fastcgi, what: `${farm.nodeName(i)}'s FastCGI server` },
      ]),
    );
    // The balancer learns the new nodes' own ports (their health checks go there), not yet in its rotation.
    await resize(farm, nodes);
    const check = validation ?? launchValidation(farm);
    const results = await Promise.allSettled(added.map((i) => launchNode(farm, i, check, event)));
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed >= 0) {
      // Auto Scaling terminates an instance that fails its health check: the farm keeps its size.
      await retire(farm, added, event);
      await resize(farm, from);
      const reason = (results[failed] as PromiseRejectedResult).reason as Error;
      throw new Error(`${farm.nodeName(added[failed])} did not pass its health check: ${reason.message}`, {
        cause: reason,
      });
    }
  } else if (nodes < from) {
    await retire(
      farm,
      [...Array(from - nodes).keys()].map((k) => from - 1 - k),
      event,
    );
    await resize(farm, nodes);
  }
  return { from, to: nodes, seconds: (Date.now() - started) / 1000, events };
}

/**
 * A Spot interruption of node i, as the node-side watcher handles it: on the notice the node leaves
 * the rotation and drains; the stop comes `stopAfterMs` after the notice (two minutes on AWS); then
 * Auto Scaling's replacement launches in its place and joins once healthy (without Capacity
 * Rebalancing Auto Scaling replaces it after the interruption, /work/tmp/i24-facts.md Q6).
 */
export async function interruptNode(
  farm: LocalFarm,
  i: number,
  options: {
    stopAfterMs: number;
    validation?: Validation;
    /** Whether Auto Scaling's replacement launches after the stop. Default true. */
    replace?: boolean;
  },
): Promise<ScaleEvent[]> {
  if (!Number.isInteger(i) || i < 0 || i >= farm.options.nodes) throw new Error(`there is no node-${i}`);
  const notice = Date.now();
  const events: ScaleEvent[] = [];
  const event = (n: number, e: ScaleEvent["event"]) => {
    events.push({ node: farm.nodeName(n), event: e, at: Date.now() - notice });
    farm.log(`${farm.nodeName(n)}: ${e}${e === "Deregister" ? " (Spot interruption notice)" : ""}`);
  };
  event(i, "Deregister");
  await farm.setInRotation(i, false);
  event(i, "Drained");
  await sleep(Math.max(0, notice + options.stopAfterMs - Date.now()));
  await farm.stopNode(i);
  event(i, "Terminated");
  if (options.replace !== false) await launchNode(farm, i, options.validation ?? launchValidation(farm), event);
  return events;
}
