// A third session store is a folder of its own: the fake in test/fixtures/sessions/fake registers
// itself, and a farm built with its marker gets it, wired like the built-in stores, with no other
// file of the kit knowing it.
import { valueOf } from "../../engine/engine";
import { parseFarmFragment } from "../../components/windows/webConfig";
import { FAKE_HOST, FAKE_PORT, FAKE_STORE_TAG, FakeSessionStore } from "../fixtures/sessions/fake/store";
import { bootTextOf, buildFarm, sharedFarm, Graph, T } from "../support/graph";
import { WebFarm } from "../../components";

describe("a third session store, registered from a test fixture", () => {
  let graph: Graph;
  let farm: WebFarm;
  beforeAll(async () => {
    ({ graph, farm } = await buildFarm({ nodeCount: 2, tags: { [FAKE_STORE_TAG]: "yes" } }));
  });

  test("the farm builds the fake under itself, and neither built-in store", () => {
    const store = graph.one("test:fixtures:FakeSessionStore");
    expect(store).toMatchObject({ name: "shop-fake", parent: "shop" });
    expect(graph.count("aspnet-webfarm:index:StateServer")).toBe(0);
    expect(graph.count("aspnet-webfarm:index:SqlSessionStore")).toBe(0);
    expect(graph.resources.filter((r) => /shop-(state|sessions)\b/.test(r.name))).toEqual([]);
    expect(farm.sessions.component).toBeInstanceOf(FakeSessionStore);
    expect(farm.stateServer).toBeUndefined();
    expect(farm.sessionStore).toBeUndefined();
  });

  test("the web nodes, and only they, reach it on its default port: one described rule each way", () => {
    const group = graph.named("shop-fake-sg", T.sg);
    const web = graph.groupOf("web-node");
    const inbound = graph.ofType(T.ingress).filter((r) => r.inputs.securityGroupId === group.id);
    expect(inbound.map((r) => [r.name, r.inputs.referencedSecurityGroupId, r.inputs.fromPort])).toEqual([
      ["shop-web-to-fake-in", web.id, FAKE_PORT],
    ]);
    expect(inbound[0].inputs.description).toBe(`fake session state (tcp/${FAKE_PORT}) from the web nodes`);
    const egress = graph.named("shop-web-to-fake-out", T.egress);
    expect(egress.inputs).toMatchObject({ securityGroupId: web.id, referencedSecurityGroupId: group.id });
    expect(egress.parent).toBe("shop");
  });

  test("the nodes boot with its values and after it; the web.config fragment names it", async () => {
    for (const node of graph.webNodes()) {
      expect(bootTextOf(node)).toContain(`stateConnectionString = 'tcpip=${FAKE_HOST}:${FAKE_PORT}'`);
      expect(node.options.dependsOn).toContain("shop-fake");
    }
    const fragment = parseFarmFragment(await valueOf(farm.webConfigFragment));
    expect(fragment.sessionState.stateConnectionString).toBe(`tcpip=${FAKE_HOST}:${FAKE_PORT}`);
  });

  test("its outputs are the farm's; the others stay undefined", async () => {
    expect(await valueOf(farm.sessionStoreAddress)).toBe(FAKE_HOST);
    expect(await valueOf(farm.sessionStoreSecurityGroupId)).toBe(graph.named("shop-fake-sg", T.sg).id);
    expect(await valueOf(farm.stateServerAddress)).toBeUndefined();
    expect(await valueOf(farm.stateServerSecurityGroupId)).toBeUndefined();
    expect(await valueOf(farm.sessionStoreSecretArn)).toBeUndefined();
  });

  test("its widget is on the farm's dashboard, below the load balancer's and the nodes'", () => {
    const body = JSON.parse(graph.one(T.dashboard).inputs.dashboardBody);
    const widget = body.widgets.find((w: any) => w.properties.title === "Fake sessions");
    expect(widget).toMatchObject({ x: 0, y: 12, properties: { metrics: [["Fake", "Sessions", { stat: "Sum" }]] } });
  });

  test("a farm without the marker still gets the store its arguments chose", async () => {
    const plain = (await sharedFarm({ nodeCount: 1 })).graph;
    expect(plain.count("aspnet-webfarm:index:StateServer")).toBe(1);
    expect(plain.count("test:fixtures:FakeSessionStore")).toBe(0);
  });
});
