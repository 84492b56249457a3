// The ports a local farm listens on, checked before anything starts: light on purpose, so
// `npm run local` refuses a busy port (or a running farm) within a second.
import { readdirSync, readFileSync, readlinkSync } from "fs";
import * as net from "net";
import { HOST } from "./http";

/** The options that decide a farm's ports: node i answers on port + 1 + i, its FastCGI on port + 101 + i. */
export interface FarmLayout {
  nodes: number;
  port: number;
  statePort: number;
  /** SQLServer mode ("sql") runs no state server, so its port is not needed. */
  sessionStore?: "state" | "sql";
}

/** Node i's ports: HTTP (what the balancer and a browser reach) and FastCGI (nginx -> fastcgi-mono-server4). */
export const nodePorts = (port: number, i: number) => ({ http: port + 1 + i, fastcgi: port + 101 + i });

/** Whether this process could listen on 127.0.0.1:port now (it listens and closes at once). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export interface FarmPort {
  port: number;
  /** Who would listen there ("the balancer"). */
  what: string;
}

/** Fails, naming every busy port and who needed it, before anything is started. */
export async function assertPortsFree(ports: FarmPort[]): Promise<void> {
  const free = await Promise.all(ports.map((p) => portFree(p.port)));
  const busy = ports.filter((_, i) => !free[i]);
  if (busy.length > 0)
    throw new Error(
      `${busy.map((p) => `port ${p.port} (${p.what})`).join(", ")} on ${HOST} ${busy.length > 1 ? "are" : "is"} in use by another program; ` +
        "choose other ports (npm run local -- --port <p> --state-port <p>) or stop that program",
    );
}

/** Every port a farm listens on, and who listens there. */
export function farmPorts(o: FarmLayout): FarmPort[] {
  const nodes = [...Array(o.nodes).keys()];
  return [
    { port: o.port, what: "the balancer" },
    ...nodes.map((i) => ({ port: nodePorts(o.port, i).http, what: `node-${i}'s HTTP server` })),
    ...nodes.map((i) => ({ port: nodePorts(o.port, i).fastcgi, what: `node-${i}'s FastCGI server` })),
    ...(o.sessionStore === "sql" ? [] : [{ port: o.statePort, what: "the state server" }]),
  ];
}

/** Ports two parts of the farm would share, by option: checked before anything starts. */
export function portCollisions(o: FarmLayout): string[] {
  const seen = new Map<number, string>();
  const problems: string[] = [];
  for (const p of farmPorts(o)) {
    const other = seen.get(p.port);
    if (other) problems.push(`port ${p.port} would be both ${other} and ${p.what}`);
    seen.set(p.port, p.what);
  }
  return problems;
}

/**
 * Whether process `pid` itself listens on TCP `port` (Linux: /proc/net/tcp's listening sockets,
 * matched against the process's open sockets). "The port answers" is not enough: another
 * program may hold it while ours failed to bind.
 */
export function listensOn(pid: number, port: number): boolean {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local address "0100007F:4A38", state 0A = LISTEN, inode in column 10
      if (f.length > 9 && f[3] === "0A" && parseInt(f[1].split(":")[1], 16) === port) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return m !== null && inodes.has(m[1]);
    } catch {
      return false;
    }
  });
}
