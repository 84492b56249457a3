// The Auto Scaling clock: each figure is the sum of its labelled assumptions around model.ts's node
// boot (nothing copied), so a reader can check it by hand; these tests keep the arithmetic honest.
import {
  ALB_METRIC_PERIOD_SECONDS,
  SCALING_STEPS,
  scaleInClock,
  scaleOutClock,
  WARM_START,
} from "../../../tools/bench/scaling";
import { HEALTHY, nodeBoot, RELEASE_STEPS, WINDOWS_SETUP } from "../../../tools/bench/model";
import { DEFAULT_WARMUP_SECONDS } from "../../../components/args/constants";

const S = SCALING_STEPS;
const alarm = S.alarmHigh.seconds + S.metricLag.seconds;

test("the scale-out alarm waits for three one-minute datapoints of ALBRequestCountPerTarget, then the metric's lag", () => {
  expect(ALB_METRIC_PERIOD_SECONDS).toBe(60);
  expect(S.alarmHigh.seconds).toBe(3 * 60);
  for (const c of ["stock", "farmImage", "warmPool"] as const)
    expect(scaleOutClock({ case: c, pace: "typical", app: true }).alarmSeconds).toBe(alarm);
});

test("a cold node serves after the alarm, the activity, model.ts's boot with the current release, the hook and the checks", () => {
  for (const image of ["stock", "farmImage", "fastLaunch"] as const) {
    const clock = scaleOutClock({ case: image, pace: "typical", app: true });
    // nodeBoot's replacement already counts Windows setup, the user data steps, the current
    // release (CodeDeploy's launch deployment) and the health checks: the same node, reused.
    const boot = nodeBoot(image, "typical", true);
    expect(clock.inServiceSeconds).toBe(
      alarm + S.activity.seconds + boot.replacementServes - HEALTHY.seconds + S.hookComplete.seconds,
    );
    expect(clock.servingSeconds).toBe(clock.inServiceSeconds + HEALTHY.seconds);
    expect(clock.steps.reduce((sum, s) => sum + s.seconds, 0)).toBe(clock.servingSeconds);
  }
});

test("without an application a new node skips the current release", () => {
  const withApp = scaleOutClock({ case: "farmImage", pace: "typical", app: true });
  const without = scaleOutClock({ case: "farmImage", pace: "typical", app: false });
  expect(without.steps.map((s) => s.step)).not.toContain("currentRelease");
  expect(without.servingSeconds).toBe(
    alarm +
      S.activity.seconds +
      nodeBoot("farmImage", "typical", false).ready +
      S.hookComplete.seconds +
      HEALTHY.seconds,
  );
  expect(without.servingSeconds).toBeLessThan(withApp.servingSeconds);
});

test("the warm-up starts at InService, after the hook, so the boot is not counted twice", () => {
  for (const c of ["stock", "farmImage", "warmPool"] as const) {
    const clock = scaleOutClock({ case: c, pace: "typical", app: true });
    expect(clock.countedSeconds).toBe(clock.inServiceSeconds + DEFAULT_WARMUP_SECONDS);
    expect(S.warmup.seconds).toBe(DEFAULT_WARMUP_SECONDS);
  }
});

test("a warm-pool node skips Windows setup and the install: start, application warm-up, check, hook", () => {
  const clock = scaleOutClock({ case: "warmPool", pace: "slow", app: true });
  expect(clock.steps.map((s) => s.step)).not.toContain("windowsSetup");
  expect(clock.inServiceSeconds).toBe(
    alarm +
      S.activity.seconds +
      WARM_START.windowsStart.seconds +
      RELEASE_STEPS.start.seconds +
      RELEASE_STEPS.validate.seconds +
      S.hookComplete.seconds,
  );
  // The Windows start is an explicit assumption borrowed from the Fast Launch figure, not a copy.
  expect(WARM_START.windowsStart.seconds).toBe(WINDOWS_SETUP.fastLaunch.seconds);
  expect(WARM_START.windowsStart.source).toMatch(/ASSUMPTION/);
});

test("stock, farm image, Fast Launch, warm pool: each new node serves sooner than the one before", () => {
  for (const app of [true, false]) {
    const at = (c: "stock" | "farmImage" | "fastLaunch" | "warmPool") =>
      scaleOutClock({ case: c, pace: "typical", app }).servingSeconds;
    expect(at("farmImage")).toBeLessThan(at("stock"));
    expect(at("fastLaunch")).toBeLessThan(at("farmImage"));
    expect(at("warmPool")).toBeLessThan(at("fastLaunch"));
  }
});

test("scale-in: fifteen datapoints below, then the node drains for the deregistration delay and terminates", () => {
  const clock = scaleInClock();
  expect(S.alarmLow.seconds).toBe(15 * 60);
  expect(S.drain.seconds).toBe(RELEASE_STEPS.blockTraffic.seconds);
  expect(clock.outOfServiceSeconds).toBe(S.alarmLow.seconds + S.metricLag.seconds + S.activity.seconds);
  expect(clock.goneSeconds).toBe(clock.outOfServiceSeconds + S.drain.seconds + S.terminate.seconds);
  expect(clock.steps.reduce((sum, s) => sum + s.seconds, 0)).toBe(clock.goneSeconds);
});

test("every scaling assumption names its source", () => {
  for (const a of [...Object.values(SCALING_STEPS), ...Object.values(WARM_START)])
    expect(a.source.length).toBeGreaterThan(20);
});
