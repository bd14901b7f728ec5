// Crafted captures built from real packets: read the frames of a corpus capture, change what a test
// needs (a checksum, a timestamp, a length field) and write them back as a classic pcap.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LINKTYPE_ETHERNET } from "../../sensor-ami/src/capture/link-types.js";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { wordHalves } from "../../sensor-ami/src/decode/checksum.js";
import { decodeIPv4, decodeIPv6, FragmentInfo } from "../../sensor-ami/src/decode/ip.js";
import { decodeLink } from "../../sensor-ami/src/decode/link.js";
import { DecodedPacket, Layer } from "../../sensor-ami/src/decode/packet.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { formatAddr } from "../../sensor-ami/src/text/ip.js";
import { CORPUS_DIR } from "../support/corpus.js";

export interface CraftedFrame {
  /** Seconds since the epoch. */
  ts: number;
  /** The captured bytes (a copy: free to edit). */
  data: Uint8Array;
  /** Length on the wire as the record header will say (defaults to data.length). */
  origLen?: number;
}

/** Every frame of a corpus capture (path relative to the corpus), copied. */
export function readFrames(capture: string): CraftedFrame[] {
  const reader = CaptureReader.open(join(CORPUS_DIR, capture));
  const f = new Frame();
  const out: CraftedFrame[] = [];
  try {
    while (reader.next(f)) {
      out.push({
        ts: f.ts,
        data: Uint8Array.from(f.data.subarray(f.offset, f.offset + f.caplen)),
        origLen: f.origlen,
      });
    }
  } finally {
    reader.close();
  }
  return out;
}

/** Writes `frames` as a little-endian microsecond pcap into a fresh temp directory; returns its path. */
export function writePcap(frames: readonly CraftedFrame[], linkType = LINKTYPE_ETHERNET): string {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  const parts: Uint8Array[] = [header];
  for (const fr of frames) {
    const rec = Buffer.alloc(16);
    const sec = Math.floor(fr.ts);
    rec.writeUInt32LE(sec >>> 0, 0);
    rec.writeUInt32LE(Math.min(999_999, Math.round((fr.ts - sec) * 1e6)), 4);
    rec.writeUInt32LE(fr.data.length, 8);
    rec.writeUInt32LE((fr.origLen ?? fr.data.length) >>> 0, 12);
    parts.push(rec, fr.data);
  }
  const path = join(mkdtempSync(join(tmpdir(), "spanless-craft-")), "crafted.pcap");
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

/** The decoded IP and transport layout of an Ethernet frame (null when it carries no IP). */
export interface FrameLayout {
  ipVersion: number;
  ipOff: number;
  proto: number;
  l4Off: number;
  l4Len: number;
  src: string;
  dst: string;
  /** The pseudo-header sum (folded, not complemented): what an offloading sender leaves in the field. */
  partialSum: number;
}

export function layoutOf(data: Uint8Array): FrameLayout | null {
  const p = new DecodedPacket();
  p.buf = data;
  p.capEnd = data.length;
  let layer = decodeLink(p, 0, LINKTYPE_ETHERNET);
  if (layer === Layer.IPv4) layer = decodeIPv4(p, new FragmentInfo(), false);
  else if (layer === Layer.IPv6) layer = decodeIPv6(p, new FragmentInfo());
  else return null;
  if (layer < 0) return null;
  let sum = p.proto + wordHalves(p.l4Len) + wordHalves(p.s3) + wordHalves(p.d3);
  if (p.ipVersion === 6) {
    sum +=
      wordHalves(p.s0) +
      wordHalves(p.s1) +
      wordHalves(p.s2) +
      wordHalves(p.d0) +
      wordHalves(p.d1) +
      wordHalves(p.d2);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return {
    ipVersion: p.ipVersion,
    ipOff: p.ipOff,
    proto: p.proto,
    l4Off: p.l4Off,
    l4Len: p.l4Len,
    src: formatAddr(p.s0, p.s1, p.s2, p.s3),
    dst: formatAddr(p.d0, p.d1, p.d2, p.d3),
    partialSum: sum,
  };
}

/** Byte offset of the TCP (6) / UDP (17) checksum field in the frame. */
export function transportChecksumAt(l: FrameLayout): number {
  return l.l4Off + (l.proto === 6 ? 16 : 6);
}
