// An offline plan's summary (plans/<stack>.md): resources by type, who may reach whom (a line per
// inbound rule and a Mermaid diagram), each instance's boot steps, user data sizes, the release,
// and whether `pulumi up` finishes.
import { ROLE_TAG } from "../components";
import { USER_DATA_BUDGET_BYTES, USER_DATA_LIMIT_BYTES } from "../components/windows/loader";
import { costSection } from "./cost";
import { resourceIdOf } from "./fixtures";
import { Plan, PlanResource, PlanSummary, RELEASE_TYPE, scriptText, sortKeys } from "./planModel";
import { InboundRule, inboundRules as reach, portsOf, SECURITY_GROUP_TYPE } from "./reach";

/** Inbound rules with groups named as the plan names them (prefix lists by id), from a plan's resources. */
export function inboundRules(resources: PlanResource[]): InboundRule[] {
  const group = (id: unknown) =>
    resources.find((r) => r.type === SECURITY_GROUP_TYPE && resourceIdOf(r.type, r.name) === id)?.name ?? String(id);
  return reach(resources, { group, prefixList: String });
}

/**
 * The inbound rules as a Mermaid flowchart (GitHub renders it in a pull request): one node per group
 * or address range, one arrow per rule from the source to the group it may reach, with its port.
 */
export function reachDiagram(rules: InboundRule[]): string[] {
  const ids = new Map<string, string>();
  const node = (name: string) => {
    if (!ids.has(name)) ids.set(name, `n${ids.size}`);
    return `${ids.get(name)}["${name.replace(/"/g, "'")}"]`;
  };
  const arrows = rules
    .map((r) => ({ from: r.source, to: r.group, label: portsOf(r) }))
    .sort((a, b) => `${a.to} ${a.from} ${a.label}`.localeCompare(`${b.to} ${b.from} ${b.label}`))
    .map((a) => `  ${node(a.from)} -->|${a.label}| ${node(a.to)}`);
  return ["```mermaid", "flowchart LR", ...arrows, "```"];
}

/** "<group> <- <source> on tcp/<port>": a line of the summary, and of the diff's new access. */
export const describeRule = (r: InboundRule) =>
  `${r.group} <- ${r.sourceIsCidr ? r.source : `group ${r.source}`} on ${portsOf(r)}`;

/** The summary of a plan's resources (its convergence apart). */
export function summarize(
  resources: PlanResource[],
  scripts: Record<string, string>,
  userDataBytes: Record<string, number>,
): Omit<PlanSummary, "convergence"> {
  const countsByType: Record<string, number> = {};
  for (const r of resources) countsByType[r.type] = (countsByType[r.type] ?? 0) + 1;
  const boot: Record<string, string[]> = {};
  for (const r of resources.filter((x) => x.type === "aws:ec2/instance:Instance")) {
    const role = String((r.inputs.tags as Record<string, string> | undefined)?.[ROLE_TAG] ?? r.name);
    const steps = [...(scriptText({ scripts }, r.inputs.userData) ?? "").matchAll(/^\s*Step '([^']+)'/gm)].map(
      (m) => m[1],
    );
    boot[role] = steps;
  }
  // A farm image's build: its component's phases and steps.
  for (const r of resources.filter((x) => x.type === "aws:imagebuilder/component:Component")) {
    const text = scriptText({ scripts }, r.inputs.data) ?? "";
    boot[`image build (${r.name})`] = [...text.matchAll(/^ {2}- name: (\w+)$|^ {6}- name: (\w+)$/gm)].map((m) =>
      m[1] ? `phase ${m[1]}` : m[2],
    );
  }
  const release = resources.find((r) => r.type === RELEASE_TYPE);
  const group = resources.find((r) => r.type === "aws:codedeploy/deploymentGroup:DeploymentGroup");
  return {
    countsByType: sortKeys(countsByType) as Record<string, number>,
    inbound: inboundRules(resources).map(describeRule).sort(),
    boot: sortKeys(boot) as Record<string, string[]>,
    userDataBytes: sortKeys(userDataBytes) as Record<string, number>,
    ...(release && group
      ? {
          release: `${release.inputs.version}, released by CodeDeploy (${release.inputs.applicationName} / ${release.inputs.deploymentGroupName}, ${group.inputs.deploymentConfigName}, through the target group, rolled back on failure)`,
        }
      : {}),
  };
}

/** plans/<stack>.md: the summary for a reader, with the diagram of who may reach whom. */
export function summaryText(plan: Plan): string {
  const s = plan.summary;
  return [
    `# Plan of stack ${plan.stack}`,
    "",
    `Generated offline by \`${plan.command ?? "npm run plan"}\`; see plans/${plan.stack}.json for every input.`,
    "",
    "## Resources by type",
    ...Object.entries(s.countsByType).map(([t, n]) => `- ${t}: ${n}`),
    "",
    "## Who may reach what (inbound rules)",
    ...s.inbound.map((l) => `- ${l}`),
    "",
    ...reachDiagram(inboundRules(plan.resources)),
    "",
    "## What each instance does at first boot (or at an image build)",
    ...Object.entries(s.boot).flatMap(([role, steps]) => [`- ${role}:`, ...steps.map((st, i) => `  ${i + 1}. ${st}`)]),
    "",
    `## User data sizes (EC2 takes ${USER_DATA_LIMIT_BYTES} bytes; the kit's budget is ${USER_DATA_BUDGET_BYTES})`,
    ...Object.entries(s.userDataBytes).map(([file, bytes]) => `- ${file}: ${bytes} bytes`),
    "",
    ...(s.release ? ["## Application", `- release ${s.release}`, ""] : []),
    "## Does `pulumi up` finish (waits and what they need)",
    ...(s.convergence ?? []).map((l) => `- ${l}`),
    "",
    ...(s.cost ? [...costSection(s.cost), ""] : []),
  ].join("\n");
}
