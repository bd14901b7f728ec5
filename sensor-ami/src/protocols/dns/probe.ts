// Content probes: is this payload a DNS message? Decided by structure, never by port.

import { ProbeResult } from "../types.js";
import { DNS_HEADER_LENGTH, MAX_QUESTIONS } from "./constants.js";
import { parseDnsMessage } from "./parser.js";

const TCP_LENGTH_PREFIX = 2;
/** Opcodes seen in real DNS/NBNS traffic (3 is unassigned; 9–15 unused). */
const PLAUSIBLE_OPCODES: ReadonlySet<number> = new Set([0, 1, 2, 4, 5, 6, 7, 8]);
/** IN, CH, HS, NONE, ANY; mDNS sets the top bit of QCLASS for "unicast response wanted". */
const PLAUSIBLE_CLASSES: ReadonlySet<number> = new Set([1, 3, 4, 254, 255]);
/** RFC 1035/2136 rcodes stop at 10 (NOTZONE); larger values need EDNS and never fit 4 bits alone. */
const MAX_PLAUSIBLE_RCODE = 10;

/**
 * Yes: the whole message parses cleanly. Maybe: a sound header whose questions or records are
 * damaged or cut short (snap-length cuts, first IP fragments, a message continuing in the next
 * TCP segment). No: anything else.
 */
export function probeDnsMessage(bytes: Uint8Array): ProbeResult {
  if (bytes.length < DNS_HEADER_LENGTH) return ProbeResult.No;
  const flags = (bytes[2] << 8) | bytes[3];
  const isResponse = (flags & 0x8000) !== 0;
  const opcode = (flags >> 11) & 0x0f;
  const rcode = flags & 0x0f;
  const qdcount = (bytes[4] << 8) | bytes[5];
  const ancount = (bytes[6] << 8) | bytes[7];
  if (!PLAUSIBLE_OPCODES.has(opcode) || qdcount > MAX_QUESTIONS) return ProbeResult.No;
  if (isResponse ? rcode > MAX_PLAUSIBLE_RCODE : rcode !== 0) return ProbeResult.No;
  // Only responses with answers (mDNS announcements, NBNS answers) may omit the question: RPC
  // replies, for one, look like question-less "responses" with only additional records.
  if (qdcount === 0 && !(isResponse && ancount > 0)) return ProbeResult.No;

  const parsed = parseDnsMessage(bytes);
  if (!parsed.ok) return ProbeResult.No;
  const { message } = parsed;
  // A question cut by the end of the bytes (snap length, first TCP segment) is still a Maybe, if
  // what is there reads like a host name (random bytes rarely do).
  if (message.questions.length < qdcount) {
    return cutShort(message.weirds) && hostnameUntilEnd(bytes) ? ProbeResult.Maybe : ProbeResult.No;
  }
  if (qdcount > 0 && !PLAUSIBLE_CLASSES.has(message.questions[0].qclass & 0x7fff)) return ProbeResult.No;
  if (qdcount === 0 && message.records.length === 0) return ProbeResult.No;
  return message.complete && message.weirds.length === 0 ? ProbeResult.Yes : ProbeResult.Maybe;
}

const TRUNCATION_WEIRDS: ReadonlySet<string> = new Set([
  "DNS_truncated_quest_too_short",
  "DNS_label_len_gt_pkt",
]);

function cutShort(weirds: readonly { name: string }[]): boolean {
  return weirds.length > 0 && weirds.every((weird) => TRUNCATION_WEIRDS.has(weird.name));
}

const MAX_LABEL = 63;

/** Host-name characters seen in real query names: letters, digits, '-', '_' (SRV), '*'. */
function isNameByte(byte: number): boolean {
  return (
    (byte >= 0x61 && byte <= 0x7a) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x2d ||
    byte === 0x5f ||
    byte === 0x2a
  );
}

/**
 * The first question name, from offset 12 to the end of the bytes, is made of plausible labels
 * with at least one character present.
 */
function hostnameUntilEnd(bytes: Uint8Array): boolean {
  let offset = DNS_HEADER_LENGTH;
  let characters = 0;
  while (offset < bytes.length) {
    const length = bytes[offset++];
    // The name ended and only QTYPE/QCLASS are cut.
    if (length === 0) return characters > 0;
    if (length > MAX_LABEL) return false;
    const end = Math.min(offset + length, bytes.length);
    for (; offset < end; offset++, characters++) if (!isNameByte(bytes[offset])) return false;
  }
  return characters > 0;
}

/** DNS over TCP: a 2-byte length prefix, then a message (RFC 1035 §4.2.2). */
export function probeDnsOverTcp(bytes: Uint8Array): ProbeResult {
  if (bytes.length < TCP_LENGTH_PREFIX + DNS_HEADER_LENGTH) return ProbeResult.No;
  const length = (bytes[0] << 8) | bytes[1];
  if (length < DNS_HEADER_LENGTH) return ProbeResult.No;
  const available = Math.min(bytes.length, TCP_LENGTH_PREFIX + length);
  return probeDnsMessage(bytes.subarray(TCP_LENGTH_PREFIX, available));
}
