// --checksums auto judges a failing checksum by its sending host: offload-shaped failures are
// kept, a host that fails as a rule is relaxed, a good host's lone corrupt packet is dropped as
// Zeek drops it. Real captures (nDPI's sites.pcapng, whose hosts offload) and crafted ones built
// from real packets (a late-starting offload, a lone corruption, a host with stale checksums).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { EngineOptions } from "../../sensor-ami/src/engine/options.js";
import { buildInspector } from "../../sensor-ami/src/inspect/index.js";
import { CORPUS_DIR, corpusAvailable, runCapture } from "../support/corpus.js";
import { type CraftedFrame, layoutOf, readFrames, transportChecksumAt, writePcap } from "./pcap-craft.js";

function analyze(capture: string, checksums: EngineOptions["verifyChecksums"]) {
  return runCapture(capture, { engine: { verifyChecksums: checksums }, inspector: buildInspector });
}

function serverNames(run: ReturnType<typeof analyze>): string[] {
  return [...new Set((run.logs.get("ssl") ?? []).map((r) => r.server_name as string).filter(Boolean))].sort();
}

/** tshark's ClientHello SNIs of a corpus capture (its .tshark.tsv peer output). */
function tsharkServerNames(capture: string): string[] {
  const [head, ...rows] = readFileSync(join(CORPUS_DIR, `${capture}.tshark.tsv`), "utf8")
    .trim()
    .split("\n");
  const col = head.split("\t");
  const type = col.indexOf("tls.handshake.type");
  const sni = col.indexOf("tls.handshake.extensions_server_name");
  const names = rows
    .map((r) => r.split("\t"))
    .filter((f) => f[type].split(",").includes("1") && f[sni] !== "")
    .map((f) => f[sni]);
  return [...new Set(names)].sort();
}

/** Clean HTTP traffic (49 packets whose checksums verify), then a TLS session, shifted to follow it. */
function cleanThenTls(): { frames: CraftedFrame[]; tls: CraftedFrame[] } {
  const first = readFrames("zeek/http__pipelined-requests.pcap");
  const tls = readFrames("zeek/tls__tls-conn-with-extensions.pcap");
  const shift = first[first.length - 1].ts + 1 - tls[0].ts;
  for (const f of tls) f.ts += shift;
  return { frames: [...first, ...tls], tls };
}

const CLIENT = "192.168.1.105";
const SERVER = "74.125.224.79";

describe.skipIf(!corpusAvailable())("--checksums auto: offloading judged per sending host", () => {
  it("keeps every TLS handshake of a real capture whose hosts offload (tshark's SNIs, all of them)", () => {
    // Prepare
    const cap = "ndpi/sites.pcapng";
    const expected = tsharkServerNames(cap);
    // Act
    const auto = analyze(cap, "auto");
    const zeek = analyze(cap, true);
    // Assess: `on` (Zeek) drops the offloaded handshakes; auto keeps each one tshark decodes.
    expect(expected.length).toBeGreaterThan(50);
    expect(serverNames(zeek).length).toBeLessThan(expected.length);
    expect(serverNames(auto)).toEqual(expected);
    const cs = auto.result.checksums!;
    expect(cs.dropped).toBe(0);
    expect(cs.hosts).toBe(auto.result.weirds.get("checksum_offload_detected"));
    const named = (auto.logs.get("weird") ?? []).filter((w) => w.name === "checksum_offload_detected");
    expect(named.map((w) => String(w.addl).split(":")[0])).toContain("192.168.1.245");
    expect(auto.result.weirds.get("bad_TCP_checksum")).toBeUndefined();
  });

  it("relaxes a host whose offloading starts after 49 good packets, and only that host", () => {
    // Prepare: the TLS client's checksums become what an offloading sender leaves (the pseudo-header sum).
    const { frames, tls } = cleanThenTls();
    const reference = analyze(writePcap(frames), "auto");
    let rewritten = 0;
    for (const f of tls) {
      const l = layoutOf(f.data);
      if (l === null || l.proto !== 6 || l.src !== CLIENT) continue;
      const at = transportChecksumAt(l);
      f.data[at] = l.partialSum >> 8;
      f.data[at + 1] = l.partialSum & 0xff;
      rewritten++;
    }
    const path = writePcap(frames);
    // Act
    const auto = analyze(path, "auto");
    const zeek = analyze(path, true);
    // Assess
    expect(rewritten).toBeGreaterThan(20);
    expect(serverNames(zeek)).toEqual([]);
    const ssl = auto.logs.get("ssl") ?? [];
    expect(ssl).toHaveLength(1);
    expect(ssl[0]).toMatchObject({ server_name: "ssl.gstatic.com", established: true });
    expect(ssl[0].ja3).toBe((reference.logs.get("ssl") ?? [])[0].ja3);
    expect(auto.result.checksums).toMatchObject({ hosts: 1, kept: rewritten, dropped: 0 });
    expect(auto.result.checksums!.listed[0]).toMatchObject({ addr: CLIENT, packet: 49 + 1 });
    const conn = (auto.logs.get("conn") ?? []).find((c) => c["id.orig_h"] === CLIENT);
    const refConn = (reference.logs.get("conn") ?? []).find((c) => c["id.orig_h"] === CLIENT);
    expect(conn).toMatchObject({ history: refConn!.history, orig_pkts: refConn!.orig_pkts });
  });

  it("drops a lone corrupt packet of a host whose checksums verify, as Zeek does", () => {
    // Prepare: one server packet in mid-session gets a checksum that fits no offload pattern.
    const { frames, tls } = cleanThenTls();
    const victim = tls.filter((f) => layoutOf(f.data)?.src === SERVER)[5];
    const l = layoutOf(victim.data)!;
    victim.data[transportChecksumAt(l)] ^= 0x5a;
    // Act
    const auto = analyze(writePcap(frames), "auto");
    // Assess
    expect(auto.result.checksums).toMatchObject({ hosts: 0, kept: 0, dropped: 1 });
    expect(auto.result.weirds.get("bad_TCP_checksum")).toBe(1);
    const conn = (auto.logs.get("conn") ?? []).find((c) => c["id.resp_h"] === SERVER);
    expect(conn!.history).toContain("c");
  });

  it("relaxes a host whose checksums are wrong as a rule from its second failure on", () => {
    // Prepare: a driver that leaves stale values (no offload shape) in every client segment.
    const { frames, tls } = cleanThenTls();
    let spoiled = 0;
    for (const f of tls) {
      const l = layoutOf(f.data);
      if (l === null || l.proto !== 6 || l.src !== CLIENT) continue;
      f.data[transportChecksumAt(l)] ^= 0xa5;
      spoiled++;
    }
    // Act
    const auto = analyze(writePcap(frames), "auto");
    // Assess: the first failure is dropped (it could be corruption), every later one kept.
    expect(auto.result.checksums).toMatchObject({ hosts: 1, kept: spoiled - 1, dropped: 1 });
    expect(auto.result.checksums!.listed[0].reason).toBe("2 of its last 2 checksums failed");
    expect(serverNames(auto)).toEqual(["ssl.gstatic.com"]);
  });
});
