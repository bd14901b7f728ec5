// Engine behaviour on real captures: community ID, VNI separation, bounded memory, weirds.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { communityId } from "../../sensor-ami/src/engine/community-id.js";
import { CORPUS_DIR, corpusAvailable, REPO_ROOT, runCapture } from "../support/corpus.js";

describe("community ID v1", () => {
  it("matches the spec's test vector", () => {
    // Prepare / Act
    const id = communityId({
      src: Uint8Array.of(127, 0, 0, 1),
      dst: Uint8Array.of(10, 0, 0, 1),
      proto: 6,
      sport: 1234,
      dport: 80,
    });
    // Assess
    expect(id).toBe("1:mgRgpIZSu0KHDp/QrtcWZpkJpMU=");
  });

  it("is the same for both directions", () => {
    const a = communityId({
      src: Uint8Array.of(10, 0, 0, 1),
      dst: Uint8Array.of(127, 0, 0, 1),
      proto: 6,
      sport: 80,
      dport: 1234,
    });
    expect(a).toBe("1:mgRgpIZSu0KHDp/QrtcWZpkJpMU=");
  });
});

describe.skipIf(!corpusAvailable())("engine on real captures", () => {
  it("keeps sessions from different VNIs apart even with identical inner addresses", () => {
    // Prepare: the bundled demo is wikipedia.pcap wrapped in three VXLAN sessions (VNI 100, 4096,
    // 16777000) by ../shared/tools/vxlan-wrap.py; the same capture unwrapped is the reference.
    const plain = runCapture("zeek/wikipedia.pcap", { engine: { verifyChecksums: false } });
    // Act
    const wrapped = runCapture(join(REPO_ROOT, "sensor-ami/samples/demo.pcap"), {
      engine: { verifyChecksums: false },
    });
    // Assess
    const inner = (wrapped.logs.get("conn") ?? []).filter((c) => c.vni !== undefined);
    const outer = (wrapped.logs.get("conn") ?? []).filter((c) => c.service === "vxlan");
    expect(new Set(inner.map((c) => c.vni))).toEqual(new Set([100, 4096, 16777000]));
    expect(inner.length).toBe((plain.logs.get("conn") ?? []).length);
    for (const c of inner) {
      expect(c.tunnel_parents).toBeInstanceOf(Array);
      for (const uid of c.tunnel_parents as string[]) expect(outer.some((o) => o.uid === uid)).toBe(true);
    }
  });

  it("bounds live connections: evicts the least recently active, counts it, and loses no record", () => {
    // Prepare / Act
    const bounded = runCapture("ndpi/1kxun.pcap", { engine: { maxConnections: 16, verifyChecksums: false } });
    const free = runCapture("ndpi/1kxun.pcap", { engine: { verifyChecksums: false } });
    // Assess
    expect(bounded.result.stats.evictions).toBeGreaterThan(0);
    expect(bounded.result.weirds.get("connection_table_full")).toBeGreaterThan(0);
    const pkts = (run: typeof free) =>
      (run.logs.get("conn") ?? []).reduce((a, c) => a + Number(c.orig_pkts) + Number(c.resp_pkts), 0);
    // Every tracked packet is still accounted for in some conn record.
    expect(pkts(bounded)).toBe(pkts(free));
  });

  it("never throws on deliberately broken captures and logs weirds with packet numbers", () => {
    for (const cap of [
      "ndpi/badpackets.pcap",
      "zeek/trunc__trunc-hdr.pcap",
      "ndpi/ip_fragmented_garbage.pcap",
      "ndpi/malformed_dns.pcap",
    ]) {
      const run = runCapture(cap);
      const weirds = run.logs.get("weird") ?? [];
      for (const w of weirds) expect(typeof w.packet).toBe("number");
    }
    const trunc = runCapture("zeek/trunc__trunc-hdr.pcap");
    expect(trunc.logs.get("weird")?.[0]).toMatchObject({ name: "truncated_link_header", packet: 1 });
  });

  it("writes Zeek TSV with the #fields header when asked", async () => {
    const { analyzeCapture } = await import("../../sensor-ami/src/cli/analyze.js");
    const dir = join(REPO_ROOT, "out", "test-tsv");
    analyzeCapture({
      capture: join(CORPUS_DIR, "zeek/http__get.pcap"),
      outDir: dir,
      format: "tsv",
      engine: { seed: 1 },
    });
    const text = readFileSync(join(dir, "conn.log"), "utf8");
    expect(text).toMatch(/^#separator \\x09\n/);
    expect(text).toMatch(/#fields\tts\tuid\tid\.orig_h\tid\.orig_p\tid\.resp_h\tid\.resp_p\tproto\tservice/);
    const row = text.split("\n").find((l) => !l.startsWith("#") && l.trim() !== "") ?? "";
    expect(row.split("\t")[11]).toBe("SF");
  });
});
