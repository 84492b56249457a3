// Seeing inside the farm: the log groups the nodes ship to (boot and release logs, IIS, the
// Windows event logs), each role's CloudWatch agent configuration in SSM (read at boot), and the
// farm's dashboard.
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as ssm from "@pulumi/aws/ssm";
import * as pulumi from "@pulumi/pulumi";
import { dashboardBody, DashboardValues } from "./dashboard";
import { FarmNames } from "../aws/names";
import { nameTags, Tags } from "../aws/tags";
import { cloudWatchAgentConfig, NodeRole } from "./windows/cloudWatch";

export interface FarmLogsArgs {
  names: FarmNames;
  retentionDays: number;
  tags: Tags;
}

export class FarmLogs extends pulumi.ComponentResource {
  public readonly logGroupNames: string[];
  /** Each role's agent configuration: a node must not boot before its parameter exists. */
  public readonly agentConfigs: Record<NodeRole, ssm.Parameter>;

  constructor(name: string, args: FarmLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aspnet-webfarm:index:FarmLogs", name, {}, opts);
    const parent = { parent: this };
    const groups = args.names.logGroups;
    // The agent configurations depend on the groups, and every instance boots after its agent's
    // configuration: the groups exist before any agent ships, so the agent never creates one (with
    // no retention, outside Pulumi) and its role has no logs:CreateLogGroup.
    const logGroups: cloudwatch.LogGroup[] = [];
    for (const [key, groupName] of Object.entries(groups)) {
      const group = new cloudwatch.LogGroup(
        `${name}-${key}`,
        {
          name: groupName,
          retentionInDays: args.retentionDays,
          tags: nameTags(args.tags, `${name}-${key}`),
        },
        parent,
      );
      logGroups.push(group);
    }
    this.logGroupNames = Object.values(groups);
    const config = (role: NodeRole, parameterName: string) =>
      new ssm.Parameter(
        `${name}-agent-${role}`,
        {
          name: parameterName,
          type: "String",
          description: `aspnet-webfarm CloudWatch agent configuration (${role})`,
          value: cloudWatchAgentConfig({ role, namespace: args.names.namespace, logGroups: groups }),
          tags: nameTags(args.tags, `${name}-agent-${role}`),
        },
        { parent: this, dependsOn: logGroups },
      );
    this.agentConfigs = {
      "web-node": config("web-node", args.names.agentConfig.webNode),
      "state-server": config("state-server", args.names.agentConfig.stateServer),
    };
    this.registerOutputs({});
  }
}

/** The farm's dashboard: what an operator opens first. */
export function farmDashboard(
  name: string,
  dashboardName: string,
  values: { [K in keyof DashboardValues]: pulumi.Input<DashboardValues[K]> },
  opts: pulumi.CustomResourceOptions,
): cloudwatch.Dashboard {
  return new cloudwatch.Dashboard(
    name,
    { dashboardName, dashboardBody: pulumi.output(values).apply((v) => dashboardBody(v as DashboardValues)) },
    opts,
  );
}
