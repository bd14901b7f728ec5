// Community ID flow hash v1 (corelight/community-id-spec): sha1 over seed, ordered endpoints,
// protocol and ports, base64-encoded with a "1:" prefix. Computed once per logged connection.

import { createHash, hash } from "node:crypto";

const ICMP4_COUNTERPART: Record<number, number> = {
  8: 0,
  0: 8,
  13: 14,
  14: 13,
  15: 16,
  16: 15,
  10: 9,
  9: 10,
  17: 18,
  18: 17,
};
const ICMP6_COUNTERPART: Record<number, number> = {
  128: 129,
  129: 128,
  130: 131,
  131: 130,
  133: 134,
  134: 133,
  135: 136,
  136: 135,
  139: 140,
  140: 139,
  144: 145,
  145: 144,
};

interface FlowTuple {
  /** 4 bytes (IPv4) or 16 bytes (IPv6). */
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  /** Ports, or ICMP type (sport) and code (dport). */
  sport: number;
  dport: number;
}

function lessThan(a: Uint8Array, ap: number, b: Uint8Array, bp: number): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return ap < bp;
}

const scratch: Uint8Array[] = [];

export function communityId(t: FlowTuple, seed = 0): string {
  let { src, dst, sport, dport } = t;
  const proto = t.proto;
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const table = proto === 1 ? ICMP4_COUNTERPART : ICMP6_COUNTERPART;
    const counterpart = table[sport];
    if (counterpart === undefined) oneWay = true;
    else dport = counterpart;
  }
  const hasPorts = proto === 6 || proto === 17 || proto === 132 || proto === 1 || proto === 58;
  if (!oneWay && !lessThan(src, sport, dst, dport)) {
    [src, dst] = [dst, src];
    [sport, dport] = [dport, sport];
  }
  // The hash input is built in a scratch array per input length (the hash copies it): one of four
  // sizes (IPv4/IPv6, with or without ports), so nothing is allocated per connection.
  const size = 2 + src.length * 2 + 2 + (hasPorts ? 4 : 0);
  let buf = scratch[size];
  if (buf === undefined) {
    buf = new Uint8Array(size);
    scratch[size] = buf;
  }
  let o = 0;
  buf[o++] = (seed >>> 8) & 0xff;
  buf[o++] = seed & 0xff;
  buf.set(src, o);
  o += src.length;
  buf.set(dst, o);
  o += dst.length;
  buf[o++] = proto;
  buf[o++] = 0;
  if (hasPorts) {
    buf[o++] = sport >>> 8;
    buf[o++] = sport & 0xff;
    buf[o++] = dport >>> 8;
    buf[o] = dport & 0xff;
  }
  // One-shot crypto.hash (Node >= 20.12) is ~4x cheaper than a Hash object per connection.
  return `1:${typeof hash === "function" ? hash("sha1", buf, "base64") : createHash("sha1").update(buf).digest("base64")}`;
}
