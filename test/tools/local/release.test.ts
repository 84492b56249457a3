// Acceptance test of releases and scaling on the local farm (real ASP.NET on Mono, nginx, the state
// server), on one farm (the suites' time budget: a farm start is a few seconds of CPU): while a client
// holds one session and posts ViewState forms across nodes through the balancer, the 2-node farm is
// scaled to 4 in Auto Scaling's order, v1 -> v2 is released two nodes at a time in CodeDeploy's
// order, the farm is scaled back to 2, and a Spot interruption takes one node (notice, drain, stop,
// replacement). v2 keeps every page but its public ones behind a forms login, so its health page
// answers only through the kit's exemption. Then a
// release whose Application_Start throws on the second node: with no validation path the health page
// (which runs in the application) fails it there, it rolls back, and v2 serves everywhere. A
// configured validation path must answer 200 or a listed status.
// Loops and request counts are bounded; every process started here is stopped here.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { APP_SOURCE, HttpResult, LocalFarm, request } from "../../../tools/local/farm";
import { localOptions } from "../../../tools/local/cli";
import { missingFiles } from "../../../tools/local/packages";
import { alive } from "../../../tools/local/run";
import { HEALTH_PATH, LocalReleaseFailed, releaseFarm, ReleaseEvent, validateNode } from "../../../tools/local/deploy";
import { interruptNode, ScaleEvent, scaleFarm } from "../../../tools/local/scale";
import { SUITE_FARMS } from "../../support/farmPorts";

const { port: PORT, statePort: STATE_PORT, nodes: MOST_NODES } = SUITE_FARMS.release;
/** The farm's size outside the scale-out. */
const NODES = 2;
/** Every line the farm logged ("stopped node-3 (pid 1234)"). */
const farmLog: string[] = [];
let farm: LocalFarm;
let apps: string;
const startedPids: number[] = [];

beforeAll(async () => {
  const missing = missingFiles();
  if (missing.length > 0)
    throw new Error(
      `the local release test needs Debian's Mono and nginx packages (missing ${missing.join(", ")}); .ci/run installs them`,
    );
  apps = mkdtempSync(join(tmpdir(), "aspnet-webfarm-apps-"));
  // v2: the same pages, a new build, every other page (the kit's health page among them) behind a
  // forms login. v3: its Application_Start throws on node-1 only. Both get the kit's health page.
  for (const v of ["v2", "v3"]) {
    cpSync(APP_SOURCE, join(apps, v), { recursive: true });
    rmSync(join(apps, v, "health.aspx"));
  }
  const publicPage = (page: string) =>
    `<location path="${page}"><system.web><authorization><allow users="*" /></authorization></system.web></location>`;
  writeFileSync(
    join(apps, "v2", "web.config"),
    readFileSync(join(APP_SOURCE, "web.config"), "utf8")
      .replace(
        "<system.web>",
        '<system.web><authentication mode="Forms"><forms loginUrl="login.aspx" /></authentication><authorization><deny users="?" /></authorization>',
      )
      .replace(
        "</configuration>",
        `${["Default.aspx", "ViewState.aspx", "validate.aspx", "setting.aspx"].map(publicPage).join("")}</configuration>`,
      ),
  );
  writeFileSync(
    join(apps, "v2", "setting.aspx"),
    '<%@ Page Language="C#" %><%= System.Configuration.ConfigurationManager.AppSettings["Greeting"] %>',
  );
  writeFileSync(
    join(apps, "v3", "Global.asax"),
    '<%@ Application Language="C#" %><script runat="server">void Application_Start(object sender, EventArgs e) { if (Environment.GetEnvironmentVariable("WEBFARM_NODE") == "node-1") throw new InvalidOperationException("v3 cannot start on node-1"); }</script>',
  );
  farm = await LocalFarm.start({
    nodes: NODES,
    port: PORT,
    statePort: STATE_PORT,
    dir: join(tmpdir(), `aspnet-webfarm-release-${process.pid}`),
    release: { app: APP_SOURCE, version: "v1" },
    log: (line) => farmLog.push(line),
  });
  startedPids.push(...farm.started().map((p) => p.pid));
}, 120000);

/** Remembers the pids of the farm's processes now (the scale starts new ones); returns them by role. */
const pids = () => {
  const now = farm.started();
  startedPids.push(...now.map((p) => p.pid));
  return new Map(now.map((p) => [p.role, p.pid]));
};

afterAll(async () => {
  await farm?.stop();
  if (farm) rmSync(farm.options.dir, { recursive: true, force: true });
  if (apps) rmSync(apps, { recursive: true, force: true });
  expect(startedPids.filter(alive)).toEqual([]);
}, 60000);

const field = (res: HttpResult, k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(res.body)?.[1] ?? "";

/** One answer of the session page: which node and release, when it was asked and answered (epoch ms). */
interface Answer {
  node: string;
  release: string;
  sent: number;
  done: number;
}

/**
 * A user during a release: one session, alternating a session page and a ViewState postback
 * (fetched through the balancer, posted through it, so it crosses nodes), about 7 requests a second.
 */
class User {
  cookie = "";
  counts: number[] = [];
  sessions = new Set<string>();
  releases = new Set<string>();
  answers: Answer[] = [];
  failures: string[] = [];
  requests = 0;
  private running = false;
  private loop?: Promise<void>;

  private async get(path: string): Promise<HttpResult> {
    const res = await request(PORT, path, { headers: this.cookie ? { Cookie: this.cookie } : {}, timeoutMs: 20000 });
    const set = res.headers["set-cookie"]?.find((c) => c.startsWith("ASP.NET_SessionId="));
    if (set) this.cookie = set.split(";")[0];
    return res;
  }

  private async once(i: number): Promise<void> {
    this.requests++;
    if (i % 2 === 0) {
      const sent = Date.now();
      const res = await this.get("/Default.aspx");
      if (res.status !== 200) throw new Error(`session page answered ${res.status}`);
      this.counts.push(Number(field(res, "count")));
      this.sessions.add(field(res, "session"));
      this.releases.add(field(res, "release"));
      this.answers.push({ node: field(res, "node"), release: field(res, "release"), sent, done: Date.now() });
      return;
    }
    const form = await request(PORT, "/ViewState.aspx", { timeoutMs: 20000 });
    if (form.status !== 200) throw new Error(`form answered ${form.status}`);
    const fields: Record<string, string> = {};
    for (const m of form.body.matchAll(/<input type="hidden" name="(__\w+)" id="\w+" value="([^"]*)"/g))
      fields[m[1]] = m[2];
    const body = new URLSearchParams({ ...fields, Message: `m${i}`, Send: "Send" }).toString();
    this.requests++;
    const posted = await request(PORT, "/ViewState.aspx", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": String(Buffer.byteLength(body)),
      },
      body,
      timeoutMs: 20000,
    });
    if (posted.status !== 200 || !posted.body.includes("postback ok"))
      throw new Error(`postback answered ${posted.status}`);
  }

  start(limit = 2000): void {
    this.running = true;
    this.loop = (async () => {
      for (let i = 0; this.running && i < limit; i++) {
        await this.once(i).catch((err: Error) => this.failures.push(err.message));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

const order = (events: (ReleaseEvent | ScaleEvent)[], node: string) =>
  events.filter((e) => e.node === node).map((e) => e.event);
const user = new User();
const sessionIntact = () => {
  expect(user.failures).toEqual([]);
  expect(user.sessions.size).toBe(1);
  expect(user.counts).toEqual(user.counts.map((_, k) => k + 1));
};
/** The nodes that answered session pages asked after `from` and answered before `to` (epoch ms). */
const nodesBetween = (from: number, to: number) =>
  new Set(user.answers.filter((a) => a.sent >= from && a.done <= to).map((a) => a.node));
/** Waits (bounded) until the client has had a session answer asked from now on. */
const settle = async () => {
  const since = Date.now();
  for (let k = 0; k < 150 && user.answers.filter((a) => a.sent >= since).length < 1; k++)
    await new Promise((resolve) => setTimeout(resolve, 100));
};
/** The nodes that answer `n` health-page requests through the balancer (each node names itself in a header). */
const balancedOver = async (n = 12) => {
  const nodes = new Set<string>();
  for (let k = 0; k < n; k++) nodes.add(String((await request(PORT, HEALTH_PATH)).headers["x-farm-node"]));
  return nodes;
};

describe("releases and scaling on the local farm", () => {
  test("2 nodes scaled to 4, v1 -> v2 node by node, scaled back to 2, under load: no failed request, the session counts on, v1 or v2 during the release and only v2 after", async () => {
    user.start();
    await settle();
    const outStart = Date.now();
    const out = await scaleFarm(farm, MOST_NODES);
    await settle();
    const grown = pids();
    // The new nodes: the current release with the farm's key, in service only after their health check.
    expect(farm.options.nodes).toBe(MOST_NODES);
    expect(await balancedOver()).toEqual(new Set(["node-0", "node-1", "node-2", "node-3"]));
    expect(farm.serving).toEqual(["v1", "v1", "v1", "v1"]);
    for (const node of ["node-2", "node-3"]) {
      expect(order(out.events, node)).toEqual(["Launch", "HealthCheck", "InService"]);
      // Nothing reached it before its health check passed (it joins at the balancer's reload after it).
      const healthy = outStart + out.events.find((e) => e.node === node && e.event === "HealthCheck")!.at;
      expect(nodesBetween(0, healthy)).not.toContain(node);
      const config = readFileSync(join(farm.currentDir(Number(node.slice(5))), "web.config"), "utf8");
      expect(config).toContain(`validationKey="${farm.key.validationKey}"`);
    }
    expect(out.events.filter((e) => e.event === "Terminated")).toEqual([]);

    const started = Date.now();
    // Two nodes at a time (CodeDeploy's HalfAtATime): two of the four always serve.
    const events = await releaseFarm(
      farm,
      { app: join(apps, "v2"), version: "v2", validatePath: "/validate.aspx" },
      { nodesAtOnce: 2 },
    );
    const released = Date.now();
    const seconds = (released - started) / 1000;
    await settle();

    for (let i = 0; i < MOST_NODES; i++) {
      expect(order(events, `node-${i}`)).toEqual([
        "BlockTraffic",
        "BeforeInstall",
        "ApplicationStart",
        "ValidateService",
        "AllowTraffic",
      ]);
      expect(field(await request(farm.nodePort(i), "/Default.aspx"), "release")).toBe("v2");
    }
    // Two at a time: node-2 and node-3 leave only after node-0 and node-1 are back.
    const at = (node: string, event: string) => events.findIndex((e) => e.node === node && e.event === event);
    for (const later of ["node-2", "node-3"])
      for (const first of ["node-0", "node-1"])
        expect(at(later, "BlockTraffic")).toBeGreaterThan(at(first, "AllowTraffic"));
    expect(farm.serving).toEqual(["v2", "v2", "v2", "v2"]);
    expect(user.requests / seconds).toBeGreaterThanOrEqual(5);
    expect(user.releases).toEqual(new Set(["v1", "v2"]));
    const answeredAfter = (t: number) => new Set(user.answers.filter((a) => a.sent >= t).map((a) => a.release));
    expect(answeredAfter(released)).toEqual(new Set(["v2"]));

    // Scale-in: the newest nodes leave the balancer, drain, then stop; each stop is listed.
    const inStart = Date.now();
    const scaledIn = await scaleFarm(farm, NODES);
    await settle();
    expect(farm.options.nodes).toBe(NODES);
    expect(farm.serving).toEqual(["v2", "v2"]);
    const running = pids();
    for (const node of ["node-3", "node-2"]) {
      expect(order(scaledIn.events, node)).toEqual(["Deregister", "Drained", "Terminated"]);
      const drained = inStart + scaledIn.events.find((e) => e.node === node && e.event === "Drained")!.at;
      expect(nodesBetween(drained, Date.now())).not.toContain(node);
      expect(running.has(node)).toBe(false);
      expect(farmLog).toContain(`stopped ${node} (pid ${grown.get(node)})`);
      expect(alive(grown.get(node)!)).toBe(false);
    }
    expect(await balancedOver()).toEqual(new Set(["node-0", "node-1"]));
    expect(answeredAfter(released)).toEqual(new Set(["v2"]));
    sessionIntact();
  }, 120000);

  test("negative control: an application whose Application_Start throws on node-1 fails validation there (no validation path), rolls back, and v2 serves everywhere", async () => {
    const before = user.counts.length;
    const failure = await releaseFarm(farm, { app: join(apps, "v3"), version: "v3" }, { validateAttempts: 3 }).then(
      () => undefined,
      (err: Error) => err,
    );
    await settle();

    expect(failure).toBeInstanceOf(LocalReleaseFailed);
    expect(failure).toMatchObject({
      node: "node-1",
      hook: "ValidateService",
      rolledBack: ["node-0", "node-1"],
      previous: "v2",
    });
    expect((failure as LocalReleaseFailed).reason).toMatch(
      /^\/health\.aspx answered 500 .*v3 cannot start on node-1.*, not 200: the application did not start/,
    );
    expect(farm.serving).toEqual(["v2", "v2"]);
    for (let i = 0; i < NODES; i++)
      expect(field(await request(farm.nodePort(i), "/Default.aspx"), "release")).toBe("v2");
    expect(user.failures).toEqual([]);
    expect(user.counts.length).toBeGreaterThan(before);
    expect(user.sessions.size).toBe(1);
    expect(user.counts).toEqual(user.counts.map((_, k) => k + 1));
  }, 120000);

  test("a Spot interruption under load (the notice: out of the balancer and drained; the stop a second later): no failed request, the session intact", async () => {
    const before = pids();
    const notice = Date.now();
    // No replacement here (a node start is seconds of CPU in npm test's budget): the next test restarts node-1.
    const events = await interruptNode(farm, 1, { stopAfterMs: 500, replace: false });
    await settle();
    await user.stop();
    expect(order(events, "node-1")).toEqual(["Deregister", "Drained", "Terminated"]);
    const at = (e: string) => notice + events.find((x) => x.event === e)!.at;
    expect(at("Terminated") - notice).toBeGreaterThanOrEqual(500);
    // From the drain on, only node-0 answers; the stopped process is gone, and its stop is listed.
    expect(nodesBetween(at("Drained"), Date.now())).toEqual(new Set(["node-0"]));
    expect(farmLog).toContain(`stopped node-1 (pid ${before.get("node-1")})`);
    expect(alive(before.get("node-1")!)).toBe(false);
    expect(await balancedOver()).toEqual(new Set(["node-0"]));
    sessionIntact();
  }, 60000);

  test("a release that changes only a setting (same build, same version) reaches every node, in a new folder", async () => {
    const before = [...farm.servingFolders];
    // No load on the farm here: every node at once keeps the test short (and starts node-1 again).
    await releaseFarm(
      farm,
      { app: join(apps, "v2"), version: "v2", settings: { Greeting: "changed" } },
      { nodesAtOnce: NODES },
    );
    expect(farm.serving).toEqual(["v2", "v2"]);
    for (let i = 0; i < NODES; i++) {
      expect((await request(farm.nodePort(i), "/setting.aspx")).body.trim()).toBe("changed");
      expect(farm.servingFolders[i]).toMatch(/^v2-[0-9a-f]{12}$/);
      expect(farm.servingFolders[i]).not.toBe(before[i]);
    }
  }, 120000);
});

test("v2's pages behind its login answer 302, its health page 200; a set path must answer 200 or a listed status, else --validate-path is named", async () => {
  expect((await request(farm.nodePort(1), "/private.aspx")).status).toBe(302);
  expect((await request(farm.nodePort(1), HEALTH_PATH)).status).toBe(200);
  await expect(validateNode(farm, 1, { validatePath: "/private.aspx" }, 1)).rejects.toThrow(
    /^\/private\.aspx answered 302 \(Object moved\), not 200: set --validate-path to a page of the application that answers 200, or list its status with --validate-status \(on AWS: appValidatePath, appValidateStatuses\)$/,
  );
  await expect(
    validateNode(farm, 1, { validatePath: "/private.aspx", validateStatuses: [302] }, 1),
  ).resolves.toBeUndefined();
});

test("npm run local takes --validate-path and --validate-status, and names every bad one", () => {
  expect(localOptions(["--validate-path", "/login.aspx", "--validate-status", "302,401"])).toMatchObject({
    validatePath: "/login.aspx",
    validateStatuses: [302, 401],
  });
  expect(localOptions([])).toMatchObject({ validatePath: undefined, validateStatuses: [] });
  expect(() => localOptions(["--validate-path", "login.aspx"])).toThrow(
    "--validate-path must be an absolute path such as /status.aspx (an optional ?query); got login.aspx",
  );
  expect(() => localOptions(["--validate-status", "302,abc"])).toThrow(
    /--validate-status must be HTTP statuses 100-599, comma-separated; got 302,abc\n--validate-status applies only to --validate-path/,
  );
});
