// Shared by `npm run local`, `local:down` and `local:release`: where the running farm records
// itself, and whether a recorded farm still runs. The record lives beside the farm's folder, never
// in it, so a start that empties the folder (or fails) cannot lose a running farm's record.
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { REPO_ROOT } from "../scripts/repoRoot";

/** Overridable so a test can use its own place (and never touch a farm the developer runs). */
export const RUN_DIR = process.env.WEBFARM_LOCAL_DIR ?? join(REPO_ROOT, ".local-farm");
/** The farm's configs, logs and node folders: emptied by each start. */
export const FARM_DIR = join(RUN_DIR, "farm");
export const PID_FILE = join(RUN_DIR, "pids.json");
/** The running farm's control socket (local:release talks to it). */
export const CONTROL_SOCKET = join(RUN_DIR, "control.sock");

export interface PidFile {
  runner: number;
  processes: { role: string; pid: number }[];
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};

/** A pid still runs what the record says it started (a pid may have been reused since). */
export const isRunner = (pid: number) => alive(pid) && /local\/cli/.test(commandOf(pid));
export const isFarmProcess = (pid: number) => alive(pid) && /mono|nginx/.test(commandOf(pid));

export function readRecord(): PidFile | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(PID_FILE, "utf8")) as PidFile;
  } catch {
    return undefined;
  }
}

/** Why a new farm may not start here: a recorded farm (or what is left of one) still runs. */
export function recordedFarmRunning(record = readRecord()): string | undefined {
  if (!record) return undefined;
  if (isRunner(record.runner))
    return `a local farm is already running (pid ${record.runner}); stop it first with \`npm run local:down\``;
  const left = record.processes.filter((p) => isFarmProcess(p.pid));
  if (left.length > 0)
    return `processes of an earlier local farm still run (${left.map((p) => `${p.role} pid ${p.pid}`).join(", ")}); stop them with \`npm run local:down\``;
  return undefined;
}
