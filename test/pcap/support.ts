// Frames for the PCAP ring's tests: a corpus capture's Ethernet frames with their times, and a
// synthetic UDP frame when a test needs many of a chosen size.
import { join } from "node:path";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { CORPUS_DIR } from "../support/corpus.js";

export const WIKIPEDIA = join(CORPUS_DIR, "zeek", "wikipedia.pcap");

export interface TestFrame {
  bytes: Buffer;
  ts: number;
  origLen: number;
}

export function captureFrames(path: string): TestFrame[] {
  const reader = CaptureReader.open(path);
  const f = new Frame();
  const out: TestFrame[] = [];
  try {
    while (reader.next(f))
      out.push({
        bytes: Buffer.from(f.data.subarray(f.offset, f.offset + f.caplen)),
        ts: f.ts,
        origLen: f.origlen,
      });
  } finally {
    reader.close();
  }
  return out;
}

/** An Ethernet/IPv4/UDP frame of `size` bytes from 10.0.0.1:1000 to 10.0.0.2:2000 (checksums not set). */
export function udpFrame(size: number, marker = 0): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(size - 14, 16);
  b[23] = 17;
  b.set([10, 0, 0, 1, 10, 0, 0, 2], 26);
  b.writeUInt16BE(1000, 34);
  b.writeUInt16BE(2000, 36);
  b.writeUInt16BE(size - 34, 38);
  b.writeUInt32BE(marker, 42);
  return b;
}
