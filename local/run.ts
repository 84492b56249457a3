// Shared by `npm run local` and `npm run local:down`: where the running farm records itself.
import { join } from "path";

export const RUN_DIR = join(__dirname, "..", ".local-farm");
export const PID_FILE = join(RUN_DIR, "pids.json");
/** The running farm's control socket (local:release talks to it). */
export const CONTROL_SOCKET = join(RUN_DIR, "control.sock");

export interface PidFile {
  runner: number;
  processes: { role: string; pid: number }[];
}
