// Reads back the ring's own files (classic pcap, little-endian, microseconds, Ethernet), record by
// record, for `spanless pcap find`. The full capture reader lives in the capture layer, which this
// layer does not import; the ring writes one fixed format, so this reader takes only that and
// stops quietly at a torn last record (a file cut short by a crash or a refused write).

import { closeSync, openSync, readSync } from "node:fs";
import { PcapFindError } from "./errors.js";
import {
  LINKTYPE_ETHERNET,
  PCAP_GLOBAL_HEADER_BYTES,
  PCAP_MAGIC_MICROS,
  PCAP_RECORD_HEADER_BYTES,
  PCAP_SNAPLEN,
} from "./format.js";

const READ_BYTES = 1024 * 1024;

export interface PcapRecord {
  /** Seconds since the epoch (microsecond precision). */
  ts: number;
  /** The frame is `data[offset, offset + length)`; valid only until the callback returns. */
  data: Buffer;
  offset: number;
  length: number;
  origLength: number;
}

/** Calls `each` for every record of the file until it returns true (found); returns whether it did. */
export function scanPcap(path: string, each: (r: PcapRecord) => boolean): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw new PcapFindError(`cannot open ${path}`, { cause });
  }
  try {
    let buf = Buffer.allocUnsafe(READ_BYTES);
    let start = 0;
    let end = 0;
    const fill = (need: number): boolean => {
      if (end - start >= need) return true;
      if (start > 0) {
        buf.copy(buf, 0, start, end);
        end -= start;
        start = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(need);
        buf.copy(bigger, 0, 0, end);
        buf = bigger;
      }
      while (end < need) {
        const n = readSync(fd, buf, end, buf.length - end, null);
        if (n === 0) return false;
        end += n;
      }
      return true;
    };
    if (!fill(PCAP_GLOBAL_HEADER_BYTES)) return false;
    if (buf.readUInt32LE(start) !== PCAP_MAGIC_MICROS || buf.readUInt32LE(start + 20) !== LINKTYPE_ETHERNET)
      throw new PcapFindError(`${path} is not a pcap file of the ring (little-endian, µs, Ethernet)`);
    start += PCAP_GLOBAL_HEADER_BYTES;
    const r: PcapRecord = { ts: 0, data: buf, offset: 0, length: 0, origLength: 0 };
    while (fill(PCAP_RECORD_HEADER_BYTES)) {
      const incl = buf.readUInt32LE(start + 8);
      if (incl > PCAP_SNAPLEN) return false; // torn or foreign: nothing trustworthy follows
      if (!fill(PCAP_RECORD_HEADER_BYTES + incl)) return false;
      r.ts = buf.readUInt32LE(start) + buf.readUInt32LE(start + 4) / 1_000_000;
      r.data = buf;
      r.offset = start + PCAP_RECORD_HEADER_BYTES;
      r.length = incl;
      r.origLength = buf.readUInt32LE(start + 12);
      start += PCAP_RECORD_HEADER_BYTES + incl;
      if (each(r)) return true;
    }
    return false;
  } catch (cause) {
    if (cause instanceof PcapFindError) throw cause;
    throw new PcapFindError(`cannot read ${path}`, { cause });
  } finally {
    closeSync(fd);
  }
}
