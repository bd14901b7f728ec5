// Deterministic VXLAN network identifier per VPC. Every Spanless session from one VPC carries the
// same VNI, so a sensor can tell overlapping CIDRs in different VPCs apart from the VXLAN header
// alone, and the value survives redeploys because it depends on nothing but the VPC ID.
import { MAX_VNI, MIN_VNI } from "../limits.js";

const FNV_OFFSET_BASIS_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;

/** FNV-1a, 32-bit, over the UTF-8 bytes of `text`. Stable across Node versions and languages. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS_32;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME_32) >>> 0;
  }
  return hash >>> 0;
}

/**
 * VNI for a VPC: `override` when the policy pins one, else `fnv1a32(vpcId) mod 16,777,214 + 1`,
 * which lands in 1..16,777,214 (0 and 2^24-1 stay unused).
 */
export function vniForVpc(vpcId: string, overrides: Readonly<Record<string, number>> = {}): number {
  const pinned = overrides[vpcId];
  if (pinned !== undefined) return pinned;
  return (fnv1a32(vpcId) % (MAX_VNI - MIN_VNI + 1)) + MIN_VNI;
}

/** Groups of distinct VPCs that map to the same VNI (pin one of them with VNI_OVERRIDES). */
export function findVniCollisions(
  vpcIds: Iterable<string>,
  overrides: Readonly<Record<string, number>> = {},
): Array<{ vni: number; vpcIds: string[] }> {
  const byVni = new Map<number, Set<string>>();
  for (const vpcId of vpcIds) {
    const vni = vniForVpc(vpcId, overrides);
    const set = byVni.get(vni) ?? new Set<string>();
    set.add(vpcId);
    byVni.set(vni, set);
  }
  return [...byVni.entries()]
    .filter(([, set]) => set.size > 1)
    .map(([vni, set]) => ({ vni, vpcIds: [...set].sort() }))
    .sort((a, b) => a.vni - b.vni);
}
