// The kit's policy pack (policy/policies.ts) run over a recorded program offline: each resource the
// program registered, the team's own included, as Pulumi's policy engine would hand it to a policy,
// with references by id or ARN turned into property dependencies (the stack policies follow them).
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { POLICIES } from "../policy/policies";
import type { RecordedResource } from "./engine";

export interface Violation {
  policy: string;
  enforcement: "mandatory" | "advisory";
  /** "<type> <name>" of the resource it names; a stack policy's message names its own. */
  resource?: string;
  message: string;
}

type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** The options Pulumi hands a policy for a resource that sets none. */
export const OPTIONS = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** The kit's policies check types by token: isType/asType are never called. */
export const byToken = () => {
  throw new Error("the kit's policies check types by token");
};

const notApplicable = (reason?: string): never => {
  throw new Error(`not applicable: ${reason}`);
};

const urnOf = (project: string, stack: string, type: string, name: string) =>
  `urn:pulumi:${stack}::${project}::${type}::${name}`;

/** One resource as the policy engine hands it to a stack policy, with no dependencies yet. */
export function policyResource(type: string, name: string, props: Record<string, any>, urn: string): PolicyResource {
  return {
    type,
    name,
    urn,
    props,
    opts: OPTIONS,
    dependencies: [],
    propertyDependencies: {},
    isType: byToken,
    asType: byToken,
  };
}

/** Recorded resources as the policy engine sees them: references by id or ARN become property dependencies. */
export function asPolicyResources(
  recorded: RecordedResource[],
  project = "project",
  stack = "stack",
): PolicyResource[] {
  const byId = new Map(recorded.filter((r) => r.id).map((r) => [r.id, r]));
  const byArn = new Map(
    recorded.filter((r) => typeof r.state?.arn === "string").map((r) => [r.state.arn as string, r]),
  );
  const out = new Map<RecordedResource, PolicyResource>();
  for (const r of recorded) out.set(r, policyResource(r.type, r.name, r.inputs, urnOf(project, stack, r.type, r.name)));
  for (const r of recorded) {
    const pr = out.get(r)!;
    for (const [prop, value] of Object.entries(r.inputs)) {
      const refs = (Array.isArray(value) ? value : [value])
        .filter((v): v is string => typeof v === "string")
        .map((v) => byId.get(v) ?? byArn.get(v))
        .filter((o): o is RecordedResource => o !== undefined && o !== r);
      if (refs.length > 0) {
        pr.propertyDependencies[prop] = refs.map((o) => out.get(o)!);
        pr.dependencies.push(...pr.propertyDependencies[prop]);
      }
    }
  }
  return [...out.values()];
}

/** Every violation of `policies` (default: the kit's pack) in the recorded program, in order. */
export async function checkPolicies(
  recorded: RecordedResource[],
  options: {
    policies?: Policy[];
    /** Each policy's settings by its name (a policy pack config file's shape); absent: its defaults. */
    config?: Record<string, Record<string, unknown>>;
    project?: string;
    stack?: string;
  } = {},
): Promise<Violation[]> {
  const resources = asPolicyResources(recorded, options.project, options.stack);
  const violations: Violation[] = [];
  for (const policy of options.policies ?? POLICIES) {
    const { enforcementLevel: _level, ...settings } = options.config?.[policy.name] ?? {};
    const getConfig = <T extends object>() => ({ ...settings }) as T;
    const enforcement = policy.enforcementLevel === "advisory" ? "advisory" : "mandatory";
    const report = (resource?: string) => (message: string) =>
      violations.push({ policy: policy.name, enforcement, ...(resource ? { resource } : {}), message });
    if ("validateStack" in policy) {
      const args: StackValidationArgs = { resources, stackTags: new Map(), getConfig, notApplicable };
      await policy.validateStack(args, report());
      continue;
    }
    for (const r of resources) {
      const args: ResourceValidationArgs = {
        type: r.type,
        props: r.props,
        urn: r.urn,
        name: r.name,
        opts: OPTIONS,
        stackTags: new Map(),
        isType: byToken,
        asType: byToken,
        getConfig,
        notApplicable,
      };
      for (const validate of ([] as NonNullable<ResourceValidationPolicy["validateResource"]>[]).concat(
        policy.validateResource ?? [],
      ) as ((a: ResourceValidationArgs, report: (m: string) => void) => void | Promise<void>)[])
        await validate(args, report(`${r.type} ${r.name}`));
    }
  }
  return violations;
}
