// Domain-name reading with compression, in place over the message bytes.
//
// Follows Zeek's ExtractName/ExtractLabel rules so names and weirds line up with dns.log:
// compression pointers must point strictly backwards (before the label holding the pointer), the
// pointed-to name must end before that pointer, labels are lower-cased, the trailing dot dropped.

import { latin1 } from "../../text/bytes.js";
import { MAX_COMPRESSION_POINTERS, MAX_LABEL_LENGTH, MAX_NAME_BUFFER, NAME_TOO_LONG } from "./constants.js";
import type { DnsWeird } from "./types.js";

export enum NameStatus {
  Ok = 0,
  /** The message ended inside the name: the caller reports which structure was truncated. */
  Truncated = 1,
  /** A malformed name; a weird was already recorded. */
  Malformed = 2,
}

/** Reused output slots: parsing is synchronous, so one scratch object serves every call. */
export interface NameCursor {
  /** Offset just after the name in the enclosing data (after the first pointer, if any). */
  end: number;
  status: NameStatus;
  name: string;
  /** Names of the current message already built cleanly; the parser empties it per message. */
  readonly seen: SeenNames;
}

/**
 * Names built earlier in the same message, by start offset. An answer's owner name is nearly always
 * a lone compression pointer to the question's name: reading that pointer walks exactly the bytes
 * read before, so the string is reused instead of being copied and decoded again.
 */
export interface SeenNames {
  count: number;
  readonly start: number[];
  /** `end` of that read: every byte it looked at lies before this offset. */
  readonly end: number[];
  readonly pointers: number[];
  readonly netbios: boolean[];
  readonly name: string[];
}

/** A few entries cover the question and the distinct names of a typical answer section. */
const MAX_SEEN_NAMES = 8;

export function newNameCursor(): NameCursor {
  return {
    end: 0,
    status: NameStatus.Ok,
    name: "",
    seen: { count: 0, start: [], end: [], pointers: [], netbios: [], name: [] },
  };
}

/**
 * Whether the name at `offset` is a lone pointer to a name already read cleanly (no weird, not
 * malformed) that ends before the pointer: reading it again would take the same steps, with one
 * more pointer, and produce the same string. Sets the cursor as readName would.
 */
function reuseSeenName(
  message: Uint8Array,
  offset: number,
  limit: number,
  netbios: boolean,
  cursor: NameCursor,
): boolean {
  const seen = cursor.seen;
  if (seen.count === 0 || offset + 1 >= limit || (message[offset] & 0xc0) !== 0xc0) return false;
  const target = ((message[offset] & 0x3f) << 8) | message[offset + 1];
  for (let index = 0; index < seen.count; index++) {
    if (
      seen.start[index] === target &&
      seen.end[index] <= offset &&
      seen.pointers[index] < MAX_COMPRESSION_POINTERS &&
      seen.netbios[index] === netbios
    ) {
      cursor.status = NameStatus.Ok;
      cursor.end = offset + 2;
      cursor.name = seen.name[index];
      return true;
    }
  }
  return false;
}

// Name bytes are assembled here, then decoded once; the buffer holds the 512 bytes Zeek allows plus
// the largest label that could still be copied before the limit check stops it.
const nameBytes = new Uint8Array(MAX_NAME_BUFFER + 256);

const UPPER_A = 0x41;
const UPPER_Z = 0x5a;
const DOT = 0x2e;

/**
 * Reads the name at `offset`. With `build` false only the extent is computed (no string is made),
 * for records whose content is never logged.
 */
export function readName(
  message: Uint8Array,
  offset: number,
  limit: number,
  netbios: boolean,
  build: boolean,
  weirds: DnsWeird[],
  cursor: NameCursor,
): void {
  if (build && reuseSeenName(message, offset, limit, netbios, cursor)) return;
  let position = offset;
  let readLimit = limit;
  let end = -1;
  let length = 0;
  let pointers = 0;
  let overflowed = false;
  let kept = 0;
  let forwardPointer = false;
  cursor.status = NameStatus.Ok;
  cursor.name = "";

  for (;;) {
    if (position >= readLimit) {
      cursor.status = NameStatus.Truncated;
      break;
    }
    const labelStart = position;
    const labelLength = message[position++];
    if (labelLength === 0) break;
    if ((labelLength & 0xc0) === 0xc0) {
      if (position >= readLimit) {
        cursor.status = NameStatus.Truncated;
        break;
      }
      const target = ((labelLength & 0x3f) << 8) | message[position++];
      if (end < 0) end = position;
      if (target >= labelStart) {
        weirds.push({ name: "DNS_label_forward_compress_offset" });
        forwardPointer = true;
        break;
      }
      if (++pointers > MAX_COMPRESSION_POINTERS) {
        weirds.push({ name: "DNS_name_too_many_pointers" });
        cursor.status = NameStatus.Malformed;
        break;
      }
      readLimit = labelStart;
      position = target;
      continue;
    }
    if (labelLength > readLimit - position) {
      weirds.push({ name: "DNS_label_len_gt_pkt" });
      cursor.status = NameStatus.Malformed;
      break;
    }
    if (labelLength > MAX_LABEL_LENGTH && !netbios) {
      weirds.push({ name: "DNS_label_too_long" });
      cursor.status = NameStatus.Malformed;
      break;
    }
    if (!overflowed && labelLength >= MAX_NAME_BUFFER - length) {
      // Keep walking to find where the name ends (so the rest of the message still parses), but
      // stop collecting: the name is logged cut at Zeek's buffer size.
      weirds.push({ name: "DNS_label_len_gt_name_len" });
      overflowed = true;
      kept = length;
    }
    if (build && !overflowed) {
      for (let index = 0; index < labelLength; index++) {
        const byte = message[position + index];
        nameBytes[length + index] = byte >= UPPER_A && byte <= UPPER_Z ? byte + 32 : byte;
      }
      nameBytes[length + labelLength] = DOT;
    }
    length += labelLength + 1;
    position += labelLength;
  }

  cursor.end = end >= 0 ? end : position;
  if (length >= NAME_TOO_LONG) weirds.push({ name: "DNS_NAME_too_long" });
  if (!overflowed) kept = length;
  if (build && kept > 0) cursor.name = latin1(nameBytes, 0, kept - 1);
  const seen = cursor.seen;
  if (
    build &&
    cursor.status === NameStatus.Ok &&
    // No weird came up: not malformed, no forward pointer, not cut, not over-long.
    !forwardPointer &&
    !overflowed &&
    length < NAME_TOO_LONG &&
    seen.count < MAX_SEEN_NAMES
  ) {
    const index = seen.count++;
    seen.start[index] = offset;
    seen.end[index] = cursor.end;
    seen.pointers[index] = pointers;
    seen.netbios[index] = netbios;
    seen.name[index] = cursor.name;
  }
}
