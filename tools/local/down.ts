// `npm run local:down`: stops the farm `npm run local` started, and only its processes.
import { rmSync } from "fs";
import { sleep } from "./http";
import { alive, isFarmProcess, isRunner, PID_FILE, readRecord } from "./run";

async function main() {
  const record = readRecord();
  if (!record) {
    console.log("no local farm is recorded as running");
    return;
  }
  // The runner stops its own children; wait for it (bounded), then stop any it left behind. Every process
  // of the record is listed, whoever stopped it (the runner prints its own list in its terminal).
  if (isRunner(record.runner)) {
    process.kill(record.runner, "SIGTERM");
    for (let i = 0; i < 75 && alive(record.runner); i++) await sleep(200);
    console.log(`stopped the farm's runner, npm run local (pid ${record.runner})`);
  }
  for (const { role, pid } of record.processes) {
    if (isFarmProcess(pid)) {
      process.kill(pid, "SIGTERM");
      console.log(`stopped ${role} (pid ${pid}), which the runner had left running`);
    } else console.log(`stopped ${role} (pid ${pid})`);
  }
  rmSync(PID_FILE, { force: true });
  console.log("local farm stopped");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
