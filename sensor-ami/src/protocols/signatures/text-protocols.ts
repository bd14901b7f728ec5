// Probes for line-oriented protocols by their first line: greetings (server) and commands (client).

import { ProbeResult } from "../types.js";
import { firstLine } from "./bytes.js";

const REPLY_220 = /^220[ -]/;

export function probeSmtp(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  if (isOrig) return /^(EHLO|HELO) \S+/i.test(line) ? ProbeResult.Yes : ProbeResult.No;
  if (!REPLY_220.test(line)) return ProbeResult.No;
  // A bare "220" greeting is shared with FTP; only the service name in it makes us sure.
  return /\bE?SMTP\b/i.test(line) ? ProbeResult.Yes : ProbeResult.Maybe;
}

export function probeFtp(bytes: Uint8Array, isOrig: boolean): ProbeResult {
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

export function probeImap(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  if (isOrig) return IMAP_COMMANDS.test(line) ? ProbeResult.Yes : ProbeResult.No;
  // Untagged status responses open an IMAP session (RFC 9051 §7.1).
  return /^\* (OK|PREAUTH|BYE)( |$)/.test(line) ? ProbeResult.Yes : ProbeResult.No;
}

export function probePop3(bytes: Uint8Array, isOrig: boolean): ProbeResult {
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

export function probeSip(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
  const line = firstLine(bytes);
  if (line === undefined) return ProbeResult.No;
  return SIP_REQUEST.test(line) || /^SIP\/2\.0 \d{3} /.test(line) ? ProbeResult.Yes : ProbeResult.No;
}

export function probeRtsp(bytes: Uint8Array, _isOrig: boolean): ProbeResult {
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
