// Google QUIC (gQUIC Q0xx up to Q043, "public header" era): the client's first packets carry a
// plaintext CHLO handshake message whose tag/value map holds the SNI. We read SNI from it, the way
// nDPI and tshark do; Zeek has no gQUIC analyzer. Q046+ use the IETF invariant header and Q050+/T05x
// encrypt the CHLO: those are out of scope here.

const PUBLIC_FLAG_VERSION = 0x01;
const PUBLIC_FLAG_RESET = 0x02;
const PUBLIC_FLAG_8_BYTE_CID = 0x08;
const CID_LENGTH = 8;
const VERSION_LENGTH = 4;
/** Where after the version we look for the CHLO tag (packet number, hash, private flags, frame header). */
const CHLO_SEARCH_WINDOW = 48;
const CHLO_HEADER_LENGTH = 8;
const CHLO_ENTRY_LENGTH = 8;
/** Real CHLOs carry ~20 tags; more means we are reading noise. */
const MAX_CHLO_TAGS = 128;
const MAX_SNI_LENGTH = 255;

const TAG_CHLO = 0x43484c4f; // "CHLO"
const TAG_SNI = 0x534e4900; // "SNI\0"

/** Offset of the connection ID in a public header (right after the flags byte). */
export const GQUIC_CID_OFFSET = 1;

/**
 * Offset of the `Q0dd` version in a gQUIC client packet (public header, version flag set), or -1.
 * Allocation-free: the engine's probe runs it on the first datagram of UDP flows.
 */
export function gquicVersionOffset(bytes: Uint8Array): number {
  if (bytes.length < 1 + CID_LENGTH + VERSION_LENGTH) return -1;
  const flags = bytes[0];
  // The IETF long-header bit, a reset, or no version: not a gQUIC client hello packet.
  if ((flags & 0x80) !== 0 || (flags & PUBLIC_FLAG_RESET) !== 0 || (flags & PUBLIC_FLAG_VERSION) === 0) {
    return -1;
  }
  const v = GQUIC_CID_OFFSET + ((flags & PUBLIC_FLAG_8_BYTE_CID) !== 0 ? CID_LENGTH : 0);
  if (bytes[v] !== 0x51 || bytes[v + 1] !== 0x30) return -1; // "Q0"
  for (let i = 2; i < VERSION_LENGTH; i++) if (bytes[v + i] < 0x30 || bytes[v + i] > 0x39) return -1;
  return v;
}

export function gquicVersionAt(bytes: Uint8Array, versionOffset: number): string {
  return Buffer.from(bytes.subarray(versionOffset, versionOffset + VERSION_LENGTH)).toString("latin1");
}

const u32be = (b: Uint8Array, o: number) =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u32le = (b: Uint8Array, o: number) =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const u16le = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);

type ChloResult = { found: false } | { found: true; serverName: string | undefined; problem?: string };

/**
 * Find the CHLO message after the header and read its SNI tag. The message may continue in later
 * packets; tags whose values lie beyond this datagram are simply not read.
 */
export function readChlo(bytes: Uint8Array, versionOffset: number): ChloResult {
  const from = versionOffset + VERSION_LENGTH;
  const to = Math.min(bytes.length - CHLO_HEADER_LENGTH, from + CHLO_SEARCH_WINDOW);
  let at = -1;
  for (let i = from; i <= to; i++) {
    if (u32be(bytes, i) === TAG_CHLO) {
      at = i;
      break;
    }
  }
  if (at < 0) return { found: false };
  const tags = u16le(bytes, at + 4);
  if (tags > MAX_CHLO_TAGS)
    return { found: true, serverName: undefined, problem: `CHLO claims ${tags} tags` };
  const valuesStart = at + CHLO_HEADER_LENGTH + tags * CHLO_ENTRY_LENGTH;
  let previousEnd = 0;
  for (let t = 0; t < tags; t++) {
    const entry = at + CHLO_HEADER_LENGTH + t * CHLO_ENTRY_LENGTH;
    if (entry + CHLO_ENTRY_LENGTH > bytes.length) break;
    const end = u32le(bytes, entry + 4);
    if (end < previousEnd)
      return { found: true, serverName: undefined, problem: "CHLO tag offsets decrease" };
    if (u32be(bytes, entry) === TAG_SNI) {
      const length = end - previousEnd;
      const start = valuesStart + previousEnd;
      if (length > MAX_SNI_LENGTH || start + length > bytes.length) {
        return { found: true, serverName: undefined, problem: "CHLO SNI value outside the packet" };
      }
      return {
        found: true,
        serverName: Buffer.from(bytes.subarray(start, start + length)).toString("latin1"),
      };
    }
    previousEnd = end;
  }
  return { found: true, serverName: undefined };
}
