// The state server as the farm's session store: chosen by the stateServer group of the arguments.
import * as pulumi from "@pulumi/pulumi";
import { allowOutbound } from "../../aws/securityGroups";
import { Metric, metricsOf } from "../../observability/dashboard";
import { counterMetric } from "../../observability/windows/cloudWatch";
import { stateServerUserData } from "../../windows/userData";
import { SessionStoreFactory } from "../contract";
import { stateServerNodeSession, stateSessionAttributes } from "./windows/stateSession";
import { patchLogGroupName } from "./patching";
import { stateAddress, StateServer } from "./stateServer";

/** The state server's dashboard lines: its health and its sessions. */
function stateServerMetrics(instanceId: string, namespace: string): Metric[] {
  const ec2 = metricsOf("AWS/EC2", "InstanceId", instanceId);
  return [
    ec2("StatusCheckFailed_System", { stat: "Maximum", label: "system check failed" }),
    ec2("StatusCheckFailed_Instance", { stat: "Maximum", label: "instance check failed" }),
    ec2("CPUUtilization", { stat: "Average", label: "CPU %", yAxis: "right" }),
    [
      namespace,
      counterMetric("ASP.NET", "State Server Sessions Active"),
      "InstanceId",
      instanceId,
      { stat: "Maximum", label: "sessions active", yAxis: "right" },
    ],
  ];
}

export const stateServerStore: SessionStoreFactory = {
  kind: "stateServer",
  answers: (args) => args.stateServer !== undefined,
  build(context, args) {
    const { name, network, tags, parent } = context;
    const settings = args.stateServer!;
    const server = new StateServer(
      `${name}-state`,
      {
        farmName: name,
        vpcId: network.vpcId,
        subnetId: network.privateSubnetIds[0],
        image: context.image("state"),
        instanceType: settings.instanceType,
        port: settings.port,
        region: context.region,
        account: context.account,
        observability: context.observability("state-server"),
        bootAfter: context.bootAfter("state-server"),
        protect: settings.protect,
        terminationProtection: context.deletionProtection,
        alarmTopicArn: context.alarmTopicArn,
        patching: settings.patching
          ? {
              schedule: settings.patchSchedule,
              timeZone: settings.patchTimeZone,
              logGroupName: patchLogGroupName(context.names.logGroups.boot),
              retentionDays: args.observability.logRetentionDays,
            }
          : undefined,
        // The VPC's CIDRs, not the web subnets': the state server stays put when AZs change.
        userData: pulumi
          .all([network.vpcCidrs, context.boot("state-server")])
          .apply(([webCidrs, values]) => stateServerUserData({ ...values, statePort: settings.port, webCidrs })),
        tags,
      },
      { parent },
    );
    allowOutbound(`${name}-state`, server.securityGroup, tags, { parent });
    // The nodes name the state server by its DNS record, a plain string known now: they neither
    // wait for the state server nor change when it is replaced (the record moves instead).
    const session = {
      stateHost: stateAddress(name).host,
      statePort: settings.port,
      timeoutMinutes: args.sessionTimeoutMinutes,
    };
    return {
      component: server,
      connections: server.connections,
      nodeBoot: stateServerNodeSession(session),
      sessionState: stateSessionAttributes(session),
      needs: [],
      widgets: server.instance.id.apply((id) => [
        {
          title: "State server: health and sessions",
          metrics: stateServerMetrics(id, context.names.namespace),
        },
        // The patch window's outcome: its task's output lines (AWS/Logs, by log group) show each run;
        // the output itself, and any failure, is in that group (the contract takes metric widgets).
        ...(settings.patching
          ? [
              {
                title: "State server: patch window output (sessions are lost at its reboot)",
                metrics: [
                  [
                    "AWS/Logs",
                    "IncomingLogEvents",
                    "LogGroupName",
                    patchLogGroupName(context.names.logGroups.boot),
                    { stat: "Sum", label: "patch task output lines", period: 3600 },
                  ],
                ],
              },
            ]
          : []),
      ]),
      outputs: { stateServerAddress: server.host, stateServerSecurityGroupId: server.securityGroup.id },
    };
  },
};
