// Releases on the local farm, in the order AWS CodeDeploy runs an in-place deployment with
// traffic control on each node: BlockTraffic (out of the balancer, in-flight requests drain),
// BeforeInstall (the release into a new folder, with its web.config), ApplicationStart (switch
// the node to it in one step and restart), ValidateService (the health page, which runs in the
// release's own application, answers 200 on the node itself, and so does --validate-path if set),
// AllowTraffic (back into the balancer). A failure stops the
// release and rolls every node it reached back to the previous release, as CodeDeploy's
// automatic rollback does.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { dirname, join, resolve } from "path";
import { unzipSync } from "fflate";
import { artifactProblems, readArtifact } from "../../components/releases/artifact";
import { createHash } from "crypto";
import {
  MachineKeyValues,
  PRECOMPILED_NOT_UPDATABLE,
  releaseWebConfig,
  SessionStateAttributes,
} from "../../components/windows";
import type { LocalFarm } from "./farm";
import { request, sleep } from "./http";
import { REPO_ROOT } from "../scripts/repoRoot";

export const HEALTH_PATH = "/health.aspx";

/** The sample application, as a published site: the default when no --app is given. */
export const APP_SOURCE = join(REPO_ROOT, "tools", "local", "app");

/** The published site an --app option names, checked as `pulumi up` checks app.path. */
export function appOption(path: string | undefined): { app: string; sha256: string } {
  const app = path === undefined ? APP_SOURCE : resolve(path);
  if (path !== undefined) {
    const problems = artifactProblems(app);
    if (problems.length > 0) throw new Error(`--app: ${problems.join("; ")}`);
  }
  return { app, sha256: readArtifact(app).sha256 };
}

/** One release of an application: a published site folder (or .zip) and its settings. */
export interface LocalRelease {
  app: string;
  version: string;
  /** An application URL ValidateService requires to answer 200, after the health page. Default: none. */
  validatePath?: string;
  /** Statuses besides 200 that validatePath may answer (redirects are not followed). */
  validateStatuses?: number[];
  settings?: Record<string, string>;
  connectionStrings?: Record<string, string>;
}

const entries = (m: Record<string, string> | undefined) =>
  Object.entries(m ?? {}).map(([name, value]) => ({ name, value }));

/**
 * BeforeInstall on one node: the site's files into a new folder under `releases` named for the
 * whole release (its version and 12 hex of a hash of the build, the web.config with every setting,
 * and the farm's key), as install.ps1 does on AWS (windows/release.ts releaseFolderName): a release
 * that changes only settings installs too, and no node serves a folder being rewritten. Returns the
 * folder's name.
 */
export function installRelease(
  releases: string,
  release: LocalRelease,
  farm: { key: MachineKeyValues; sessionState: SessionStateAttributes },
): string {
  const build = readArtifact(release.app);
  const webConfig = releaseWebConfig(build.webConfig, {
    farm,
    appSettings: entries(release.settings),
    connectionStrings: entries(release.connectionStrings),
    release: release.version,
    showErrors: true,
    healthPath: HEALTH_PATH,
  });
  const id = createHash("sha256")
    .update(JSON.stringify([build.sha256, webConfig, release.validatePath ?? null, release.validateStatuses ?? []]))
    .digest("hex");
  const name = `${release.version}-${id.slice(0, 12)}`;
  const dir = join(releases, name);
  const marker = join(dir, ".webfarm-release");
  if (existsSync(marker) && readFileSync(marker, "utf8") === id) return name;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (statSync(release.app).isDirectory()) {
    cpSync(release.app, dir, { recursive: true });
  } else {
    for (const [file, data] of Object.entries(unzipSync(readFileSync(release.app)))) {
      if (file.endsWith("/")) continue;
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), data);
    }
  }
  writeFileSync(join(dir, "web.config"), webConfig);
  // The health page comes with the release, as on AWS: a node without one is never healthy.
  const health = join(dir, HEALTH_PATH.slice(1));
  if (!existsSync(health)) {
    if (/\bupdatable\s*=\s*["']false["']/i.test(readIfExists(join(dir, "PrecompiledApp.config"))))
      throw new Error(PRECOMPILED_NOT_UPDATABLE);
    writeFileSync(health, '<%@ Page Language="C#" EnableSessionState="false" %>OK');
  }
  writeFileSync(marker, id);
  return name;
}

const readIfExists = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");

export interface ReleaseEvent {
  node: string;
  event: "BlockTraffic" | "BeforeInstall" | "ApplicationStart" | "ValidateService" | "AllowTraffic";
  ms: number;
}

export class LocalReleaseFailed extends Error {
  constructor(
    public readonly node: string,
    public readonly hook: string,
    public readonly reason: string,
    public readonly rolledBack: string[],
    public readonly previous: string,
  ) {
    super(
      `release failed on ${node} in ${hook}: ${reason}; rolled back ${rolledBack.join(", ") || "no node"} to ${previous}`,
    );
  }
}

export interface ReleaseOptions {
  /** Nodes taken out at once (CodeDeploy's deployment configuration). Default 1. */
  nodesAtOnce?: number;
  /** ValidateService asks this many times, a moment apart, before it fails the node. */
  validateAttempts?: number;
}

/** Why a page failed, from its error page: Mono's exception message, else the page's title. */
function errorTitle(body: string): string {
  const found =
    /<h2 class="exceptionMessage">([\s\S]*?)<\/h2>/i.exec(body)?.[1] ?? /<title>([^<]*)<\/title>/i.exec(body)?.[1];
  const text = found
    ?.replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return text ? ` (${text})` : "";
}

/**
 * Asks node i for `path` until it answers one of `accepted`. nginx answers 502 while the node's
 * FastCGI server starts: that wait is bounded by the farm's readiness bound, not by `attempts`,
 * which count the application's own answers. Throws the last answer and `hint`.
 */
async function expectAnswer(
  farm: LocalFarm,
  i: number,
  path: string,
  accepted: number[],
  attempts: number,
  hint: string,
): Promise<void> {
  const deadline = Date.now() + farm.readyTimeoutMs;
  let answers = 0;
  let last: string;
  for (;;) {
    try {
      const res = await request(farm.nodePort(i), path, { timeoutMs: 15000 });
      if (accepted.includes(res.status)) return;
      last = `${path} answered ${res.status}${errorTitle(res.body)}`;
      if (res.status !== 502) answers++;
    } catch (err) {
      last = `${path}: ${err instanceof Error ? err.message : String(err)}`;
      answers++;
    }
    if (answers >= attempts || Date.now() >= deadline)
      throw new Error(`${last}, not ${accepted.join(" or ")}: ${hint}`);
    await sleep(300);
  }
}

/** What a release must answer on a node: the health page, then validatePath if it is set. */
export type Validation = Pick<LocalRelease, "validatePath" | "validateStatuses">;

/**
 * ValidateService on node i: the health page answers 200 (it runs in the release's application, so
 * an application whose Application_Start throws fails here), then validatePath, if set, answers 200
 * or a status in validateStatuses.
 */
export async function validateNode(farm: LocalFarm, i: number, v: Validation, attempts = 5): Promise<void> {
  await expectAnswer(
    farm,
    i,
    HEALTH_PATH,
    [200],
    attempts,
    "the application did not start, or it refuses the health page (which runs in it: its error page says why)",
  );
  if (v.validatePath === undefined) return;
  await expectAnswer(
    farm,
    i,
    v.validatePath,
    [200, ...(v.validateStatuses ?? [])],
    attempts,
    "set --validate-path to a page of the application that answers 200, or list its status with --validate-status (on AWS: appValidatePath, appValidateStatuses)",
  );
}

/** Releases `release` to every node of the running farm; throws LocalReleaseFailed after rolling back. */
export async function releaseFarm(
  farm: LocalFarm,
  release: LocalRelease,
  options: ReleaseOptions = {},
): Promise<ReleaseEvent[]> {
  const events: ReleaseEvent[] = [];
  const previous = [...farm.serving];
  const previousFolders = [...farm.servingFolders];
  const reached: number[] = [];
  const batchSize = options.nodesAtOnce ?? 1;
  const attempts = options.validateAttempts ?? 5;
  const step = async (i: number, event: ReleaseEvent["event"], body: () => Promise<void> | void) => {
    const started = Date.now();
    farm.log(`${farm.nodeName(i)}: ${event}`);
    await body();
    events.push({ node: farm.nodeName(i), event, ms: Date.now() - started });
  };
  const one = async (i: number) => {
    let hook: ReleaseEvent["event"] = "BlockTraffic";
    try {
      await step(i, (hook = "BlockTraffic"), () => farm.setInRotation(i, false));
      reached.push(i);
      let folder = "";
      await step(i, (hook = "BeforeInstall"), () => void (folder = farm.install(i, release)));
      await step(i, (hook = "ApplicationStart"), () => farm.restartNode(i, release.version, { wait: false, folder }));
      await step(i, (hook = "ValidateService"), () => validateNode(farm, i, release, attempts));
      await step(i, (hook = "AllowTraffic"), () => farm.setInRotation(i, true));
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { node: farm.nodeName(i), hook });
    }
  };
  const nodes = [...Array(farm.options.nodes).keys()];
  for (let b = 0; b < nodes.length; b += batchSize) {
    const results = await Promise.allSettled(nodes.slice(b, b + batchSize).map(one));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (!failed) continue;
    const error = failed.reason as Error & { node: string; hook: string };
    // CodeDeploy's automatic rollback: the last good release on every node this one reached, the
    // failed nodes (out of the balancer already) first, so that a 2-node farm keeps a node serving.
    for (const i of [...reached].reverse()) {
      farm.log(`${farm.nodeName(i)}: rolling back to ${previous[i]}`);
      await farm.setInRotation(i, false);
      await farm.restartNode(i, previous[i], { wait: false, folder: previousFolders[i] });
      await validateNode(farm, i, {}, attempts);
      await farm.setInRotation(i, true);
    }
    throw new LocalReleaseFailed(
      error.node,
      error.hook,
      error.message,
      reached.map((i) => farm.nodeName(i)),
      previous[0],
    );
  }
  // What every node runs now: a node launched later (local:scale) gets it, as CodeDeploy gives a new
  // instance the deployment group's last successful revision.
  farm.current = release;
  return events;
}
