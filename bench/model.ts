// The clock of the farm on AWS, modeled: each step a labelled assumption with its source. Nothing
// here was measured on AWS (there is no account here); the README shows these with the figures.
import { HEALTH_CHECK } from "../components/loadBalancer";

export interface Assumption {
  seconds: number;
  what: string;
  source: string;
}

const healthyAfter = HEALTH_CHECK.interval * HEALTH_CHECK.healthyThreshold;

/** One node's turn in a CodeDeploy in-place release with traffic control. */
export const RELEASE_STEPS: Record<string, Assumption> = {
  blockTraffic: {
    seconds: 30,
    what: "BlockTraffic: the node leaves the target group; in-flight requests drain for the deregistration delay",
    source:
      "the farm's target group, deregistrationDelay 30 s (components/loadBalancer.ts); CodeDeploy waits for deregistration (CodeDeploy user guide, Integrating CodeDeploy with Elastic Load Balancing)",
  },
  install: {
    seconds: 20,
    what: "BeforeInstall: download the build from S3 in-region and expand it (a .NET Framework site of tens of MB)",
    source: "assumption: S3 in-region throughput of tens of MB/s; Expand-Archive of a few thousand files",
  },
  start: {
    seconds: 30,
    what: "ApplicationStart: switch the site, recycle the pool, warm up (first request compiles the site)",
    source: "assumption: ASP.NET first-request compilation of a mid-size site, 10-60 s",
  },
  validate: {
    seconds: 5,
    what: "ValidateService: the health page and the application URL answer 200 on the node",
    source: "the hook's own requests once warm (components/windows/release.ts)",
  },
  allowTraffic: {
    seconds: healthyAfter,
    what: `AllowTraffic: registered again, healthy after ${HEALTH_CHECK.healthyThreshold} checks ${HEALTH_CHECK.interval} s apart`,
    source: "the farm's health check (components/loadBalancer.ts); CodeDeploy waits for the target to be healthy",
  },
};

/** A release of `nodes` nodes, `nodesAtOnce` at a time: batches one after another. */
export function releaseSeconds(
  nodes: number,
  nodesAtOnce: number,
): { perBatch: number; batches: number; total: number } {
  const perBatch = Object.values(RELEASE_STEPS).reduce((sum, s) => sum + s.seconds, 0);
  const batches = Math.ceil(nodes / nodesAtOnce);
  return { perBatch, batches, total: perBatch * batches };
}

/**
 * A new web node on Amazon's stock Windows Server 2022 image, from launch to serving. Issue-level
 * figures until the boot model is measured: each with its source.
 */
export const NODE_BOOT_STEPS: Record<string, Assumption> = {
  windowsReady: {
    seconds: 600,
    what: "launch to user data start: Windows setup and reboots on the stock image",
    source:
      "AWS: standard Windows launches 'often take 15 minutes or longer' (EC2 Fast Launch page); about 242 s for a typical custom-AMI launch (AWS blog, Launch Windows faster on EC2)",
  },
  iis: {
    seconds: 180,
    what: "Install-WindowsFeature Web-Server, Web-Asp-Net45",
    source: "assumption: 2-5 minutes for the IIS and ASP.NET features on a t3.medium",
  },
  configure: {
    seconds: 30,
    what: "machine key from SSM, both root web.configs, site id, iisreset",
    source: "assumption: a few API calls and an IIS restart",
  },
  agent: {
    seconds: 60,
    what: "download and install the CodeDeploy agent (with an application)",
    source: "assumption: a 30-50 MB MSI from the regional S3 bucket",
  },
  currentRelease: {
    seconds: RELEASE_STEPS.install.seconds + RELEASE_STEPS.start.seconds + RELEASE_STEPS.validate.seconds,
    what: "install the current release with the hooks (with an application, instances mode)",
    source: "the release steps above, without the traffic steps",
  },
  healthy: {
    seconds: healthyAfter,
    what: `passes ${HEALTH_CHECK.healthyThreshold} health checks ${HEALTH_CHECK.interval} s apart`,
    source: "the farm's health check (components/loadBalancer.ts)",
  },
};

/** Replacing every node in instances mode: all are created at once, so one node's boot. */
export function replacementSeconds(withApp: boolean): number {
  return Object.entries(NODE_BOOT_STEPS)
    .filter(([k]) => withApp || (k !== "agent" && k !== "currentRelease"))
    .reduce((sum, [, s]) => sum + s.seconds, 0);
}
