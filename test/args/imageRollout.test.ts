// image.amiParameter (the nodes' image, so not with amiId) and image.autoRollout (only for an Auto
// Scaling group with a plain launch template); every problem named in the one error, before
// anything is registered.
import { WebFarm, webFarmArgProblems } from "../../components";
import { attempt } from "../support/graph";

const PARAMETER = "/imagebuilder/shop-image-recipe-1a2b3c4/1.0.0/ami";
const reasons = (args: unknown) =>
  webFarmArgProblems("shop", args)
    .filter((p) => p.propertyPath.startsWith("image."))
    .map((p) => `${p.propertyPath} ${p.reason}`);

describe("image.amiParameter and image.autoRollout", () => {
  test("a parameter is accepted in either mode and with Spot; autoRollout in Auto Scaling mode", () => {
    for (const nodes of [{ count: 2 }, { count: 2, mode: "autoscaling", maxCount: 4, spot: true }])
      expect(reasons({ nodes, image: { amiParameter: PARAMETER } })).toEqual([]);
    expect(
      reasons({ nodes: { count: 2, mode: "autoscaling" }, image: { amiParameter: PARAMETER, autoRollout: true } }),
    ).toEqual([]);
  });

  test("must be a FarmImage's parameter: /imagebuilder/<name>/<version>/ami", () => {
    for (const bad of ["/farm/ami", "/imagebuilder/shop/latest/ami", "imagebuilder/shop/1.0.0/ami"])
      expect(reasons({ nodes: { count: 2, mode: "autoscaling" }, image: { amiParameter: bad } })).toEqual([
        expect.stringMatching(/^image\.amiParameter must be a FarmImage's amiParameter/),
      ]);
  });

  test("autoRollout is refused for separate instances and without a parameter; a parameter with amiId; all named", () => {
    expect(reasons({ nodes: { count: 2 }, image: { autoRollout: true, amiId: "ami-0123456789abcdef0" } })).toEqual([
      "image.autoRollout needs image.amiParameter (the image to follow)",
      'image.autoRollout applies only with nodes.mode "autoscaling" (a group to refresh)',
    ]);
    expect(
      reasons({ nodes: { count: 2 }, image: { amiParameter: PARAMETER, amiId: "ami-0123456789abcdef0" } }),
    ).toEqual(["image.amiParameter is given with image.amiId: give one of them (the nodes' image)"]);
  });

  test("autoRollout is refused with Spot: a mixed instances policy refuses an AMI from a parameter", () => {
    expect(
      reasons({
        nodes: { count: 2, mode: "autoscaling", maxCount: 4, spot: true },
        image: { amiParameter: PARAMETER, autoRollout: true },
      }),
    ).toEqual([
      "image.autoRollout cannot be used with nodes.spot: a mixed instances policy refuses an AMI from an SSM parameter",
    ]);
  });

  test("the problems come in the one error, with the others, and nothing is registered", async () => {
    const { error, graph } = await attempt(
      () =>
        new WebFarm("shop", {
          nodes: { count: 2, mode: "autoscaling", maxCount: 4, spot: true },
          image: { amiParameter: PARAMETER, amiId: "ami-0123456789abcdef0", autoRollout: true },
          loadBalancer: { healthCheckPath: "health" },
        } as never),
    );
    expect(error?.message).toContain("image.autoRollout: cannot be used with nodes.spot");
    expect(error?.message).toContain("image.amiParameter: is given with image.amiId");
    expect(error?.message).toContain("loadBalancer.healthCheckPath");
    expect(graph.resources.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
  });
});
