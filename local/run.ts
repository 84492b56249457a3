// Shared by `npm run local` and `npm run local:down`: where the running farm records itself.
import { join } from "path";

export const RUN_DIR = join(__dirname, "..", ".local-farm");
export const PID_FILE = join(RUN_DIR, "pids.json");

export interface PidFile {
  runner: number;
  processes: { role: string; pid: number }[];
}
