// HTTP and TCP on 127.0.0.1, bounded: what the local farm, its releases and its tests talk with.
import * as http from "http";

export const HOST = "127.0.0.1";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HttpResult {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  ms: number;
}

/**
 * One HTTP request to 127.0.0.1, with a hard timeout, on a connection of its own. Node's default
 * agent keeps connections alive, and a reused one can race the balancer's reload closing it
 * ("socket hang up"): an artifact of the local balancer, never a node's answer.
 */
export function request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<HttpResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: HOST,
        port,
        agent: false,
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        timeout: options.timeoutMs ?? 15000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 15000} ms: ${path}`)));
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/**
 * Polls `check` until it holds (bounded). `failed` names a reason to stop at once (a process that
 * exited, say) rather than wait out the bound.
 */
export async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
  failed: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = failed();
    if (why) throw new Error(`${what}: ${why}`);
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms`);
}
