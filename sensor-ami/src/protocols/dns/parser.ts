// DNS message parser (RFC 1035 wire format), reading in place from the datagram/stream bytes.
//
// It never throws: anything malformed becomes a Zeek-named weird and parsing stops where Zeek's
// analyzer would stop, keeping what was read so far (header and questions still make a log line).

import { DNS_HEADER_LENGTH, MAX_QUESTIONS, RR_TYPE } from "./constants.js";
import { type NameCursor, NameStatus, newNameCursor, readName } from "./name.js";
import { checkEdnsOptions, MALFORMED, type RdataInput, renderRdata } from "./rdata.js";
import type { DnsMessage, DnsParseOptions, DnsSection, DnsWeird } from "./types.js";

export type DnsParseResult =
  | { ok: true; message: DnsMessage }
  | { ok: false; error: string; weirds: DnsWeird[] };

const QUESTION_FIXED = 4;
const RECORD_FIXED = 10;
const NETBIOS_ENCODED_LENGTH = 32;
const NETBIOS_NAME_BYTES = 15;
const LOWER_A = 0x61;

/**
 * RFC 1001 first-level encoding: 32 letters a–p (already lower-cased) encode 16 bytes; the first
 * 15 are a printable name or space padding, so every high nibble letter is 'c'..'h' (0x2_–0x7_).
 * That second test keeps hash-like DNS labels made of a–f from passing for NetBIOS.
 */
function looksLikeNetbiosName(name: string): boolean {
  if (name.length < NETBIOS_ENCODED_LENGTH) return false;
  if (name.length > NETBIOS_ENCODED_LENGTH && name.charCodeAt(NETBIOS_ENCODED_LENGTH) !== 0x2e) return false;
  for (let index = 0; index < NETBIOS_ENCODED_LENGTH; index++) {
    const nibble = name.charCodeAt(index) - LOWER_A;
    if (nibble < 0 || nibble > 15) return false;
    if (index % 2 === 0 && index < NETBIOS_NAME_BYTES * 2 && (nibble < 2 || nibble > 7)) return false;
  }
  return true;
}

/** Reused between calls: the parser is synchronous and not re-entrant, so no per-record objects. */
const cursor: NameCursor = newNameCursor();
const EMPTY = new Uint8Array(0);
const NO_WEIRDS: DnsWeird[] = [];
const rdata: RdataInput = {
  message: EMPTY,
  start: 0,
  end: 0,
  type: 0,
  owner: "",
  netbios: false,
  weirds: NO_WEIRDS,
  cursor,
};

function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

function sectionOf(index: number, ancount: number, nscount: number): DnsSection {
  if (index < ancount) return "answer";
  return index < ancount + nscount ? "authority" : "additional";
}

export function parseDnsMessage(bytes: Uint8Array, options: DnsParseOptions = {}): DnsParseResult {
  try {
    return parse(bytes, options);
  } catch (cause) {
    // A parser bug must not take the sensor down; the fuzz tests assert this branch is never hit.
    return {
      ok: false,
      error: `internal DNS parser error: ${cause instanceof Error ? cause.message : String(cause)}`,
      weirds: [{ name: "DNS_parser_internal_error" }],
    };
  }
}

function parse(bytes: Uint8Array, options: DnsParseOptions): DnsParseResult {
  if (bytes.length < DNS_HEADER_LENGTH) {
    return {
      ok: false,
      error: `DNS message of ${bytes.length} bytes is shorter than the ${DNS_HEADER_LENGTH}-byte header`,
      weirds: [{ name: "DNS_truncated_len_lt_hdr_len" }],
    };
  }
  // Names seen belong to one message.
  cursor.seen.count = 0;
  const flags = u16(bytes, 2);
  const message: DnsMessage = {
    id: u16(bytes, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    z: (flags >> 4) & 0x07,
    rcode: flags & 0x0f,
    qdcount: u16(bytes, 4),
    ancount: u16(bytes, 6),
    nscount: u16(bytes, 8),
    arcount: u16(bytes, 10),
    questions: [],
    records: [],
    netbios: options.netbios === true,
    complete: false,
    weirds: [],
  };
  const { weirds } = message;
  if (message.qdcount > MAX_QUESTIONS) {
    weirds.push({ name: "DNS_Conn_count_too_large" });
    return { ok: true, message };
  }

  let offset = DNS_HEADER_LENGTH;
  for (let index = 0; index < message.qdcount; index++) {
    readName(bytes, offset, bytes.length, message.netbios, true, weirds, cursor);
    if (cursor.status === NameStatus.Malformed) return { ok: true, message };
    if (cursor.status === NameStatus.Truncated || bytes.length - cursor.end < QUESTION_FIXED) {
      weirds.push({ name: "DNS_truncated_quest_too_short" });
      return { ok: true, message };
    }
    offset = cursor.end;
    message.questions.push({ name: cursor.name, qtype: u16(bytes, offset), qclass: u16(bytes, offset + 2) });
    offset += QUESTION_FIXED;
    if (index === 0 && !message.netbios && looksLikeNetbiosName(cursor.name)) message.netbios = true;
  }

  const total = message.ancount + message.nscount + message.arcount;
  for (let index = 0; index < total; index++) {
    const section = sectionOf(index, message.ancount, message.nscount);
    const render = section === "answer" || options.allSections === true;
    readName(bytes, offset, bytes.length, message.netbios, render, weirds, cursor);
    if (cursor.status === NameStatus.Malformed) return { ok: true, message };
    if (cursor.status === NameStatus.Truncated || bytes.length - cursor.end < RECORD_FIXED) {
      weirds.push({ name: "DNS_truncated_ans_too_short" });
      return { ok: true, message };
    }
    const owner = cursor.name;
    offset = cursor.end;
    const type = u16(bytes, offset);
    const rrClass = u16(bytes, offset + 2);
    const ttl =
      ((bytes[offset + 4] << 24) |
        (bytes[offset + 5] << 16) |
        (bytes[offset + 6] << 8) |
        bytes[offset + 7]) >>>
      0;
    const rdlength = u16(bytes, offset + 8);
    offset += RECORD_FIXED;
    if (rdlength > bytes.length - offset) {
      weirds.push({ name: "DNS_truncated_RR_rdlength_lt_len" });
      return { ok: true, message };
    }
    const end = offset + rdlength;
    if (render) {
      rdata.message = bytes;
      rdata.start = offset;
      rdata.end = end;
      rdata.type = type;
      rdata.owner = owner;
      rdata.netbios = message.netbios;
      rdata.weirds = weirds;
      const reply = renderRdata(rdata);
      // Drop the references so the scratch object does not keep the caller's buffer alive.
      rdata.message = EMPTY;
      rdata.weirds = NO_WEIRDS;
      if (reply === MALFORMED) return { ok: true, message };
      message.records.push({ section, name: owner, type, class: rrClass, ttl, reply });
    } else if (type === RR_TYPE.OPT) {
      checkEdnsOptions(bytes, offset, end, weirds);
    }
    // Realign on RDLENGTH whatever the record's own fields claimed (Zeek keeps its read position).
    offset = end;
  }
  message.complete = true;
  return { ok: true, message };
}
