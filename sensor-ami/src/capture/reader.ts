// Streaming reader for pcap (µs and ns, both byte orders) and pcapng (several sections and
// interfaces, per-interface link types and timestamp resolutions, unknown blocks skipped).
//
// The file is read through one fixed buffer with readSync and every record is handed out as a view
// into it, so memory stays constant whatever the file size and the hot path allocates nothing.
//
// file-header.ts reads the pcap global header; its diagram shows the 16-byte record header too.
//
// A corrupt length field in the middle of a file (a record longer than the snap length, a block
// whose trailing length differs from its leading one) does not end the read: the reader searches
// forward for the next place where a plausible header is followed by another (plausible.ts),
// resumes there, and counts and describes what it skipped (`resyncs`, `skippedBytes`). Only when
// nothing valid follows is the file reported as ending there (`truncation`).
//
// Beside it: file-header.ts (format, pcap header), byte-order.ts (integer reads), pcapng-interface.ts
// (IDBs and packet timestamps), damage-report.ts (truncation and resync reports), open-errors.ts and
// plausible.ts (resync checks).

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Frame } from "../engine/frame.js";
import { u16At, u32At } from "./byte-order.js";
import {
  type CaptureResync,
  type CaptureTruncation,
  corruptToEndMessage,
  cutOffMessage,
  MAX_RESYNC_DETAILS,
  resyncNote,
} from "./damage-report.js";
import { CaptureFormatError } from "./errors.js";
import {
  MAGIC_PCAP_LE,
  MAGIC_PCAP_NANOS,
  MAGIC_PCAPNG,
  PCAPNG_SHB,
  pcapHeaderLinkType,
  sniffMagic,
} from "./file-header.js";
import { isSupportedLinkType, linkTypeName } from "./link-types.js";
import { cannotOpen, cannotRead } from "./open-errors.js";
import { type PcapngInterface, pcapngTs, readIdb } from "./pcapng-interface.js";
import {
  blockByteOrder,
  blockTrailerMatches,
  MAX_BLOCK_BYTES,
  MAX_SNAPLEN,
  type PcapLimits,
  plausibleBlockLength,
  plausiblePcapHeader,
} from "./plausible.js";

/** Read granularity; also the largest record held without growing the buffer. */
const READ_BUFFER_BYTES = 4 * 1024 * 1024;
/** A record larger than this is treated as corruption, not as a packet to buffer. */
const MAX_RECORD_BYTES = MAX_BLOCK_BYTES;

const PCAPNG_IDB = 1;
const PCAPNG_PB_OBSOLETE = 2;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;

export type { CaptureResync, CaptureTruncation } from "./damage-report.js";

type CaptureFormat = "pcap" | "pcapng";

export class CaptureReader {
  readonly format: CaptureFormat;
  readonly fileSize: number;
  /** Link type of a pcap file; for pcapng, of the first interface (0 until one is seen). */
  linkType = 0;
  /** Set when the file ends in the middle of a record; the records before it were delivered. */
  truncation: CaptureTruncation | undefined;
  /** Problems found in skipped pcapng blocks and corrupt stretches (not fatal). */
  readonly notes: string[] = [];
  /** Corrupt stretches skipped (the first MAX_RESYNC_DETAILS of them); `resyncCount` counts all. */
  readonly resyncs: CaptureResync[] = [];
  resyncCount = 0;
  skippedBytes = 0;

  private buf: Buffer;
  private start = 0; // first unconsumed byte in buf
  private end = 0; // one past the last valid byte in buf
  private fileOffsetOfBuf = 0; // file offset of buf[0]
  private eof = false;
  private littleEndian = true;
  private nanos = false;
  private interfaces: PcapngInterface[] = [];
  private packetCount = 0;
  private readonly pcapLimits: PcapLimits = { caplen: MAX_SNAPLEN, frac: 1e6, lastSec: -1 };

  private constructor(
    private readonly fd: number,
    readonly path: string,
  ) {
    this.fileSize = fstatSync(fd).size;
    this.buf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    this.fill(24);
    const magic = sniffMagic(this.buf, this.end - this.start, path, this.fileSize);
    if (magic === MAGIC_PCAPNG) {
      this.format = "pcapng";
    } else {
      this.format = "pcap";
      this.littleEndian = (magic & MAGIC_PCAP_LE) !== 0;
      this.nanos = (magic & MAGIC_PCAP_NANOS) !== 0;
    }
    if (this.format === "pcap") this.readPcapHeader();
  }

  static open(path: string): CaptureReader {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      throw cannotOpen(path, err);
    }
    try {
      return new CaptureReader(fd, path);
    } catch (err) {
      closeSync(fd);
      throw cannotRead(path, err);
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Bytes of the file consumed so far (for progress and truncation reports). */
  get position(): number {
    return this.fileOffsetOfBuf + this.start;
  }

  /** Fills `pkt` with the next frame; returns false at the end of the file (or at a truncated record). */
  next(pkt: Frame): boolean {
    return this.format === "pcap" ? this.nextPcap(pkt) : this.nextPcapng(pkt);
  }

  // --- buffer management -------------------------------------------------------------------

  /** Makes at least `need` bytes available from `start`, unless the file ends first. */
  private fill(need: number): boolean {
    if (this.end - this.start >= need) return true;
    if (need > this.buf.length) {
      if (need > MAX_RECORD_BYTES) return false;
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, this.start, this.end);
      this.fileOffsetOfBuf += this.start;
      this.end -= this.start;
      this.start = 0;
      this.buf = bigger;
    } else if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.fileOffsetOfBuf += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    while (!this.eof && this.end - this.start < need) {
      const n = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (n === 0) this.eof = true;
      this.end += n;
    }
    return this.end - this.start >= need;
  }

  // byte-order.ts's reads in the reader's byte order; callers have already made the bytes
  // available (fill()).
  private u32(at: number): number {
    return u32At(this.buf, at, this.littleEndian);
  }

  private u16(at: number): number {
    return u16At(this.buf, at, this.littleEndian);
  }

  private markTruncated(what: string): false {
    const remaining = this.end - this.start;
    if (remaining > 0 && !this.truncation) {
      this.truncation = {
        fileOffset: this.position,
        packetIndex: this.packetCount + 1,
        message: cutOffMessage(this.path, what, this.position, remaining, this.packetCount),
      };
    }
    this.start = this.end;
    return false;
  }

  // --- pcap ----------------------------------------------------------------------------------

  private readPcapHeader(): void {
    if (!this.fill(24)) {
      throw new CaptureFormatError(`${this.path}: pcap global header is cut off (${this.end} of 24 bytes)`);
    }
    const snaplen = this.u32(16);
    // Records up to the snap length pass with two compares; longer ones get a second look.
    if (snaplen > 0 && snaplen <= MAX_RECORD_BYTES) this.pcapLimits.caplen = snaplen;
    this.pcapLimits.frac = this.nanos ? 1e9 : 1e6;
    this.linkType = pcapHeaderLinkType(this.buf, this.littleEndian, this.path);
    this.start = 24;
  }

  /**
   * The common case in one pass: this record and the next header are in the buffer and both
   * headers are within the usual ranges (a length of 1..snaplen, a sub-second field below 1 s).
   * Anything else takes nextPcapChecked, which decides exactly as this does for such a record.
   */
  private nextPcap(pkt: Frame): boolean {
    const lim = this.pcapLimits;
    const b = this.buf;
    const le = this.littleEndian;
    const at = this.start;
    const avail = this.end - at;
    if (avail < 32) return this.nextPcapChecked(pkt);
    const caplen = u32At(b, at + 8, le);
    const n = at + 16 + caplen;
    if (
      (caplen - 1) >>> 0 >= lim.caplen ||
      avail < 32 + caplen ||
      u32At(b, at + 4, le) >= lim.frac ||
      (u32At(b, n + 8, le) - 1) >>> 0 >= lim.caplen ||
      u32At(b, n + 4, le) >= lim.frac
    )
      return this.nextPcapChecked(pkt);
    return this.emitPcap(pkt, at, caplen);
  }

  private nextPcapChecked(pkt: Frame): boolean {
    const lim = this.pcapLimits;
    let caplen: number;
    for (;;) {
      if (!this.fill(16)) return this.markTruncated("a pcap record header");
      caplen = this.u32(this.start + 8);
      // One compare for "empty or longer than the snap length" (caplen - 1 wraps for 0): an empty
      // record is rare in real captures and every record of a zero-filled stretch looks like one.
      const suspect = (caplen - 1) >>> 0 >= lim.caplen || this.u32(this.start + 4) >= lim.frac;
      if (suspect && !this.pcapRecordHolds(caplen)) {
        if (this.resyncPcap(`a corrupt pcap record header (captured length ${caplen})`)) continue;
        return false;
      }
      if (this.fill(16 + caplen)) {
        // The next header is looked at now (it is almost always in the buffer already): when it
        // makes no sense, this record's own length may be the corrupt field, pointing past records.
        if (this.end - this.start < 32 + caplen && !this.fill(32 + caplen)) break; // the end of the file, or a cut header reported next
        const n = this.start + 16 + caplen;
        if (
          ((this.u32(n + 8) - 1) >>> 0 < lim.caplen && this.u32(n + 4) < lim.frac) ||
          this.noRecordInside(caplen)
        )
          break;
        if (this.resyncPcap(`a corrupt pcap record header (captured length ${caplen})`)) continue;
        return false;
      }
      // Cut off inside this record, or a length pointing past the end: valid data further on tells.
      if (
        this.resyncPcap(
          `a pcap record whose length (${caplen}) runs past the end of the file`,
          "a pcap packet record",
        )
      )
        continue;
      return false;
    }
    return this.emitPcap(pkt, this.start, caplen);
  }

  /** Hands out the record at `at` (its header already judged) and moves past it. */
  private emitPcap(pkt: Frame, at: number, caplen: number): boolean {
    const sec = this.u32(at);
    const frac = this.u32(at + 4);
    const origlen = this.u32(at + 12);
    this.pcapLimits.lastSec = sec;
    this.start = at + 16 + caplen;
    pkt.data = this.buf;
    pkt.offset = at + 16;
    pkt.caplen = caplen;
    pkt.origlen = origlen;
    pkt.ts = sec + (this.nanos ? frac / 1e9 : frac / 1e6);
    pkt.linkType = this.linkType;
    pkt.interfaceId = 0;
    pkt.index = ++this.packetCount;
    return true;
  }

  /**
   * Whether the record at `start`, whose captured length or sub-second field is out of the usual
   * range, is still real: it must be followed by a plausible header or by the exact end of the file.
   * A real one raises the fast-path length limit (up to libpcap's maximum), so a writer that
   * understates its snap length costs this look once.
   */
  private pcapRecordHolds(caplen: number): boolean {
    if (caplen > MAX_RECORD_BYTES) return false;
    const next = 16 + caplen;
    const holds = this.fill(next + 16)
      ? plausiblePcapHeader(this.buf, this.start + next, this.littleEndian, this.pcapLimits, MAX_SNAPLEN)
      : this.eof && this.end - this.start === next;
    if (holds && caplen > this.pcapLimits.caplen && caplen <= MAX_SNAPLEN) this.pcapLimits.caplen = caplen;
    return holds;
  }

  /**
   * Whether a plausible record header `rel` bytes after `start` is followed by another (or by the
   * end of the file). `start` stays where it is (fill() only moves the bytes from it).
   */
  private pcapChainAt(rel: number): boolean {
    const lim = this.pcapLimits;
    if (!this.fill(rel + 16) || !plausiblePcapHeader(this.buf, this.start + rel, this.littleEndian, lim))
      return false;
    const next = rel + 16 + this.u32(this.start + rel + 8);
    if (this.fill(next + 16)) return plausiblePcapHeader(this.buf, this.start + next, this.littleEndian, lim);
    return this.eof && this.end - this.start === next;
  }

  /**
   * The header after the record at `start` makes no sense: whether the record's length is still
   * right (the damage is in the next header), i.e. no valid record chain starts inside it.
   */
  private noRecordInside(caplen: number): boolean {
    for (let rel = 1; rel < 16 + caplen; rel++) if (this.pcapChainAt(rel)) return false;
    return true;
  }

  /**
   * Moves to the next valid record after a bad one at `start`, counting what it skipped; or, when
   * none follows, reports the file as ending there: as cut off inside `cutOff` when given (the
   * record may simply be the last, incomplete one), else as corrupt.
   */
  private resyncPcap(problem: string, cutOff?: string): boolean {
    const from = this.position;
    this.start++;
    while (this.fill(16)) {
      if (this.pcapChainAt(0)) return this.resumed(from, problem);
      this.start++;
    }
    return this.nothingFollows(from, problem, cutOff);
  }

  private resumed(from: number, problem: string): true {
    const skipped = this.position - from;
    this.resyncCount++;
    this.skippedBytes += skipped;
    if (this.resyncs.length < MAX_RESYNC_DETAILS) {
      this.resyncs.push({ fileOffset: from, skippedBytes: skipped, afterPacket: this.packetCount, problem });
      const unit = this.format === "pcap" ? "record" : "block";
      this.notes.push(resyncNote(problem, from, this.packetCount, skipped, unit, this.position));
    }
    return true;
  }

  /** No valid record after `from`: the file is reported as ending there. */
  private nothingFollows(from: number, problem: string, cutOff: string | undefined): false {
    // The search has read to the end of the file, so what was read is the file's length.
    const remaining = this.fileOffsetOfBuf + this.end - from;
    const n = this.packetCount;
    this.truncation = {
      fileOffset: from,
      packetIndex: n + 1,
      message: cutOff
        ? cutOffMessage(this.path, cutOff, from, remaining, n)
        : corruptToEndMessage(
            this.path,
            problem,
            from,
            this.format === "pcap" ? "record" : "block",
            remaining,
            n,
          ),
    };
    this.start = this.end;
    return false;
  }

  // --- pcapng --------------------------------------------------------------------------------

  private nextPcapng(pkt: Frame): boolean {
    for (;;) {
      if (!this.fill(12)) {
        if (this.end - this.start === 0) return false;
        return this.markTruncated("a pcapng block header");
      }
      const isShb = this.buf.readUInt32LE(this.start) === PCAPNG_SHB;
      // A section header decides the byte order of everything that follows it.
      const le = blockByteOrder(this.buf, this.start, this.littleEndian);
      if (le === undefined) {
        if (this.position === 0)
          throw new CaptureFormatError(
            `${this.path}: pcapng section header at byte 0 has a bad byte-order magic`,
          );
        if (this.resyncPcapng("a corrupt pcapng section header (bad byte-order magic)")) continue;
        return false;
      }
      const type = u32At(this.buf, this.start, le);
      const len = u32At(this.buf, this.start + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
        if (this.resyncPcapng(`a corrupt pcapng block header (type ${type}, length ${len})`)) continue;
        return false;
      }
      if (!this.fill(len)) {
        if (
          this.resyncPcapng(
            `a pcapng block (type ${type}) whose length (${len}) runs past the end of the file`,
            `a pcapng block (type ${type}, ${len} bytes)`,
          )
        )
          continue;
        return false;
      }
      if (u32At(this.buf, this.start + len - 4, le) !== len) {
        if (
          this.resyncPcapng(
            `a corrupt pcapng block (type ${type}, leading length ${len}, trailing length ${u32At(this.buf, this.start + len - 4, le)})`,
          )
        )
          continue;
        return false;
      }
      if (isShb) {
        this.littleEndian = le;
        this.interfaces = [];
      }
      const blk = this.start;
      this.start = blk + len;
      switch (type) {
        case PCAPNG_IDB:
          this.readIdb(blk, len);
          break;
        case PCAPNG_EPB: {
          if (len < 32) break;
          const ifId = this.u32(blk + 8);
          const caplen = this.u32(blk + 20);
          if (28 + caplen > len) {
            this.notes.push(
              `enhanced packet block at byte ${this.fileOffsetOfBuf + blk} claims ${caplen} bytes in a ${len}-byte block; skipped`,
            );
            break;
          }
          this.fillPcapngPacket(pkt, blk, ifId, caplen);
          return true;
        }
        case PCAPNG_SPB: {
          const origlen = this.u32(blk + 8);
          const caplen = Math.min(origlen, len - 16);
          const iface = this.interfaces[0];
          pkt.data = this.buf;
          pkt.offset = blk + 12;
          pkt.caplen = caplen;
          pkt.origlen = origlen;
          pkt.interfaceId = 0;
          pkt.linkType = iface ? iface.linkType : -1;
          pkt.ts = 0;
          pkt.index = ++this.packetCount;
          return true;
        }
        case PCAPNG_PB_OBSOLETE: {
          if (len < 32) break;
          const ifId = this.u16(blk + 8);
          const caplen = this.u32(blk + 20);
          if (28 + caplen > len) break;
          this.fillPcapngPacket(pkt, blk, ifId, caplen);
          return true;
        }
        default:
          // Name resolution, statistics, custom and unknown blocks carry no packets.
          break;
      }
    }
  }

  /**
   * Whether a whole, plausible block at `start` is followed by another plausible block header (or
   * by the exact end of the file). Known type, possible length and a matching trailing length on
   * the first block; the second is checked as far as the file holds it.
   */
  private pcapngChainAtStart(): boolean {
    const len = plausibleBlockLength(this.buf, this.start, this.littleEndian);
    if (len === 0 || !this.fill(len)) return false;
    if (!blockTrailerMatches(this.buf, this.start, len, this.littleEndian)) return false;
    if (!this.fill(len + 8)) return this.eof && this.end - this.start === len;
    // The next block is in the first one's byte order unless it starts a section of its own.
    const le = blockByteOrder(this.buf, this.start, this.littleEndian) ?? this.littleEndian;
    const len2 = plausibleBlockLength(this.buf, this.start + len, le);
    if (len2 === 0) return false;
    return !this.fill(len + len2) || blockTrailerMatches(this.buf, this.start + len, len2, le);
  }

  /** resyncPcap for blocks. */
  private resyncPcapng(problem: string, cutOff?: string): boolean {
    const from = this.position;
    this.start++;
    while (this.fill(12)) {
      if (this.pcapngChainAtStart()) return this.resumed(from, problem);
      this.start++;
    }
    return this.nothingFollows(from, problem, cutOff);
  }

  /** Enhanced and obsolete packet blocks share their layout from the timestamp on. */
  private fillPcapngPacket(pkt: Frame, blk: number, ifId: number, caplen: number): void {
    const iface = this.interfaces[ifId];
    pkt.data = this.buf;
    pkt.offset = blk + 28;
    pkt.caplen = caplen;
    pkt.origlen = this.u32(blk + 24);
    pkt.interfaceId = ifId;
    pkt.linkType = iface ? iface.linkType : -1;
    pkt.ts = iface ? pcapngTs(iface, this.u32(blk + 12), this.u32(blk + 16)) : 0;
    pkt.index = ++this.packetCount;
  }

  private readIdb(blk: number, len: number): void {
    const iface = readIdb(this.buf, blk, len, this.littleEndian);
    const linkType = iface.linkType;
    if (this.interfaces.length === 0 && this.linkType === 0) this.linkType = linkType;
    this.interfaces.push(iface);
    if (!isSupportedLinkType(linkType)) {
      this.notes.push(
        `interface ${this.interfaces.length - 1} has unsupported ${linkTypeName(linkType)}; its packets are counted and skipped`,
      );
    }
  }
}
