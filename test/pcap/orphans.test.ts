import * as fs from "node:fs";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rehomeOrphanFolders } from "../../sensor-ami/src/pcap/orphans.js";
import { PcapRing } from "../../sensor-ami/src/pcap/ring.js";
import { udpFrame } from "./support.js";

const MIB = 1024 * 1024;
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pcap-orphans-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Fills worker `w`'s folder with about `bytes` of closed files starting at `t0` s, as a run with that worker did. */
function run(w: number, share: number, bytes: number, t0: number): void {
  const ring = new PcapRing({ dir: join(root, `w${w}`), worker: w, maxBytes: share, bufferBytes: 64 * 1024 });
  const frame = udpFrame(1000);
  for (let i = 0; i * 1016 < bytes; i++) ring.write(frame, 0, frame.length, t0 + i / 1000, 1000);
  ring.finish();
}

function bytesUnder(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" }))
    if (f.endsWith(".pcap")) n += statSync(join(dir, f)).size;
  return n;
}

describe("rehomeOrphanFolders", () => {
  it("after a restart with fewer workers, the old workers' files count against the new shares and go first", () => {
    // Prepare: a 4-worker run filled a 4 MiB ring (1 MiB each); one file of w3 was left open by a crash
    const max = 4 * MIB;
    for (let w = 0; w < 4; w++) run(w, max / 4, 0.9 * MIB, 1000 + w);
    const w3 = join(root, "w3");
    fs.copyFileSync(join(w3, readdirSync(w3)[0]!), join(w3, "1500000000-9.pcap"));
    writeFileSync(join(w3, "1-2-w3.pcap.uploaded"), ""); // stray marker
    const oldest = readdirSync(join(root, "w2")).sort()[0]!;
    writeFileSync(join(root, "w2", `${oldest}.uploaded`), "");

    // Act: the restart has 2 workers (2 MiB each): orphans first, then the rings adopt
    const r = rehomeOrphanFolders(root, 2);
    const rings = [0, 1].map(
      (w) => new PcapRing({ dir: join(root, `w${w}`), worker: w, maxBytes: max / 2, bufferBytes: 64 * 1024 }),
    );
    const atStart = bytesUnder(root);
    const listed = readdirSync(root, { recursive: true, encoding: "utf8" });
    // New traffic through the smaller set of workers
    const frame = udpFrame(1000);
    for (const [w, ring] of rings.entries()) {
      for (let i = 0; i < 2500; i++) ring.write(frame, 0, frame.length, 5000 + w + i / 1000, 1000);
      ring.finish();
    }

    // Assess
    expect(r.errors).toEqual([]);
    expect(r.folders.sort()).toEqual([join(root, "w2"), join(root, "w3")]);
    expect(existsSync(join(root, "w2"))).toBe(false);
    expect(existsSync(join(root, "w3"))).toBe(false);
    // The crash-open file was closed on the way; the marker moved with its file; the stray one is gone.
    expect(listed.some((n) => /^w1\/1500000000-\d+-w3\.pcap$/.test(n))).toBe(true);
    expect(listed).toContain(`w0/${oldest}.uploaded`);
    expect(listed.filter((n) => n.includes("1-2-w3"))).toEqual([]);
    expect(r.moved).toBe(listed.filter((n) => /-w[23]\.pcap$/.test(n)).length);
    // Counted: within the bound at start and after; the old workers' files went first.
    expect(atStart).toBeLessThanOrEqual(max);
    expect(bytesUnder(root)).toBeLessThanOrEqual(max);
    const left = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".pcap"));
    expect(left.filter((f) => /-w[23]\.pcap$/.test(f))).toEqual([]);
    expect(rings.reduce((n, ring) => n + ring.counters().diskBytes, 0)).toBe(bytesUnder(root));
  });

  it("leaves the live workers' folders and anything not the ring's alone", () => {
    // Prepare
    run(0, MIB, 0.2 * MIB, 1000);
    mkdirSync(join(root, "w5"));
    writeFileSync(join(root, "w5", "notes.txt"), "keep");
    writeFileSync(join(root, "README"), "x");
    const before = readdirSync(join(root, "w0")).sort();

    // Act
    const r = rehomeOrphanFolders(root, 2);

    // Assess
    expect(r).toEqual({ folders: [join(root, "w5")], moved: 0, errors: [] });
    expect(readdirSync(join(root, "w0")).sort()).toEqual(before);
    expect(readdirSync(join(root, "w5"))).toEqual(["notes.txt"]);
    expect(rehomeOrphanFolders(join(root, "missing"), 1).folders).toEqual([]);
  });
});
