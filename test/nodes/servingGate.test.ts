// Instances mode: `pulumi up` goes on only once a new node serves; the waiting, against a scripted
// load balancer and a fake clock.
import {
  gateReplaces,
  HealthCalls,
  ServingGateInputs,
  TargetHealth,
  waitUntilServing,
} from "../../components/nodes/servingGate";

const inputs: ServingGateInputs = {
  region: "eu-west-1",
  targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-web/0123456789abcdef",
  instanceId: "i-0new",
  instanceArn: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0new",
  node: "shop-web-1",
  bootLogGroup: "/aspnet-webfarm/prod/shop/boot",
  timeoutMinutes: 45,
};

/** The load balancer and the node's tag as scripts: each poll takes the next entry (the last repeats). */
function scripted(health: TargetHealth[], boot: (string | undefined)[]) {
  let polls = 0;
  const take = <T>(list: T[]) => list[Math.min(polls, list.length - 1)];
  const calls: HealthCalls = {
    targetHealth: async (arn, id) => {
      expect([arn, id]).toEqual([inputs.targetGroupArn, inputs.instanceId]);
      return take(health);
    },
    bootStatus: async (arn) => {
      expect(arn).toBe(inputs.instanceArn);
      return take(boot);
    },
  };
  const clock = {
    t: 0,
    lines: [] as string[],
    sleep: async (ms: number) => {
      clock.t += ms;
      polls++;
    },
    now: () => clock.t,
    log: (line: string) => void clock.lines.push(line),
  };
  return { calls, clock, polls: () => polls };
}

const initial: TargetHealth = { state: "initial", reason: "Elb.RegistrationInProgress" };
const unhealthy: TargetHealth = {
  state: "unhealthy",
  reason: "Target.FailedHealthChecks",
  description: "Health checks failed",
};

test("the gate opens once the new node is healthy in the target group", async () => {
  const s = scripted([initial, initial, unhealthy, { state: "healthy" }], [undefined, "running: install IIS", "ok"]);
  await waitUntilServing(s.calls, inputs, s.clock);
  expect(s.polls()).toBe(3);
  expect(s.clock.lines).toEqual([
    "shop-web-1: initial; boot not reported yet",
    "shop-web-1: initial; boot running: install IIS",
    "shop-web-1: unhealthy; boot ok",
    "shop-web-1: healthy in the target group",
  ]);
});

test("a node whose boot failed stops the update at once, naming the node, its step and its log", async () => {
  const s = scripted([initial, unhealthy], ["running: read the machine key", "failed: read the machine key"]);
  const failure = waitUntilServing(s.calls, inputs, s.clock);
  await expect(failure).rejects.toThrow(
    "node shop-web-1 (i-0new) failed to boot. Load balancer: unhealthy: Target.FailedHealthChecks: Health checks failed. " +
      "Boot status (tag webfarm:boot): failed: read the machine key. " +
      "Its boot log: CloudWatch Logs /aspnet-webfarm/prod/shop/boot, stream i-0new/boot; " +
      "or a session: aws ssm start-session --target i-0new. The nodes it was to replace keep serving.",
  );
  expect(s.polls()).toBe(1);
});

test("a node that never passes the health check fails the update at the documented bound", async () => {
  const s = scripted([unhealthy], ["ok"]);
  await expect(waitUntilServing(s.calls, inputs, s.clock, 20000)).rejects.toThrow(
    /node shop-web-1 \(i-0new\) did not pass the health check within 45 minutes\. .*Boot status \(tag webfarm:boot\): ok\./,
  );
  // Polled every 20 s until 45 minutes had passed, not a poll more.
  expect(s.clock.t).toBe(45 * 60000);
  expect(s.polls()).toBe((45 * 60) / 20);
});

test("a node with no boot tag yet says so, rather than an empty status", async () => {
  const s = scripted([initial], [undefined]);
  await expect(waitUntilServing(s.calls, { ...inputs, timeoutMinutes: 1 }, s.clock)).rejects.toThrow(
    "Boot status (tag webfarm:boot): none yet (the boot script has not started, or cannot tag).",
  );
});

test("the gate waits again for a new node or target group, not for a changed message or bound", () => {
  expect(gateReplaces(inputs, { ...inputs, instanceId: "i-0newer" })).toEqual(["instanceId"]);
  expect(gateReplaces(inputs, { ...inputs, targetGroupArn: "arn:other" })).toEqual(["targetGroupArn"]);
  expect(gateReplaces(inputs, { ...inputs, node: "renamed", timeoutMinutes: 60, bootLogGroup: "/x" })).toEqual([]);
});
