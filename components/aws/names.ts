// The names a farm gives things in AWS, known before anything exists: unique per project, stack
// and farm, so two stacks (or two farms in one stack) never share a parameter, a log group, a
// metric namespace or a dashboard. Pure: the boot scripts embed them.

export interface FarmNames {
  /** The SSM SecureString holding the machine key. */
  keyParameter: string;
  /** SQL Server session store: the Secrets Manager secret with the nodes' login. */
  sessionSecret: string;
  /** The SSM parameters holding each role's CloudWatch agent configuration. */
  agentConfig: { webNode: string; stateServer: string };
  /** CloudWatch Logs groups: the boot and release logs, IIS's logs, the Windows event logs. */
  logGroups: { boot: string; iis: string; windows: string };
  /** The CloudWatch namespace of the nodes' own metrics (ASP.NET's counters). */
  namespace: string;
  dashboard: string;
  /**
   * Auto Scaling mode: the group's name, fixed so the node policy can name the group before it
   * exists (Auto Scaling group names: 1-255 characters).
   */
  autoScalingGroup: string;
}

export function farmNames(project: string, stack: string, farm: string): FarmNames {
  const path = `/${project}/${stack}/${farm}`;
  return {
    keyParameter: `${path}/machine-key`,
    sessionSecret: `${path.slice(1)}/session-store`,
    agentConfig: { webNode: `${path}/cloudwatch-agent/web-node`, stateServer: `${path}/cloudwatch-agent/state-server` },
    logGroups: { boot: `${path}/boot`, iis: `${path}/iis`, windows: `${path}/windows` },
    namespace: `aspnet-webfarm/${stack}/${farm}`,
    dashboard: `${project}-${stack}-${farm}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255),
    autoScalingGroup: `${project}-${stack}-${farm}-web`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255),
  };
}

/** The CloudWatch console's address for a dashboard, in the region's partition. */
export function dashboardUrl(partition: string, region: string, dashboard: string): string {
  const console =
    partition === "aws-cn"
      ? "console.amazonaws.cn"
      : partition === "aws-us-gov"
        ? "console.amazonaws-us-gov.com"
        : "console.aws.amazon.com";
  return `https://${console}/cloudwatch/home?region=${region}#dashboards:name=${dashboard}`;
}
