// What a record or block header looks like when it is real: the tests the reader uses to tell a
// corrupt length field from an unusual record, and to find where valid data resumes after one
// (as a human would with a hex editor: a header whose fields all make sense, followed by another).
//
// Pure functions over the bytes; the reader makes them available first.

/** libpcap's MAXIMUM_SNAPLEN: no capture tool writes a larger packet record. */
export const MAX_SNAPLEN = 262_144;

/**
 * The largest gap between a record's time and the previous packet's accepted while searching for
 * valid data: real captures have pauses, corrupt bytes taken as a timestamp are almost never
 * within a week of the previous packet.
 */
const RESYNC_WINDOW_SECONDS = 7 * 86_400;

export interface PcapLimits {
  /** Largest captured length taken without a second look: the snap length, or MAX_SNAPLEN. */
  caplen: number;
  /** 10^6 for µs files, 10^9 for ns: the sub-second field is always below it. */
  frac: number;
  /** Seconds field of the last packet delivered; -1 before the first. */
  lastSec: number;
}

function u32(b: Uint8Array, at: number, le: boolean): number {
  return le
    ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
    : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/**
 * Whether the 16 bytes at `at` read as a pcap record header a capture tool could have written.
 * `maxCaplen` widens the length limit where records longer than the snap length are being
 * accepted (a writer that understates its snap length writes runs of them).
 */
export function plausiblePcapHeader(
  b: Uint8Array,
  at: number,
  le: boolean,
  lim: PcapLimits,
  maxCaplen = lim.caplen,
): boolean {
  const sec = u32(b, at, le);
  const frac = u32(b, at + 4, le);
  const caplen = u32(b, at + 8, le);
  const origlen = u32(b, at + 12, le);
  if (frac >= lim.frac || caplen > Math.max(lim.caplen, maxCaplen) || origlen < caplen) return false;
  // A zero-filled stretch (preallocated or lost blocks) is the commonest damage: all-zero is not a record.
  if (origlen === 0) return false;
  return lim.lastSec < 0 || Math.abs(sec - lim.lastSec) <= RESYNC_WINDOW_SECONDS;
}

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

/** Block types of the pcapng specification and its registry (the 0x80000000 bit: vendor-local). */
const KNOWN_BLOCK_TYPES = new Set([
  PCAPNG_SHB,
  1, // interface description
  2, // packet (obsolete)
  3, // simple packet
  4, // name resolution
  5, // interface statistics
  6, // enhanced packet
  7, // IRIG timestamp
  8, // ARINC 429 in AFDX encapsulation information
  9, // systemd journal export
  0x0a, // decryption secrets
  0x0bad, // custom, may be copied
  0x40000bad, // custom, must not be copied
  0x80000001, // Darwin process event
]);

/** Maximum block size the reader accepts (the same bound as for one pcap record). */
export const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

/**
 * The byte order a block at `at` is in: a section header says its own (undefined when its
 * byte-order magic is bad), any other block is in its section's `le`.
 */
export function blockByteOrder(b: Uint8Array, at: number, le: boolean): boolean | undefined {
  if (u32(b, at, true) !== PCAPNG_SHB) return le;
  if (u32(b, at + 8, true) === PCAPNG_BOM) return true;
  if (u32(b, at + 8, false) === PCAPNG_BOM) return false;
  return undefined;
}

/**
 * The total length of the block whose 8-byte header is at `at` if its type is a known one and its
 * length a possible one; 0 otherwise.
 */
export function plausibleBlockLength(b: Uint8Array, at: number, le: boolean): number {
  const order = blockByteOrder(b, at, le);
  if (order === undefined) return 0;
  const type = u32(b, at, order);
  const len = u32(b, at + 4, order);
  if (!KNOWN_BLOCK_TYPES.has(type) || len < 12 || len % 4 !== 0 || len > MAX_BLOCK_BYTES) return 0;
  return len;
}

/** Whether a whole block at `at`, `len` bytes, repeats its length at its end, as every block must. */
export function blockTrailerMatches(b: Uint8Array, at: number, len: number, le: boolean): boolean {
  const order = blockByteOrder(b, at, le) ?? le;
  return u32(b, at + len - 4, order) === len;
}
