// The subnet planner: fixed examples, then properties over every VPC the arguments allow.
import fc from "fast-check";
import * as ipaddr from "ipaddr.js";
import {
  isPrivateBlock,
  MAX_AZS,
  parseIpv4Cidr,
  planSubnets,
  SMALLEST_VPC_PREFIX,
} from "../../components/network/cidr";

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

/** Any VPC the farm accepts: a network address in 10/8, /16 to /23. */
const vpc = fc
  .record({ prefix: fc.integer({ min: 16, max: SMALLEST_VPC_PREFIX }), bits: fc.integer({ min: 0, max: 2 ** 24 - 1 }) })
  .map(({ prefix, bits }) => {
    const network = ((10 * 2 ** 24 + bits) >>> 0) - (bits % 2 ** (32 - prefix));
    return `${ipaddr.fromByteArray([24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256)).toString()}/${prefix}`;
  });
const azCount = fc.integer({ min: 1, max: MAX_AZS });
const range = (cidr: string) => {
  const [address, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const start = address.octets.reduce((a, o) => a * 256 + o, 0);
  return { start, end: start + 2 ** (32 - bits) - 1 };
};
const all = (plan: ReturnType<typeof planSubnets>) => [...plan.publicCidrs, ...plan.privateCidrs];

describe("subnet plan properties", () => {
  test("subnets never overlap", () => {
    fc.assert(
      fc.property(vpc, azCount, (v, n) => {
        const ranges = all(planSubnets(v, n))
          .map(range)
          .sort((a, b) => a.start - b.start);
        return ranges.every((r, i) => i === 0 || ranges[i - 1].end < r.start);
      }),
    );
  });

  test("every subnet lies inside the VPC, and is a /27 or larger", () => {
    fc.assert(
      fc.property(vpc, azCount, (v, n) => {
        const outer = range(v);
        return all(planSubnets(v, n)).every((s) => {
          const r = range(s);
          return r.start >= outer.start && r.end <= outer.end && Number(s.split("/")[1]) <= 27;
        });
      }),
    );
  });

  test("stable as azCount grows: the existing AZs keep their subnets", () => {
    fc.assert(
      fc.property(vpc, azCount, azCount, (v, a, b) => {
        const [small, large] = [planSubnets(v, Math.min(a, b)), planSubnets(v, Math.max(a, b))];
        return (
          small.publicCidrs.every((c, i) => large.publicCidrs[i] === c) &&
          small.privateCidrs.every((c, i) => large.privateCidrs[i] === c)
        );
      }),
    );
  });
});
