// The benchmark's clock model: each figure is the sum of its labelled assumptions, so a reader can
// check it by hand; these tests keep the arithmetic honest (they time nothing).
import {
  BOOT_STEPS,
  farmClock,
  HEALTHY,
  nodeBoot,
  RELEASE_STEPS,
  releaseSeconds,
  SESSION_STORE_STEPS,
  WINDOWS_SETUP,
} from "../../../tools/bench/model";
import { HEALTH_CHECK } from "../../../components/loadBalancer/loadBalancer";
import { REFRESH_WARMUP_SECONDS } from "../../../components/nodes/webNodes";

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const steps = (image: "stock" | "farmImage", keys: string[]) => sum(keys.map((k) => BOOT_STEPS[k][image]));
const own = ["cloudWatchAgent", "features", "machineKey", "configure", "iisReset"];

test("a node without an application serves after Windows setup, its own steps and the health checks", () => {
  const clock = farmClock({ image: "farmImage", pace: "typical", nodes: 2, app: false, nodesAtOnce: 1 });
  expect(clock.firstServingSeconds).toBe(WINDOWS_SETUP.typical.seconds + steps("farmImage", own) + HEALTHY.seconds);
  expect(clock.allServingSeconds).toBe(clock.firstServingSeconds);
  expect(HEALTHY.seconds).toBe(HEALTH_CHECK.interval * HEALTH_CHECK.healthyThreshold);
});

test("with an application, the first release starts on a node once its agent is up, one batch after another", () => {
  const o = { image: "stock" as const, pace: "slow" as const, nodes: 4, app: true, nodesAtOnce: 1 };
  const clock = farmClock(o);
  const ready = WINDOWS_SETUP.slow.seconds + steps("stock", [...own, "codeDeployAgent"]);
  const release = releaseSeconds(4, 1);
  expect(release.perBatch).toBe(sum(Object.values(RELEASE_STEPS).map((s) => s.seconds)));
  expect(clock.firstServingSeconds).toBe(ready + release.perBatch);
  expect(clock.allServingSeconds).toBe(ready + 4 * release.perBatch);
});

test("a replaced node installs the current release itself; a refresh adds the warm-up and the old node's drain", () => {
  const boot = nodeBoot("fastLaunch", "typical", true);
  expect(boot.replacementServes).toBe(
    WINDOWS_SETUP.fastLaunch.seconds +
      steps("farmImage", [...own, "codeDeployAgent", "currentRelease"]) +
      HEALTHY.seconds,
  );
  const clock = farmClock({ image: "fastLaunch", pace: "typical", nodes: 2, app: true, nodesAtOnce: 1 });
  expect(clock.refreshSeconds).toBe(
    boot.replacementServes + REFRESH_WARMUP_SECONDS + RELEASE_STEPS.blockTraffic.seconds,
  );
});

test("the farm image is faster than the stock image at every outcome, and Fast Launch faster still", () => {
  for (const app of [false, true]) {
    const at = (image: "stock" | "farmImage" | "fastLaunch") =>
      farmClock({ image, pace: "typical", nodes: 2, app, nodesAtOnce: 1 });
    for (const k of ["firstServingSeconds", "replaceEveryNodeSeconds", "refreshSeconds"] as const) {
      expect(at("farmImage")[k]).toBeLessThan(at("stock")[k]);
      expect(at("fastLaunch")[k]).toBeLessThan(at("farmImage")[k]);
    }
  }
});

test("every assumption names its source", () => {
  for (const a of [
    ...Object.values(WINDOWS_SETUP),
    ...Object.values(BOOT_STEPS),
    ...Object.values(RELEASE_STEPS),
    HEALTHY,
  ])
    expect(a.source.length).toBeGreaterThan(20);
});

test("with SQL Server sessions a new farm's nodes also wait for RDS and the setup; replacements do not", () => {
  const o = { image: "farmImage" as const, pace: "typical" as const, nodes: 2, app: false, nodesAtOnce: 1 };
  const plain = farmClock(o);
  const sql = farmClock({ ...o, sqlServer: true });
  const storeReady =
    SESSION_STORE_STEPS.rdsCreate.seconds + WINDOWS_SETUP.typical.seconds + SESSION_STORE_STEPS.setupScript.seconds;
  expect(sql.firstServingSeconds).toBe(
    storeReady + BOOT_STEPS.configure.farmImage + BOOT_STEPS.iisReset.farmImage + HEALTHY.seconds,
  );
  expect(sql.firstServingSeconds).toBeGreaterThan(plain.firstServingSeconds);
  expect(sql.replaceEveryNodeSeconds).toBe(plain.replaceEveryNodeSeconds);
});
