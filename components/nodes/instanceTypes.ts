// Spot capacity is safer from several instance types of the same size: when one pool runs short,
// Auto Scaling launches from another. Pure: the kit's own table of x86_64 families that are
// interchangeable for a web node (same vCPU and memory at the same size name).
const SIBLINGS: readonly (readonly string[])[] = [
  ["t3", "t3a", "t2"],
  ["m5", "m5a", "m6i", "m6a", "m7i", "m7a"],
  ["c5", "c5a", "c6i", "c6a", "c7i", "c7a"],
  ["r5", "r5a", "r6i", "r6a", "r7i", "r7a"],
];
/** Sizes every family of a row above offers (t2 has no xlarge beyond 2xlarge, none has metal here). */
const SIZES: Record<string, readonly string[]> = {
  t3: ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"],
  t3a: ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"],
  t2: ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"],
};
const COMMON_SIZES = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"];

/**
 * The instance types a Spot group may use for `instanceType`: it first, then its siblings of the
 * same size in the kit's table (up to four in all). Just `[instanceType]` for a family not in the table.
 */
export function spotInstanceTypesFor(instanceType: string): string[] {
  const [family, size] = instanceType.split(".");
  const row = SIBLINGS.find((r) => r.includes(family));
  if (!row || size === undefined) return [instanceType];
  const offers = (f: string) => (SIZES[f] ?? COMMON_SIZES).includes(size);
  return [instanceType, ...row.filter((f) => f !== family && offers(f)).map((f) => `${f}.${size}`)].slice(0, 4);
}
