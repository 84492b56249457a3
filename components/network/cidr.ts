// Pure CIDR planning for the farm's own VPC. Parsing and range classification come from
// ipaddr.js; only the block arithmetic (a fixed number of equal slots) is done here.
import * as ipaddr from "ipaddr.js";

/**
 * The VPC is cut into SUBNET_SLOTS equal blocks: public subnet i takes slot i, private subnet i
 * takes slot MAX_AZS + i. The layout does not depend on the AZ count, so adding an AZ later adds
 * subnets without renumbering (and so replacing) the existing ones.
 */
export const MAX_AZS = 8;
export const SUBNET_SLOTS = 2 * MAX_AZS;
const SLOT_BITS = Math.log2(SUBNET_SLOTS);
/** An ALB needs a /27 or larger subnet with at least 8 free addresses. */
export const SMALLEST_SUBNET_PREFIX = 27;
/** The largest VPC prefix whose slots are still /27. */
export const SMALLEST_VPC_PREFIX = SMALLEST_SUBNET_PREFIX - SLOT_BITS;

export interface Ipv4Cidr {
  address: ipaddr.IPv4;
  prefix: number;
}

/** Parses "a.b.c.d/n" (IPv4 only); returns undefined when it is not one. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  if (!ipaddr.IPv4.isValidCIDR(text)) return undefined;
  // isValidCIDR accepts shorthand such as "10/8"; insist on four dotted parts.
  if (!ipaddr.IPv4.isValidFourPartDecimal(text.split("/")[0])) return undefined;
  const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  return { address, prefix };
}

/** True when the CIDR's address is the network address (no host bits set). */
export function isNetworkAddress(cidr: Ipv4Cidr): boolean {
  return toInt(cidr.address) === toInt(ipaddr.IPv4.networkAddressFromCIDR(formatCidr(cidr)));
}

/** True when the whole block lies in RFC 1918 private space. */
export function isPrivateBlock(cidr: Ipv4Cidr): boolean {
  const privateRanges: [string, number][] = [
    ["10.0.0.0", 8],
    ["172.16.0.0", 12],
    ["192.168.0.0", 16],
  ];
  return privateRanges.some(([net, bits]) => cidr.prefix >= bits && cidr.address.match(ipaddr.IPv4.parse(net), bits));
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${cidr.address.toString()}/${cidr.prefix}`;
}

export interface SubnetPlan {
  publicCidrs: string[];
  privateCidrs: string[];
}

/** The public and private subnet CIDR of each AZ index, for a VPC of `vpcCidr`. */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan {
  const vpc = parseIpv4Cidr(vpcCidr);
  if (!vpc) throw new Error(`"${vpcCidr}" is not an IPv4 CIDR`);
  if (vpc.prefix > SMALLEST_VPC_PREFIX) {
    throw new Error(`VPC ${vpcCidr} is too small: use /${SMALLEST_VPC_PREFIX} or larger`);
  }
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_AZS) {
    throw new Error(`azCount must be 1-${MAX_AZS}`);
  }
  const subnetPrefix = vpc.prefix + SLOT_BITS;
  const slotSize = 2 ** (32 - subnetPrefix);
  const base = toInt(vpc.address);
  const slot = (i: number) => `${fromInt(base + i * slotSize)}/${subnetPrefix}`;
  const indexes = [...Array(azCount).keys()];
  return {
    publicCidrs: indexes.map((i) => slot(i)),
    privateCidrs: indexes.map((i) => slot(MAX_AZS + i)),
  };
}

function toInt(address: ipaddr.IPv4): number {
  return address.octets.reduce((acc, octet) => acc * 256 + octet, 0);
}

function fromInt(value: number): string {
  return ipaddr.fromByteArray([24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256)).toString();
}
