// pcapng interfaces: an Interface Description Block's link type and timestamp resolution and
// offset, and a packet block's timestamp in seconds from them.

import { u16At, u32At } from "./byte-order.js";

const IDB_OPT_TSRESOL = 9;
const IDB_OPT_TSOFFSET = 14;

export interface PcapngInterface {
  linkType: number;
  /** Multiplier turning raw timestamp units into seconds. */
  unitSeconds: number;
  /** True when units are 10^-6 or coarser: high/low words can be split without float loss. */
  offsetSeconds: number;
}

/** The interface an IDB of `len` bytes at `blk` in `b` (byte order `le`) describes. */
export function readIdb(b: Uint8Array, blk: number, len: number, le: boolean): PcapngInterface {
  const linkType = u16At(b, blk + 8, le);
  const iface: PcapngInterface = { linkType, unitSeconds: 1e-6, offsetSeconds: 0 };
  let o = blk + 16;
  const optEnd = blk + len - 4;
  while (o + 4 <= optEnd) {
    const code = u16At(b, o, le);
    const olen = u16At(b, o + 2, le);
    if (code === 0) break;
    if (o + 4 + olen > optEnd) break;
    if (code === IDB_OPT_TSRESOL && olen >= 1) {
      const r = b[o + 4];
      iface.unitSeconds = r & 0x80 ? 2 ** -(r & 0x7f) : 10 ** -(r & 0x7f);
    } else if (code === IDB_OPT_TSOFFSET && olen >= 8) {
      const hi = u32At(b, o + 4, le);
      const lo = u32At(b, o + 8, le);
      iface.offsetSeconds = le ? lo * 2 ** 32 + hi : hi * 2 ** 32 + lo;
    }
    o += 4 + ((olen + 3) & ~3);
  }
  return iface;
}

/** Seconds of a packet block's timestamp words `hi`, `lo` on interface `iface`. */
export function pcapngTs(iface: PcapngInterface, hi: number, lo: number): number {
  // hi*2^32+lo exceeds 2^53 for ns resolution, so split before scaling to keep µs precision.
  if (iface.unitSeconds === 1e-6) return iface.offsetSeconds + hi * 4294.967296 + lo / 1e6;
  if (iface.unitSeconds === 1e-9) return iface.offsetSeconds + hi * 4.294967296 + lo / 1e9;
  return iface.offsetSeconds + (hi * 4294967296 + lo) * iface.unitSeconds;
}
