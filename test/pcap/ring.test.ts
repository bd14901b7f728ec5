import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { parseClosedName, uploadedMarker } from "../../sensor-ami/src/pcap/names.js";
import { type ClosedPcap, type PcapFs, PcapRing, RETRY_SECONDS } from "../../sensor-ami/src/pcap/ring.js";
import { captureFrames, udpFrame, WIKIPEDIA } from "./support.js";

const MIB = 1024 * 1024;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pcap-ring-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function readBack(path: string): { bytes: Buffer; ts: number; origLen: number }[] {
  const reader = CaptureReader.open(path);
  const f = new Frame();
  const out: { bytes: Buffer; ts: number; origLen: number }[] = [];
  try {
    while (reader.next(f))
      out.push({
        bytes: Buffer.from(f.data.subarray(f.offset, f.offset + f.caplen)),
        ts: f.ts,
        origLen: f.origlen,
      });
    expect(reader.truncation).toBeUndefined();
  } finally {
    reader.close();
  }
  return out;
}

/** node:fs with a count of write(2) calls, and a switch that makes writes fail like a full disk. */
function countingFs(): PcapFs & { writes: number; full: boolean } {
  const wrapper = {
    ...fs,
    writes: 0,
    full: false,
    writeSync: ((fd: number, buf: Buffer, offset: number, length: number) => {
      wrapper.writes++;
      if (wrapper.full) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      return fs.writeSync(fd, buf, offset, length);
    }) as typeof fs.writeSync,
  };
  return wrapper;
}

describe("PcapRing", () => {
  it("writes frames that the capture reader and tshark read back byte for byte, with times and wire lengths", () => {
    // Prepare
    const frames = captureFrames(WIKIPEDIA);
    const closed: ClosedPcap[] = [];
    const ring = new PcapRing({ dir, worker: 3, maxBytes: 100 * MIB, onClosed: (f) => closed.push(f) });

    // Act: each frame behind an 8-byte VXLAN header, as the worker's ring slot holds it
    for (const f of frames) {
      const datagram = Buffer.concat([Buffer.alloc(8), f.bytes]);
      ring.write(datagram, 8, datagram.length, f.ts, f.origLen);
    }
    ring.finish();

    // Assess
    expect(closed).toHaveLength(1);
    const file = closed[0]!;
    expect(parseClosedName(file.name)).toEqual({
      startMicros: Math.round(frames[0]!.ts * 1e6),
      endMicros: Math.round(frames.at(-1)!.ts * 1e6),
      worker: 3,
    });
    expect(statSync(file.path).size).toBe(file.bytes);
    const back = readBack(file.path);
    expect(back.map((b) => b.bytes)).toEqual(frames.map((f) => f.bytes));
    expect(back.map((b) => b.origLen)).toEqual(frames.map((f) => f.origLen));
    for (const [i, b] of back.entries()) expect(b.ts).toBeCloseTo(frames[i]!.ts, 6);
    const tshark = spawnSync("capinfos", ["-c", "-M", file.path], { encoding: "utf8" });
    if (tshark.status === 0)
      expect(tshark.stdout).toMatch(new RegExp(`Number of packets:\\s+${frames.length}\\b`));
  });

  it("makes one write(2) per buffer, not per packet", () => {
    // Prepare
    const wfs = countingFs();
    const ring = new PcapRing({ dir, worker: 0, maxBytes: 100 * MIB, bufferBytes: MIB, fs: wfs });
    const frame = udpFrame(1000);

    // Act: about 4 MB
    for (let i = 0; i < 4000; i++) ring.write(frame, 0, frame.length, 1_700_000_000 + i / 1000, frame.length);
    ring.finish();

    // Assess
    expect(wfs.writes).toBeLessThanOrEqual(5);
    expect(ring.counters().packets).toBe(4000);
  });

  it("rotates at the size and deletes the oldest closed files to stay under its bound", () => {
    // Prepare: a 1 MiB share, files of at most a quarter of it
    const ring = new PcapRing({ dir, worker: 0, maxBytes: MIB, bufferBytes: 64 * 1024 });
    const frame = udpFrame(1000);
    const t0 = 1_700_000_000;

    // Act: 5 MB through a 1 MiB ring
    for (let i = 0; i < 5000; i++) ring.write(frame, 0, frame.length, t0 + i / 1000, frame.length);
    ring.finish();

    // Assess
    const files = readdirSync(dir).sort();
    const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(MIB);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const c = ring.counters();
    expect(c.deletedFiles).toBeGreaterThan(0);
    expect(c.diskBytes).toBe(bytes);
    // What is left is the newest traffic: the last frame is in the last file, the first frame in none.
    const starts = files.map((f) => parseClosedName(f)!.startMicros);
    expect(Math.min(...starts)).toBeGreaterThan(t0 * 1e6);
    expect(Math.max(...files.map((f) => parseClosedName(f)!.endMicros))).toBe(Math.round((t0 + 4.999) * 1e6));
    for (const f of files) expect(readBack(join(dir, f)).length).toBeGreaterThan(0);
  });

  it("closes a file when its first packet is rotateSeconds old, even without traffic", () => {
    // Prepare
    const closed: ClosedPcap[] = [];
    const ring = new PcapRing({
      dir,
      worker: 1,
      maxBytes: 10 * MIB,
      rotateSeconds: 60,
      onClosed: (f) => closed.push(f),
    });
    const frame = udpFrame(100);
    ring.write(frame, 0, frame.length, 1000, 100);

    // Act
    ring.tick(1059);
    const before = closed.length;
    ring.tick(1060);

    // Assess
    expect(before).toBe(0);
    expect(closed.map((f) => f.name)).toEqual(["1000000000-1000000000-w1.pcap"]);
  });

  it("counts a refused write without throwing, pauses writing, and starts a new file later", () => {
    // Prepare
    const wfs = countingFs();
    const ring = new PcapRing({ dir, worker: 0, maxBytes: 100 * MIB, bufferBytes: 64 * 1024, fs: wfs });
    const frame = udpFrame(1000);
    for (let i = 0; i < 100; i++) ring.write(frame, 0, frame.length, 1000 + i / 1000, 1000);

    // Act: the disk fills; packets keep coming
    wfs.full = true;
    expect(() => {
      for (let i = 100; i < 200; i++) ring.write(frame, 0, frame.length, 1000 + i / 1000, 1000);
    }).not.toThrow();
    const during = ring.counters();
    wfs.full = false;
    ring.write(frame, 0, frame.length, 1001, 1000); // still paused
    ring.write(frame, 0, frame.length, 1000.2 + RETRY_SECONDS, 1000); // after the pause
    ring.finish();

    // Assess
    expect(during.writeErrors).toBe(1);
    expect(during.lastError).toMatch(/ENOSPC/);
    const after = ring.counters();
    expect(after.droppedPackets).toBeGreaterThan(0);
    expect(after.packets + after.droppedPackets).toBe(202);
    // The part written before the refusal is kept as a closed file, and a new file began after the pause.
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    expect(readBack(join(dir, files[1]!))).toHaveLength(1);
  });

  it("after a restart counts the previous files against the bound and closes one left open", () => {
    // Prepare
    const frame = udpFrame(1000);
    const first = new PcapRing({ dir, worker: 0, maxBytes: 10 * MIB });
    for (let i = 0; i < 100; i++) first.write(frame, 0, frame.length, 1000 + i / 100, 1000);
    first.finish();
    const crashed = join(dir, "2000000000-7.pcap");
    fs.copyFileSync(join(dir, readdirSync(dir)[0]!), crashed);
    writeFileSync(join(dir, "unrelated.txt"), "x");

    // Act
    const closed: ClosedPcap[] = [];
    const second = new PcapRing({ dir, worker: 0, maxBytes: 10 * MIB, onClosed: (f) => closed.push(f) });

    // Assess
    expect(second.files()).toHaveLength(2);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.name).toMatch(/^2000000000-\d+-w0\.pcap$/);
    expect(second.counters().diskBytes).toBe(2 * statSync(closed[0]!.path).size);
  });

  it("deletes a file's upload marker with it, never counts markers, and drops stray ones at start", () => {
    // Prepare: closed files, each marked uploaded, and a marker whose file is gone
    const frame = udpFrame(1000);
    const first = new PcapRing({ dir, worker: 0, maxBytes: MIB, bufferBytes: 64 * 1024 });
    for (let i = 0; i < 300; i++) first.write(frame, 0, frame.length, 1000 + i / 1000, 1000);
    first.finish();
    for (const f of first.files()) writeFileSync(uploadedMarker(f.path), "");
    writeFileSync(join(dir, "5-6-w0.pcap.uploaded"), "");
    const kept = first.files().length;

    // Act: a restart adopts them, then 3 MB more turn the 1 MiB ring
    const second = new PcapRing({ dir, worker: 0, maxBytes: MIB, bufferBytes: 64 * 1024 });
    const adopted = second.counters();
    for (let i = 0; i < 3000; i++) second.write(frame, 0, frame.length, 2000 + i / 1000, 1000);
    second.finish();

    // Assess
    expect(adopted.closedFiles).toBe(kept);
    expect(existsSync(join(dir, "5-6-w0.pcap.uploaded"))).toBe(false);
    const names = readdirSync(dir);
    const markers = names.filter((n) => n.endsWith(".uploaded"));
    expect(second.counters().deletedFiles).toBeGreaterThanOrEqual(kept);
    // Every marker left has its file: the deleted files' markers went with them.
    for (const m of markers) expect(names).toContain(m.slice(0, -".uploaded".length));
    expect(second.counters().closedFiles).toBe(names.length - markers.length);
  });
});
