// The running local farm's control channel: a Unix socket in .local-farm/ on which
// `npm run local:release` asks the farm's own process to release, and `npm run local:scale` to change
// its node count (that process owns the nodes). One at a time.
// One JSON request line in; log lines and one result line out.
import { rmSync } from "fs";
import * as net from "net";
import type { LocalFarm } from "./farm";
import { LocalRelease, releaseFarm, Validation } from "./deploy";
import { launchValidation, scaleFarm } from "./scale";

export interface ReleaseRequest {
  command: "release";
  release: LocalRelease;
  nodesAtOnce?: number;
}

export interface ScaleRequest {
  command: "scale";
  nodes: number;
}

export type ControlRequest = ReleaseRequest | ScaleRequest;

export type ControlMessage = { log: string } | { ok: true; seconds: number } | { ok: false; error: string };

/** `defaults`: what every release must answer (the farm's --validate-path), unless the request says otherwise. */
export function serveControl(
  farm: LocalFarm,
  socketPath: string,
  onChange: () => void,
  defaults: Validation = {},
): net.Server {
  rmSync(socketPath, { force: true });
  let busy = false;
  const server = net.createServer((socket) => {
    const send = (m: ControlMessage) => socket.write(JSON.stringify(m) + "\n");
    let buffer = "";
    socket.on("data", async (chunk) => {
      buffer += chunk.toString("utf8");
      if (!buffer.includes("\n")) return;
      let request: ControlRequest;
      try {
        request = JSON.parse(buffer.split("\n")[0]);
      } catch {
        send({ ok: false, error: "the request is not JSON" });
        socket.end();
        return;
      }
      if (busy) {
        send({ ok: false, error: "a release or a scale is under way already" });
        socket.end();
        return;
      }
      busy = true;
      const started = Date.now();
      const previousLog = farm.options.log;
      farm.options.log = (line) => {
        previousLog?.(line);
        send({ log: line });
      };
      try {
        if (request.command === "scale") await scaleFarm(farm, request.nodes, launchValidation(farm, defaults));
        else await releaseFarm(farm, { ...defaults, ...request.release }, { nodesAtOnce: request.nodesAtOnce });
        send({ ok: true, seconds: (Date.now() - started) / 1000 });
      } catch (err) {
        send({ ok: false, error: err instanceof Error ? err.message : String(err) });
      } finally {
        farm.options.log = previousLog;
        busy = false;
        onChange();
        socket.end();
      }
    });
  });
  server.listen(socketPath);
  return server;
}

/** Sends one release request to the running farm and prints what it says; resolves to its outcome. */
export function requestRelease(
  socketPath: string,
  request: ReleaseRequest,
  print: (line: string) => void,
): Promise<boolean> {
  return requestControl(
    socketPath,
    request,
    print,
    (s) => `released ${request.release.version} to every node in ${s}`,
    "release failed",
  );
}

/** Sends one request to the running farm and prints what it says (`done` and `failed` word the outcome). */
export function requestControl(
  socketPath: string,
  request: ControlRequest,
  print: (line: string) => void,
  done: (seconds: string) => string,
  failed: string,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buffer = "";
    let outcome: boolean | undefined;
    socket.on("connect", () => socket.write(JSON.stringify(request) + "\n"));
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
        const message = JSON.parse(buffer.slice(0, at)) as ControlMessage;
        buffer = buffer.slice(at + 1);
        if ("log" in message) print(`  ${message.log}`);
        else if (message.ok) {
          print(done(`${message.seconds.toFixed(1)} s`));
          outcome = true;
        } else {
          print(`${failed}: ${message.error}`);
          outcome = false;
        }
      }
    });
    socket.on("error", (err) =>
      reject(new Error(`no local farm answers on ${socketPath} (${err.message}): start one with npm run local`)),
    );
    socket.on("close", () => resolve(outcome ?? false));
  });
}
