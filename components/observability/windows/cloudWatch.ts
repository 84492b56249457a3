// The CloudWatch agent's configuration for each role (pure): which logs it ships and which
// Windows performance counters it publishes. The node reads it from SSM at boot.
import { checkToken } from "../../windows/values";
import { BOOT_LOG } from "../../windows/boot";
import { RELEASE_LOG } from "../../releases/windows/hooks";

export type NodeRole = "web-node" | "state-server";

export interface AgentConfigValues {
  role: NodeRole;
  namespace: string;
  logGroups: { boot: string; iis: string; windows: string };
}

/** The counters an operator of a farm watches, per role (ASP.NET's own, then the machine's). */
export const COUNTERS: Record<NodeRole, Record<string, { resources?: string[]; measurement: string[] }>> = {
  "web-node": {
    "ASP.NET": {
      measurement: ["Requests Queued", "Request Execution Time", "Requests Rejected", "Application Restarts"],
    },
    "ASP.NET Applications": { resources: ["__Total__"], measurement: ["Requests/Sec", "Errors Total/Sec"] },
    Processor: { resources: ["_Total"], measurement: ["% Processor Time"] },
    Memory: { measurement: ["Available MBytes"] },
  },
  "state-server": {
    "ASP.NET": {
      measurement: ["State Server Sessions Active", "State Server Sessions Total", "State Server Sessions Timed Out"],
    },
    Processor: { resources: ["_Total"], measurement: ["% Processor Time"] },
    Memory: { measurement: ["Available MBytes"] },
  },
};

/** The metric name the agent publishes for a counter on Windows: "<object> <counter>". */
export const counterMetric = (object: string, counter: string) => `${object} ${counter}`;

const groupName = (v: string) => {
  if (!/^[A-Za-z0-9_.\-/#]{1,512}$/.test(v))
    throw new Error(`log group name ${JSON.stringify(v)} is not a CloudWatch Logs name`);
  return v;
};

export function cloudWatchAgentConfig(v: AgentConfigValues): string {
  const boot = groupName(v.logGroups.boot);
  const files = [
    { file_path: BOOT_LOG, log_group_name: boot, log_stream_name: "{instance_id}/boot" },
    ...(v.role === "web-node"
      ? [
          { file_path: RELEASE_LOG, log_group_name: boot, log_stream_name: "{instance_id}/release" },
          {
            file_path: "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex*.log",
            log_group_name: groupName(v.logGroups.iis),
            log_stream_name: "{instance_id}/iis",
          },
        ]
      : []),
  ];
  const windows = groupName(v.logGroups.windows);
  const config = {
    agent: { metrics_collection_interval: 60 },
    logs: {
      logs_collected: {
        files: { collect_list: files },
        windows_events: {
          collect_list: ["Application", "System"].map((name) => ({
            event_name: name,
            event_levels: ["ERROR", "WARNING", "INFORMATION"],
            log_group_name: windows,
            log_stream_name: `{instance_id}/${name}`,
          })),
        },
      },
    },
    metrics: {
      namespace: checkNamespace(v.namespace),
      append_dimensions: { InstanceId: "${aws:InstanceId}" },
      // Also one series per metric with no dimension: the farm-wide figure the dashboard shows.
      aggregation_dimensions: [["InstanceId"], []],
      metrics_collected: Object.fromEntries(
        Object.entries(COUNTERS[v.role]).map(([object, c]) => [object, { ...c, metrics_collection_interval: 60 }]),
      ),
    },
  };
  return JSON.stringify(config, null, 2);
}

function checkNamespace(v: string): string {
  for (const part of v.split("/")) checkToken("namespace", part);
  return v;
}
