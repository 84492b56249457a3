// `npm run local:down`: stops the farm `npm run local` started, and only its processes.
import { existsSync, readFileSync, rmSync } from "fs";
import { PID_FILE, PidFile } from "./run";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  if (!existsSync(PID_FILE)) {
    console.log("no local farm is recorded as running");
    return;
  }
  const record = JSON.parse(readFileSync(PID_FILE, "utf8")) as PidFile;
  // The runner stops its own children; wait for it (bounded), then stop any it left behind.
  if (alive(record.runner) && /local\/cli/.test(commandOf(record.runner))) {
    process.kill(record.runner, "SIGTERM");
    for (let i = 0; i < 75 && alive(record.runner); i++) await sleep(200);
  }
  for (const { role, pid } of record.processes) {
    // Only a process that still runs what we started (a pid may have been reused since).
    if (alive(pid) && /mono|nginx/.test(commandOf(pid))) {
      process.kill(pid, "SIGTERM");
      console.log(`stopped ${role} (pid ${pid})`);
    }
  }
  rmSync(PID_FILE, { force: true });
  console.log("local farm stopped");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
