// Addresses are carried as four 32-bit words (IPv4 as ::ffff:a.b.c.d). These helpers give their
// bytes (for the Community ID) and match them against configured local networks; their text is
// text/ip.ts's formatAddr.

import { isV4Mapped } from "../text/ip.js";

/**
 * Network-byte-order address bytes written into arrays owned by this object (one for IPv4, one
 * for IPv6): valid until the next call, for callers that copy them at once (the Community ID).
 */
export class AddrScratch {
  private readonly v4 = new Uint8Array(4);
  private readonly v6 = new Uint8Array(16);

  bytes(w0: number, w1: number, w2: number, w3: number): Uint8Array {
    return addrBytesInto(isV4Mapped(w0, w1, w2) ? this.v4 : this.v6, w0, w1, w2, w3);
  }
}

function addrBytesInto(out: Uint8Array, w0: number, w1: number, w2: number, w3: number): Uint8Array {
  if (out.length === 4) {
    writeWord(out, 0, w3);
  } else {
    writeWord(out, 0, w0);
    writeWord(out, 4, w1);
    writeWord(out, 8, w2);
    writeWord(out, 12, w3);
  }
  return out;
}

function writeWord(out: Uint8Array, at: number, w: number): void {
  out[at] = w >>> 24;
  out[at + 1] = (w >>> 16) & 255;
  out[at + 2] = (w >>> 8) & 255;
  out[at + 3] = w & 255;
}

export class CidrParseError extends Error {
  override name = "CidrParseError";
}

export interface Cidr {
  words: [number, number, number, number];
  /** Prefix length in the 128-bit space (IPv4 /n becomes /96+n). */
  bits: number;
  text: string;
}

function parseV4(s: string): number | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v >>> 0;
}

function parseV6(s: string): [number, number, number, number] | null {
  let groups: number[];
  const dbl = s.split("::");
  if (dbl.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const segs = part.split(":");
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i];
      if (i === segs.length - 1 && seg.includes(".")) {
        const v4 = parseV4(seg);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(seg)) return null;
        out.push(Number.parseInt(seg, 16));
      }
    }
    return out;
  };
  if (dbl.length === 2) {
    const a = parse(dbl[0]);
    const b = parse(dbl[1]);
    if (!a || !b || a.length + b.length > 7) return null;
    groups = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
  } else {
    const a = parse(s);
    if (a?.length !== 8) return null;
    groups = a;
  }
  return [
    ((groups[0] << 16) | groups[1]) >>> 0,
    ((groups[2] << 16) | groups[3]) >>> 0,
    ((groups[4] << 16) | groups[5]) >>> 0,
    ((groups[6] << 16) | groups[7]) >>> 0,
  ];
}

export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.trim().split("/");
  if (extra !== undefined || !addr)
    throw new CidrParseError(`"${text}" is not a network: expected e.g. 10.0.0.0/8 or fd00::/8`);
  const v4 = parseV4(addr);
  if (v4 !== null) {
    const n = len === undefined ? 32 : Number(len);
    if (!Number.isInteger(n) || n < 0 || n > 32)
      throw new CidrParseError(`"${text}": IPv4 prefix length must be 0-32`);
    return { words: [0, 0, 0xffff, v4], bits: 96 + n, text };
  }
  const v6 = parseV6(addr);
  if (v6 === null)
    throw new CidrParseError(
      `"${text}" is not an IPv4 or IPv6 network: expected e.g. 10.0.0.0/8 or fd00::/8`,
    );
  const n = len === undefined ? 128 : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > 128)
    throw new CidrParseError(`"${text}": IPv6 prefix length must be 0-128`);
  return { words: v6, bits: n, text };
}

export function cidrContains(c: Cidr, w0: number, w1: number, w2: number, w3: number): boolean {
  const ws = [w0, w1, w2, w3];
  let bits = c.bits;
  for (let i = 0; i < 4 && bits > 0; i++) {
    const take = Math.min(bits, 32);
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if ((ws[i] & mask) >>> 0 !== (c.words[i] & mask) >>> 0) return false;
    bits -= take;
  }
  return true;
}

/** A broadcast or multicast address: IPv4 255.255.255.255 or 224.0.0.0/4, IPv6 ff00::/8. */
export function isGroupAddr(w0: number, w1: number, w2: number, w3: number): boolean {
  if (isV4Mapped(w0, w1, w2)) return w3 >>> 0 === 0xffffffff || w3 >>> 28 === 0xe;
  return w0 >>> 24 === 0xff;
}
