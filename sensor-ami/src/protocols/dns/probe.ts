// Content probes: is this payload a DNS message? Decided by structure, never by port.

import { ProbeResult } from "../types.js";
import { DNS_HEADER_LENGTH, MAX_QUESTIONS } from "./constants.js";
import { type DnsParseResult, parseDnsMessage } from "./parser.js";

const TCP_LENGTH_PREFIX = 2;
/** Opcodes seen in real DNS/NBNS traffic (3 is unassigned; 9–15 unused), as a bit per opcode. */
const PLAUSIBLE_OPCODES =
  (1 << 0) | (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8);
/** IN, CH, HS, NONE, ANY; mDNS sets the top bit of QCLASS for "unicast response wanted". */
const PLAUSIBLE_CLASSES: ReadonlySet<number> = new Set([1, 3, 4, 254, 255]);
/** RFC 1035/2136 rcodes stop at 10 (NOTZONE); larger values need EDNS and never fit 4 bits alone. */
const MAX_PLAUSIBLE_RCODE = 10;

/**
 * The last message the probe parsed and found to be DNS, with its parse: the analyzer attached
 * because of it is handed the same bytes first, and takes the parse instead of redoing it. The
 * bytes are copied (the caller's buffer is only valid during the call) and compared in full.
 */
let probedBytes: Uint8Array | undefined;
let probedParse: DnsParseResult | undefined;

/** The probe's parse of exactly these bytes (default options), if it was the last one; once. */
export function takeProbedParse(bytes: Uint8Array): DnsParseResult | undefined {
  const probed = probedBytes;
  const parse = probedParse;
  if (probed === undefined) return undefined;
  probedBytes = undefined;
  probedParse = undefined;
  // Native comparison (lengths included): no JavaScript loop over the message.
  return Buffer.compare(probed, bytes) === 0 ? parse : undefined;
}

/** Header sanity at `start` (first byte of the DNS header), before anything is parsed. */
function plausibleHeader(bytes: Uint8Array, start: number): boolean {
  const flags = (bytes[start + 2] << 8) | bytes[start + 3];
  const opcode = (flags >> 11) & 0x0f;
  if ((PLAUSIBLE_OPCODES & (1 << opcode)) === 0) return false;
  const isResponse = (flags & 0x8000) !== 0;
  const rcode = flags & 0x0f;
  if (isResponse ? rcode > MAX_PLAUSIBLE_RCODE : rcode !== 0) return false;
  const qdcount = (bytes[start + 4] << 8) | bytes[start + 5];
  if (qdcount > MAX_QUESTIONS) return false;
  // Only responses with answers (mDNS announcements, NBNS answers) may omit the question: RPC
  // replies, for one, look like question-less "responses" with only additional records.
  return qdcount !== 0 || (isResponse && ((bytes[start + 6] << 8) | bytes[start + 7]) > 0);
}

/**
 * Yes: the whole message parses cleanly. Maybe: a sound header whose questions or records are
 * damaged or cut short (snap-length cuts, first IP fragments, a message continuing in the next
 * TCP segment). No: anything else.
 */
export function probeDnsMessage(bytes: Uint8Array): ProbeResult {
  if (bytes.length < DNS_HEADER_LENGTH || !plausibleHeader(bytes, 0)) return ProbeResult.No;
  return probeParsed(bytes);
}

/** The structural verdict once the header looked plausible. */
function probeParsed(bytes: Uint8Array): ProbeResult {
  const parsed = parseDnsMessage(bytes);
  if (!parsed.ok) return ProbeResult.No;
  const { message } = parsed;
  const qdcount = message.qdcount;
  // A question cut by the end of the bytes (snap length, first TCP segment) is still a Maybe, if
  // what is there reads like a host name (random bytes rarely do).
  if (message.questions.length < qdcount) {
    return cutShort(message.weirds) && hostnameUntilEnd(bytes)
      ? remember(bytes, parsed, ProbeResult.Maybe)
      : ProbeResult.No;
  }
  if (qdcount > 0 && !PLAUSIBLE_CLASSES.has(message.questions[0].qclass & 0x7fff)) return ProbeResult.No;
  if (qdcount === 0 && message.records.length === 0) return ProbeResult.No;
  return remember(
    bytes,
    parsed,
    message.complete && message.weirds.length === 0 ? ProbeResult.Yes : ProbeResult.Maybe,
  );
}

function remember(bytes: Uint8Array, parsed: DnsParseResult, result: ProbeResult): ProbeResult {
  // A copy (Buffer#slice would be a view of memory the engine reuses for the next packets).
  probedBytes = new Uint8Array(bytes);
  probedParse = parsed;
  return result;
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
  if (length < DNS_HEADER_LENGTH || !plausibleHeader(bytes, TCP_LENGTH_PREFIX)) return ProbeResult.No;
  const available = Math.min(bytes.length, TCP_LENGTH_PREFIX + length);
  return probeParsed(bytes.subarray(TCP_LENGTH_PREFIX, available));
}
