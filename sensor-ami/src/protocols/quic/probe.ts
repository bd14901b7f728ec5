// Content probe: is this datagram the start of a QUIC connection? Reads a few header bytes and
// allocates nothing, because the engine runs it on the first datagram of every UDP flow.
import { ProbeResult } from "../types.js";
import { gquicVersionOffset } from "./gquic.js";
import { FIXED_BIT, HEADER_FORM_LONG, MAX_CONNECTION_ID_LENGTH } from "./long-header.js";
import { LongPacketType, quicVersionInfo } from "./versions.js";

/** First byte, 4-byte version, DCID length: the minimum long header we can judge. */
const MIN_LONG_HEADER = 6;

export function probeQuic(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (bytes.length < MIN_LONG_HEADER) return ProbeResult.No;
  const first = bytes[0];
  // Short headers carry no version: nothing distinguishes them from random UDP payload — except
  // Google QUIC's public header, whose client packets spell out a "Q0dd" version.
  if ((first & HEADER_FORM_LONG) === 0)
    return gquicVersionOffset(bytes) < 0 ? ProbeResult.No : ProbeResult.Yes;
  const version = ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
  const dcidLength = bytes[5];
  const scidAt = MIN_LONG_HEADER + dcidLength;
  if (dcidLength > MAX_CONNECTION_ID_LENGTH || scidAt >= bytes.length) return ProbeResult.No;
  if (bytes[scidAt] > MAX_CONNECTION_ID_LENGTH || scidAt + 1 + bytes[scidAt] > bytes.length)
    return ProbeResult.No;
  // Version Negotiation (version 0) is QUIC-shaped, but so is a lot of zero-filled noise.
  if (version === 0) return ProbeResult.Maybe;
  const info = quicVersionInfo(version);
  // An unknown version with the fixed bit set is still QUIC-shaped (RFC 8999 invariants): Maybe,
  // which the engine only acts on at a QUIC port, where Zeek would log it with history "U".
  if (info === undefined) return (first & FIXED_BIT) !== 0 ? ProbeResult.Maybe : ProbeResult.No;
  // RFC 9287 allows a greased fixed bit once negotiated, never on a client's very first Initial;
  // accept it but with less confidence.
  if ((first & FIXED_BIT) === 0) return ProbeResult.Maybe;
  return info.packetTypes[(first >> 4) & 0x03] === LongPacketType.Initial
    ? ProbeResult.Yes
    : ProbeResult.Maybe;
}
