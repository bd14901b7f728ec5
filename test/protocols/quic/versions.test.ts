// QUIC versions beyond v1/v2/draft-29 (issue #10, class A6), on real packets from bench/bench.pcap
// (fixtures/quic-versions.json): Facebook mvfst 0xfaceb001 (nDPI quic-mvfst-22.pcap) and 0xfaceb00e
// (quic-mvfst-exp.pcap), the version-negotiation-forcing 0x0a0a0a0a (quic_interop_V.pcapng) and
// 0xbabababa (quic-forcing-vn-with-data.pcapng), and a padded DNSCrypt query to port 443
// (dnscrypt-v1-and-resolver-pings.pcap) that is not QUIC. tshark 4.0 decrypts the same client Initials; its
// SNI and ALPN are the oracle.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { quic } from "../../../sensor-ami/src/protocols/quic/index.js";
import { quicVersionInfo } from "../../../sensor-ami/src/protocols/quic/versions.js";
import { bytesOf, type Fixture, flowsOf, RecordingContext } from "./support.js";

interface VersionsFixture extends Fixture {
  tshark: { frame: number; version: string; serverName: string; alpn: string }[];
  /** A padded DNSCrypt certificate query to port 443 (not QUIC). */
  dnscrypt: { source: string; hex: string };
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/quic-versions.json", import.meta.url), "utf8"),
) as VersionsFixture;
const flows = flowsOf(fixture);

type Flow = (typeof flows)[number];

/** Replay one UDP flow through the factory-made analyzer, as the engine would. */
function replay(flow: Flow, edit?: (bytes: Uint8Array, index: number) => Uint8Array) {
  const ctx = new RecordingContext();
  const analyzer = quic.create?.(ctx);
  if (analyzer === undefined) throw new Error("the quic factory must create analyzers");
  flow.datagrams.forEach(({ isOrig, d }, index) => {
    const bytes = bytesOf(d.hex);
    analyzer.packet(isOrig, edit === undefined ? bytes : edit(bytes, index), d.ts);
  });
  analyzer.end(flow.datagrams[flow.datagrams.length - 1].d.ts);
  return { ctx, records: ctx.records("quic") };
}

/** tshark's decrypted ClientHello of a flow: the first of its datagrams tshark has one for. */
function tsharkHello(flow: Flow) {
  return fixture.tshark.find((h) => flow.datagrams.some(({ d }) => d.frame === h.frame));
}

const versionOf = (flow: Flow): string => flow.datagrams[0].d.hex.slice(2, 10);

describe("Facebook mvfst Initials are decrypted with their draft salts", () => {
  it.each([
    ["faceb001", "mvfst (faceb001)"],
    ["faceb00e", "mvfst (faceb00e)"],
  ])("0x%s: quic.log has tshark's SNI and first ALPN, service quic and ssl", (version, name) => {
    // Prepare
    const flow = flows.find((f) => versionOf(f) === version)!;
    const expected = tsharkHello(flow)!;
    // Act
    const { ctx, records } = replay(flow);
    // Assess
    expect(records[0].version).toBe(name);
    expect(records[0].server_name).toBe(expected.serverName);
    expect(records[0].client_protocol).toBe(expected.alpn.split(",")[0]);
    expect(records[0].history).toMatch(/^IS/);
    expect([...ctx.confirmed].sort()).toEqual(["quic", "ssl"]);
    expect(ctx.weirds.map((w) => w.name)).not.toContain("QUIC_initial_keys_unknown_for_version");
  });

  it("faceb002 shares faceb00e's salt, faceb001 draft-22's (as Wireshark and nDPI)", () => {
    expect(quicVersionInfo(0xfaceb002)?.salt).toEqual(quicVersionInfo(0xfaceb00e)?.salt);
    expect(quicVersionInfo(0xfaceb002)?.salt).toEqual(quicVersionInfo(0xff00001b)?.salt);
    expect(quicVersionInfo(0xfaceb001)?.salt).toEqual(quicVersionInfo(0xff000016)?.salt);
  });
});

describe("versions missing from the table", () => {
  const forcing = flows.filter((f) => versionOf(f) === "0a0a0a0a");

  it("has real 0x0a0a0a0a flows to test", () => {
    expect(forcing.length).toBeGreaterThanOrEqual(5);
  });

  it.each(forcing.map((f) => [f.orig, f]))(
    "0x0a0a0a0a from %s: a public salt that fits decrypts it; SNI as tshark's",
    (_orig, flow) => {
      // Prepare
      const expected = tsharkHello(flow)!;
      // Act
      const { ctx, records } = replay(flow);
      // Assess: named as Zeek names an unknown version, read with the salt that authenticates.
      expect(records[0].version).toBe("unknown-a0a0a0a");
      expect(records[0].server_name).toBe(expected.serverName);
      expect(records[0].history).toMatch(/^IS/);
      expect(ctx.confirmed.has("quic")).toBe(true);
      expect(ctx.violations).toEqual([]);
    },
  );

  it("a padded client Initial of a version no salt fits: one U record, service quic, no violation", () => {
    // Prepare: the mvfst flow with its version rewritten in every long header (the version is
    // authenticated as part of the header, so no salt can fit any more).
    const flow = flows.find((f) => versionOf(f) === "faceb001")!;
    const rewrite = (bytes: Uint8Array) => {
      const out = Uint8Array.from(bytes);
      if ((out[0] & 0x80) !== 0) out.set([0x5a, 0x6b, 0x7c, 0x8d], 1);
      return out;
    };
    // Act
    const { ctx, records } = replay(flow, rewrite);
    // Assess
    expect(records.map((r) => [r.version, r.history])).toEqual([["unknown-5a6b7c8d", "U"]]);
    expect(ctx.confirmed.has("quic")).toBe(true);
    expect(ctx.confirmed.has("ssl")).toBe(false);
    expect(ctx.violations).toEqual([]);
  });

  it("a short datagram of an unknown version is not taken for QUIC (violation, as before)", () => {
    // Prepare: the first client Initial of that flow, version rewritten and cut to 600 bytes.
    const flow = flows.find((f) => versionOf(f) === "faceb001")!;
    const first = Uint8Array.from(bytesOf(flow.datagrams[0].d.hex).subarray(0, 600));
    first.set([0x5a, 0x6b, 0x7c, 0x8d], 1);
    const ctx = new RecordingContext();
    const analyzer = quic.create?.(ctx);
    // Act
    analyzer?.packet(true, first, 1);
    analyzer?.end(2);
    // Assess
    expect(ctx.confirmed.size).toBe(0);
    expect(ctx.violations).toHaveLength(1);
  });

  it("a padded DNSCrypt query on port 443 (a long header by accident) is not taken for QUIC", () => {
    // Prepare: its first byte 0xc5 and the bytes after read as an unknown version with a 1-byte DCID.
    const query = bytesOf(fixture.dnscrypt.hex);
    const ctx = new RecordingContext();
    const analyzer = quic.create?.(ctx);
    // Act
    analyzer?.packet(true, query, 1);
    analyzer?.end(2);
    // Assess: logged as Zeek would (U), but no service and analysis stops.
    expect(query.length).toBeGreaterThanOrEqual(1200);
    expect(ctx.records("quic").map((r) => r.history)).toEqual(["U"]);
    expect(ctx.confirmed.size).toBe(0);
    expect(ctx.violations).toHaveLength(1);
  });

  it("0xbabababa then v1: the forcing packet is noted once and the v1 handshake is still read", () => {
    // Prepare
    const flow = flows.find((f) => versionOf(f) === "babababa")!;
    // Act
    const { ctx, records } = replay(flow);
    // Assess: the forcing Initial's own record, then the v1 session with its ClientHello.
    expect(records[0].version).toBe("unknown-babababa");
    const v1 = records.find((r) => r.version === "1");
    expect(v1?.history).toMatch(/^IS/);
    expect(ctx.confirmed.has("quic")).toBe(true);
    expect(ctx.violations).toEqual([]);
  });
});
