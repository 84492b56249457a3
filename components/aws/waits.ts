// Waits: a resource whose creation (or update) does not finish until something happens outside
// Pulumi (healthy nodes, a deployment, an image build, a database becoming available). Each is
// declared here, beside the code that creates it, with what it needs for that to happen. A need
// is either a resource, which must then be a transitive dependency of the waiter (created, or
// updated, before the wait starts: a need created after it is a deadlock, one created beside it a
// race), or a fact the program knows (e.g. the boot writes a health page). The offline engine
// records the declarations and engine/convergence.ts checks them against the recorded graph.
// Declaring creates nothing, and keeps nothing unless the offline engine is recording.
import type { Resource } from "@pulumi/pulumi";

export interface Need {
  /** What must be there, in words: "the policy that lets a node complete its launch hook". */
  what: string;
  /** The resource that provides it (a component stands for all its children). */
  resource?: Resource;
  /** Or a fact known when the program runs: false is a missing prerequisite. */
  holds?: boolean;
}

export interface Wait {
  /** The resource whose creation or update waits. */
  waiter: Resource;
  /** What it waits for, in words. */
  waitsFor: string;
  needs: Need[];
}

/** The waits declared since recording started; undefined when nobody records (a real `pulumi up`). */
let declared: Wait[] | undefined;

/** Declares that `waiter` waits for `waitsFor`, which needs `needs`. */
export function declareWait(waiter: Resource, waitsFor: string, needs: Need[]): void {
  declared?.push({ waiter, waitsFor, needs });
}

/** Starts recording declarations afresh (the offline engine, before each run). */
export function recordWaits(): void {
  declared = [];
}

/** The waits declared since recording started. */
export function declaredWaits(): readonly Wait[] {
  return declared ?? [];
}

/** Resources that wait when created or updated, by type: each one in a graph needs a declaration. */
export const WAITING_TYPES: Record<
  string,
  {
    waits(inputs: Record<string, unknown>): boolean;
    why: string;
    /**
     * Whether an in-place update from `before` to `after` inputs waits; absent: it may whenever the
     * resource or something it depends on changes.
     */
    waitsOnUpdate?(before: Record<string, unknown>, after: Record<string, unknown>): boolean;
  }
> = {
  // Pulumi aws.autoscaling.Group: waits for capacity unless waitForCapacityTimeout is "0". On update
  // the provider waits only when desired_capacity(_type) or min_size change (terraform-provider-aws,
  // internal/service/autoscaling/group.go resourceGroupUpdate: shouldWaitForCapacity); a new launch
  // template version only starts an instance refresh, which nobody waits for.
  "aws:autoscaling/group:Group": {
    waits: (i) => i.waitForCapacityTimeout !== "0",
    why: "waits for capacity (waitForElbCapacity: healthy targets, on create and on an update of desiredCapacity or minSize; minElbCapacity: on create)",
    waitsOnUpdate: (before, after) =>
      ["desiredCapacity", "desiredCapacityType", "minSize"].some((k) => before[k] !== after[k]),
  },
  "aws:rds/instance:Instance": { waits: () => true, why: "waits until the DB instance is available" },
  "aws:imagebuilder/image:Image": { waits: () => true, why: "waits for the image build and its tests" },
  "pulumi-nodejs:dynamic/aspnet-webfarm:Release": {
    waits: () => true,
    why: "waits for the CodeDeploy deployment's outcome",
  },
  "pulumi-nodejs:dynamic/aspnet-webfarm:ServingGate": {
    waits: () => true,
    why: "waits for the node to be healthy in the target group",
  },
};
