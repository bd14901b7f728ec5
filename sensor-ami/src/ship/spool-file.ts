// The spool file format: one batch per file, a small self-checking header and then the gzip body
// exactly as it is sent. Big-endian, version 1:
//
//   offset size
//        0    4  magic "SPSB" (Spanless spool batch)
//        4    2  format version (1)
//        6    2  header length in bytes, header CRC included (53 + log name length)
//        8   16  batch ID (the 32 hex characters as 16 bytes)
//       24    8  created, milliseconds since the epoch
//       32    4  records
//       36    4  uncompressed bytes
//       40    4  body length
//       44    4  CRC-32 of the body
//       48    1  log name length n
//       49    n  log name (ASCII, a-z0-9_)
//   49 + n    4  CRC-32 of the header's bytes before it
//
// A power cut can leave a file short (the rename made it visible before its data blocks reached the
// disk on a filesystem that does not order them) or with zeroed or stale blocks: the length check
// and the two CRCs catch both, the header's at start (cheap: a few dozen bytes per file), the body's
// when the batch is read to be sent.

import { crc32 } from "node:zlib";
import { BATCH_ID_BYTES, LOG_NAME_MAX_LENGTH } from "../../../contracts/upload/index.js";
import type { Batch } from "./batcher.js";

export const SPOOL_MAGIC = Buffer.from("SPSB", "latin1");
export const SPOOL_VERSION = 1;
const FIXED_BYTES = 49;
const CRC_BYTES = 4;
/** The longest header there can be: read this much to parse any file's header. */
export const SPOOL_HEADER_MAX_BYTES = FIXED_BYTES + LOG_NAME_MAX_LENGTH + CRC_BYTES;

/** What a spool file's header says about its batch. */
export interface SpoolHeader {
  id: string;
  log: string;
  records: number;
  createdAt: number;
  rawBytes: number;
  bodyBytes: number;
  bodyCrc: number;
  headerBytes: number;
}

/** The header for `batch` (its body's CRC computed here). */
export function encodeHeader(batch: Batch): Buffer {
  const log = Buffer.from(batch.log, "latin1");
  if (log.length === 0 || log.length > LOG_NAME_MAX_LENGTH)
    throw new RangeError(`log name length ${log.length}`);
  const headerBytes = FIXED_BYTES + log.length + CRC_BYTES;
  const header = Buffer.alloc(headerBytes);
  SPOOL_MAGIC.copy(header, 0);
  header.writeUInt16BE(SPOOL_VERSION, 4);
  header.writeUInt16BE(headerBytes, 6);
  Buffer.from(batch.id, "hex").copy(header, 8);
  header.writeBigUInt64BE(BigInt(Math.trunc(batch.createdAt)), 24);
  header.writeUInt32BE(batch.records, 32);
  header.writeUInt32BE(batch.rawBytes, 36);
  header.writeUInt32BE(batch.body.length, 40);
  header.writeUInt32BE(crc32(batch.body), 44);
  header.writeUInt8(log.length, 48);
  log.copy(header, FIXED_BYTES);
  header.writeUInt32BE(crc32(header.subarray(0, headerBytes - CRC_BYTES)), headerBytes - CRC_BYTES);
  return header;
}

/**
 * Parses the header at the start of `bytes`; returns the problem as a string when it does not check
 * out (the caller names the file). `bytes` may hold more than the header (the body, or a read of
 * SPOOL_HEADER_MAX_BYTES).
 */
export function decodeHeader(bytes: Buffer): SpoolHeader | string {
  if (bytes.length < FIXED_BYTES + CRC_BYTES) return `is ${bytes.length} bytes, shorter than any header`;
  if (!bytes.subarray(0, 4).equals(SPOOL_MAGIC)) return "does not start with the spool magic";
  const version = bytes.readUInt16BE(4);
  if (version !== SPOOL_VERSION) return `has format version ${version}, not ${SPOOL_VERSION}`;
  const headerBytes = bytes.readUInt16BE(6);
  const logBytes = bytes.readUInt8(48);
  if (
    headerBytes !== FIXED_BYTES + logBytes + CRC_BYTES ||
    logBytes === 0 ||
    logBytes > LOG_NAME_MAX_LENGTH
  ) {
    return "has an inconsistent header length";
  }
  if (bytes.length < headerBytes) return "is cut inside its header";
  const crc = bytes.readUInt32BE(headerBytes - CRC_BYTES);
  if (crc32(bytes.subarray(0, headerBytes - CRC_BYTES)) !== crc) return "has a header that fails its CRC";
  return {
    id: bytes.subarray(8, 8 + BATCH_ID_BYTES).toString("hex"),
    log: bytes.subarray(FIXED_BYTES, FIXED_BYTES + logBytes).toString("latin1"),
    records: bytes.readUInt32BE(32),
    createdAt: Number(bytes.readBigUInt64BE(24)),
    rawBytes: bytes.readUInt32BE(36),
    bodyBytes: bytes.readUInt32BE(40),
    bodyCrc: bytes.readUInt32BE(44),
    headerBytes,
  };
}

/** The body of a whole file whose header is `header`, or the problem when it does not check out. */
export function checkedBody(file: Buffer, header: SpoolHeader): Buffer | string {
  if (file.length !== header.headerBytes + header.bodyBytes) {
    return `is ${file.length} bytes, its header says ${header.headerBytes + header.bodyBytes}`;
  }
  const body = file.subarray(header.headerBytes);
  if (crc32(body) !== header.bodyCrc) return "has a body that fails its CRC";
  return body;
}
