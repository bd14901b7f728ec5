// A corrupt length field in the middle of a capture: the reader skips the damaged record or block,
// resumes at the next valid one and says what it skipped, instead of reporting the end of the
// file. Real corpus captures, damaged in a temporary copy at a record/block boundary; the expected
// result is the same capture with the damaged record cut out.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { CORPUS_DIR, corpusAvailable, corpusCaptures, REPO_ROOT, runCapture } from "../support/corpus.js";

const tmp = mkdtempSync(join(tmpdir(), "spanless-resync-"));
/** Several connections, snap length 65535, µs. */
const PCAP = "zeek/wikipedia.pcap";
/** Several interfaces and link types. */
const PCAPNG = "zeek/pcapng-multi-interface.pcapng";
/** Many TLS connections in enhanced packet blocks. */
const PCAPNG_SITES = "ndpi/sites.pcapng";

interface Span {
  at: number;
  len: number;
}

/** Byte spans of the packet records of a little-endian pcap. */
function pcapRecords(b: Buffer): Span[] {
  const out: Span[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const len = 16 + b.readUInt32LE(o + 8);
    out.push({ at: o, len });
    o += len;
  }
  return out;
}

/** Byte spans of the enhanced packet blocks of a little-endian pcapng. */
function pcapngPacketBlocks(b: Buffer): Span[] {
  const out: Span[] = [];
  for (let o = 0; o + 12 <= b.length; ) {
    const len = b.readUInt32LE(o + 4);
    if (b.readUInt32LE(o) === 6) out.push({ at: o, len });
    o += len;
  }
  return out;
}

function writeTmp(name: string, data: Buffer): string {
  const f = join(tmp, name);
  writeFileSync(f, data);
  return f;
}

/** `src` without the bytes of `span`: what a reader that loses exactly that record should see. */
function without(src: Buffer, span: Span): Buffer {
  return Buffer.concat([src.subarray(0, span.at), src.subarray(span.at + span.len)]);
}

function packets(path: string) {
  const r = CaptureReader.open(path);
  const f = new Frame();
  const out: string[] = [];
  while (r.next(f))
    out.push(
      `${f.ts} ${f.interfaceId} ${Buffer.from(f.data.subarray(f.offset, f.offset + f.caplen)).toString("hex")}`,
    );
  r.close();
  return { packets: out, reader: r };
}

function damaged(capture: string, pick: (spans: Span[]) => Span, damage: (b: Buffer, s: Span) => void) {
  const src = readFileSync(join(CORPUS_DIR, capture));
  const spans = capture.endsWith(".pcapng") ? pcapngPacketBlocks(src) : pcapRecords(src);
  const span = pick(spans);
  const bad = Buffer.from(src);
  damage(bad, span);
  return { src, span, bad };
}

describe.skipIf(!corpusAvailable())("capture reader: resynchronising after a corrupt length", () => {
  const cases: [string, string, (spans: Span[]) => Span, (b: Buffer, s: Span) => void, number][] = [
    [
      "pcap, captured length beyond 64 MB",
      PCAP,
      (s) => s[7],
      (b, s) => b.writeUInt32LE(0xfffffff0, s.at + 8),
      1,
    ],
    [
      "pcap, captured length just over the snap length",
      PCAP,
      (s) => s[20],
      (b, s) => b.writeUInt32LE(65_536, s.at + 8),
      1,
    ],
    [
      "pcap, captured length within the snap length, swallowing the next records",
      PCAP,
      (s) => s[3],
      (b, s) => b.writeUInt32LE(9_000, s.at + 8),
      1,
    ],
    [
      "pcapng, block length beyond 64 MB",
      PCAPNG,
      (s) => s[2],
      (b, s) => b.writeUInt32LE(0xfffffff0, s.at + 4),
      1,
    ],
    [
      "pcapng, block length not a multiple of 4",
      PCAPNG,
      (s) => s[3],
      (b, s) => b.writeUInt32LE(s.len + 2, s.at + 4),
      1,
    ],
    [
      "pcapng, leading length too long (trailer mismatch)",
      PCAPNG_SITES,
      (s) => s[40],
      (b, s) => b.writeUInt32LE(s.len + 64, s.at + 4),
      1,
    ],
    [
      "pcapng, trailing length corrupt",
      PCAPNG_SITES,
      (s) => s[41],
      (b, s) => b.writeUInt32LE(0xdead, s.at + s.len - 4),
      1,
    ],
  ];

  it.each(cases)(
    "%s: every other packet is read, the damage is counted",
    (_name, capture, pick, damage, stretches) => {
      // Prepare
      const { src, span, bad } = damaged(capture, pick, damage);
      const expected = packets(writeTmp("expected", without(src, span))).packets;
      // Act
      const { packets: got, reader } = packets(writeTmp("damaged", bad));
      // Assess
      expect(got).toEqual(expected);
      expect(got.length).toBeGreaterThan(3);
      expect(reader.truncation).toBeUndefined();
      expect(reader.resyncCount).toBe(stretches);
      expect(reader.skippedBytes).toBe(span.len);
      expect(reader.resyncs[0]).toMatchObject({ fileOffset: span.at, skippedBytes: span.len });
      expect(reader.notes.join("\n")).toMatch(
        new RegExp(`at byte ${span.at}, after packet \\d+: skipped ${span.len} bytes`),
      );
    },
  );

  it("skips a zero-filled stretch (lost disk blocks) in the middle of a pcap", () => {
    // Prepare: 4 KiB of zeros from the middle of record 10 on
    const src = readFileSync(join(CORPUS_DIR, PCAP));
    const spans = pcapRecords(src);
    const from = spans[10].at + 20;
    const bad = Buffer.from(src);
    bad.fill(0, from, from + 4096);
    const firstIntact = spans.findIndex((s) => s.at >= from + 4096);
    // Act
    const { packets: got, reader } = packets(writeTmp("zeros", bad));
    const { packets: all } = packets(join(CORPUS_DIR, PCAP));
    // Assess: everything from the first record after the zeros is read, and nothing invented
    expect(got.slice(-(spans.length - firstIntact))).toEqual(all.slice(firstIntact));
    expect(got.length).toBeLessThanOrEqual(all.length);
    expect(reader.resyncCount).toBe(1);
  });

  it("reads records longer than an understated snap length without calling them corrupt", () => {
    // Prepare: the header claims a 100-byte snap length; records are longer
    const src = Buffer.from(readFileSync(join(CORPUS_DIR, PCAP)));
    src.writeUInt32LE(100, 16);
    // Act
    const { packets: got, reader } = packets(writeTmp("snap100", src));
    // Assess
    expect(got).toEqual(packets(join(CORPUS_DIR, PCAP)).packets);
    expect(reader.resyncCount).toBe(0);
  });

  it("a corrupt length in the last record is still the end of the file (nothing valid follows)", () => {
    const { span, bad } = damaged(
      PCAP,
      (s) => s[s.length - 1],
      (b, s) => b.writeUInt32LE(0xfffffff0, s.at + 8),
    );
    const { packets: got, reader } = packets(writeTmp("last", bad));
    expect(got).toHaveLength(pcapRecords(bad.subarray(0, span.at)).length);
    expect(reader.truncation?.message).toMatch(
      new RegExp(
        `corrupt pcap record header .* at byte ${span.at} and no valid record after it \\(${span.len} bytes`,
      ),
    );
  });

  it("conn.log of the damaged capture is the conn.log of the capture without the lost record", () => {
    // Prepare
    const { src, span, bad } = damaged(
      PCAPNG_SITES,
      (s) => s[40],
      (b, s) => b.writeUInt32LE(s.len + 64, s.at + 4),
    );
    // Act
    const got = runCapture(writeTmp("sites-bad.pcapng", bad), { engine: { seed: 3 } });
    const want = runCapture(writeTmp("sites-cut.pcapng", without(src, span)), { engine: { seed: 3 } });
    // Assess
    expect(got.logs.get("conn")).toEqual(want.logs.get("conn"));
    expect((got.logs.get("conn") ?? []).length).toBeGreaterThan(10);
    const weird = (got.logs.get("weird") ?? []).filter((w) => w.name === "corrupt_capture_record");
    expect(weird).toHaveLength(1);
  });

  it("finds nothing to skip in any corpus capture", () => {
    for (const c of corpusCaptures()) {
      const { reader } = packets(join(CORPUS_DIR, c));
      expect(reader.resyncCount, c).toBe(0);
    }
  });

  it.skipIf(!existsSync(join(REPO_ROOT, "dist", "sensor-ami", "src", "cli", "main.js")))(
    "the CLI exits 4, says what it skipped on stderr and in summary.json",
    () => {
      const { span, bad } = damaged(
        PCAP,
        (s) => s[7],
        (b, s) => b.writeUInt32LE(0xfffffff0, s.at + 8),
      );
      const f = writeTmp("cli.pcap", bad);
      const out = join(tmp, "cli-out");
      const r = spawnSync(
        process.execPath,
        [join(REPO_ROOT, "sensor-ami/bin/spanless.js"), "analyze", f, "--out", out],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(r.status).toBe(4);
      expect(r.stderr).toMatch(
        new RegExp(
          `1 corrupt stretch\\(es\\), ${span.len} bytes in all, skipped \\(the first at byte ${span.at}, after packet 7\\)`,
        ),
      );
      expect(r.stdout).toMatch(/corrupt\s+1 corrupt stretch/);
      const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
      expect(summary).toMatchObject({
        exit_status: 4,
        outcome: "resynchronised",
        capture: { corrupt_stretches: 1, skipped_bytes: span.len },
      });
    },
  );
});
