// How a farm finds its session store: registered stores first, then the built-in ones, by the
// arguments each answers to.
import { ResolvedWebFarmArgs } from "../../components";
import { chooseStore, registerSessionStore, SessionStoreFactory } from "../../components/sessions/contract";
import { BUILT_IN_STORES, sessionStoreFor as farmStoreFor } from "../../components/sessions";

const store = (kind: string, answers: (a: ResolvedWebFarmArgs) => boolean): SessionStoreFactory => ({
  kind,
  answers,
  build: () => {
    throw new Error("not built here");
  },
});
const stateArgs = { stateServer: { port: 42424, instanceType: "t3.medium", protect: false } } as ResolvedWebFarmArgs;
const sqlArgs = { sqlServer: {} } as ResolvedWebFarmArgs;

test("each built-in store answers to its own group of the arguments, and only to it", () => {
  expect(farmStoreFor(stateArgs).kind).toBe("stateServer");
  expect(farmStoreFor(sqlArgs).kind).toBe("sqlServer");
  expect(BUILT_IN_STORES.map((f) => [f.kind, f.answers(stateArgs), f.answers(sqlArgs)])).toEqual([
    ["stateServer", true, false],
    ["sqlServer", false, true],
  ]);
});

test("no store answering is an error naming the stores known", () => {
  // Registered stores of other files of this worker may be listed first.
  expect(() => chooseStore({} as ResolvedWebFarmArgs, BUILT_IN_STORES)).toThrow(
    /^no session store answers to these arguments \(known: (.+, )?stateServer, sqlServer\)$/,
  );
});

test("a registered store is asked before the built-in ones, whenever it was registered; a kind registers once", () => {
  // It answers to these very arguments only: registrations outlive this file in its worker.
  const marked = { ...stateArgs };
  const mine = store("contract-test", (a) => a === marked);
  registerSessionStore(mine);
  expect(chooseStore(marked, BUILT_IN_STORES)).toBe(mine);
  expect(chooseStore(stateArgs, BUILT_IN_STORES).kind).toBe("stateServer");
  expect(() => registerSessionStore(store("contract-test", () => false))).toThrow(
    'a session store "contract-test" is registered already',
  );
});
