// Instance types that cannot be Traffic Mirroring sources, kept as data. Source: "Traffic mirror
// source and target requirements / limitations" in the VPC Traffic Mirroring guide (current text,
// collected in the project's AWS reference notes, aws-facts.md §4.2). The list grows with every instance generation,
// so EC2's answer to CreateTrafficMirrorSession stays the source of truth (see ../errors.ts) and this
// list only saves a doomed API call. Families are matched on the part before the dot, lower-case.

/** Virtualized Nitro families the guide lists as unsupported sources. */
const UNSUPPORTED_NITRO_FAMILIES: readonly string[] = [
  // General purpose
  "m8g",
  "m6a",
  "m6i",
  "m6id",
  "m6idn",
  "m6in",
  "m7a",
  "m7g",
  "m7gd",
  "m7i",
  "m7i-flex",
  // Compute optimized
  "c8g",
  "c6a",
  "c6gd",
  "c6gn",
  "c6i",
  "c6id",
  "c6in",
  "c7a",
  "c7g",
  "c7gd",
  "c7gn",
  "c7i",
  // Memory optimized
  "r8g",
  "r6a",
  "r6i",
  "r6id",
  "r6idn",
  "r6in",
  "r7a",
  "r7g",
  "r7gd",
  "r7i",
  "r7iz",
  "x8g",
  "x2idn",
  "x2iedn",
  "x2iezn",
  // Storage optimized
  "i4g",
  "i4i",
  "im4gn",
  "is4gen",
  // Accelerated computing
  "inf2",
  "p5",
  "trn1",
  "trn1n",
  // High-performance computing
  "hpc6a",
  "hpc6id",
  "hpc7a",
  "hpc7g",
];

/**
 * Xen (non-Nitro) families that cannot be sources: the guide lists the only Xen families that can (c4, d2,
 * g3, g3s, h1, i3, m4, p2, p3, r4, x1, x1e); these are the previous generations outside that list.
 */
const UNSUPPORTED_XEN_FAMILIES: readonly string[] = [
  "t1",
  "t2",
  "m1",
  "m2",
  "m3",
  "c1",
  "c3",
  "cc2",
  "cr1",
  "g2",
  "hs1",
  "i2",
  "r3",
];

const unsupportedFamilies = new Set([...UNSUPPORTED_NITRO_FAMILIES, ...UNSUPPORTED_XEN_FAMILIES]);

export interface TypeSupport {
  supported: boolean;
  /** Why the type is refused, for the skip log line. */
  why?: string;
}

/** Decide from the data above whether `instanceType` (e.g. `m6i.large`) may be a mirror source. */
export function instanceTypeSupport(instanceType: string): TypeSupport {
  const [family, size] = instanceType.toLowerCase().split(".", 2);
  if (size?.startsWith("metal")) return { supported: false, why: "bare metal instances cannot be sources" };
  if (unsupportedFamilies.has(family)) {
    return {
      supported: false,
      why: `family ${family} is listed as unsupported by the Traffic Mirroring guide`,
    };
  }
  return { supported: true };
}
