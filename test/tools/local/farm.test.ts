// Acceptance test of the local farm: real ASP.NET (Mono's System.Web) nodes, Mono's state server
// and nginx on 127.0.0.1, configured with the kit's own web.config generator. Every loop and
// request count is bounded; every process started here is stopped here.
import { readFileSync, rmSync } from "fs";
import * as net from "net";
import { tmpdir } from "os";
import { join } from "path";
import { parseFarmFragment } from "../../../components/windows";
import { APP_SOURCE, generateMachineKey, HttpResult, LocalFarm, request } from "../../../tools/local/farm";
import { missingFiles } from "../../../tools/local/packages";
import { alive } from "../../../tools/local/run";
import { SUITE_FARMS } from "../../support/farmPorts";

const { port: PORT, statePort: STATE_PORT, nodes: NODES } = SUITE_FARMS.farm;
let farm: LocalFarm;
const startedPids: number[] = [];

beforeAll(async () => {
  const missing = missingFiles();
  if (missing.length > 0) {
    throw new Error(
      `the local farm test needs Debian's mono-xsp4, mono-fastcgi-server4 and nginx-light (missing ${missing.join(", ")}); .ci/run installs them`,
    );
  }
  farm = await LocalFarm.start({
    nodes: NODES,
    port: PORT,
    statePort: STATE_PORT,
    dir: join(tmpdir(), `aspnet-webfarm-test-${process.pid}`),
    readyTimeoutMs: 60000,
  });
  startedPids.push(...farm.started().map((p) => p.pid));
}, 120000);

afterAll(async () => {
  await farm?.stop();
  if (farm) rmSync(farm.options.dir, { recursive: true, force: true });
  expect(startedPids.filter(alive)).toEqual([]);
}, 60000);

/** A browser-like client: keeps the ASP.NET session cookie. */
class Client {
  cookie = "";
  async get(port: number, path: string): Promise<HttpResult> {
    const res = await request(port, path, { headers: this.cookie ? { Cookie: this.cookie } : {} });
    const setCookie = res.headers["set-cookie"]?.find((c) => c.startsWith("ASP.NET_SessionId="));
    if (setCookie) this.cookie = setCookie.split(";")[0];
    return res;
  }
}

function counter(res: HttpResult): { node: string; session: string; count: number } {
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(res.body)?.[1] ?? "";
  return { node: field("node"), session: field("session"), count: Number(field("count")) };
}

function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="(__\w+)" id="\w+" value="([^"]*)"/g)) fields[m[1]] = m[2];
  return fields;
}

/** Fetches the ViewState form from one node and posts it back to another. */
async function postAcross(fromNode: number, toNode: number, message: string): Promise<HttpResult> {
  const form = await request(farm.nodePort(fromNode), "/ViewState.aspx");
  expect(form.status).toBe(200);
  const fields = hiddenFields(form.body);
  expect(Object.keys(fields)).toContain("__VIEWSTATE");
  const body = new URLSearchParams({ ...fields, Message: message, Send: "Send" }).toString();
  return request(farm.nodePort(toNode), "/ViewState.aspx", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": String(Buffer.byteLength(body)) },
    body,
  });
}

describe("local farm on Mono", () => {
  test("every node runs the kit's own web.config with the farm's one machine key", () => {
    for (let i = 0; i < NODES; i++) {
      const config = readFileSync(join(farm.currentDir(i), "web.config"), "utf8");
      const { machineKey, sessionState } = parseFarmFragment(config);
      expect(machineKey.validationKey).toBe(farm.key.validationKey);
      expect(sessionState.stateConnectionString).toBe(`tcpip=127.0.0.1:${STATE_PORT}`);
    }
  });

  test("one session continues across every node: the counter keeps counting while the node changes", async () => {
    const client = new Client();
    const seen = [];
    for (let i = 0; i < 3 * NODES; i++) {
      const res = await client.get(PORT, "/Default.aspx");
      expect(res.status).toBe(200);
      seen.push(counter(res));
    }
    expect(seen.map((s) => s.count)).toEqual([...Array(3 * NODES).keys()].map((i) => i + 1));
    expect(new Set(seen.map((s) => s.session)).size).toBe(1);
    expect(new Set(seen.map((s) => s.node))).toEqual(new Set(["node-0", "node-1", "node-2"]));
  });

  test("a ViewState form fetched from one node and posted to another validates", async () => {
    for (const [from, to] of [
      [0, 1],
      [1, 2],
      [2, 0],
    ]) {
      const res = await postAcross(from, to, `hello-${from}-${to}`);
      expect(res.status).toBe(200);
      expect(res.body).toContain(
        `postback ok: rendered by node-${from}, validated by node-${to}, message hello-${from}-${to}`,
      );
    }
  });

  // node-2 stopped, then started on another key and back on the farm's: two node starts where the
  // two tests apart took three (a node start is about 1.3 s of CPU).
  describe("node-2 leaves the farm, then comes back on another machine key", () => {
    afterAll(async () => {
      // Whatever failed here: node-2 serves v1 again for the tests below.
      if (farm.serving[2] !== "v1" || !farm.started().some((p) => p.role === farm.nodeName(2)))
        await farm.restartNode(2, "v1");
    }, 60000);

    test("a node stopped mid-session: requests through the balancer keep the session on the others", async () => {
      const client = new Client();
      for (let i = 0; i < NODES; i++) expect((await client.get(PORT, "/Default.aspx")).status).toBe(200);
      const session = counter(await client.get(PORT, "/Default.aspx"));
      // node-2 stays stopped: the next test starts it on another key.
      await farm.stopNode(2);
      const after = [];
      for (let i = 0; i < 6; i++) {
        const res = await client.get(PORT, "/Default.aspx");
        expect(res.status).toBe(200);
        after.push(counter(res));
      }
      expect(after.map((a) => a.count)).toEqual([1, 2, 3, 4, 5, 6].map((n) => session.count + n));
      expect(new Set(after.map((a) => a.session))).toEqual(new Set([session.session]));
      expect(after.map((a) => a.node)).not.toContain("node-2");
    }, 90000);

    test("negative control: a node with a different validation key rejects the cross-node postback", async () => {
      farm.install(
        2,
        { app: APP_SOURCE, version: "v1-other-key" },
        { ...farm.key, validationKey: generateMachineKey().validationKey },
      );
      // (restartNode: node-2 still runs when this test runs alone)
      await farm.restartNode(2, "v1-other-key");
      try {
        const crossed = await postAcross(0, 2, "tampered");
        expect(crossed.status).toBe(500);
        expect(crossed.body).toMatch(/Unable to validate data|Validation of viewstate MAC failed/);
        // the node itself works: its own postbacks validate
        const own = await postAcross(2, 2, "own");
        expect(own.status).toBe(200);
        expect(own.body).toContain("postback ok: rendered by node-2, validated by node-2");
      } finally {
        await farm.restartNode(2, "v1");
      }
      expect((await postAcross(0, 2, "restored")).status).toBe(200);
    }, 90000);
  });

  test("a state server that cannot bind its port fails its start at once instead of reporting ready", async () => {
    await farm.stopStateServer();
    const squatter = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(STATE_PORT, "127.0.0.1", resolve));
    const t0 = Date.now();
    try {
      await expect(farm.startStateServer()).rejects.toThrow(
        new RegExp(
          `the state server on port ${STATE_PORT}: state-server exited \\(1\\) before it was ready; .*state-server\\.log: .+`,
        ),
      );
      // Mono gives up in about a second; the bound on readiness is a minute.
      expect(Date.now() - t0).toBeLessThan(15000);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
      await farm.startStateServer();
    }
    expect(farm.started().map((p) => p.role)).toContain("state-server");
  }, 60000);

  test("the state server stopped: nodes answer an error quickly; back, they serve again, and it has lost every session", async () => {
    // A session from before the stop. In StateServer mode it lives only in the state server's memory
    // (the nodes keep none), so restarting the state server alone loses it: the negative control of
    // SQLServer mode, whose session survives even the whole farm's restart (sessionStore.test.ts).
    const client = new Client();
    for (let i = 0; i < 3; i++) expect((await client.get(PORT, "/Default.aspx")).status).toBe(200);
    expect(counter(await client.get(PORT, "/Default.aspx")).count).toBe(4);
    await farm.stopStateServer();
    try {
      for (let i = 0; i < NODES; i++) {
        const res = await request(farm.nodePort(i), "/Default.aspx", { timeoutMs: 10000 });
        expect(res.status).toBeGreaterThanOrEqual(500);
        expect(res.ms).toBeLessThan(5000);
      }
      // the session-free health page does not depend on the state server
      expect((await request(PORT, "/health.aspx")).status).toBe(200);
    } finally {
      await farm.startStateServer();
    }
    const counts: number[] = [];
    for (let attempt = 0; attempt < 20 && counts.length < 2 * NODES; attempt++) {
      const res = await client.get(PORT, "/Default.aspx");
      if (res.status === 200) counts.push(counter(res).count);
      else await new Promise((r) => setTimeout(r, 250));
    }
    // Served again; and the session was lost: the counter starts again.
    expect(counts).toEqual([...Array(2 * NODES).keys()].map((i) => i + 1));
  }, 90000);
});
