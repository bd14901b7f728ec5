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

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Frame } from "../engine/frame.js";
import { hex } from "../text/bytes.js";
import { CaptureFormatError, CaptureReadError } from "./errors.js";
import { isSupportedLinkType, linkTypeName, SUPPORTED_LINK_TYPES_TEXT } from "./link-types.js";

/** Read granularity; also the largest record held without growing the buffer. */
const READ_BUFFER_BYTES = 4 * 1024 * 1024;
/** A record larger than this is treated as corruption, not as a packet to buffer. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
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

type CaptureFormat = "pcap" | "pcapng";

export class CaptureReader {
  readonly format: CaptureFormat;
  readonly fileSize: number;
  /** Link type of a pcap file; for pcapng, of the first interface (0 until one is seen). */
  linkType = 0;
  /** Set when the file ends in the middle of a record; the records before it were delivered. */
  truncation: CaptureTruncation | undefined;
  /** Problems found in skipped pcapng blocks (not fatal). */
  readonly notes: string[] = [];

  private buf: Buffer;
  private start = 0; // first unconsumed byte in buf
  private end = 0; // one past the last valid byte in buf
  private fileOffsetOfBuf = 0; // file offset of buf[0]
  private eof = false;
  private littleEndian = true;
  private nanos = false;
  private interfaces: PcapngInterface[] = [];
  private packetCount = 0;

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
    this.linkType = this.u32(20) & 0x0fffffff;
    if (!isSupportedLinkType(this.linkType)) {
      throw new CaptureFormatError(
        `${this.path}: unsupported link type ${this.linkType}; Spanless decodes ${SUPPORTED_LINK_TYPES_TEXT}`,
      );
    }
    this.start = 24;
  }

  private nextPcap(pkt: Frame): boolean {
    if (!this.fill(16)) return this.markTruncated("a pcap record header");
    const h = this.start;
    const sec = this.u32(h);
    const frac = this.u32(h + 4);
    const caplen = this.u32(h + 8);
    const origlen = this.u32(h + 12);
    if (caplen > MAX_RECORD_BYTES) {
      return this.markTruncated(
        `a pcap record whose captured length ${caplen} is implausible (corrupt record header)`,
      );
    }
    if (!this.fill(16 + caplen)) return this.markTruncated("a pcap packet record");
    const at = this.start;
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

  // --- pcapng --------------------------------------------------------------------------------

  private nextPcapng(pkt: Frame): boolean {
    for (;;) {
      if (!this.fill(12)) {
        if (this.end - this.start === 0) return false;
        return this.markTruncated("a pcapng block header");
      }
      const b = this.start;
      const typeLE = this.buf.readUInt32LE(b);
      if (typeLE === PCAPNG_SHB) {
        // A section header decides the byte order of everything that follows it.
        const bom = this.buf.readUInt32LE(b + 8);
        if (bom === PCAPNG_BOM) this.littleEndian = true;
        else if (this.buf.readUInt32BE(b + 8) === PCAPNG_BOM) this.littleEndian = false;
        else
          throw new CaptureFormatError(
            `${this.path}: pcapng section header at byte ${this.position} has a bad byte-order magic`,
          );
        this.interfaces = [];
      }
      const type = this.u32(b);
      const len = this.u32(b + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
        return this.markTruncated(`a pcapng block with impossible length ${len} (corrupt block)`);
      }
      if (!this.fill(len)) return this.markTruncated(`a pcapng block (type ${type}, ${len} bytes)`);
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
