// The clock of Auto Scaling mode, modeled: from a load spike to a new node serving (scale-out) and
// from the load's end to a node gone (scale-in), each step a labelled assumption with its source.
// The node's own boot is tools/bench/model.ts's (Windows setup, boot steps, the current release,
// the health checks): nothing is copied here. run.ts times the local farm's scaling beside it
// (tools/local/measureScale.ts).
import { DEFAULT_WARMUP_SECONDS } from "../../components/args/constants";
import { Assumption, BOOT_STEPS, HEALTHY, ImageKind, nodeBoot, Pace, RELEASE_STEPS, WINDOWS_SETUP } from "./model";

/** ELB sends its CloudWatch metrics once a minute, so a datapoint of ALBRequestCountPerTarget is a minute. */
export const ALB_METRIC_PERIOD_SECONDS = 60;
const ALB_METRICS_SOURCE =
  "ALB user guide, CloudWatch metrics for your Application Load Balancer: 'Elastic Load Balancing measures and sends its metrics in 60-second intervals'";
const TARGET_TRACKING_ALARMS_SOURCE =
  "the two alarms target tracking creates and manages (EC2 Auto Scaling user guide, target tracking scaling policies; AWS does not document their settings): consoles show AlarmHigh '3 datapoints within 3 minutes' and AlarmLow '15 datapoints within 15 minutes' (public READMEs and tutorials), and cloudandclear.uk/aws-auto-scaling-assumptions-production: 'three consecutive breaching datapoints to trigger scale-out, fifteen to trigger scale-in'";

/** What Auto Scaling and CloudWatch add around a node's own boot, in order. */
export const SCALING_STEPS: Record<string, Assumption> = {
  alarmHigh: {
    seconds: 3 * ALB_METRIC_PERIOD_SECONDS,
    what: "target tracking's scale-out alarm on ALBRequestCountPerTarget: 3 one-minute datapoints above the target",
    source: `${TARGET_TRACKING_ALARMS_SOURCE}; ${ALB_METRICS_SOURCE}`,
  },
  metricLag: {
    seconds: ALB_METRIC_PERIOD_SECONDS,
    what: "the last minute's datapoint reaches CloudWatch and the alarm evaluates it",
    source:
      "assumption: one metric period; AWS publishes no figure for the delay between a minute's end and the alarm seeing it",
  },
  activity: {
    seconds: 10,
    what: "the alarm runs the policy; Auto Scaling raises the desired capacity and starts a launch activity (RunInstances)",
    source: "assumption: API calls inside AWS, seconds; the activity history shows the cause and the start time",
  },
  hookComplete: {
    seconds: 5,
    what: "the launch hook completes (the boot's Complete-ASLifecycleAction); the node is registered with the target group and enters InService",
    source:
      "components/windows/boot.ts (Complete-Launch); 'registers your instance with the load balancer before it marks the instance as InService' (EC2 Auto Scaling lifecycle page); assumption: one API call and the registration, seconds",
  },
  warmup: {
    seconds: DEFAULT_WARMUP_SECONDS,
    what: "the default instance warm-up: the new node's metrics count for the policy only after it (it serves meanwhile)",
    source:
      "components/args/constants.ts DEFAULT_WARMUP_SECONDS; 'the warm-up period does not start until the lifecycle hook actions are complete and the instance enters the InService state' (EC2 Auto Scaling user guide, default instance warmup and instance refresh pages; /work/tmp/i24-facts.md Q2)",
  },
  alarmLow: {
    seconds: 15 * ALB_METRIC_PERIOD_SECONDS,
    what: "target tracking's scale-in alarm: 15 one-minute datapoints below its (lower) threshold",
    source: `${TARGET_TRACKING_ALARMS_SOURCE}; ${ALB_METRICS_SOURCE}`,
  },
  drain: {
    seconds: RELEASE_STEPS.blockTraffic.seconds,
    what: "the node leaves the target group and its in-flight requests drain for the deregistration delay (less if none is left)",
    source:
      "the farm's target group, deregistrationDelay 30 s (components/loadBalancer/loadBalancer.ts); 'deregisters the terminating instance from the load balancer before running lifecycle hooks' (EC2 Auto Scaling lifecycle page; facts Q4)",
  },
  terminate: {
    seconds: 60,
    what: "termination: Windows shuts down (services, IIS, agents stop) and the instance reaches terminated",
    source:
      "assumption: a Windows shutdown of a web server, about a minute; no termination hook holds it unless CodeDeploy's termination deployment runs (its ApplicationStop, facts Q4)",
  },
};

/**
 * A stopped node from the warm pool, started: no Windows setup (sysprep ran at its first launch),
 * no install (its boot ran before it was stopped), only Windows starting, the application
 * warming up and the node's check before it completes the launch hook.
 */
export const WARM_START: Record<string, Assumption> = {
  windowsStart: {
    seconds: WINDOWS_SETUP.fastLaunch.seconds,
    what: "the stopped instance starts and Windows boots to its startup task (no sysprep specialize, no user data install)",
    source:
      "ASSUMPTION, no Windows warm-pool timing source was found (/work/tmp/i24-facts.md Q5): taken as long as a Fast Launch launch to user data (WINDOWS_SETUP.fastLaunch), which also skips Windows setup",
  },
  appStart: {
    seconds: RELEASE_STEPS.start.seconds,
    what: "with an application: IIS starts the site; the first request compiles it (its temporary files may survive the stop)",
    source: "the release model's ApplicationStart figure (RELEASE_STEPS.start), an upper bound here",
  },
  siteStart: {
    seconds: BOOT_STEPS.iisReset.farmImage,
    what: "without an application: IIS starts and the health page answers",
    source: "the boot model's iisReset figure (BOOT_STEPS.iisReset)",
  },
  check: {
    seconds: RELEASE_STEPS.validate.seconds,
    what: "the node checks its health page and application before it completes the launch hook (the hook's second firing)",
    source:
      "the release model's ValidateService figure (RELEASE_STEPS.validate); the hook fires entering and leaving the pool (warm-pool-instance-lifecycle, facts Q5)",
  },
};

export type ScaleOutCase = ImageKind | "warmPool";

export interface ScaleOutClock {
  /** The steps from the spike, in order, each with its seconds (the node's boot in its own parts). */
  steps: { step: string; seconds: number }[];
  /** The spike until the alarm fires. */
  alarmSeconds: number;
  /** The spike until the new node is InService (its launch hook completed, registered). */
  inServiceSeconds: number;
  /** The spike until the new node serves: InService and two health checks passed. */
  servingSeconds: number;
  /** The spike until the new node's warm-up is over and the policy counts it. */
  countedSeconds: number;
}

/**
 * From a load spike (the first minute above the target) to a new node serving. Every node of one
 * scale-out activity launches at once, so the first and the last new node serve together. With an
 * application, a new node also runs CodeDeploy's launch deployment of the group's last release
 * (model.ts's `currentRelease`); a warm-pool node ran its boot before it was stopped.
 */
export function scaleOutClock(o: { case: ScaleOutCase; pace: Pace; app: boolean }): ScaleOutClock {
  const s = SCALING_STEPS;
  const alarm = s.alarmHigh.seconds + s.metricLag.seconds;
  const node: { step: string; seconds: number }[] =
    o.case === "warmPool"
      ? ["windowsStart", o.app ? "appStart" : "siteStart", "check"].map((step) => ({
          step,
          seconds: WARM_START[step].seconds,
        }))
      : bootParts(o.case, o.pace, o.app);
  const steps = [
    { step: "alarm", seconds: s.alarmHigh.seconds },
    { step: "metricLag", seconds: s.metricLag.seconds },
    { step: "activity", seconds: s.activity.seconds },
    ...node,
    { step: "hookComplete", seconds: s.hookComplete.seconds },
  ];
  const inService = steps.reduce((sum, x) => sum + x.seconds, 0);
  return {
    steps: [...steps, { step: "healthChecks", seconds: HEALTHY.seconds }],
    alarmSeconds: alarm,
    inServiceSeconds: inService,
    servingSeconds: inService + HEALTHY.seconds,
    // The warm-up runs from InService, alongside the health checks (which are shorter).
    countedSeconds: inService + Math.max(s.warmup.seconds, HEALTHY.seconds),
  };
}

/** The node's boot from model.ts, split: Windows setup, its user data steps, the current release. */
function bootParts(image: ImageKind, pace: Pace, app: boolean) {
  const boot = nodeBoot(image, pace, app);
  const setup = image === "fastLaunch" ? WINDOWS_SETUP.fastLaunch.seconds : WINDOWS_SETUP[pace].seconds;
  const release = boot.replacementServes - HEALTHY.seconds - boot.ready;
  return [
    { step: "windowsSetup", seconds: setup },
    { step: "bootSteps", seconds: boot.ready - setup },
    ...(app ? [{ step: "currentRelease", seconds: release }] : []),
  ];
}

export interface ScaleInClock {
  steps: { step: string; seconds: number }[];
  /** The load's end until the node stops receiving new requests (deregistration starts). */
  outOfServiceSeconds: number;
  /** The load's end until the node is terminated. */
  goneSeconds: number;
}

/** From the load's end (the first minute below the scale-in threshold) to a node gone. */
export function scaleInClock(): ScaleInClock {
  const s = SCALING_STEPS;
  const steps = ["alarmLow", "metricLag", "activity", "drain", "terminate"].map((step) => ({
    step,
    seconds: s[step].seconds,
  }));
  const outOfService = s.alarmLow.seconds + s.metricLag.seconds + s.activity.seconds;
  return {
    steps,
    outOfServiceSeconds: outOfService,
    goneSeconds: outOfService + s.drain.seconds + s.terminate.seconds,
  };
}
