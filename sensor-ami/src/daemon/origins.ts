// Mirror origins: the (VNI, outer source address) pairs a worker has seen, each numbered once so
// that a connection carries its origin as one small integer (Connection.origin) and its records
// are enriched only when written. The pair names one mirrored ENI (contracts/vni-map).

import { formatAddr } from "../text/ip.js";

export interface MirrorOrigin {
  vni: number;
  /** The outer source address as text (the mirrored ENI's primary private IPv4 address). */
  source: string;
}

/** Distinct origins kept before new ones share one overflow number (a flood of forged outer sources). */
export const MAX_ORIGINS = 65_536;

/** The value of four address bytes stored in network order but read little-endian. */
function networkWord(le: number): number {
  return (((le & 0xff) << 24) | ((le & 0xff00) << 8) | ((le >>> 8) & 0xff00) | (le >>> 24)) >>> 0;
}

const OVERFLOW_ORIGIN = 1;
const OVERFLOW_SOURCE = "(more mirror sources than tracked)";

export class OriginTable {
  /**
   * Origins by number; 0 is unused (it means "no origin") and 1 stands for every origin past
   * MAX_ORIGINS, so that a flood of forged outer sources cannot grow the table.
   */
  private readonly byNumber: MirrorOrigin[] = [
    { vni: -1, source: "" },
    { vni: -1, source: OVERFLOW_SOURCE },
  ];
  /** VNI → IPv4 outer source → number. */
  private readonly v4 = new Map<number, Map<number, number>>();
  private readonly other = new Map<string, number>();
  private lastVni = -1;
  private lastAddr = -1;
  private lastNumber = 0;
  /** Lookups that found the table full and were given the overflow origin. */
  overflowed = 0;

  get size(): number {
    return this.byNumber.length - 2;
  }

  /**
   * The number of the origin (vni, address). The words are the address's bytes as the socket
   * wrote them (network order in memory) read as little-endian Uint32 (capture/udp/types.ts).
   */
  intern(vni: number, family: number, a0: number, a1: number, a2: number, a3: number): number {
    if (family === 4) {
      if (vni === this.lastVni && a0 === this.lastAddr) return this.lastNumber;
      let byAddr = this.v4.get(vni);
      if (byAddr === undefined) {
        byAddr = new Map();
        this.v4.set(vni, byAddr);
      }
      let n = byAddr.get(a0);
      if (n === undefined) {
        n = this.add(vni, formatAddr(0, 0, 0xffff, networkWord(a0)));
        byAddr.set(a0, n);
      }
      this.lastVni = vni;
      this.lastAddr = a0;
      this.lastNumber = n;
      return n;
    }
    const source = formatAddr(networkWord(a0), networkWord(a1), networkWord(a2), networkWord(a3));
    const key = `${vni}|${source}`;
    let n = this.other.get(key);
    if (n === undefined) {
      n = this.add(vni, source);
      this.other.set(key, n);
    }
    return n;
  }

  get(n: number): MirrorOrigin | undefined {
    return n > 0 ? this.byNumber[n] : undefined;
  }

  private add(vni: number, source: string): number {
    if (this.byNumber.length - 2 >= MAX_ORIGINS) {
      this.overflowed++;
      return OVERFLOW_ORIGIN;
    }
    this.byNumber.push({ vni, source });
    return this.byNumber.length - 1;
  }
}
