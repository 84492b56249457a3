// The arguments of scaling, Spot, warm pools and patching: each problem named at its grouped path,
// all of them in the one error, before anything is registered.
import { WebFarm, webFarmArgProblems } from "../../components";
import { spotInstanceTypesFor } from "../../components/nodes/instanceTypes";
import { attempt } from "../support/graph";

const problems = (args: unknown) =>
  Object.fromEntries(webFarmArgProblems("shop", args).map((p) => [p.propertyPath, p.reason]));
const scaled = { count: 2, mode: "autoscaling", maxCount: 6 };

describe("scaling arguments", () => {
  test("every Auto Scaling setting given to separate instances is named, each once", () => {
    expect(
      problems({
        nodes: {
          count: 2,
          maxCount: 4,
          targetRequestsPerNode: 500,
          targetCpuPercent: 60,
          warmupSeconds: 30,
          schedules: [{ name: "peak", cron: "0 8 * * MON-FRI", desiredCount: 4 }],
          spot: true,
          onDemandBaseCount: 1,
          spotInstanceTypes: ["t3.medium", "t3a.medium"],
        },
      }),
    ).toEqual(
      Object.fromEntries(
        [
          "maxCount",
          "targetRequestsPerNode",
          "targetCpuPercent",
          "warmupSeconds",
          "schedules",
          "spot",
          "onDemandBaseCount",
          "spotInstanceTypes",
        ].map((f) => [`nodes.${f}`, 'applies only with nodes.mode "autoscaling"']),
      ),
    );
  });

  test("a scaling policy needs room to scale: maxCount above count", () => {
    expect(
      problems({ nodes: { count: 2, mode: "autoscaling", targetRequestsPerNode: 500, targetCpuPercent: 60 } }),
    ).toEqual({
      "nodes.targetRequestsPerNode": "needs nodes.maxCount above nodes.count (2): with neither, the group never scales",
      "nodes.targetCpuPercent": "needs nodes.maxCount above nodes.count (2): with neither, the group never scales",
    });
    expect(problems({ nodes: { ...scaled, targetCpuPercent: 60 } })).toEqual({});
  });

  test("warm pools are not offered: CodeDeploy's launch hook does not serve pooled instances", () => {
    expect(problems({ nodes: { ...scaled, warmPool: true } })).toEqual({ "nodes.warmPool": expect.any(String) });
  });

  test("Spot needs room above its On-Demand base", () => {
    expect(problems({ nodes: { ...scaled, maxCount: 2, spot: true } })["nodes.spot"]).toMatch(
      /^launches no Spot node: the On-Demand base \(2\) reaches maxCount \(2\)/,
    );
    expect(problems({ nodes: { ...scaled, spot: true, onDemandBaseCount: 6 } })["nodes.onDemandBaseCount"]).toMatch(
      /^launches no Spot node/,
    );
    expect(problems({ nodes: { ...scaled, spot: true } })).toEqual({});
  });

  test("Spot types are all of the node size; a family the kit does not know needs its own list", () => {
    expect(problems({ nodes: { ...scaled, spot: true, spotInstanceTypes: ["t3.medium", "t3a.large"] } })).toEqual({
      "nodes.spotInstanceTypes": "must all be the size of nodes.instanceType (t3.medium): t3a.large is not",
    });
    expect(problems({ nodes: { ...scaled, spot: true, spotInstanceTypes: ["t3.medium"] } })).toEqual({
      "nodes.spotInstanceTypes":
        'must list at least two instance types (Spot capacity comes from several pools); got ["t3.medium"]',
    });
    expect(problems({ nodes: { ...scaled, instanceType: "x2iedn.xlarge", spot: true } })).toEqual({
      "nodes.spotInstanceTypes":
        "is needed: the kit knows no sibling of x2iedn.xlarge; list at least two x86_64 types of its size",
    });
  });

  test("the default Spot types are the node type and its same-size siblings, at most four", () => {
    expect(spotInstanceTypesFor("t3.medium")).toEqual(["t3.medium", "t3a.medium", "t2.medium"]);
    expect(spotInstanceTypesFor("m6i.xlarge")).toEqual(["m6i.xlarge", "m5.xlarge", "m5a.xlarge", "m6a.xlarge"]);
    expect(spotInstanceTypesFor("x2iedn.xlarge")).toEqual(["x2iedn.xlarge"]);
  });

  test("schedules: Auto Scaling's five-field cron, an IANA zone, a change that is consistent", () => {
    expect(
      problems({
        nodes: {
          ...scaled,
          schedules: [
            { name: "peak", cron: "cron(0 8 ? * MON-FRI *)", timeZone: "Mars/Olympus", desiredCount: 4 },
            { name: "peak", cron: "0 20 * * *" },
            { name: "night", cron: "0 22 * * *", minCount: 5, maxCount: 3, desiredCount: 8 },
          ],
        },
      }),
    ).toEqual({
      "nodes.schedules[0].cron":
        'must be a five-field Unix cron expression such as "0 8 * * MON-FRI" (Auto Scaling\'s dialect, UTC unless timeZone); got "cron(0 8 ? * MON-FRI *)"',
      "nodes.schedules[0].timeZone": 'must be an IANA time zone such as Etc/UTC or Europe/Paris; got "Mars/Olympus"',
      "nodes.schedules[1].name": 'repeats the name "peak"',
      "nodes.schedules[1]": "changes nothing: give minCount, maxCount or desiredCount",
      "nodes.schedules[2].minCount": "is 5, above its maxCount 3",
      "nodes.schedules[2].desiredCount": "is 8, outside its minCount-maxCount",
    });
    expect(
      problems({
        nodes: {
          ...scaled,
          schedules: [
            { name: "peak", cron: "0 8 * * MON-FRI", timeZone: "Europe/Paris", minCount: 4, desiredCount: 4 },
          ],
        },
      }),
    ).toEqual({});
  });

  test("patch windows: the state server's cron(...) and zone, RDS's windows apart and long enough", () => {
    expect(
      problems({
        nodes: { count: 2 },
        stateServer: { patchSchedule: "0 3 * * SUN", patchTimeZone: "Paris" },
      }),
    ).toEqual({
      "stateServer.patchSchedule":
        'must be a six-field cron(...) expression with "?" in the day-of-month or day-of-week field, such as "cron(0 3 ? * SUN *)"; got "0 3 * * SUN"',
      "stateServer.patchTimeZone": 'must be an IANA time zone such as Etc/UTC or Europe/Paris; got "Paris"',
    });
    expect(
      problems({
        nodes: { count: 2 },
        sqlServer: { backupWindow: "23:50-00:30", maintenanceWindow: "mon:00:10-mon:00:20" },
      }),
    ).toEqual({
      "sqlServer.maintenanceWindow": "must last at least 30 minutes (RDS)",
    });
    expect(
      problems({
        nodes: { count: 2 },
        sqlServer: { backupWindow: "23:50-00:30", maintenanceWindow: "mon:00:10-mon:01:00" },
      }),
    ).toEqual({
      "sqlServer.maintenanceWindow": "overlaps the backup window 23:50-00:30 (RDS requires them apart)",
    });
    expect(problems({ nodes: { count: 2 }, sqlServer: { maintenanceWindow: "sat:22:00-sat:23:00" } })).toEqual({});
  });

  test("bad scaling input is one error naming every problem, with nothing registered", async () => {
    const { error, graph } = await attempt(
      () =>
        new WebFarm("shop", {
          nodes: { count: 2, mode: "autoscaling", maxCount: 1, spot: true, targetCpuPercent: 5, warmupSeconds: -1 },
        }),
    );
    expect(error?.message).toMatch(/^WebFarm "shop" has 6 problems; nothing was created/);
    expect(error?.message).toContain("- nodes.warmupSeconds: must be a whole number 0-3600; got -1");
    for (const field of ["nodes.maxCount", "nodes.targetCpuPercent", "nodes.warmupSeconds", "nodes.spot"])
      expect(error?.message).toContain(`- ${field}: `);
    expect(graph.resources).toEqual([]);
  });
});
