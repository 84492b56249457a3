// A scripted clock for the dynamic providers' waits: sleeping advances time at once, and every line
// logged is kept for the test to read.
import { WaitClock } from "../../components/aws/waiter";

export function scriptedClock(): WaitClock & { t: number; lines: string[] } {
  const c = {
    t: 0,
    lines: [] as string[],
    sleep: async (ms: number) => void (c.t += ms),
    now: () => c.t,
    log: (line: string) => void c.lines.push(line),
  };
  return c;
}
