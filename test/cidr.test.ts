import { isPrivateBlock, parseIpv4Cidr, planSubnets } from "../components/cidr";

describe("subnet plan", () => {
  test("a /16 gives /20 subnets: public from the bottom, private from the middle", () => {
    expect(planSubnets("10.0.0.0/16", 2)).toEqual({
      publicCidrs: ["10.0.0.0/20", "10.0.16.0/20"],
      privateCidrs: ["10.0.128.0/20", "10.0.144.0/20"],
    });
  });

  test("the smallest VPC (/23) still gives /27 subnets, which an ALB needs", () => {
    const plan = planSubnets("10.1.2.0/23", 8);
    expect(plan.publicCidrs[0]).toBe("10.1.2.0/27");
    expect(plan.privateCidrs[7]).toBe("10.1.3.224/27");
    expect(() => planSubnets("10.1.2.0/24", 2)).toThrow(/too small/);
  });

  test("private ranges are recognised whole, not by their first address", () => {
    expect(isPrivateBlock(parseIpv4Cidr("172.16.0.0/12")!)).toBe(true);
    expect(isPrivateBlock(parseIpv4Cidr("172.0.0.0/8")!)).toBe(false);
    expect(isPrivateBlock(parseIpv4Cidr("100.64.0.0/16")!)).toBe(false);
    expect(parseIpv4Cidr("10/8")).toBeUndefined();
  });
});
