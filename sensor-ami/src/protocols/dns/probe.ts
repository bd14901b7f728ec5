// Content probes: is this payload a DNS message? Decided by structure, never by port.

import { ProbeResult } from "../types.js";
import { DNS_HEADER_LENGTH, MAX_QUESTIONS } from "./constants.js";
import { parseDnsMessage } from "./parser.js";

const TCP_LENGTH_PREFIX = 2;
/** Opcodes seen in real DNS/NBNS traffic (3 is unassigned; 9–15 unused). */
const PLAUSIBLE_OPCODES: ReadonlySet<number> = new Set([0, 1, 2, 4, 5, 6, 7, 8]);
/** IN, CH, HS, NONE, ANY; mDNS sets the top bit of QCLASS for "unicast response wanted". */
const PLAUSIBLE_CLASSES: ReadonlySet<number> = new Set([1, 3, 4, 254, 255]);
const RECORD_MIN_BYTES = 11;
const QUESTION_MIN_BYTES = 5;

/**
 * `complete` says whether `bytes` is the whole message (a UDP datagram) or may be cut short
 * (the first TCP segment); a cut-short but well-formed start is a Maybe.
 */
export function probeDnsMessage(bytes: Uint8Array, complete: boolean): ProbeResult {
  if (bytes.length < DNS_HEADER_LENGTH) return ProbeResult.No;
  const flags = (bytes[2] << 8) | bytes[3];
  const isResponse = (flags & 0x8000) !== 0;
  const opcode = (flags >> 11) & 0x0f;
  const rcode = flags & 0x0f;
  const qdcount = (bytes[4] << 8) | bytes[5];
  const rrcount =
    ((bytes[6] << 8) | bytes[7]) + ((bytes[8] << 8) | bytes[9]) + ((bytes[10] << 8) | bytes[11]);
  if (!PLAUSIBLE_OPCODES.has(opcode) || qdcount > MAX_QUESTIONS) return ProbeResult.No;
  if (!isResponse && rcode !== 0) return ProbeResult.No;
  // Only responses (mDNS announcements, NBNS answers) may omit the question.
  if (qdcount === 0 && !(isResponse && rrcount > 0)) return ProbeResult.No;
  const minimum = DNS_HEADER_LENGTH + qdcount * QUESTION_MIN_BYTES + rrcount * RECORD_MIN_BYTES;
  if (complete && minimum > bytes.length) return ProbeResult.No;

  const parsed = parseDnsMessage(bytes);
  if (!parsed.ok) return ProbeResult.No;
  const { message } = parsed;
  const firstQuestion = message.questions[0];
  if (qdcount > 0) {
    if (!firstQuestion) return complete ? ProbeResult.No : ProbeResult.Maybe;
    if (!PLAUSIBLE_CLASSES.has(firstQuestion.qclass & 0x7fff)) return ProbeResult.No;
  }
  if (message.complete && message.weirds.length === 0) return ProbeResult.Yes;
  if (!complete && message.questions.length === qdcount) return ProbeResult.Maybe;
  return message.questions.length === qdcount && qdcount > 0 ? ProbeResult.Maybe : ProbeResult.No;
}

/** DNS over TCP: a 2-byte length prefix, then a message (RFC 1035 §4.2.2). */
export function probeDnsOverTcp(bytes: Uint8Array): ProbeResult {
  if (bytes.length < TCP_LENGTH_PREFIX + DNS_HEADER_LENGTH) return ProbeResult.No;
  const length = (bytes[0] << 8) | bytes[1];
  if (length < DNS_HEADER_LENGTH) return ProbeResult.No;
  const available = Math.min(bytes.length, TCP_LENGTH_PREFIX + length);
  const complete = bytes.length >= TCP_LENGTH_PREFIX + length;
  return probeDnsMessage(bytes.subarray(TCP_LENGTH_PREFIX, available), complete);
}
