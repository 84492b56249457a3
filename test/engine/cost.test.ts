// The monthly cost estimate: a dated or unverified source for every figure of the committed table,
// the arithmetic (730 h × hourly × count, a group's min..max, the Spot range), "not priced" instead
// of 0, the markdown section and the diff's delta.
import { readFileSync } from "fs";
import { join } from "path";
import {
  buildsPerMonth,
  costDelta,
  costSection,
  estimateMonthlyCost,
  PriceItem,
  PriceTable,
  priceTable,
} from "../../engine/cost";
import type { PlanResource } from "../../engine/planModel";
import { REPO_ROOT } from "../../tools/scripts/repoRoot";

const dated = (price: number, unit = "USD per hour"): PriceItem => ({
  price,
  unit,
  url: "https://aws.amazon.com/example/pricing/",
  date: "2026-09-20",
});

/** A small table of round figures, so each expected sum is visibly the arithmetic under test. */
const table: PriceTable = {
  about: "test",
  currency: "USD",
  hoursPerMonth: 730,
  assumptions: {
    albLcuPerHour: { value: 2, text: "2 LCU" },
    natGbPerMonth: { value: 10, text: "10 GB" },
    logIngestGbPerGroup: { value: 1, text: "1 GB in" },
    logStoredGbPerGroup: { value: 1, text: "1 GB kept" },
    s3GbPerBucket: { value: 5, text: "5 GB" },
    imageBuildInstanceHours: { value: 2, text: "2 h a build" },
  },
  global: {
    "spot.maxSavingPercent": dated(90, "%"),
    "rds.multiAzFactor": dated(2, "x"),
    "kms.key": dated(1, "USD per key-month"),
    "imagebuilder.service": dated(0, "USD"),
  },
  regions: {
    "eu-west-1": {
      "ec2.windows.t3.medium": dated(0.1),
      "ec2.windows.m6i.large": dated(0.2),
      "spot.windows.t3a.medium": dated(60, "%"),
      "ebs.gp3": dated(0.1, "USD per GB-month"),
      "elb.alb.hour": dated(0.03),
      "elb.alb.lcu": {
        price: 0.01,
        unit: "USD per LCU-hour",
        url: "https://aws.amazon.com/x/",
        unverified: true,
        why: "recalled",
      },
      "vpc.nat.hour": dated(0.05),
      "vpc.nat.gb": dated(0.05, "USD per GB"),
      "rds.sqlserver-se.db.m5.large": dated(1),
      "rds.storage.gp3": dated(0.1, "USD per GB-month"),
      "rds.sqlserver-ex.db.t3.small": {
        price: null,
        unit: "USD per hour",
        url: "https://aws.amazon.com/rds/",
        unverified: true,
        why: "none",
      },
    },
  },
};

const res = (type: string, name: string, inputs: Record<string, unknown>): PlanResource => ({ type, name, inputs });
const instance = (name: string, instanceType: string, gb = 50) =>
  res("aws:ec2/instance:Instance", name, { instanceType, rootBlockDevice: { volumeSize: gb, volumeType: "gp3" } });
const template = res("aws:ec2/launchTemplate:LaunchTemplate", "web-template", {
  instanceType: "t3.medium",
  blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { volumeSize: 50, volumeType: "gp3" } }],
});
const lineOf = (resources: PlanResource[], name: string) =>
  estimateMonthlyCost(resources, "eu-west-1", table).lines.find((l) => l.name === name)!;

describe("the committed price table", () => {
  const committed = priceTable();
  const items = Object.entries({
    ...committed.global,
    ...Object.fromEntries(
      Object.entries(committed.regions).flatMap(([region, entries]) =>
        Object.entries(entries).map(([k, v]) => [`${region} ${k}`, v]),
      ),
    ),
  });

  test("holds eu-west-1, the examples' region, and us-east-1, in USD at 730 hours a month", () => {
    expect(Object.keys(committed.regions)).toEqual(expect.arrayContaining(["eu-west-1", "us-east-1"]));
    expect(committed.currency).toBe("USD");
    expect(committed.hoursPerMonth).toBe(730);
  });

  test.each(items)("%s names its AWS page, a unit, and a date or why it is unverified", (_, item) => {
    expect(item.url).toMatch(/^https:\/\//);
    expect(item.unit).not.toBe("");
    if (item.unverified) expect(item.why).toEqual(expect.any(String));
    else expect(item.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test("prices the Windows instance types the kit uses and the Spot siblings of its default", () => {
    for (const type of ["t3.small", "t3.medium", "m5.large", "m6i.large", "t3a.medium", "t2.medium"])
      expect(committed.regions["eu-west-1"][`ec2.windows.${type}`]?.price).toEqual(expect.any(Number));
  });
});

describe("estimateMonthlyCost", () => {
  test("an instance costs 730 h × its hourly price plus its volume's GB-months", () => {
    const line = lineOf([instance("web-0", "t3.medium", 50)], "web-0");
    expect(line.monthly!.min).toBeCloseTo(730 * 0.1 + 50 * 0.1, 6);
    expect(line.monthly!.max).toBe(line.monthly!.min);
    expect(line.counted).toBe("1 × t3.medium Windows, 730 h; 50 GB gp3");
    expect(line.sources).toEqual(["ec2.windows.t3.medium", "ebs.gp3"]);
  });

  test("the total adds every line: count × 730 h × hourly", () => {
    const estimate = estimateMonthlyCost(
      [instance("a", "t3.medium"), instance("b", "t3.medium"), instance("c", "m6i.large")],
      "eu-west-1",
      table,
    );
    const expected = 2 * (730 * 0.1 + 5) + (730 * 0.2 + 5);
    expect(estimate.total.min).toBeCloseTo(expected, 6);
    expect(estimate.total.max).toBeCloseTo(expected, 6);
  });

  test("an Auto Scaling group is a range from its minimum to its maximum nodes, volumes included", () => {
    const group = res("aws:autoscaling/group:Group", "web-group", {
      minSize: 2,
      maxSize: 5,
      launchTemplate: { id: "LaunchTemplate.web-template", version: "1" },
    });
    const line = lineOf([template, group], "web-group");
    expect(line.monthly!.min).toBeCloseTo(2 * (730 * 0.1 + 50 * 0.1), 6);
    expect(line.monthly!.max).toBeCloseTo(5 * (730 * 0.1 + 50 * 0.1), 6);
    expect(line.counted).toContain("2–5 × t3.medium");
  });

  test("Spot nodes range from the best Advisor saving in the pool up to On-Demand; the base stays On-Demand", () => {
    const group = res("aws:autoscaling/group:Group", "spot-group", {
      minSize: 2,
      maxSize: 4,
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: "LaunchTemplate.web-template", version: "1" },
          overrides: [{ instanceType: "t3.medium" }, { instanceType: "t3a.medium" }, { instanceType: "t2.medium" }],
        },
        instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0 },
      },
    });
    const line = lineOf([template, group], "spot-group");
    const hourly = 0.1;
    expect(line.monthly!.min).toBeCloseTo(730 * hourly * (1 + 1 * 0.4) + 2 * 5, 6);
    expect(line.monthly!.max).toBeCloseTo(730 * hourly * 4 + 4 * 5, 6);
    expect(line.sources).toContain("spot.windows.t3a.medium");
    expect(line.notes.join(" ")).toMatch(/Advisor saving up to 60%/);
  });

  test("without an Advisor figure in the region, Spot falls back to AWS's stated largest saving", () => {
    const group = res("aws:autoscaling/group:Group", "g", {
      minSize: 1,
      maxSize: 1,
      mixedInstancesPolicy: {
        launchTemplate: { launchTemplateSpecification: { launchTemplateId: "LaunchTemplate.web-template" } },
        instancesDistribution: { onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0 },
      },
    });
    const line = lineOf([template, group], "g");
    expect(line.monthly!.min).toBeCloseTo(730 * 0.1 * 0.1 + 5, 6);
    expect(line.sources).toContain("spot.maxSavingPercent");
  });

  test("an unknown instance type or resource type is listed as not priced, never as 0", () => {
    const estimate = estimateMonthlyCost(
      [instance("odd", "x9.huge", 0), res("aws:dynamodb/table:Table", "t", {})],
      "eu-west-1",
      table,
    );
    const odd = estimate.lines.find((l) => l.name === "odd")!;
    expect(odd.notPriced.join()).toMatch(/x9\.huge/);
    const dynamo = estimate.lines.find((l) => l.name === "t")!;
    expect(dynamo.monthly).toBeNull();
    expect(costSection(estimate).join("\n")).toMatch(/\| t \| dynamodb\/table \| not priced \| not priced \|/);
  });

  test("gp3 IOPS or throughput above the baseline is named as not priced; the GB-months still count", () => {
    const r = res("aws:ec2/instance:Instance", "fast", {
      instanceType: "t3.medium",
      rootBlockDevice: { volumeSize: 100, volumeType: "gp3", iops: 6000 },
    });
    const line = lineOf([r], "fast");
    expect(line.monthly!.min).toBeCloseTo(730 * 0.1 + 100 * 0.1, 6);
    expect(line.notPriced.join()).toMatch(/IOPS or throughput above the baseline/);
  });

  test("a region missing from the table prices nothing", () => {
    const estimate = estimateMonthlyCost([instance("a", "t3.medium")], "ap-south-2", table);
    expect(estimate.lines[0].monthly).toBeNull();
    expect(estimate.total).toEqual({ min: 0, max: 0 });
  });

  test("RDS Multi-AZ doubles the instance-hours and storage; a class without a figure is not priced", () => {
    const se = res("aws:rds/instance:Instance", "db", {
      engine: "sqlserver-se",
      instanceClass: "db.m5.large",
      multiAz: true,
      allocatedStorage: 20,
      storageType: "gp3",
    });
    expect(lineOf([se], "db").monthly!.min).toBeCloseTo(2 * (730 * 1 + 20 * 0.1), 6);
    const ex = res("aws:rds/instance:Instance", "ex", {
      engine: "sqlserver-ex",
      instanceClass: "db.t3.small",
      allocatedStorage: 20,
      storageType: "gp3",
    });
    const line = lineOf([ex], "ex");
    expect(line.monthly!.min).toBeCloseTo(20 * 0.1, 6);
    expect(line.notPriced.join()).toMatch(/sqlserver-ex db\.t3\.small/);
  });

  test("usage-based items use the table's stated assumptions", () => {
    const estimate = estimateMonthlyCost(
      [
        res("aws:lb/loadBalancer:LoadBalancer", "lb", { loadBalancerType: "application" }),
        res("aws:ec2/natGateway:NatGateway", "nat", {}),
      ],
      "eu-west-1",
      table,
    );
    expect(estimate.lines[0].monthly!.min).toBeCloseTo(730 * 0.03 + 730 * 2 * 0.01, 6);
    expect(estimate.lines[1].monthly!.min).toBeCloseTo(730 * 0.05 + 10 * 0.05, 6);
    expect(estimate.assumptions).toEqual(expect.arrayContaining(["2 LCU", "10 GB"]));
  });

  test("plumbing has no charge of its own and non-AWS resources are counted apart", () => {
    const estimate = estimateMonthlyCost(
      [res("aws:ec2/vpc:Vpc", "vpc", {}), res("random:index/randomBytes:RandomBytes", "r", {})],
      "eu-west-1",
      table,
    );
    expect(estimate.lines).toEqual([]);
    expect(estimate.noCharge).toEqual({ "aws:ec2/vpc:Vpc": 1 });
    expect(estimate.notAws).toBe(1);
  });
});

test("an image pipeline's builds a month come from its schedule", () => {
  expect(buildsPerMonth("cron(0 3 ? * tue#3 *)", "EXPRESSION_MATCH_ONLY").builds).toEqual({ min: 1, max: 1 });
  expect(buildsPerMonth("rate(7 days)").builds.max).toBeCloseTo(30 / 7, 6);
  expect(buildsPerMonth("cron(0 3 ? * MON *)", "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE").builds).toEqual({
    min: 0,
    max: 4.35,
  });
  expect(buildsPerMonth(undefined).builds).toEqual({ min: 0, max: 0 });
});

describe("costSection", () => {
  test("prints each resource, the total, the assumptions, the dates and the unverified figures", () => {
    const estimate = estimateMonthlyCost(
      [instance("web-0", "t3.medium"), res("aws:lb/loadBalancer:LoadBalancer", "lb", {})],
      "eu-west-1",
      table,
    );
    const text = costSection(estimate).join("\n");
    expect(text).toMatch(/estimate from AWS list prices on the dates shown below, not a bill/);
    expect(text).toContain("| web-0 | ec2/instance | 1 × t3.medium Windows, 730 h; 50 GB gp3 | $78.00 |");
    expect(text).toContain(`| **Total** | | | **$${estimate.total.min.toFixed(2)}** | |`);
    expect(text).toContain("- 2 LCU");
    expect(text).toContain(
      "| `ec2.windows.t3.medium` | 0.1 | USD per hour | https://aws.amazon.com/example/pricing/ | 2026-09-20 |",
    );
    expect(text).toMatch(/`elb\.alb\.lcu` .* unverified: recalled/);
    expect(text).toContain("`elb.alb.lcu`†");
  });

  test("keeps the committed table's dates visible for a real plan (plans/asg.json)", () => {
    const plan = JSON.parse(readFileSync(join(REPO_ROOT, "plans", "asg.json"), "utf8")) as {
      resources: PlanResource[];
    };
    const committed = priceTable();
    const estimate = estimateMonthlyCost(plan.resources, "eu-west-1");
    const group = plan.resources.find((r) => r.type === "aws:autoscaling/group:Group")!;
    const line = estimate.lines.find((l) => l.name === group.name)!;
    const hourly = committed.regions["eu-west-1"]["ec2.windows.t3.medium"].price!;
    const gp3 = committed.regions["eu-west-1"]["ebs.gp3"].price!;
    const node = 730 * hourly + 50 * gp3;
    expect(line.monthly!.min).toBeCloseTo(Number(group.inputs.minSize) * node, 6);
    expect(line.monthly!.max).toBeCloseTo(Number(group.inputs.maxSize) * node, 6);
    const text = costSection(estimate).join("\n");
    for (const s of estimate.sources)
      expect(text).toContain(s.unverified ? `unverified: ${s.unverified.replace(/\|/g, "\\|")}` : s.date!);
    expect(estimate.lines.every((l) => l.monthly !== null || l.notPriced.length > 0)).toBe(true);
  });
});

describe("costDelta", () => {
  test("shows the total before → after and each line added, changed or removed", () => {
    const before = estimateMonthlyCost(
      [instance("web-0", "t3.medium"), instance("old", "t3.medium")],
      "eu-west-1",
      table,
    );
    const after = estimateMonthlyCost(
      [instance("web-0", "m6i.large"), res("aws:ec2/natGateway:NatGateway", "nat", {})],
      "eu-west-1",
      table,
    );
    const lines = costDelta(before, after);
    const change = after.total.min - before.total.min;
    expect(lines[0]).toBe(
      `Monthly cost estimate (eu-west-1): $${before.total.min.toFixed(2)} → $${after.total.min.toFixed(2)} (${change < 0 ? "-" : "+"}$${Math.abs(change).toFixed(2)})`,
    );
    expect(lines).toContain("~ web-0 (ec2/instance): $78.00 → $151.00 — 1 × m6i.large Windows, 730 h; 50 GB gp3");
    expect(lines).toContain("+ nat (ec2/natGateway): $37.00 — 1 × NAT gateway, 730 h + 10 GB processed");
    expect(lines).toContain("- old (ec2/instance): was $78.00");
  });

  test("a team's resource of a type the table does not price is added as not priced, said once", () => {
    const e = estimateMonthlyCost([instance("web-0", "t3.medium")], "eu-west-1", table);
    const withQueue = estimateMonthlyCost(
      [instance("web-0", "t3.medium"), res("aws:sqs/queue:Queue", "jobs", {})],
      "eu-west-1",
      table,
    );
    expect(costDelta(e, withQueue)).toEqual([
      "Monthly cost estimate (eu-west-1): $78.00 → $78.00 (+$0.00)",
      "+ jobs (sqs/queue): not priced",
    ]);
  });

  test("says so when nothing priced changed", () => {
    const e = estimateMonthlyCost([instance("web-0", "t3.medium")], "eu-west-1", table);
    expect(costDelta(e, e)).toEqual([
      "Monthly cost estimate (eu-west-1): $78.00 → $78.00 (+$0.00)",
      "no priced resource changed",
    ]);
  });
});
