// Probes for binary protocols with a recognisable first message.

import { ProbeResult } from "../types.js";
import { bytesEqualAscii, headText, u16be, u32be } from "./bytes.js";

const SMB_MAGICS = [0xff, 0xfe, 0xfd, 0xfc]; // SMB1, SMB2/3, SMB3 transform, SMB3 compression

/** NetBIOS session message (RFC 1002 §4.3.6) carrying an SMB header ("\xffSMB", "\xfeSMB", …). */
export function probeSmb(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (bytes.length < 8) return ProbeResult.No;
  if (bytes[0] === 0x81 && bytes.length >= 4) return ProbeResult.Maybe; // session request (port 139)
  if (bytes[0] !== 0x00 || (bytes[1] & 0xfe) !== 0) return ProbeResult.No;
  const length = ((bytes[1] & 1) << 16) | u16be(bytes, 2);
  const magicOk =
    SMB_MAGICS.includes(bytes[4]) && bytes[5] === 0x53 && bytes[6] === 0x4d && bytes[7] === 0x42;
  return magicOk && length >= 32 ? ProbeResult.Yes : ProbeResult.No;
}

const X224_CONNECTION_REQUEST = 0xe0;
const X224_CONNECTION_CONFIRM = 0xd0;
const RDP_NEG_REQ = 0x01;
const RDP_NEG_RSP = 0x02;
const RDP_NEG_FAILURE = 0x03;
/** COTP parameter codes (TPDU size, calling/called TSAP): an ISO transport session such as S7comm. */
const COTP_PARAMETERS = new Set([0xc0, 0xc1, 0xc2]);

/** TPKT (RFC 1006) + X.224 connection request/confirm as RDP sends them (MS-RDPBCGR §2.2.1.1). */
export function probeRdp(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (bytes.length < 11 || bytes[0] !== 3 || bytes[1] !== 0) return ProbeResult.No;
  const tpktLength = u16be(bytes, 2);
  const code = bytes[5] & 0xf0;
  if (tpktLength < 11 || bytes[4] !== tpktLength - 5) return ProbeResult.No;
  if (code !== X224_CONNECTION_REQUEST && code !== X224_CONNECTION_CONFIRM) return ProbeResult.No;
  const variable = bytes.subarray(11);
  if (variable.length > 0 && COTP_PARAMETERS.has(variable[0])) return ProbeResult.No;
  const negotiationAt = (type: number, at: number): boolean =>
    variable.length >= at + 8 &&
    variable[at] === type &&
    variable[at + 2] === 0x08 &&
    variable[at + 3] === 0x00;
  if (code === X224_CONNECTION_REQUEST) {
    if (bytesEqualAscii(variable, 0, "Cookie: mstshash=") || bytesEqualAscii(variable, 0, "Cookie: msts="))
      return ProbeResult.Yes;
    return negotiationAt(RDP_NEG_REQ, 0) ? ProbeResult.Yes : ProbeResult.Maybe;
  }
  return negotiationAt(RDP_NEG_RSP, 0) || negotiationAt(RDP_NEG_FAILURE, 0)
    ? ProbeResult.Yes
    : ProbeResult.Maybe;
}

/** MySQL's initial handshake packet (protocol 10) from the server. */
export function probeMysql(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (isOrig || bytes.length < 5) return ProbeResult.No;
  const length = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
  if (bytes[3] !== 0 || length < 3 || length > 1024) return ProbeResult.No;
  // A server refusing the host greets with an ERR packet (0xff, error code, message).
  if (bytes[4] === 0xff) return length + 4 === bytes.length ? ProbeResult.Maybe : ProbeResult.No;
  if (bytes[4] !== 0x0a) return ProbeResult.No;
  const versionEnd = bytes.indexOf(0, 5);
  if (versionEnd < 6 || versionEnd > 5 + 64) return ProbeResult.No;
  for (let i = 5; i < versionEnd; i++) if (bytes[i] < 0x20 || bytes[i] > 0x7e) return ProbeResult.No;
  // connection id (4) + auth-plugin-data part 1 (8) + filler 0x00.
  const filler = versionEnd + 1 + 4 + 8;
  return filler < bytes.length && bytes[filler] === 0 && length >= filler - 3
    ? ProbeResult.Yes
    : ProbeResult.No;
}

const PG_PROTOCOL_3 = 0x00030000;
const PG_SSL_REQUEST = 80877103;
const PG_GSSENC_REQUEST = 80877104;
const PG_CANCEL_REQUEST = 80877102;

/** PostgreSQL's untyped first client message: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest. */
export function probePostgresql(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (!isOrig) {
    // AuthenticationRequest ('R', length 8..): plausible but only a single byte of type.
    return bytes.length >= 9 && bytes[0] === 0x52 && u32be(bytes, 1) >= 8 && u32be(bytes, 1) < 1024
      ? ProbeResult.Maybe
      : ProbeResult.No;
  }
  if (bytes.length < 8) return ProbeResult.No;
  const length = u32be(bytes, 0);
  const code = u32be(bytes, 4);
  if (length === 8 && (code === PG_SSL_REQUEST || code === PG_GSSENC_REQUEST)) return ProbeResult.Yes;
  if (length === 16 && code === PG_CANCEL_REQUEST) return ProbeResult.Yes;
  if (code !== PG_PROTOCOL_3 || length < 9 || length > 10_000) return ProbeResult.No;
  // Parameters are NUL-terminated names and values, starting with a name like "user".
  return /^[a-z_]{2,32}\0/.test(headText(bytes.subarray(8), 40)) ? ProbeResult.Yes : ProbeResult.No;
}

/** Redis clients send commands as RESP arrays of bulk strings: "*2\r\n$4\r\nAUTH\r\n…". */
export function probeRedis(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  // Requests open with "*", the replies we accept with "+" or "-".
  const first = bytes[0];
  if (isOrig ? first !== 0x2a : first !== 0x2b && first !== 0x2d) return ProbeResult.No;
  const text = headText(bytes, 64);
  if (isOrig)
    return /^\*[1-9]\d{0,5}\r\n\$[1-9]\d{0,8}\r\n[A-Za-z]+/.test(text) ? ProbeResult.Yes : ProbeResult.No;
  return /^(\+(OK|PONG)|-(ERR|NOAUTH|WRONGPASS) )/.test(text) || /^\+(OK|PONG)\r\n/.test(text)
    ? ProbeResult.Maybe
    : ProbeResult.No;
}

const NTP_HEADER_BYTES = 48;
const NTP_MAX_STRATUM = 16;
const NTP_MAX_POLL = 17;

/** NTP modes 1–5 (RFC 5905 §7.3): a 48-byte header with sane version, stratum and poll. */
export function probeNtp(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (bytes.length < NTP_HEADER_BYTES) return ProbeResult.No;
  const version = (bytes[0] >> 3) & 7;
  const mode = bytes[0] & 7;
  if (version < 1 || version > 4) return ProbeResult.No;
  // Control (6) and private (7, ntpdc) messages have another layout: no header to check.
  if (mode === 6 || mode === 7) return ProbeResult.Maybe;
  if (mode === 0) return ProbeResult.No;
  const extra = bytes.length - NTP_HEADER_BYTES;
  // Extension fields and MACs come in 4-byte multiples (RFC 5905 §7.5, RFC 7822).
  if (extra % 4 !== 0 || bytes.length > 1024) return ProbeResult.No;
  const stratum = bytes[1];
  const poll = bytes[2];
  if (stratum > NTP_MAX_STRATUM || poll > NTP_MAX_POLL) return ProbeResult.No;
  const transmitSeconds = u32be(bytes, 40);
  // SNTP requests may leave every field but the first byte zero: plausible, not proof.
  return transmitSeconds !== 0 ? ProbeResult.Yes : ProbeResult.Maybe;
}
