// SQL Server sessions: RDS patches the database in the user's maintenance window (no state server,
// so no patch window of the kit's); backups run in the backup window.
import { buildFarm, sharedFarm } from "../../support/graph";

const DB = "aws:rds/instance:Instance";

test("the database takes the default backup and maintenance windows, not RDS's random ones", async () => {
  const { graph } = await sharedFarm({ nodes: { count: 2 }, sqlServer: {} });
  expect(graph.one(DB).inputs).toMatchObject({ backupWindow: "02:00-02:30", maintenanceWindow: "sun:03:00-sun:03:30" });
});

test("the database takes the windows the user set", async () => {
  const { graph } = await buildFarm({
    nodes: { count: 2 },
    sqlServer: { backupWindow: "23:00-23:45", maintenanceWindow: "sat:01:00-sat:02:00" },
  });
  expect(graph.one(DB).inputs).toMatchObject({ backupWindow: "23:00-23:45", maintenanceWindow: "sat:01:00-sat:02:00" });
});
