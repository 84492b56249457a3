// The ports of each local-farm acceptance suite, in one place: the suites run side by side (one on
// each of Jest's workers), so no two may share a port, a node's FastCGI port (port + 101 + i)
// included. guard.test.ts checks they are disjoint.
import { FarmLayout } from "../../tools/local/ports";

export const SUITE_FARMS = {
  /** farm.test.ts */
  farm: { nodes: 3, port: 18180, statePort: 18424 },
  /** release.test.ts: the most nodes it runs (it starts with 2, scales to 4 and back). */
  release: { nodes: 4, port: 18380, statePort: 18425 },
  /** guard.test.ts: the busy ports it names, and the farms it refuses to start. */
  guard: { nodes: 2, port: 18580, statePort: 18590 },
  /** sessionStore.test.ts (SQLServer mode: no state server runs, its port is still kept free). */
  sessionStore: { nodes: 2, port: 18780, statePort: 18799, sessionStore: "sql" },
} satisfies Record<string, FarmLayout>;
