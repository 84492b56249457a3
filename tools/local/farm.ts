// The farm's shape on one Linux machine, on 127.0.0.1 only: an ASP.NET state server (Mono's
// asp-state4), N nodes (fastcgi-mono-server4, real System.Web) each with its own HOME, a published
// application on every node with the kit's own web.config settings, and nginx as the round-robin
// balancer in front. Releases follow CodeDeploy's order of steps, node by node (release.ts).
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { MachineKeyValues, sqlSessionAttributes, stateSessionAttributes } from "../../components/windows";
import { HOST, request, waitFor } from "./http";
import { assertPortsFree, farmPorts, listensOn, nodePorts, portCollisions } from "./ports";
import { createSessionDatabase, sqliteConnectionString } from "./sessionDb";
import { APP_SOURCE, HEALTH_PATH, installRelease, LocalRelease } from "./deploy";

export { HOST, request } from "./http";
export { APP_SOURCE } from "./deploy";
export type { HttpResult } from "./http";

export const STATE_SERVER_EXE = "/usr/lib/xsp/4.0/asp-state4.exe";
export const FASTCGI_SERVER = "/usr/bin/fastcgi-mono-server4";
export const NGINX = "/usr/sbin/nginx";

/**
 * Mono's options for the farm's processes (and the C# compiler a node starts for its pages): a
 * node's start is mostly the JIT compiling code that then runs once, and these optimizations cost
 * more to apply than they save there (about 0.2 s of a node start's 1.4 s of CPU; the test suites
 * start some twenty-five nodes). MONO_ENV_OPTIONS set by the caller wins.
 */
export const MONO_ENV_OPTIONS =
  "--optimize=-inline,-consprop,-copyprop,-deadce,-branch,-peephole,-cfold,-loop,-alias-analysis,-linears,-cmov";
const monoEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ MONO_ENV_OPTIONS, ...env });

export interface LocalFarmOptions {
  /** How many nodes run (node-0 .. node-(n-1)); `npm run local:scale` changes it (scale.ts). */
  nodes: number;
  /** The balancer's port; node i answers on port + 1 + i, its FastCGI socket on port + 101 + i. */
  port: number;
  statePort: number;
  /** Where configs, logs and per-node HOMEs go; emptied first. */
  dir: string;
  /** Bound on every readiness wait. */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /** The first release every node runs. Default: the sample application, labelled "v1". */
  release?: LocalRelease;
  /** Told whenever a process starts or stops: `npm run local` records them for local:down. */
  onProcesses?: (processes: StartedProcess[]) => void;
  /** Where sessions live: Mono's state server (StateServer mode, the default) or SQLite (SQLServer mode). */
  sessionStore?: "state" | "sql";
}

export interface StartedProcess {
  role: string;
  pid: number;
}

/** A fresh machine key in the shape the kit generates on AWS (HMACSHA256 / AES-256). */
export function generateMachineKey(): MachineKeyValues {
  return {
    validationKey: randomBytes(64).toString("hex").toUpperCase(),
    decryptionKey: randomBytes(32).toString("hex").toUpperCase(),
    validation: "HMACSHA256",
  };
}

export class LocalFarm {
  public readonly key: MachineKeyValues;
  private readonly processes = new Map<string, ChildProcess>();
  /** Bound on every readiness wait. */
  public readonly readyTimeoutMs: number;
  /** The release each node serves. */
  public readonly serving: string[] = [];
  /** The folder (under releases/) each node serves. */
  public readonly servingFolders: string[] = [];
  /** The folder each node's last install of a version went to, by `${node}:${version}`. */
  private readonly installed = new Map<string, string>();
  /** Nodes the balancer sends to (a release takes a node out while it works on it). */
  private readonly inRotation = new Set<number>();
  /** The balancer's reloads, one at a time (a scale-out's nodes join as each passes its health check). */
  private reloads: Promise<unknown> = Promise.resolve();
  /** What a new node starts with: the last release every node reached (as CodeDeploy's last successful revision). */
  public current: LocalRelease;

  private constructor(
    public readonly options: LocalFarmOptions,
    key: MachineKeyValues,
  ) {
    this.key = key;
    this.current = options.release ?? { app: APP_SOURCE, version: "v1" };
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60000;
  }

  /** Prepares the directory, starts state server, nodes and balancer, and waits until all answer. */
  static async start(options: LocalFarmOptions, key = generateMachineKey()): Promise<LocalFarm> {
    const farm = new LocalFarm(options, key);
    const first = farm.current;
    const collisions = portCollisions(options);
    if (collisions.length > 0) throw new Error(collisions.join("; "));
    // Before anything is emptied or started: a busy port is named at once, not after a wait.
    await assertPortsFree(farmPorts(options));
    try {
      rmSync(options.dir, { recursive: true, force: true });
      mkdirSync(options.dir, { recursive: true });
      if (farm.sql) createSessionDatabase(farm.sessionDatabase);
      else await farm.startStateServer();
      for (let i = 0; i < options.nodes; i++) {
        farm.switchTo(i, first.version, farm.install(i, first));
        farm.inRotation.add(i);
        await farm.startNode(i);
      }
      await farm.startBalancer();
      return farm;
    } catch (err) {
      await farm.stop();
      throw err;
    }
  }

  /** SQLServer mode: sessions in a SQLite file, not a process. */
  get sql(): boolean {
    return this.options.sessionStore === "sql";
  }
  get sessionDatabase(): string {
    return join(this.options.dir, "sessions.sqlite");
  }

  get url(): string {
    return `http://${HOST}:${this.options.port}/`;
  }
  nodePort(i: number): number {
    return nodePorts(this.options.port, i).http;
  }
  nodeUrl(i: number): string {
    return `http://${HOST}:${this.nodePort(i)}/`;
  }
  nodeName(i: number): string {
    return `node-${i}`;
  }
  nodeDir(i: number): string {
    return join(this.options.dir, this.nodeName(i));
  }
  /** The folder node i serves: a link to one of its releases, switched in one step. */
  currentDir(i: number): string {
    return join(this.nodeDir(i), "current");
  }
  /** The folder of node i's releases: each one in its own folder, named for the whole release. */
  releasesDir(i: number): string {
    return join(this.nodeDir(i), "releases");
  }

  /** Every process this farm started and still runs, by role. */
  started(): StartedProcess[] {
    return [...this.processes.entries()]
      .filter(([, p]) => p.exitCode === null && p.pid !== undefined)
      .map(([role, p]) => ({ role, pid: p.pid! }));
  }

  log(line: string): void {
    this.options.log?.(line);
  }

  /** Installs a release into node i's releases folder (BeforeInstall): the files and the web.config. Returns its folder. */
  install(i: number, release: LocalRelease, key: MachineKeyValues = this.key): string {
    const folder = installRelease(this.releasesDir(i), release, {
      key,
      sessionState: this.sql
        ? sqlSessionAttributes(undefined, sqliteConnectionString(this.sessionDatabase))
        : stateSessionAttributes({ stateHost: HOST, statePort: this.options.statePort }),
    });
    this.installed.set(`${i}:${release.version}`, folder);
    return folder;
  }

  /**
   * Points node i at an installed release in one step (the link); the node must restart to load it.
   * `folder`: which install of the version (default: its last one on this node).
   */
  switchTo(i: number, version: string, folder = this.installed.get(`${i}:${version}`)): void {
    if (folder === undefined) throw new Error(`${this.nodeName(i)} has no release ${version} installed`);
    rmSync(this.currentDir(i), { force: true });
    symlinkSync(join(this.releasesDir(i), folder), this.currentDir(i), "dir");
    this.serving[i] = version;
    this.servingFolders[i] = folder;
  }

  private launch(
    role: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
    keepStdinOpen = false,
  ): ChildProcess {
    const logFile = openSync(join(this.options.dir, `${role}.log`), "a");
    const child = spawn(command, args, { cwd, env, stdio: [keepStdinOpen ? "pipe" : "ignore", logFile, logFile] });
    closeSync(logFile); // the child holds its own copy
    if (child.pid === undefined) throw new Error(`could not start ${role} (${command})`);
    this.processes.set(role, child);
    this.log(`started ${role} (pid ${child.pid})`);
    this.options.onProcesses?.(this.started());
    return child;
  }

  /** Why waiting for `role` is pointless: it exited. Names its exit and the end of its log. */
  private exitOf(role: string): string | undefined {
    const child = this.processes.get(role);
    if (!child || (child.exitCode === null && child.signalCode === null)) return undefined;
    const logFile = join(this.options.dir, `${role}.log`);
    let tail = "";
    try {
      tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-3).join(" | ");
    } catch {
      // no log yet
    }
    return `${role} exited (${child.exitCode ?? child.signalCode}) before it was ready; ${logFile}: ${tail || "(empty)"}`;
  }

  /** Stops one process this farm started (SIGTERM, then SIGKILL after 5 s). */
  private async halt(role: string): Promise<void> {
    const child = this.processes.get(role);
    if (!child) return;
    this.processes.delete(role);
    // Listed even when it went first (Ctrl-C reaches the whole process group, and nginx quits on it at once).
    if (child.exitCode !== null || child.signalCode !== null) {
      child.stdin?.destroy();
      this.log(
        `stopped ${role} (pid ${child.pid}; it had exited already: ${child.signalCode ?? `code ${child.exitCode}`})`,
      );
      this.options.onProcesses?.(this.started());
      return;
    }
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const escalate = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(escalate);
    child.stdin?.destroy();
    this.log(`stopped ${role} (pid ${child.pid})`);
    this.options.onProcesses?.(this.started());
  }

  async startStateServer(): Promise<void> {
    const dir = join(this.options.dir, "state");
    mkdirSync(dir, { recursive: true });
    copyFileSync(STATE_SERVER_EXE, join(dir, "asp-state4.exe"));
    // Mono's state server speaks .NET Remoting; bind it to loopback only.
    writeFileSync(
      join(dir, "asp-state4.exe.config"),
      [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<configuration><system.runtime.remoting><application name="ASP.NET State Server">',
        '<service><wellknown mode="Singleton" type="System.Web.SessionState.RemoteStateServer, System.Web, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a" objectUri="StateServer" /></service>',
        `<channels><channel ref="tcp" port="${this.options.statePort}" bindTo="${HOST}" /></channels>`,
        "</application></system.runtime.remoting></configuration>",
      ].join("\n"),
    );
    // It exits when its standard input closes: the pipe stays open as long as this process lives.
    const child = this.launch(
      "state-server",
      "mono",
      ["asp-state4.exe"],
      monoEnv({ ...process.env, HOME: dir }),
      dir,
      true,
    );
    // Ready when it listens itself (a port another program holds answers too); a state server
    // that cannot bind exits, and that fails the start at once.
    await waitFor(
      `the state server on port ${this.options.statePort}`,
      this.readyTimeoutMs,
      async () => listensOn(child.pid!, this.options.statePort),
      () => this.exitOf("state-server"),
    );
  }

  async stopStateServer(): Promise<void> {
    await this.halt("state-server");
  }

  /** Starts node i on the release it is switched to; waits for it once the balancer runs. */
  async startNode(i: number, options: { wait?: boolean } = {}): Promise<void> {
    const nodeDir = this.nodeDir(i);
    for (const sub of ["home", "tmp"]) mkdirSync(join(nodeDir, sub), { recursive: true });
    // Its own HOME and TMPDIR: Mono keeps auto-generated keys under $HOME/.mono, and a shared
    // HOME would let a farm without a machineKey pass the cross-node checks by accident.
    this.launch(
      this.nodeName(i),
      FASTCGI_SERVER,
      [`--applications=/:${this.currentDir(i)}`, `--socket=tcp:${HOST}:${nodePorts(this.options.port, i).fastcgi}`],
      monoEnv({
        ...process.env,
        HOME: join(nodeDir, "home"),
        TMPDIR: join(nodeDir, "tmp"),
        WEBFARM_NODE: this.nodeName(i),
      }),
      nodeDir,
    );
    if (this.processes.has("balancer") && options.wait !== false) await this.waitForNode(i);
  }

  async stopNode(i: number): Promise<void> {
    await this.halt(this.nodeName(i));
  }

  /** Restarts node i on an installed release (ApplicationStart: switch, then recycle). */
  async restartNode(
    i: number,
    version = this.serving[i],
    options: { wait?: boolean; folder?: string } = {},
  ): Promise<void> {
    await this.stopNode(i);
    this.switchTo(i, version, options.folder);
    await this.startNode(i, options);
  }

  /** Waits until node i answers its health page (bounded). */
  async waitForNode(i: number): Promise<void> {
    // The last answer, for the error: a 500 there means the application does not start.
    let last = "";
    await waitFor(
      `${this.nodeName(i)} (${this.nodeUrl(i)})`,
      this.readyTimeoutMs,
      async () => {
        const status = (await request(this.nodePort(i), HEALTH_PATH, { timeoutMs: 10000 })).status;
        last = `${HEALTH_PATH} answered ${status}`;
        return status === 200;
      },
      () => this.exitOf(this.nodeName(i)) ?? this.exitOf("balancer"),
    ).catch((err: Error) => {
      throw new Error(last ? `${err.message} (${last})` : err.message, { cause: err });
    });
  }

  private nginxConfig(): string {
    const dir = this.options.dir;
    const nodes = [...Array(this.options.nodes).keys()];
    const upstream = nodes.filter((i) => this.inRotation.has(i));
    return (
      [
        "worker_processes 1;",
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/nginx-error.log warn;`,
        "events { worker_connections 256; }",
        "http {",
        `  access_log ${dir}/nginx-access.log;`,
        ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${dir}/nginx-tmp/${t};`),
        "  upstream farm {",
        ...upstream.map((i) => `    server ${HOST}:${this.nodePort(i)} max_fails=1 fail_timeout=5s;`),
        // Every node out of rotation (a one-node farm during a release): nginx needs a server.
        ...(upstream.length === 0 ? [`    server ${HOST}:${this.nodePort(0)} down;`] : []),
        "  }",
        "  # The balancer: round robin, no stickiness, like the ALB; a node that refuses is skipped.",
        `  server { listen ${HOST}:${this.options.port}; location / { proxy_pass http://farm; proxy_next_upstream error timeout http_502; proxy_connect_timeout 2s; proxy_read_timeout 30s; } }`,
        ...nodes.map((i) =>
          [
            `  server { listen ${HOST}:${this.nodePort(i)}; root ${this.currentDir(i)}; index Default.aspx;`,
            `    add_header X-Farm-Node ${this.nodeName(i)} always;`,
            `    location / { fastcgi_pass ${HOST}:${nodePorts(this.options.port, i).fastcgi}; include /etc/nginx/fastcgi_params; fastcgi_param PATH_INFO ""; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; } }`,
          ].join("\n"),
        ),
        "}",
      ].join("\n") + "\n"
    );
  }

  private async startBalancer(): Promise<void> {
    const conf = join(this.options.dir, "nginx.conf");
    mkdirSync(join(this.options.dir, "nginx-tmp"), { recursive: true });
    writeFileSync(conf, this.nginxConfig());
    this.launch(
      "balancer",
      NGINX,
      ["-p", this.options.dir, "-c", conf, "-g", "daemon off;"],
      process.env,
      this.options.dir,
    );
    // Each node compiles its pages on the first request: ask them all at once.
    await Promise.all([...Array(this.options.nodes).keys()].map((i) => this.waitForNode(i)));
    await waitFor(
      `the balancer (${this.url})`,
      this.readyTimeoutMs,
      async () => (await request(this.options.port, HEALTH_PATH)).status === 200,
      () => this.exitOf("balancer"),
    );
  }

  /** The nginx master's worker processes (children), from /proc. */
  private workers(): number[] {
    const master = this.processes.get("balancer")?.pid;
    if (master === undefined) return [];
    try {
      return readFileSync(`/proc/${master}/task/${master}/children`, "utf8")
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  }

  /**
   * Takes nodes out of the balancer's rotation or puts them back, as a target group
   * (de)registration does: nginx reloads (its per-node servers follow options.nodes), and the old
   * worker finishes its in-flight requests before it exits. Resolves once the old worker is gone
   * (the nodes are drained).
   */
  async setInRotation(nodes: number | number[], on: boolean): Promise<void> {
    const which = ([] as number[]).concat(nodes);
    const reload = async () => {
      for (const i of which)
        if (on) this.inRotation.add(i);
        else this.inRotation.delete(i);
      const before = this.workers();
      writeFileSync(join(this.options.dir, "nginx.conf"), this.nginxConfig());
      this.processes.get("balancer")?.kill("SIGHUP");
      await waitFor(
        `the balancer to reload (node ${which.join(", ") || "list"} ${on ? "in" : "out"})`,
        this.readyTimeoutMs,
        async () => {
          const now = this.workers();
          return now.length > 0 && before.every((pid) => !now.includes(pid));
        },
      );
    };
    const done = this.reloads.then(reload, reload);
    this.reloads = done.catch(() => undefined);
    await done;
  }

  /**
   * Every process of the farm stopped and started again, as after a power cut: the balancer, the
   * nodes and the state server. What survives is what was on disk (SQLServer mode's sessions).
   */
  async restartAll(): Promise<void> {
    await this.stop();
    if (!this.sql) await this.startStateServer();
    for (let i = 0; i < this.options.nodes; i++) await this.startNode(i);
    await this.startBalancer();
  }

  /** Stops every process this farm started, balancer first, and only those. */
  async stop(): Promise<void> {
    const order = ["balancer", ...[...this.processes.keys()].filter((r) => r.startsWith("node-")), "state-server"];
    for (const role of order) await this.halt(role);
  }
}
