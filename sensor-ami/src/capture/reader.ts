// Streaming reader for pcap (µs and ns, both byte orders) and pcapng (several sections and
// interfaces, per-interface link types and timestamp resolutions, unknown blocks skipped).
//
// The file is read through one fixed buffer with readSync and every record is handed out as a view
// into it, so memory stays constant whatever the file size and the hot path allocates nothing.
//
// pcap global header (24 bytes)            pcap record header (16 bytes)
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      magic (a1b2c3d4 / a1b23c4d)              |   ts seconds
// |        major          |           minor                       |   ts µs or ns
// |                      thiszone, sigfigs (ignored)              |   captured length
// |                      snaplen                                  |   original length
// |                      link type (low 16 bits)                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// pcapng block: type(4) total_length(4) body… total_length(4); see RFC draft-ietf-opsawg-pcapng.
//
// A corrupt length field in the middle of a file (a record longer than the snap length, a block
// whose trailing length differs from its leading one) does not end the read: the reader searches
// forward for the next place where a plausible header is followed by another (plausible.ts),
// resumes there, and counts and describes what it skipped (`resyncs`, `skippedBytes`). Only when
// nothing valid follows is the file reported as ending there (`truncation`).

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Frame } from "../engine/frame.js";
import { hex } from "../text/bytes.js";
import { CaptureFormatError, CaptureReadError } from "./errors.js";
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES_TEXT } from "./link-types.js";
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
/** Skipped stretches described one by one (notes, weirds); beyond it they are only counted. */
const MAX_RESYNC_DETAILS = 100;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 1;
const PCAPNG_PB_OBSOLETE = 2;
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;
const IDB_OPT_TSRESOL = 9;
const IDB_OPT_TSOFFSET = 14;

interface PcapngInterface {
  linkType: number;
  /** Multiplier turning raw timestamp units into seconds. */
  unitSeconds: number;
  /** True when units are 10^-6 or coarser: high/low words can be split without float loss. */
  offsetSeconds: number;
}

export interface CaptureTruncation {
  /** Byte offset in the file where the incomplete record starts. */
  fileOffset: number;
  /** Number of the packet that could not be read (1-based). */
  packetIndex: number;
  message: string;
}

/** A stretch of the file skipped because a header in it was corrupt. */
export interface CaptureResync {
  /** Byte offset of the corrupt header. */
  fileOffset: number;
  /** Bytes skipped from it to the next valid record or block. */
  skippedBytes: number;
  /** Packets delivered before it (the next packet delivered is number afterPacket + 1). */
  afterPacket: number;
  /** What was wrong, e.g. "a pcap record header claiming 4294967295 captured bytes". */
  problem: string;
}

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
    if (this.end - this.start < 4) {
      throw new CaptureFormatError(
        `${path}: ${this.fileSize} bytes is too short to be a pcap or pcapng file (needs at least a 24-byte header)`,
      );
    }
    const magicLE = this.buf.readUInt32LE(0);
    const magicBE = this.buf.readUInt32BE(0);
    if (magicLE === PCAPNG_SHB) {
      this.format = "pcapng";
    } else if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS) {
      this.format = "pcap";
      this.littleEndian = true;
      this.nanos = magicLE === PCAP_MAGIC_NS;
    } else if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
      this.format = "pcap";
      this.littleEndian = false;
      this.nanos = magicBE === PCAP_MAGIC_NS;
    } else {
      throw new CaptureFormatError(
        `${path}: not a capture file (first bytes ${hex(this.buf, 0, Math.min(4, this.buf.length))}; expected the pcap magic a1b2c3d4 / a1b23c4d in either byte order, or a pcapng section header 0a0d0d0a). Convert other formats with \`editcap -F pcap\`.`,
      );
    }
    if (this.format === "pcap") this.readPcapHeader();
  }

  static open(path: string): CaptureReader {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "no such file"
          : code === "EACCES"
            ? "permission denied"
            : code === "EISDIR"
              ? "is a directory"
              : (err as Error).message;
      throw new CaptureReadError(`cannot open capture ${path}: ${why}`, { cause: err });
    }
    try {
      return new CaptureReader(fd, path);
    } catch (err) {
      closeSync(fd);
      if (err instanceof CaptureFormatError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EISDIR")
        throw new CaptureReadError(`cannot read capture ${path}: is a directory`, { cause: err });
      throw new CaptureReadError(`cannot read capture ${path}: ${(err as Error).message}`, { cause: err });
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

  // Plain byte arithmetic: Buffer#readUInt32LE is a call into Node's bounds-checked helpers, and
  // this runs four times per packet. Callers have already made the bytes available (fill()).
  private u32(at: number): number {
    const b = this.buf;
    return this.littleEndian
      ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
      : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  private u16(at: number): number {
    const b = this.buf;
    return this.littleEndian ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
  }

  private markTruncated(what: string): false {
    const remaining = this.end - this.start;
    if (remaining > 0 && !this.truncation) {
      this.truncation = {
        fileOffset: this.position,
        packetIndex: this.packetCount + 1,
        message: `${this.path}: file ends inside ${what} at byte ${this.position} (${remaining} of the record's bytes present); everything before it (${this.packetCount} packets) was processed`,
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
    const major = this.u16(4);
    if (major !== 2) {
      throw new CaptureFormatError(
        `${this.path}: pcap major version ${major} is not 2; the file header is damaged`,
      );
    }
    const snaplen = this.u32(16);
    // Records up to the snap length pass with two compares; longer ones get a second look.
    if (snaplen > 0 && snaplen <= MAX_RECORD_BYTES) this.pcapLimits.caplen = snaplen;
    this.pcapLimits.frac = this.nanos ? 1e9 : 1e6;
    this.linkType = this.u32(20) & 0x0fffffff;
    if (!isSupportedLinkType(this.linkType)) {
      throw new CaptureFormatError(
        `${this.path}: unsupported link type ${this.linkType}; Spanless decodes ${SUPPORTED_LINK_TYPES_TEXT}`,
      );
    }
    this.start = 24;
  }

  private nextPcap(pkt: Frame): boolean {
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
    const at = this.start;
    const sec = this.u32(at);
    const frac = this.u32(at + 4);
    const origlen = this.u32(at + 12);
    lim.lastSec = sec;
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
      this.notes.push(
        `${problem} at byte ${from}, after packet ${this.packetCount}: skipped ${skipped} bytes to the next valid ${this.format === "pcap" ? "record" : "block"} at byte ${this.position}`,
      );
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
        ? `${this.path}: file ends inside ${cutOff} at byte ${from} (${remaining} of the record's bytes present); everything before it (${n} packets) was processed`
        : `${this.path}: ${problem} at byte ${from} and no valid ${this.format === "pcap" ? "record" : "block"} after it (${remaining} bytes to the end of the file skipped); everything before it (${n} packets) was processed`,
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
      const type = this.u32e(this.start, le);
      const len = this.u32e(this.start + 4, le);
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
      if (this.u32e(this.start + len - 4, le) !== len) {
        if (
          this.resyncPcapng(
            `a corrupt pcapng block (type ${type}, leading length ${len}, trailing length ${this.u32e(this.start + len - 4, le)})`,
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

  /** u32 in a given byte order (a section header's, before it becomes the reader's). */
  private u32e(at: number, le: boolean): number {
    const b = this.buf;
    return le
      ? (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0
      : ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
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
    pkt.ts = iface ? this.pcapngTs(iface, this.u32(blk + 12), this.u32(blk + 16)) : 0;
    pkt.index = ++this.packetCount;
  }

  private readIdb(blk: number, len: number): void {
    const linkType = this.u16(blk + 8);
    const iface: PcapngInterface = { linkType, unitSeconds: 1e-6, offsetSeconds: 0 };
    let o = blk + 16;
    const optEnd = blk + len - 4;
    while (o + 4 <= optEnd) {
      const code = this.u16(o);
      const olen = this.u16(o + 2);
      if (code === 0) break;
      if (o + 4 + olen > optEnd) break;
      if (code === IDB_OPT_TSRESOL && olen >= 1) {
        const r = this.buf[o + 4];
        iface.unitSeconds = r & 0x80 ? 2 ** -(r & 0x7f) : 10 ** -(r & 0x7f);
      } else if (code === IDB_OPT_TSOFFSET && olen >= 8) {
        const hi = this.u32(o + 4);
        const lo = this.u32(o + 8);
        iface.offsetSeconds = this.littleEndian ? lo * 2 ** 32 + hi : hi * 2 ** 32 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    if (this.interfaces.length === 0 && this.linkType === 0) this.linkType = linkType;
    this.interfaces.push(iface);
    if (!isSupportedLinkType(linkType)) {
      this.notes.push(
        `interface ${this.interfaces.length - 1} has unsupported ${linkTypeName(linkType)}; its packets are counted and skipped`,
      );
    }
  }

  private pcapngTs(iface: PcapngInterface, hi: number, lo: number): number {
    // hi*2^32+lo exceeds 2^53 for ns resolution, so split before scaling to keep µs precision.
    if (iface.unitSeconds === 1e-6) return iface.offsetSeconds + hi * 4294.967296 + lo / 1e6;
    if (iface.unitSeconds === 1e-9) return iface.offsetSeconds + hi * 4.294967296 + lo / 1e9;
    return iface.offsetSeconds + (hi * 4294967296 + lo) * iface.unitSeconds;
  }
}
