// SQLServer mode on the local farm: Mono's own SQLServer session handler over SQLite (its default
// provider), configured by the kit's generator. What StateServer mode cannot do: a session survives
// the whole farm's restart. (The negative control, StateServer mode losing every session once its state
// server alone restarts, is in farm.test.ts.)
// Every process started here is stopped here; it talks to 127.0.0.1 only.
import { execFile } from "child_process";
import { readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { Worker } from "worker_threads";
import { parseFarmFragment } from "../../../components/windows";
import { LocalFarm, request } from "../../../tools/local/farm";
import { createSessionDatabase, MONO_SQLITE_FACTORY, sessionRows, SQLITE3 } from "../../../tools/local/sessionDb";
import { SUITE_FARMS } from "../../support/farmPorts";

const { port: PORT, statePort: STATE_PORT } = SUITE_FARMS.sessionStore;
let farm: LocalFarm;

beforeAll(async () => {
  farm = await LocalFarm.start({
    nodes: 2,
    port: PORT,
    statePort: STATE_PORT,
    sessionStore: "sql",
    dir: join(tmpdir(), `aspnet-webfarm-sql-${process.pid}`),
    readyTimeoutMs: 60000,
  });
}, 120000);

afterAll(async () => {
  await farm?.stop();
  if (farm) rmSync(farm.options.dir, { recursive: true, force: true });
}, 60000);

/** One browser: keeps the session cookie, reads the counter page. */
function browser() {
  let cookie = "";
  return async () => {
    const res = await request(PORT, "/Default.aspx", { headers: cookie ? { Cookie: cookie } : {} });
    const set = res.headers["set-cookie"]?.find((c) => c.startsWith("ASP.NET_SessionId="));
    if (set) cookie = set.split(";")[0];
    const field = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(res.body)?.[1] ?? "";
    return { status: res.status, node: field("node"), session: field("session"), count: Number(field("count")) };
  };
}

test('every node runs mode="SQLServer" against the one session database, with Mono\'s SQLite provider', () => {
  expect(farm.started().map((p) => p.role)).not.toContain("state-server");
  for (let i = 0; i < 2; i++) {
    const { sessionState } = parseFarmFragment(readFileSync(join(farm.currentDir(i), "web.config"), "utf8"));
    expect(sessionState).toMatchObject({ mode: "SQLServer", allowCustomSqlDatabase: "true" });
    expect(sessionState.sqlConnectionString).toBe(
      `Data Source=${farm.sessionDatabase};Version=3;DbProviderName=${MONO_SQLITE_FACTORY}`,
    );
  }
});

test("one session keeps counting across the nodes, as one row of the session database", async () => {
  const get = browser();
  const seen = [];
  for (let i = 0; i < 6; i++) seen.push(await get());
  expect(seen.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 200]);
  expect(seen.map((s) => s.count)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(new Set(seen.map((s) => s.node))).toEqual(new Set(["node-0", "node-1"]));
  expect(new Set(seen.map((s) => s.session)).size).toBe(1);
  expect(sessionRows(farm.sessionDatabase)).toBeGreaterThanOrEqual(1);
});

test("a session survives the whole farm's restart, every node and the balancer: the store keeps it", async () => {
  const get = browser();
  for (let i = 0; i < 3; i++) await get();
  const before = await get();
  expect(before.count).toBe(4);
  const pids = () => new Map(farm.started().map((p) => [p.role, p.pid]));
  const running = pids();
  await farm.restartAll();
  // Every process was restarted: none of the farm's roles runs under its old pid.
  const restarted = pids();
  expect([...restarted.keys()].sort()).toEqual([...running.keys()].sort());
  expect([...running].filter(([role, pid]) => restarted.get(role) === pid)).toEqual([]);
  const after = [await get(), await get()];
  expect(after.map((a) => a.status)).toEqual([200, 200]);
  expect(after.map((a) => a.count)).toEqual([5, 6]);
  expect(new Set(after.map((a) => a.session))).toEqual(new Set([before.session]));
}, 90000);

test("the database is created once: setups racing each other and a second run change nothing", async () => {
  const file = join(farm.options.dir, "race.sqlite");
  const schema = () =>
    promisify(execFile)(SQLITE3, [file, "SELECT sql FROM sqlite_master WHERE name = 'Sessions';"]).then(
      (r) => r.stdout,
    );
  // Four at once, as nodes booting together would; then one more. Each in a thread of its own (its
  // sqlite3 races the others'), which costs a fraction of a Node process's start.
  const setup = `require(${JSON.stringify(require.resolve("../../../tools/local/sessionDb"))}).createSessionDatabase(${JSON.stringify(file)})`;
  await Promise.all(
    [0, 1, 2, 3].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const racer = new Worker(setup, { eval: true });
          racer.once("error", reject);
          racer.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the setup exited ${code}`))));
        }),
    ),
  );
  const first = await schema();
  expect(first).toMatch(/^CREATE TABLE Sessions/);
  createSessionDatabase(file);
  expect(await schema()).toBe(first);
  expect(sessionRows(file)).toBe(0);
}, 60000);
