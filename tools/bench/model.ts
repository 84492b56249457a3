// The clock of the farm on AWS, modeled: from launch to serving, each step a labelled assumption
// with its source. Nothing here was measured on AWS (there is no account here); docs/benchmark.md shows
// these beside the figures. tools/bench/deploy.ts supplies when each node's instance is launched.
import { HEALTH_CHECK } from "../../components/loadBalancer/loadBalancer";
import { REFRESH_WARMUP_SECONDS } from "../../components/nodes/webNodes";

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
      "the farm's target group, deregistrationDelay 30 s (components/loadBalancer/loadBalancer.ts); CodeDeploy waits for deregistration (CodeDeploy user guide, Integrating CodeDeploy with Elastic Load Balancing)",
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
    source: "the hook's own requests once warm (components/releases/windows/hooks.ts)",
  },
  allowTraffic: {
    seconds: healthyAfter,
    what: `AllowTraffic: registered again, healthy after ${HEALTH_CHECK.healthyThreshold} checks ${HEALTH_CHECK.interval} s apart`,
    source:
      "the farm's health check (components/loadBalancer/loadBalancer.ts); CodeDeploy waits for the target to be healthy",
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

/** Which image a node boots from: Amazon's stock image, the farm image, the farm image with Fast Launch. */
export type ImageKind = "stock" | "farmImage" | "fastLaunch";
/** How long Windows' own setup takes: AWS gives a typical figure and a slow one. */
export type Pace = "typical" | "slow";

/**
 * Launch to the moment user data starts: Windows setup (sysprep specialize, its reboots), which
 * every AMI pays, Amazon's own as much as a custom one, unless EC2 Fast Launch pre-provisioned it.
 */
export const WINDOWS_SETUP: Record<"typical" | "slow" | "fastLaunch", Assumption> = {
  typical: {
    seconds: 242,
    what: "launch to user data: Windows setup on a sysprepped image (Amazon's or a custom one)",
    source:
      "AWS blog, 'Launch Windows faster on EC2' (aws.amazon.com/blogs/modernizing-with-aws/launch-windows-faster-on-ec2/): about 242 s for a typical custom-AMI launch",
  },
  slow: {
    seconds: 900,
    what: "launch to user data, the slow case AWS warns of",
    source:
      "EC2 Fast Launch page (docs.aws.amazon.com/AWSEC2/latest/WindowsGuide/win-ami-config-fast-launch.html): standard launches 'often take 15 minutes or longer'; GetPasswordData reference: allow up to 15 minutes",
  },
  fastLaunch: {
    seconds: 85,
    what: "launch to user data from a pre-provisioned Fast Launch snapshot",
    source: "the same AWS blog: about 85 s with EC2 Fast Launch",
  },
};

/** One step of a web node's user data: its time on Amazon's stock image and on the farm image. */
interface BootStep {
  stock: number;
  farmImage: number;
  what: string;
  source: string;
  /** Only with an application, or only with one in instances mode (the current release). */
  when?: "app" | "replacement";
}

/** The web node's user data steps, in order (components/windows/userData.ts). */
export const BOOT_STEPS: Record<string, BootStep> = {
  cloudWatchAgent: {
    stock: 45,
    farmImage: 10,
    what: "the CloudWatch agent: download and install the MSI (stock), or find it and start it (farm image)",
    source: "assumption: a ~100 MB MSI from the regional S3 bucket and msiexec; fetch-config and start, a few seconds",
  },
  features: {
    stock: 240,
    farmImage: 10,
    what: "IIS and ASP.NET 4.x: Install-WindowsFeature (stock), or Get-WindowsFeature finds them installed (farm image)",
    source:
      "assumption: 3-5 minutes for Web-Server and Web-Asp-Net45 on a general-purpose instance; a query takes seconds",
  },
  machineKey: {
    stock: 5,
    farmImage: 5,
    what: "the machine key from SSM Parameter Store (role credentials already there)",
    source: "assumption: one API call, retried while the role's credentials arrive",
  },
  configure: {
    stock: 20,
    farmImage: 20,
    what: "both root web.configs, the site id, the health page",
    source: "assumption: XML edits and IIS configuration calls",
  },
  iisReset: {
    stock: 20,
    farmImage: 20,
    what: "restart IIS and check the health page locally",
    source: "assumption: iisreset and the first (compiled) request of a one-line page",
  },
  codeDeployAgent: {
    stock: 40,
    farmImage: 5,
    what: "the CodeDeploy agent: download and install (stock), or find its service (farm image)",
    source: "assumption: a ~50 MB MSI from the regional S3 bucket",
    when: "app",
  },
  currentRelease: {
    stock: RELEASE_STEPS.install.seconds + RELEASE_STEPS.start.seconds + RELEASE_STEPS.validate.seconds,
    farmImage: RELEASE_STEPS.install.seconds + RELEASE_STEPS.start.seconds + RELEASE_STEPS.validate.seconds,
    what: "the group's last successful release with the same hooks (a replaced node in instances mode; CodeDeploy's own launch deployment in Auto Scaling mode)",
    source: "the release steps above, without the traffic steps",
    when: "replacement",
  },
};

/**
 * SQL Server sessions: a new farm's nodes also wait for the session database, which the setup
 * instance creates once RDS has created the instance (its secret's first version comes after).
 */
export const SESSION_STORE_STEPS: Record<string, Assumption> = {
  rdsCreate: {
    seconds: 1500,
    what: "RDS creates the SQL Server instance (license included)",
    source:
      "assumption: AWS publishes no figure; RDS for SQL Server instances are commonly reported to take 20-40 minutes to create, Multi-AZ at the longer end",
  },
  setupScript: {
    seconds: 120,
    what: "the setup instance, once booted, trusts RDS's CA and runs Microsoft's schema under the lock",
    source: "assumption: a few SQL batches and two secrets read (components/sessions/sqlServer/windows/sqlSession.ts)",
  },
};

export const HEALTHY: Assumption = {
  seconds: healthyAfter,
  what: `passes ${HEALTH_CHECK.healthyThreshold} health checks ${HEALTH_CHECK.interval} s apart`,
  source: "the farm's health check (components/loadBalancer/loadBalancer.ts)",
};

const setupOf = (image: ImageKind, pace: Pace) =>
  image === "fastLaunch" ? WINDOWS_SETUP.fastLaunch.seconds : WINDOWS_SETUP[pace].seconds;
const stepSeconds = (image: ImageKind, app: boolean, replacement: boolean) =>
  Object.values(BOOT_STEPS)
    .filter((s) => !s.when || (s.when === "app" ? app : app && replacement))
    .reduce((sum, s) => sum + (image === "stock" ? s.stock : s.farmImage), 0);

/**
 * A node's own boot, from launch: until its agents are up and its user data is done (`ready`),
 * and, for a replaced node that installs the current release itself, until it serves.
 */
export function nodeBoot(image: ImageKind, pace: Pace, app: boolean) {
  const ready = setupOf(image, pace) + stepSeconds(image, app, false);
  const replacementServes = setupOf(image, pace) + stepSeconds(image, app, true) + HEALTHY.seconds;
  return { ready, replacementServes };
}

export interface FarmClock {
  /** From launch of the nodes to the first / the last serving behind the load balancer. */
  firstServingSeconds: number;
  allServingSeconds: number;
  /** Instances mode: replacing every node (all at once; old ones go once the new ones serve). */
  replaceEveryNodeSeconds: number;
  /** Auto Scaling mode: an instance refresh (all new nodes at once, at 100-200% capacity). */
  refreshSeconds: number;
}

/**
 * A new farm's nodes, launched at once: without an application each serves once its boot is done
 * and it passes the checks; with one, the first release (CodeDeploy, `nodesAtOnce` at a time)
 * starts on a node once its agent is up, and each batch takes a release turn.
 */
export function farmClock(o: {
  image: ImageKind;
  pace: Pace;
  nodes: number;
  app: boolean;
  nodesAtOnce: number;
  /** SQL Server sessions: a new farm's nodes wait for the session database (its setup instance boots on Amazon's image). */
  sqlServer?: boolean;
}): FarmClock {
  const boot = nodeBoot(o.image, o.pace, o.app);
  const release = releaseSeconds(o.nodes, o.nodesAtOnce);
  // SQL Server sessions: the nodes (and the setup instance) are created only once RDS made the
  // database (they depend on the session store); a node's steps after its wait for the schema
  // (web.configs, IIS, the agent) follow the setup instance's boot and script.
  const afterWait =
    BOOT_STEPS.configure[o.image === "stock" ? "stock" : "farmImage"] +
    BOOT_STEPS.iisReset[o.image === "stock" ? "stock" : "farmImage"] +
    (o.app ? BOOT_STEPS.codeDeployAgent[o.image === "stock" ? "stock" : "farmImage"] : 0);
  const schemaReady = WINDOWS_SETUP[o.pace].seconds + SESSION_STORE_STEPS.setupScript.seconds;
  const ready = o.sqlServer
    ? SESSION_STORE_STEPS.rdsCreate.seconds + Math.max(boot.ready, schemaReady + afterWait)
    : boot.ready;
  const first = o.app ? ready + release.perBatch : ready + HEALTHY.seconds;
  const all = o.app ? ready + release.total : first;
  return {
    firstServingSeconds: first,
    allServingSeconds: all,
    replaceEveryNodeSeconds: boot.replacementServes,
    refreshSeconds: boot.replacementServes + REFRESH_WARMUP_SECONDS + RELEASE_STEPS.blockTraffic.seconds,
  };
}
