// A store from outside the kit needs no file of the kit edited: the fake in
// test/fixtures/sessions/fake registers itself through the kit's public entry point, and a farm
// tagged with its marker gets it instead of a built-in store: its resources, its connections, its
// needs, its widgets, its outputs, and its own part of the nodes' boot and of the web.config
// fragment. (Choosing a built-in store by its group of the arguments is components/args' part.)
import { valueOf } from "../../engine/engine";
import { parseFarmFragment } from "../../components/windows/webConfig";
import { FAKE_HOST, FAKE_PORT, FAKE_STORE_TAG, FakeSessionStore } from "../fixtures/sessions/fake/store";
import {
  FAKE_AFTER_STEP,
  FAKE_BEFORE_STEP,
  FAKE_CLOSING,
  FAKE_PROVIDER,
} from "../fixtures/sessions/fake/windows/fakeSession";
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

  test("the nodes boot with its own part, in its places, and after it", () => {
    for (const node of graph.webNodes()) {
      const text = bootTextOf(node);
      expect(text).toContain(
        `$SessionAttributes = [ordered]@{ mode = 'Custom'; customProvider = '${FAKE_PROVIDER}'; cookieless = 'false'; timeout = '20' }`,
      );
      expect(text).toContain(`$FakeSessions = '${FAKE_HOST}:${FAKE_PORT}'`);
      const at = (s: string) => text.indexOf(s);
      expect(at(`Step '${FAKE_BEFORE_STEP}'`)).toBeGreaterThan(
        at("Step 'read the machine key from SSM Parameter Store'"),
      );
      expect(at(`Step '${FAKE_BEFORE_STEP}'`)).toBeLessThan(at("Step 'write machineKey and sessionState"));
      expect(at(`Step '${FAKE_AFTER_STEP}'`)).toBeGreaterThan(at("Step 'restart IIS"));
      expect(at(FAKE_CLOSING)).toBeGreaterThan(at(`Step '${FAKE_AFTER_STEP}'`));
      // Nothing of the built-in stores.
      expect(text).not.toMatch(/\$StateHost|\$SessionSecret|stateConnectionString|SQLServer/);
      expect(node.options.dependsOn).toContain("shop-fake");
    }
  });

  test("the web.config fragment carries its <sessionState>", async () => {
    const fragment = parseFarmFragment(await valueOf(farm.webConfigFragment));
    expect(fragment.sessionState).toEqual({
      mode: "Custom",
      customProvider: FAKE_PROVIDER,
      cookieless: "false",
      timeout: "20",
    });
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
