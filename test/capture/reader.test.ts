// Capture reader tests. Variants (big-endian, nanosecond, cut-off) are made from real corpus
// captures by rewriting headers only, so the packet bytes stay real.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CaptureFormatError, CaptureReadError } from "../../sensor-ami/src/capture/errors.js";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";

const tmp = mkdtempSync(join(tmpdir(), "spanless-reader-"));

function readAll(path: string) {
  const r = CaptureReader.open(path);
  const pkt = new Frame();
  const out: { ts: number; caplen: number; origlen: number; linkType: number; first: string }[] = [];
  while (r.next(pkt)) {
    out.push({
      ts: pkt.ts,
      caplen: pkt.caplen,
      origlen: pkt.origlen,
      linkType: pkt.linkType,
      first: Buffer.from(pkt.data.subarray(pkt.offset, pkt.offset + 16)).toString("hex"),
    });
  }
  r.close();
  return { packets: out, truncation: r.truncation, format: r.format };
}

/** Rewrites a little-endian µs pcap as big-endian and/or nanosecond resolution. */
function rewritePcap(src: Buffer, bigEndian: boolean, nanos: boolean): Buffer {
  const out = Buffer.alloc(src.length);
  src.copy(out);
  const w32 = (v: number, o: number) => (bigEndian ? out.writeUInt32BE(v, o) : out.writeUInt32LE(v, o));
  const w16 = (v: number, o: number) => (bigEndian ? out.writeUInt16BE(v, o) : out.writeUInt16LE(v, o));
  w32(nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(src.readUInt16LE(4), 4);
  w16(src.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) w32(src.readUInt32LE(o), o);
  let o = 24;
  while (o + 16 <= src.length) {
    const caplen = src.readUInt32LE(o + 8);
    w32(src.readUInt32LE(o), o);
    w32(nanos ? src.readUInt32LE(o + 4) * 1000 : src.readUInt32LE(o + 4), o + 4);
    w32(caplen, o + 8);
    w32(src.readUInt32LE(o + 12), o + 12);
    o += 16 + caplen;
  }
  return out;
}

describe.skipIf(!corpusAvailable())("capture reader", () => {
  const httpGet = join(CORPUS_DIR, "zeek/http__get.pcap");

  it("reads the same packets from little/big-endian and µs/ns variants of one capture", () => {
    // Prepare
    const src = readFileSync(httpGet);
    const variants = [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ].map(([be, ns]) => {
      const f = join(tmp, `get-${be ? "be" : "le"}-${ns ? "ns" : "us"}.pcap`);
      writeFileSync(f, rewritePcap(src, be, ns));
      return f;
    });
    // Act
    const reads = variants.map(readAll);
    // Assess
    expect(reads[0].packets).toHaveLength(14);
    for (const r of reads.slice(1)) {
      expect(r.packets.map((p) => p.first)).toEqual(reads[0].packets.map((p) => p.first));
      for (const [i, p] of r.packets.entries()) expect(p.ts).toBeCloseTo(reads[0].packets[i].ts, 6);
    }
  });

  it("reads pcapng with several interfaces and per-interface link types", () => {
    const r = readAll(join(CORPUS_DIR, "pcapplusplus/many_interfaces-1.pcapng"));
    expect(r.format).toBe("pcapng");
    expect(r.packets).toHaveLength(64);
    expect(new Set(r.packets.map((p) => p.linkType)).size).toBeGreaterThan(1);
    expect(r.truncation).toBeUndefined();
  });

  it("processes a file cut off mid-record up to the cut and says where it stopped", () => {
    const src = readFileSync(httpGet);
    const cut = join(tmp, "cut.pcap");
    writeFileSync(cut, src.subarray(0, src.length - 30));
    const r = readAll(cut);
    expect(r.packets).toHaveLength(13);
    expect(r.truncation?.packetIndex).toBe(14);
    expect(r.truncation?.message).toMatch(
      /file ends inside a pcap packet record at byte \d+.*13 packets\) was processed/,
    );
  });

  it("rejects a file that is not a capture, naming what it found", () => {
    const f = join(tmp, "notes.txt");
    writeFileSync(f, "this is not a packet capture, just some text\n");
    expect(() => CaptureReader.open(f)).toThrow(CaptureFormatError);
    expect(() => CaptureReader.open(f)).toThrow(/not a capture file \(first bytes 74686973/);
  });

  it("rejects a pcap whose link type it cannot decode", () => {
    const src = Buffer.from(readFileSync(httpGet));
    src.writeUInt32LE(147, 20); // LINKTYPE_USER0
    const f = join(tmp, "user0.pcap");
    writeFileSync(f, src);
    expect(() => CaptureReader.open(f)).toThrow(/unsupported link type 147; Spanless decodes/);
  });

  it("reports an unreadable path as a read error", () => {
    expect(() => CaptureReader.open(join(tmp, "missing.pcap"))).toThrow(CaptureReadError);
    expect(() => CaptureReader.open(join(tmp, "missing.pcap"))).toThrow(/no such file/);
    expect(() => CaptureReader.open(tmp)).toThrow(/is a directory/);
  });
});
