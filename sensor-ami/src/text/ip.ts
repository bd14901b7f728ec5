// IP addresses as Zeek prints an `addr`, the one place for it in the sensor (conn.log ids, DNS
// A/AAAA answers, certificate SAN addresses, DHCP fields). Imports nothing of the sensor.
//
// Zeek's IPAddr::AsString: an address in ::ffff:0:0/96 (IPv4-mapped) is an IPv4 address and
// prints as a dotted quad; any other goes through zeek_inet_ntop6 (Zeek's copy of BIND's
// inet_ntop, src/3rdparty/zeek_inet_ntop.c): lower-case hex groups without leading zeros, the
// longest run of two or more zero groups as "::" (the first run on ties), and an embedded dotted
// IPv4 for IPv4-compatible (::a.b.c.d) and IPv4-translated (::ffff:0:a.b.c.d) addresses. The
// last one is where glibc's inet_ntop differs: it prints ::ffff:0:102:304.
//
// These run for every address of every log record: plain loops and string tables, no per-call
// arrays or closures.

/** "0".."255": dotted quads are concatenated from these instead of converting numbers each time. */
const DECIMAL_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, value) => String(value));
/** "0".."ff" by byte value: the high byte of a group, or a group below 0x100. */
const HEX_UNPADDED: readonly string[] = Array.from({ length: 256 }, (_, value) => value.toString(16));
/** "00".."ff" by byte value: the low byte of a group whose high byte is not zero. */
const HEX_PADDED: readonly string[] = Array.from({ length: 256 }, (_, value) =>
  value.toString(16).padStart(2, "0"),
);

/** IPv4 bytes[offset, offset + 4) as a dotted quad. */
export function formatIPv4(bytes: Uint8Array, offset: number): string {
  return (
    DECIMAL_OCTETS[bytes[offset]] +
    "." +
    DECIMAL_OCTETS[bytes[offset + 1]] +
    "." +
    DECIMAL_OCTETS[bytes[offset + 2]] +
    "." +
    DECIMAL_OCTETS[bytes[offset + 3]]
  );
}

/** An IPv4 address held in a 32-bit word (network order, signed or not) as a dotted quad. */
function dottedWord(w: number): string {
  return (
    DECIMAL_OCTETS[w >>> 24] +
    "." +
    DECIMAL_OCTETS[(w >>> 16) & 255] +
    "." +
    DECIMAL_OCTETS[(w >>> 8) & 255] +
    "." +
    DECIMAL_OCTETS[w & 255]
  );
}

/** Whether the address words hold an IPv4 address (::ffff:a.b.c.d, how the engine carries IPv4). */
export function isV4Mapped(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === 0xffff;
}

/** 16-bit group i (0..7) of the address words. */
function group(w0: number, w1: number, w2: number, w3: number, i: number): number {
  const w = i < 2 ? w0 : i < 4 ? w1 : i < 6 ? w2 : w3;
  return (i & 1) === 0 ? w >>> 16 : w & 0xffff;
}

/**
 * Zeek's text of the 128-bit address held in four 32-bit words, most significant first (signed
 * or unsigned; IPv4 as ::ffff:a.b.c.d).
 */
export function formatAddr(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0) {
    if (w2 === 0xffff) return dottedWord(w3);
    // IPv4-compatible: exactly six leading zero groups (group 6 not zero: "::0.1.0.0" for ::1:0,
    // while :: and ::1 have a longer run and print as hex).
    if (w2 === 0 && w3 >>> 16 !== 0) return `::${dottedWord(w3)}`;
    // IPv4-translated (RFC 2765), which zeek_inet_ntop6 adds to BIND's rules.
    if (w2 >>> 0 === 0xffff0000) return `::ffff:0:${dottedWord(w3)}`;
  }
  // The first longest run (>= 2) of zero groups.
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (group(w0, w1, w2, w3, i) !== 0) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    if (i - runStart >= bestLength) {
      bestStart = runStart;
      bestLength = i - runStart + 1;
    }
  }
  // Groups joined by ":", except right after the "::" (with no run, bestStart + bestLength is 0).
  const afterRun = bestStart + bestLength;
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += "::";
      i = afterRun - 1;
      continue;
    }
    if (i !== 0 && i !== afterRun) text += ":";
    const value = group(w0, w1, w2, w3, i);
    const high = value >>> 8;
    text += high === 0 ? HEX_UNPADDED[value] : HEX_UNPADDED[high] + HEX_PADDED[value & 255];
  }
  return text;
}

/** The 32-bit word at bytes[offset, offset + 4), network order. */
function wordAt(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
}

/** Zeek's text of the IPv6 address in bytes[offset, offset + 16) (an IPv4-mapped one is dotted). */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  return formatAddr(
    wordAt(bytes, offset),
    wordAt(bytes, offset + 4),
    wordAt(bytes, offset + 8),
    wordAt(bytes, offset + 12),
  );
}
