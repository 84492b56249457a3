// SQL Server on RDS as the farm's session store: chosen by the sqlServer group of the arguments.
import * as pulumi from "@pulumi/pulumi";
import { Metric, metricsOf } from "../../observability/dashboard";
import { SessionStoreFactory } from "../contract";
import { SqlSessionStore } from "./sqlSessionStore";
import {
  rdsTrustBundleUrl,
  SESSION_DATABASE,
  SESSION_LOGIN,
  sqlServerConnectionString,
  sqlServerNodeSession,
  sqlSessionAttributes,
} from "./windows/sqlSession";

/** The session database's dashboard lines: connections, CPU, write latency, free storage. */
function sessionDatabaseMetrics(identifier: string): Metric[] {
  const rds = metricsOf("AWS/RDS", "DBInstanceIdentifier", identifier);
  return [
    rds("DatabaseConnections", { stat: "Maximum", label: "connections" }),
    rds("CPUUtilization", { stat: "Average", label: "CPU %", yAxis: "right" }),
    rds("WriteLatency", { stat: "p99", label: "write latency p99 (s)" }),
    rds("FreeStorageSpace", { stat: "Minimum", label: "free storage (bytes)", yAxis: "right" }),
  ];
}

export const sqlServerStore: SessionStoreFactory = {
  kind: "sqlServer",
  answers: (args) => args.sqlServer !== undefined,
  build(context, args) {
    const { name, names, network } = context;
    const store = new SqlSessionStore(
      `${name}-sessions`,
      {
        farmName: name,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        ...args.sqlServer!,
        deletionProtection: context.deletionProtection,
        secretName: names.sessionSecret,
        // The setup instance boots like the state server would: its image, agent configuration.
        setup: {
          image: context.image("state"),
          boot: context.boot("state-server"),
          observability: context.observability("state-server"),
          bootAfter: context.bootAfter("state-server"),
        },
        account: context.account,
        alarmTopicArn: context.alarmTopicArn,
        tags: context.tags,
      },
      { parent: context.parent },
    );
    return {
      component: store,
      connections: store.connections,
      // The nodes read their login from the secret at boot, by its name (known now).
      nodeBoot: pulumi.all([context.partition, context.region]).apply(([partition, region]) =>
        sqlServerNodeSession({
          sessionSecret: names.sessionSecret,
          trustBundleUrl: rdsTrustBundleUrl(partition, region),
          timeoutMinutes: args.sessionTimeoutMinutes,
        }),
      ),
      nodeSecretArn: store.secretArn,
      // Carries the nodes' login: the farm's web.config fragment is a secret anyway.
      sessionState: store.connection.apply((c) =>
        sqlSessionAttributes(
          args.sessionTimeoutMinutes,
          sqlServerConnectionString({
            host: c.host,
            port: c.port,
            database: SESSION_DATABASE,
            user: SESSION_LOGIN,
            password: c.password,
          }),
        ),
      ),
      needs: [
        {
          what: "the session database, available, and its setup instance (a node's boot waits for the session schema)",
          resource: store,
        },
      ],
      widgets: store.database.identifier.apply((id) => [
        { title: "Session database (SQL Server)", metrics: sessionDatabaseMetrics(id) },
      ]),
      outputs: {
        sessionStoreAddress: store.address,
        sessionStoreSecretArn: store.secretArn,
        sessionStoreSecurityGroupId: store.securityGroup.id,
      },
    };
  },
};
