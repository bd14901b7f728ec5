// Long-header packet layout (RFC 9000 §17.2, RFC 8999 invariants). Parsing fills a caller-owned
// record of offsets, so walking the packets of a datagram allocates nothing.
import { varintSize, varintValue } from "./varint.js";
import { LongPacketType, type QuicVersionInfo, quicVersionInfo } from "./versions.js";

/** RFC 9000 §17.2: connection IDs in version 1 are at most 20 bytes. */
export const MAX_CONNECTION_ID_LENGTH = 20;
/** Header protection samples 16 bytes starting 4 bytes after the packet-number offset. */
export const HP_SAMPLE_OFFSET = 4;
export const HP_SAMPLE_LENGTH = 16;

export const HEADER_FORM_LONG = 0x80;
export const FIXED_BIT = 0x40;

export interface LongHeader {
  version: number;
  /** Undefined when the version is not one we know (still a valid RFC 8999 long header). */
  info: QuicVersionInfo | undefined;
  type: LongPacketType;
  start: number;
  dcidOffset: number;
  dcidLength: number;
  scidOffset: number;
  scidLength: number;
  /** Offset of the (protected) packet number; Initial, 0-RTT and Handshake only. */
  pnOffset: number;
  /** One past the last byte of this packet in the datagram. */
  end: number;
}

export function newLongHeader(): LongHeader {
  return {
    version: 0,
    info: undefined,
    type: LongPacketType.Initial,
    start: 0,
    dcidOffset: 0,
    dcidLength: 0,
    scidOffset: 0,
    scidLength: 0,
    pnOffset: 0,
    end: 0,
  };
}

/** Why a long header could not be parsed: the weird name to report. */
type LongHeaderProblem =
  | "QUIC_truncated_long_header"
  | "QUIC_invalid_connection_id_length"
  | "QUIC_packet_length_exceeds_datagram"
  | "QUIC_packet_too_short_for_sample";

/** The 32-bit version of the long header at `start` (the caller checked 5 bytes are there). */
export function versionAt(bytes: Uint8Array, start: number): number {
  return (
    ((bytes[start + 1] << 24) | (bytes[start + 2] << 16) | (bytes[start + 3] << 8) | bytes[start + 4]) >>> 0
  );
}

/**
 * Parse the long header starting at `start`. Unknown versions get only the invariant fields (the
 * packet then extends to the end of the datagram) unless `assumed` says how to read a version the
 * table lacks. Returns undefined on success.
 */
export function parseLongHeader(
  bytes: Uint8Array,
  start: number,
  out: LongHeader,
  assumed?: QuicVersionInfo,
): LongHeaderProblem | undefined {
  let pos = start + 5;
  if (pos + 1 > bytes.length) return "QUIC_truncated_long_header";
  const first = bytes[start];
  out.start = start;
  out.version = versionAt(bytes, start);
  const known = quicVersionInfo(out.version);
  out.info = assumed !== undefined && known?.salt === undefined ? assumed : known;
  out.dcidLength = bytes[pos];
  out.dcidOffset = pos + 1;
  pos = out.dcidOffset + out.dcidLength;
  if (pos + 1 > bytes.length) return "QUIC_truncated_long_header";
  out.scidLength = bytes[pos];
  out.scidOffset = pos + 1;
  pos = out.scidOffset + out.scidLength;
  if (pos > bytes.length) return "QUIC_truncated_long_header";
  out.pnOffset = pos;
  out.end = bytes.length;
  if (out.info === undefined || out.version === 0) return undefined;
  if (out.dcidLength > MAX_CONNECTION_ID_LENGTH || out.scidLength > MAX_CONNECTION_ID_LENGTH) {
    return "QUIC_invalid_connection_id_length";
  }
  out.type = out.info.packetTypes[(first >> 4) & 0x03];
  if (out.type === LongPacketType.Retry) return undefined; // Retry runs to the end of the datagram
  if (out.type === LongPacketType.Initial) {
    const tokenLengthSize = varintSize(bytes, pos);
    if (tokenLengthSize === 0) return "QUIC_truncated_long_header";
    const tokenLength = varintValue(bytes, pos, tokenLengthSize);
    pos += tokenLengthSize + tokenLength;
  }
  const lengthSize = varintSize(bytes, pos);
  if (lengthSize === 0) return "QUIC_truncated_long_header";
  const length = varintValue(bytes, pos, lengthSize);
  pos += lengthSize;
  out.pnOffset = pos;
  if (pos + length > bytes.length) return "QUIC_packet_length_exceeds_datagram";
  out.end = pos + length;
  if (length < HP_SAMPLE_OFFSET + HP_SAMPLE_LENGTH) return "QUIC_packet_too_short_for_sample";
  return undefined;
}
