// Probes for line-oriented protocols by their first line: greetings (server) and commands (client).
//
// Each probe first rejects, from the first bytes, payloads its patterns cannot match (the
// patterns are anchored, and non-ASCII never folds to ASCII under /i); only the rest get their
// first line as text and the exact pattern check.

import { ProbeResult } from "../types.js";
import { bytesEqualAscii, firstLine, firstLineLength } from "./bytes.js";

const REPLY_220 = /^220[ -]/;
const DIGIT_2 = 0x32;
const SPACE = 0x20;

/** A 256-entry table marking the given ASCII letters in both cases ("is this byte one of …"). */
function letterTable(letters: string): Uint8Array {
  const table = new Uint8Array(256);
  for (const c of letters) {
    table[c.toLowerCase().charCodeAt(0)] = 1;
    table[c.toUpperCase().charCodeAt(0)] = 1;
  }
  return table;
}

/** bytes[at] is marked in `table` (false past the end: table[undefined] is undefined). */
const startsWithOneOf = (table: Uint8Array, bytes: Uint8Array, at: number): boolean => table[bytes[at]] === 1;

/** EHLO / HELO. */
const SMTP_COMMAND_START = letterTable("eh");
/** USER, AUTH, FEAT, SYST. */
const FTP_COMMAND_START = letterTable("uafs");
/** USER, APOP, CAPA, STLS, AUTH. */
const POP3_COMMAND_START = letterTable("uacs");
/** CAPABILITY LOGIN AUTHENTICATE STARTTLS NOOP LOGOUT ID SELECT EXAMINE LIST LSUB STATUS. */
const IMAP_COMMAND_START = letterTable("clasnie");

export function probeSmtp(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (isOrig ? !startsWithOneOf(SMTP_COMMAND_START, bytes, 0) : bytes[0] !== DIGIT_2) return ProbeResult.No;
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  if (isOrig) return /^(EHLO|HELO) \S+/i.test(line) ? ProbeResult.Yes : ProbeResult.No;
  if (!REPLY_220.test(line)) return ProbeResult.No;
  // A bare "220" greeting is shared with FTP; only the service name in it makes us sure.
  return /\bE?SMTP\b/i.test(line) ? ProbeResult.Yes : ProbeResult.Maybe;
}

export function probeFtp(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (isOrig ? !startsWithOneOf(FTP_COMMAND_START, bytes, 0) : bytes[0] !== DIGIT_2) return ProbeResult.No;
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  if (isOrig) {
    // USER also opens POP3 sessions; AUTH TLS / FEAT / SYST are FTP-only but still just commands.
    return /^(USER \S|AUTH (TLS|SSL)$|FEAT$|SYST$)/i.test(line) ? ProbeResult.Maybe : ProbeResult.No;
  }
  if (!REPLY_220.test(line)) return ProbeResult.No;
  return /FTP/i.test(line) && !/\bE?SMTP\b/i.test(line) ? ProbeResult.Yes : ProbeResult.Maybe;
}

const IMAP_COMMANDS =
  /^[A-Za-z0-9.]{1,24} (CAPABILITY|LOGIN|AUTHENTICATE|STARTTLS|NOOP|LOGOUT|ID|SELECT|EXAMINE|LIST|LSUB|STATUS)\b/i;
const MAX_IMAP_TAG_BYTES = 24;

const isImapTagByte = (b: number): boolean =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e;

/** A tag of 1–24 [A-Za-z0-9.], a space, then a letter a command can start with. */
function imapCommandCandidate(bytes: Uint8Array): boolean {
  let tag = 0;
  while (tag <= MAX_IMAP_TAG_BYTES && tag < bytes.length && isImapTagByte(bytes[tag])) tag++;
  if (tag === 0 || tag > MAX_IMAP_TAG_BYTES || bytes[tag] !== SPACE || tag + 1 >= bytes.length) return false;
  return startsWithOneOf(IMAP_COMMAND_START, bytes, tag + 1);
}

export function probeImap(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (isOrig ? !imapCommandCandidate(bytes) : bytes[0] !== 0x2a || bytes[1] !== SPACE) return ProbeResult.No;
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  if (isOrig) return IMAP_COMMANDS.test(line) ? ProbeResult.Yes : ProbeResult.No;
  // Untagged status responses open an IMAP session (RFC 9051 §7.1).
  return /^\* (OK|PREAUTH|BYE)( |$)/.test(line) ? ProbeResult.Yes : ProbeResult.No;
}

export function probePop3(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (isOrig ? !startsWithOneOf(POP3_COMMAND_START, bytes, 0) : bytes[0] !== 0x2b) return ProbeResult.No;
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  if (isOrig)
    return /^(USER \S|APOP \S|CAPA$|STLS$|AUTH( |$))/i.test(line) ? ProbeResult.Maybe : ProbeResult.No;
  // "+OK <text>" greets; Redis replies "+OK" alone and never speaks first.
  return /^\+OK \S/.test(line) ? ProbeResult.Yes : ProbeResult.No;
}

const SIP_METHODS =
  "INVITE|REGISTER|OPTIONS|ACK|BYE|CANCEL|SUBSCRIBE|NOTIFY|MESSAGE|INFO|PRACK|UPDATE|REFER|PUBLISH";
const SIP_REQUEST = new RegExp(`^(${SIP_METHODS}) sips?:\\S+ SIP/2\\.0$`);
/** First letters of the SIP methods, and "S" of a "SIP/2.0" status line (case-sensitive). */
const SIP_FIRST_BYTES = new Set([...SIP_METHODS.split("|").map((m) => m.charCodeAt(0)), 0x53]);

/**
 * The first line ends with `version` (a request line) or starts with `version` + " " (a status
 * line): what both patterns of a request/status protocol need, checked on bytes.
 */
function versionedLineCandidate(bytes: Uint8Array, version: string): boolean {
  const length = firstLineLength(bytes);
  if (length < version.length) return false;
  return (
    bytesEqualAscii(bytes, length - version.length, version) ||
    (bytesEqualAscii(bytes, 0, version) && bytes[version.length] === SPACE)
  );
}

export function probeSip(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (!SIP_FIRST_BYTES.has(bytes[0]) || !versionedLineCandidate(bytes, "SIP/2.0")) return ProbeResult.No;
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  return SIP_REQUEST.test(line) || /^SIP\/2\.0 \d{3} /.test(line) ? ProbeResult.Yes : ProbeResult.No;
}

const isRtspMethodByte = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || b === 0x5f;

export function probeRtsp(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  if (!isRtspMethodByte(bytes[0]) || !versionedLineCandidate(bytes, "RTSP/1.0")) return ProbeResult.No;
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  return /^[A-Z_]{3,20} \S+ RTSP\/1\.0$/.test(line) || /^RTSP\/1\.0 \d{3} /.test(line)
    ? ProbeResult.Yes
    : ProbeResult.No;
}

const IAC = 0xff;
const WILL = 0xfb;
const DONT = 0xfe;

/** Telnet sessions open with option negotiation: IAC {WILL,WONT,DO,DONT} <option> (RFC 854). */
export function probeTelnet(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  let commands = 0;
  let at = 0;
  while (at + 3 <= bytes.length && bytes[at] === IAC && bytes[at + 1] >= WILL && bytes[at + 1] <= DONT) {
    commands++;
    at += 3;
  }
  if (commands >= 2) return ProbeResult.Yes;
  return commands === 1 ? ProbeResult.Maybe : ProbeResult.No;
}
