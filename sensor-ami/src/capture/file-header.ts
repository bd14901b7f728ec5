// A capture file's first bytes: which format (the magic), and for pcap the global header.
//
// pcap global header (24 bytes)            pcap record header (16 bytes)
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      magic (a1b2c3d4 / a1b23c4d)              |   ts seconds
// |        major          |           minor                       |   ts µs or ns
// |                      thiszone, sigfigs (ignored)              |   captured length
// |                      snaplen                                  |   original length
// |                      link type (low 16 bits)                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// pcapng block: type(4) total_length(4) body… total_length(4); see RFC draft-ietf-opsawg-pcapng.

import { hex } from "../text/bytes.js";
import { u16At, u32At } from "./byte-order.js";
import { CaptureFormatError } from "./errors.js";
import { isSupportedLinkType, SUPPORTED_LINK_TYPES_TEXT } from "./link-types.js";

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** The pcapng section header block's type (and a pcapng file's first four bytes). */
export const PCAPNG_SHB = 0x0a0d0d0a;

/** sniffMagic's answer for a pcapng file. */
export const MAGIC_PCAPNG = -1;
/** sniffMagic's flags for a pcap file: little-endian, nanosecond timestamps. */
export const MAGIC_PCAP_LE = 1;
export const MAGIC_PCAP_NANOS = 2;

/**
 * The format of `path` from its first `available` bytes in `b` (`fileSize` bytes in all):
 * MAGIC_PCAPNG, or for pcap its MAGIC_PCAP_* flags. Throws when it is no capture file.
 */
export function sniffMagic(b: Buffer, available: number, path: string, fileSize: number): number {
  if (available < 4) {
    throw new CaptureFormatError(
      `${path}: ${fileSize} bytes is too short to be a pcap or pcapng file (needs at least a 24-byte header)`,
    );
  }
  const magicLE = b.readUInt32LE(0);
  const magicBE = b.readUInt32BE(0);
  if (magicLE === PCAPNG_SHB) return MAGIC_PCAPNG;
  if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS)
    return MAGIC_PCAP_LE | (magicLE === PCAP_MAGIC_NS ? MAGIC_PCAP_NANOS : 0);
  if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS)
    return magicBE === PCAP_MAGIC_NS ? MAGIC_PCAP_NANOS : 0;
  throw new CaptureFormatError(
    `${path}: not a capture file (first bytes ${hex(b, 0, Math.min(4, b.length))}; expected the pcap magic a1b2c3d4 / a1b23c4d in either byte order, or a pcapng section header 0a0d0d0a). Convert other formats with \`editcap -F pcap\`.`,
  );
}

/** The link type of the pcap global header at b[0, 24) (byte order `le`); throws when unusable. */
export function pcapHeaderLinkType(b: Uint8Array, le: boolean, path: string): number {
  const major = u16At(b, 4, le);
  if (major !== 2) {
    throw new CaptureFormatError(`${path}: pcap major version ${major} is not 2; the file header is damaged`);
  }
  const linkType = u32At(b, 20, le) & 0x0fffffff;
  if (!isSupportedLinkType(linkType)) {
    throw new CaptureFormatError(
      `${path}: unsupported link type ${linkType}; Spanless decodes ${SUPPORTED_LINK_TYPES_TEXT}`,
    );
  }
  return linkType;
}
