// The local farm's scale-out and scale-in times, measured (for `npm run bench`): a 2-node farm on its own
// ports, scaled to 4 and back `rounds` times; each time is from the request to the last node in service
// (out) or stopped (in). Mono starts a node in seconds where a Windows instance takes minutes: these are
// the order of steps' own cost on this machine, not AWS's.
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { LocalFarm } from "./farm";
import { missingFiles } from "./packages";
import { scaleFarm } from "./scale";

export interface LocalScaleTimes {
  from: number;
  to: number;
  /** Seconds of each scale-out, then of each scale-in. */
  outSeconds: number[];
  inSeconds: number[];
}

/** Measures on a farm of its own (ports 17880-17984 and 17895 by default); undefined without Mono and nginx. */
export async function measureLocalScale(
  options: { rounds?: number; port?: number; statePort?: number; from?: number; to?: number } = {},
): Promise<LocalScaleTimes | undefined> {
  if (missingFiles().length > 0) return undefined;
  const { rounds = 3, port = 17880, statePort = 17895, from = 2, to = 4 } = options;
  const dir = mkdtempSync(join(tmpdir(), "aspnet-webfarm-scale-"));
  const farm = await LocalFarm.start({ nodes: from, port, statePort, dir: join(dir, "farm") });
  const times: LocalScaleTimes = { from, to, outSeconds: [], inSeconds: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      times.outSeconds.push((await scaleFarm(farm, to)).seconds);
      times.inSeconds.push((await scaleFarm(farm, from)).seconds);
    }
  } finally {
    await farm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return times;
}

if (require.main === module) {
  measureLocalScale().then(
    (t) => console.log(t ? JSON.stringify(t) : "Mono and nginx are not installed (npm run local:install)"),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
