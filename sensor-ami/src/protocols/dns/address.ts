// Address and byte renderings matching what Zeek prints (glibc inet_ntop for IPv6).

/** "0".."255": dotted quads are concatenated from these instead of converting numbers each time. */
const DECIMAL_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, value) => String(value));
/** "00".."ff", for hex renderings without a toString/padStart per byte. */
export const HEX_OCTETS: readonly string[] = Array.from({ length: 256 }, (_, value) =>
  value.toString(16).padStart(2, "0"),
);

const HEX_UNPADDED: readonly string[] = Array.from({ length: 256 }, (_, value) => value.toString(16));

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

/**
 * RFC 5952-style text as glibc's inet_ntop writes it: lower-case hex, the longest run of two or
 * more zero groups collapsed to "::" (first run on ties), and an embedded dotted IPv4 for
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses.
 */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  for (let group = 0; group < 8; group++) {
    const isZero = bytes[offset + group * 2] === 0 && bytes[offset + group * 2 + 1] === 0;
    if (isZero) {
      if (runStart < 0) runStart = group;
      const runLength = group - runStart + 1;
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLength < 2) bestStart = -1;
  const word5 = (bytes[offset + 10] << 8) | bytes[offset + 11];
  const embedsIPv4 = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && word5 === 0xffff));
  let text = "";
  for (let group = 0; group < 8; group++) {
    if (group === bestStart) {
      text += "::";
      group += bestLength - 1;
      continue;
    }
    if (group === 6 && embedsIPv4) {
      text += formatIPv4(bytes, offset + 12);
      break;
    }
    if (text.length > 0 && !text.endsWith(":")) text += ":";
    const high = bytes[offset + group * 2];
    const low = bytes[offset + group * 2 + 1];
    // Hex without leading zeros, from the byte tables.
    text += high === 0 ? HEX_UNPADDED[low] : HEX_UNPADDED[high] + HEX_OCTETS[low];
  }
  return text;
}

export function toHex(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let index = start; index < end; index++) text += HEX_OCTETS[bytes[index]];
  return text;
}

/** Raw bytes as a JavaScript string, one char per byte (Zeek strings are byte strings). */
export { latin1 } from "../byte-text.js";
