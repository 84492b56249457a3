// The convergence proof: does `pulumi up` finish? Pulumi creates (or updates) a resource only once
// every resource it depends on is done, so a wait (components/aws/waits.ts) can only see what its
// waiter transitively depends on. Each declared need must therefore be a transitive dependency of
// its waiter: one that depends on the waiter is a cycle (the wait never ends: a deadlock), one
// created beside it a race. Every resource of a waiting type must declare its wait. The
// dependencies are the ones the SDK sends with each registration request (engine/engine.ts).
import { WAITING_TYPES } from "../components/aws/waits";
import { RecordedResource, RecordedWait } from "./engine";

export interface Convergence {
  converges: boolean;
  /** One line per problem: undeclared wait, cycle, race, missing prerequisite. */
  problems: string[];
  /** One line per wait: the waiter, what it waits for and how many needs it has. */
  waits: string[];
}

const short = (type: string) => type.split(":").pop();
const label = (r: RecordedResource | undefined, urn: string) =>
  r ? `${r.name} (${short(r.type)})` : (urn.split("::").pop() ?? urn);

export class DependencyGraph {
  private readonly byUrn: Map<string, RecordedResource>;
  private readonly closure = new Map<string, Set<string>>();
  private readonly children = new Map<string, RecordedResource[]>();
  private readonly customs = new Map<string, string[]>();

  constructor(readonly resources: readonly RecordedResource[]) {
    this.byUrn = new Map(resources.map((r) => [r.urn, r]));
    for (const r of resources)
      if (r.parentUrn) this.children.set(r.parentUrn, [...(this.children.get(r.parentUrn) ?? []), r]);
  }

  get(urn: string): RecordedResource | undefined {
    return this.byUrn.get(urn);
  }
  label(urn: string): string {
    return label(this.byUrn.get(urn), urn);
  }

  /** Every resource created before `urn`: its dependencies, theirs, and so on. */
  before(urn: string): Set<string> {
    const known = this.closure.get(urn);
    if (known) return known;
    const found = new Set<string>();
    const stack = [...(this.byUrn.get(urn)?.dependencies ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (found.has(next)) continue;
      found.add(next);
      stack.push(...(this.byUrn.get(next)?.dependencies ?? []));
    }
    this.closure.set(urn, found);
    return found;
  }

  /** A dependency path from `from` to `to` (`from` first), when `from` transitively depends on `to`. */
  path(from: string, to: string): string[] | undefined {
    const previous = new Map<string, string>([[from, ""]]);
    const queue = [from];
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (at === to) {
        const out = [at];
        while (previous.get(out[0])) out.unshift(previous.get(out[0])!);
        return out;
      }
      for (const d of this.byUrn.get(at)?.dependencies ?? [])
        if (!previous.has(d)) {
          previous.set(d, at);
          queue.push(d);
        }
    }
    return undefined;
  }

  /** What a need on `urn` means: the resource itself, or a component's custom descendants. */
  customOf(urn: string): string[] {
    const r = this.byUrn.get(urn);
    if (!r || r.custom) return [urn];
    let found = this.customs.get(urn);
    if (!found) {
      found = (this.children.get(urn) ?? []).flatMap((c) => this.customOf(c.urn));
      this.customs.set(urn, found);
    }
    return found;
  }
}

/** Checks every declared wait against the recorded graph, and that every waiting resource declares one. */
export function checkConvergence(resources: readonly RecordedResource[], waits: readonly RecordedWait[]): Convergence {
  const graph = new DependencyGraph(resources);
  const problems: string[] = [];
  const declared = new Set(waits.map((w) => w.waiter));
  for (const r of resources) {
    const kind = WAITING_TYPES[r.type];
    if (kind?.waits(r.inputs) && !declared.has(r.urn))
      problems.push(
        `undeclared wait: ${label(r, r.urn)} ${kind.why}, and declares no wait (components/aws/waits.ts declareWait)`,
      );
  }
  for (const w of waits) {
    const waiter = graph.label(w.waiter);
    const before = graph.before(w.waiter);
    for (const need of w.needs) {
      const prefix = `${waiter} waits for ${w.waitsFor}; it needs ${need.what}`;
      if (need.holds === false) problems.push(`missing prerequisite: ${prefix}, which the program does not provide`);
      if (need.urn === undefined) continue;
      if (!graph.get(need.urn)) {
        problems.push(`missing prerequisite: ${prefix}, which is not in the graph`);
        continue;
      }
      for (const p of graph.customOf(need.urn)) {
        if (p === w.waiter || before.has(p)) continue;
        const cycle = graph.path(p, w.waiter);
        problems.push(
          cycle
            ? `cycle: ${prefix} (${graph.label(p)}), which is created only after it: ${cycle.map((u) => graph.label(u)).join(" -> ")}`
            : `race: ${prefix} (${graph.label(p)}), which is not a dependency of it: both are created at once`,
        );
      }
    }
  }
  return {
    converges: problems.length === 0,
    problems,
    waits: waits.map((w) => `${graph.label(w.waiter)} waits for ${w.waitsFor} (${w.needs.length} needs)`).sort(),
  };
}

/** The lines `npm run plan` prints: "converges", or every problem. */
export function convergenceLines(c: Convergence): string[] {
  return c.converges
    ? [`converges: ${c.waits.length} wait(s), each needing only what is created before it`, ...c.waits]
    : [`DOES NOT CONVERGE (${c.problems.length})`, ...c.problems];
}

export interface UpdateConvergence extends Convergence {
  /**
   * The waits that may run in the update: the waiter is new, or it (or something it depends on)
   * changed; a waiter whose type says when its update waits (waits.ts waitsOnUpdate) runs only then.
   */
  running: string[];
}

/**
 * An update from `before` to `after`: the graph after it must converge; which waits may run (their
 * waiter, or something it depends on, is new or has changed inputs). `changed` names the changed
 * resources instead, for an update whose graph is `after` itself (a changed output that only AWS
 * knows, e.g. a new image id in the same SSM parameter).
 */
export function checkUpdate(
  before: readonly RecordedResource[],
  after: readonly RecordedResource[],
  waits: readonly RecordedWait[],
  seeded?: ReadonlySet<string>,
): UpdateConvergence {
  const oldByUrn = new Map(before.map((r) => [r.urn, r]));
  const old = new Map(before.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const changed = seeded ?? new Set(after.filter((r) => old.get(r.urn) !== JSON.stringify(r.inputs)).map((r) => r.urn));
  const graph = new DependencyGraph(after);
  const runs = (w: RecordedWait) => {
    const waiter = graph.get(w.waiter);
    const was = oldByUrn.get(w.waiter);
    if (!was) return true; // created: every wait runs on create
    const onUpdate = waiter && WAITING_TYPES[waiter.type]?.waitsOnUpdate;
    if (onUpdate) return onUpdate(was.inputs, waiter.inputs);
    return changed.has(w.waiter) || [...graph.before(w.waiter)].some((u) => changed.has(u));
  };
  const running = waits
    .filter(runs)
    .map((w) => graph.label(w.waiter))
    .sort();
  return { ...checkConvergence(after, waits), running };
}
