// The analyzer on real captures, against Zeek's quic.log/ssl.log baselines and tshark's own
// decryption of the same Initials. Disagreements with a peer are asserted explicitly, with the reason.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { QuicAnalyzer } from "../../../sensor-ami/src/protocols/quic/analyzer.js";
import { quic } from "../../../sensor-ami/src/protocols/quic/index.js";
import { tlsHelloInspectors } from "../../../sensor-ami/src/protocols/quic/tls-hello.js";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import {
  bytesOf,
  flowsOf,
  loadFixture,
  RecordingContext,
  readZeekLog,
  type TsharkClientHello,
  tsharkClientHellos,
} from "./support.js";

const CAPTURES = [
  "quic__chromium-115.0.5790.110-api-cirrus-com.pcap",
  "quic__firefox-102.13.0esr-blog-cloudflare-com.pcap",
  "quic__quic_win11_firefox_google.pcap",
  "quic_frags_ch_in_multiple_packets.pcapng",
  "quic-v2.pcapng",
  "quic-frag__input.pcap",
  "quic-tls-handshake.pcapng",
] as const;

/** Replay a capture's single UDP flow through the factory-made analyzer, as the engine would. */
function replay(name: string, maxHistoryLength?: number) {
  const fixture = loadFixture(name);
  const flows = flowsOf(fixture);
  const ctx = new RecordingContext();
  const analyzer =
    maxHistoryLength === undefined
      ? quic.create?.(ctx)
      : new QuicAnalyzer(ctx, tlsHelloInspectors, { maxHistoryLength });
  if (analyzer === undefined) throw new Error("the quic factory must create analyzers");
  for (const { isOrig, d } of flows[0].datagrams) analyzer.packet(isOrig, bytesOf(d.hex), d.ts);
  analyzer.end(fixture.datagrams[fixture.datagrams.length - 1].ts);
  return { ctx, flows, records: ctx.records("quic") };
}

const ZEEK_QUIC_FIELDS = [
  "version",
  "client_initial_dcid",
  "client_scid",
  "server_scid",
  "server_name",
  "client_protocol",
  "history",
] as const;

const SSL_FIELDS = [
  "version",
  "cipher",
  "curve",
  "server_name",
  "resumed",
  "last_alert",
  "next_protocol",
  "established",
  "ssl_history",
] as const;

const zeekBool = (value: unknown) => (value === true ? "T" : value === false ? "F" : value);

/** Render a record value the way Zeek's ASCII writer does (unset "-", empty "(empty)"). */
function zeekAscii(value: unknown): string {
  if (value === undefined) return "-";
  if (value === "") return "(empty)";
  return String(value);
}

describe("Zeek quic.log baselines", () => {
  it.each([
    "quic__chromium-115.0.5790.110-api-cirrus-com.pcap",
    "quic__firefox-102.13.0esr-blog-cloudflare-com.pcap",
  ])("%s: every quic.log field matches", (name) => {
    // Prepare
    const expected = readZeekLog(`${name}.quic.log`);
    // Act
    const { records, ctx } = replay(name);
    // Assess
    expect(records).toHaveLength(expected.length);
    for (const field of ZEEK_QUIC_FIELDS) {
      expect({ field, value: zeekAscii(records[0][field]) }).toEqual({ field, value: expected[0][field] });
    }
    expect([...ctx.confirmed].sort().join(",")).toBe("quic,ssl"); // conn.log.cut: service quic,ssl
    expect(ctx.weirds).toEqual([]);
  });

  it("QUIC::max_history_length=3 truncates the history and reports the weird once", () => {
    // Prepare
    const expected = readZeekLog(
      "quic__firefox-102.13.0esr-blog-cloudflare-com.pcap.max-history-3.quic.log.cut",
    );
    // Act
    const { records, ctx } = replay("quic__firefox-102.13.0esr-blog-cloudflare-com.pcap", 3);
    // Assess
    expect(records[0].history).toBe(expected[0].history);
    expect(ctx.weirds.map((w) => w.name)).toEqual(["QUIC_max_history_length_reached"]);
  });

  it.each([
    "quic__chromium-115.0.5790.110-api-cirrus-com.pcap",
    "quic__firefox-102.13.0esr-blog-cloudflare-com.pcap",
    "quic__quic_win11_firefox_google.pcap",
  ])("%s: ssl.log from the Initial hellos matches Zeek's ssl.log", (name) => {
    // Prepare
    const [expected] = readZeekLog(`${name}.ssl.log`);
    // Act
    const { ctx } = replay(name);
    const ssl = ctx.records("ssl");
    // Assess
    expect(ssl).toHaveLength(1);
    for (const field of SSL_FIELDS) {
      expect({ field, value: zeekAscii(zeekBool(ssl[0][field])) }).toEqual({ field, value: expected[field] });
    }
    expect(String(ssl[0].ja4)).toMatch(/^q13/);
  });

  it("win11 Firefox → Google: server_name agrees with Zeek's ssl.log", () => {
    // Prepare
    const expected = readZeekLog("quic__quic_win11_firefox_google.pcap.ssl.log");
    // Act
    const { records, ctx } = replay("quic__quic_win11_firefox_google.pcap");
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0].server_name).toBe(expected[0].server_name);
    expect(ctx.confirmed.has("ssl")).toBe(true);
  });
});

// --- tshark oracle ---------------------------------------------------------------------------

const isGrease = (v: number) => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
const hexList = (s: string) =>
  s === "" ? [] : s.split(",").map((x) => Number.parseInt(x, x.startsWith("0x") ? 16 : 10));
const hex4 = (v: number) => v.toString(16).padStart(4, "0");
const sha12 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);
const EXT_DELEGATED_CREDENTIALS = 34;

/**
 * JA4 parts recomputed from tshark's dissection of the same decrypted ClientHello (FoxIO JA4 spec).
 * tshark prints delegated_credentials' signature schemes in the same field as signature_algorithms,
 * so the `c` part is only derivable when that extension is absent.
 */
function ja4FromTshark(row: TsharkClientHello): { a: string; b: string; c: string | undefined } {
  const ciphers = hexList(row["tls.handshake.ciphersuite"]).filter((v) => !isGrease(v));
  const exts = hexList(row["tls.handshake.extension.type"]).filter((v) => !isGrease(v));
  const versions = hexList(row["tls.handshake.extensions.supported_version"]).filter((v) => !isGrease(v));
  const top = Math.max(...versions);
  const version = top === 0x0304 ? "13" : top === 0x0303 ? "12" : "00";
  const alpn = row["tls.handshake.extensions_alpn_str"].split(",")[0] ?? "";
  const alpnCode = alpn === "" ? "00" : `${alpn[0]}${alpn[alpn.length - 1]}`;
  const two = (n: number) => String(Math.min(n, 99)).padStart(2, "0");
  const a = `q${version}${exts.includes(0) ? "d" : "i"}${two(ciphers.length)}${two(exts.length)}${alpnCode}`;
  const b = sha12(ciphers.map(hex4).sort().join(","));
  const sorted = exts
    .filter((e) => e !== 0 && e !== 16)
    .map(hex4)
    .sort()
    .join(",");
  const sigs = hexList(row["tls.handshake.sig_hash_alg"])
    .filter((v) => !isGrease(v))
    .map(hex4)
    .join(",");
  const c = exts.includes(EXT_DELEGATED_CREDENTIALS)
    ? undefined
    : sha12(sigs === "" ? sorted : `${sorted}_${sigs}`);
  return { a, b, c };
}

const TSHARK_VERSION_NAMES: Record<string, string> = { "0x00000001": "1", "0x6b3343cf": "quicv2" };

describe("tshark oracle: SNI, ALPN, version and JA4 of the decrypted client Initial", () => {
  const hellos = tsharkClientHellos();
  it.each(CAPTURES)("%s", (name) => {
    // Prepare
    const [row] = hellos[name];
    // Act
    const { records, ctx } = replay(name);
    // Assess
    expect(records).toHaveLength(1);
    const r: LogRecord = records[0];
    const sni = row["tls.handshake.extensions_server_name"];
    expect(r.server_name).toBe(sni === "" ? undefined : sni);
    expect(r.client_protocol).toBe(row["tls.handshake.extensions_alpn_str"].split(",")[0]);
    expect(r.version).toBe(TSHARK_VERSION_NAMES[row["quic.version"].split(",")[0]]);
    const [a, b, c] = String(r.ja4).split("_");
    const oracle = ja4FromTshark(row);
    expect(a).toBe(oracle.a);
    expect(b).toBe(oracle.b);
    if (oracle.c !== undefined) expect(c).toBe(oracle.c);
    expect(ctx.records("ssl")[0]?.ja3).toBe(row["tls.handshake.ja3"]);
    expect(ctx.violations).toEqual([]);
  });
});

describe("ClientHellos spread over several packets and datagrams", () => {
  it("ndpi quic_frags_ch_in_multiple_packets: CRYPTO from two datagrams (frames 1–2) reassembles", () => {
    // Act
    const { records } = replay("quic_frags_ch_in_multiple_packets.pcapng");
    // Assess: 'II' before 'S' — the hello completes only with the second client Initial.
    expect(records[0].history).toMatch(/^IIS/);
    expect(records[0].client_protocol).toBe("h3-34");
  });

  it("suricata-verify quic-frag: ClientHello completes in frame 2 (tshark reports it there)", () => {
    // Act
    const { records } = replay("quic-frag__input.pcap");
    // Assess
    expect(records[0].history).toMatch(/^IIS/);
    expect(records[0].server_name).toBe("token.services.mozilla.com");
  });
});

describe("nDPI's JA4 (ndpi.out) — documented disagreements", () => {
  it("quic-v2.pcapng: nDPI prints q13d0310h0 although the only ALPN is h3; we follow the spec", () => {
    // Act
    const { records } = replay("quic-v2.pcapng");
    // Assess: identical b/c hashes, only nDPI's ALPN characters differ.
    expect(records[0].ja4).toBe("q13d0310h3_55b375c5d22e_0a3b52e28cea");
  });

  it("quic_frags: nDPI prints q00d0307h3_…_af0a630e9e67; SNI is absent and ALPN[0] is h3-34", () => {
    // Act
    const { records } = replay("quic_frags_ch_in_multiple_packets.pcapng");
    const [a, b, c] = String(records[0].ja4).split("_");
    // Assess: supported_versions is 0304,7f1c,7f1b,7f1a: the highest (draft 0x7f1c) maps to "00" as
    // in FoxIO's reference; no server_name extension → "i" (tshark lists none); first ALPN "h3-34"
    // → "h4". Both hashes agree with nDPI: only its `a` part (SNI flag, ALPN code) is off.
    expect(a).toBe("q00i0307h4");
    expect(b).toBe("55b375c5d22e");
    expect(c).toBe("af0a630e9e67");
  });
});

describe("FoxIO JA4 reference", () => {
  it("ja4 quic-tls-handshake.pcapng (Chrome → www.google.com) gives Chrome's published QUIC JA4", () => {
    // The corpus .ja4.json for this capture is empty (FoxIO's Python omits QUIC); FoxIO's Rust
    // snapshot for chrome-cloudflare-quic-with-secrets.pcapng lists q13d0310h3_55b375c5d22e_cd85d2d88918
    // for the same Chrome QUIC ClientHello shape.
    // Act
    const { records } = replay("quic-tls-handshake.pcapng");
    // Assess
    expect(records[0].ja4).toBe("q13d0310h3_55b375c5d22e_cd85d2d88918");
  });
});

describe("Google QUIC (ndpi quic.pcap: Q024/Q025/Q030/Q033 plaintext CHLOs)", () => {
  const oracle = JSON.parse(
    readFileSync(new URL("./fixtures/tshark-gquic-sni.json", import.meta.url), "utf8"),
  ) as { frame: string; version: string; sni: string }[];
  const fixture = loadFixture("quic.pcap");

  function analyzeFlows() {
    return flowsOf(fixture).map((flow) => {
      const ctx = new RecordingContext();
      const analyzer = quic.create?.(ctx);
      if (analyzer === undefined) throw new Error("the quic factory must create analyzers");
      for (const { isOrig, d } of flow.datagrams) analyzer.packet(isOrig, bytesOf(d.hex), d.ts);
      analyzer.end(0);
      return { frames: new Set(flow.datagrams.map(({ d }) => d.frame)), ctx, records: ctx.records("quic") };
    });
  }

  it("the first CHLO of every flow gives tshark's SNI and version (gquic.tag.sni)", () => {
    // Prepare: tshark's first CHLO per flow
    const flows = analyzeFlows();
    const firstPerFlow = new Map<(typeof flows)[number], (typeof oracle)[number]>();
    for (const row of oracle) {
      const flow = flows.find((f) => f.frames.has(Number(row.frame)));
      if (flow !== undefined && !firstPerFlow.has(flow)) firstPerFlow.set(flow, row);
    }
    // Assess
    expect(firstPerFlow.size).toBe(8); // nDPI's .ndpi.out lists the same 8 hostnames
    for (const [flow, row] of firstPerFlow) {
      expect({
        frame: row.frame,
        sni: flow.records[0]?.server_name,
        version: flow.records[0]?.version,
      }).toEqual({
        frame: row.frame,
        sni: row.sni,
        version: row.version,
      });
      expect(flow.ctx.confirmed.has("quic")).toBe(true);
    }
  });

  it("the Q033 flow without an SNI tag and the mid-stream flow, as nDPI (no hostname; port match only)", () => {
    // Act
    const flows = analyzeFlows();
    const logged = flows.filter((f) => f.records.length > 0);
    const withoutSni = logged.filter((f) => f.records[0].server_name === undefined);
    const silent = flows.filter((f) => f.records.length === 0);
    // Assess
    expect(flows).toHaveLength(10);
    expect(withoutSni.map((f) => f.records[0].version)).toEqual(["Q033"]);
    expect(silent).toHaveLength(1); // 40461 → 443 starts mid-stream: no versioned packet, no CHLO
  });
});

describe("FoxIO's Rust JA4 on every QUIC flow of ja4/tls-handshake.pcapng and ja4/tls3.pcapng", () => {
  const foxio = JSON.parse(
    readFileSync(new URL("./fixtures/expected/foxio-rust-quic-ja4.json", import.meta.url), "utf8"),
  ) as Record<string, { src_port: number; tls_server_name: string; ja4: string }[]>;

  it.each(["tls-handshake.pcapng", "tls3.pcapng"])("%s: JA4 and SNI per client port", (name) => {
    // Prepare
    const expected = foxio[name];
    // Act: every udp/443 flow through the factory, keyed by the client's port
    const got = new Map<number, LogRecord>();
    for (const flow of flowsOf(loadFixture(name))) {
      const ctx = new RecordingContext();
      const analyzer = quic.create?.(ctx);
      if (analyzer === undefined) throw new Error("the quic factory must create analyzers");
      for (const { isOrig, d } of flow.datagrams) analyzer.packet(isOrig, bytesOf(d.hex), d.ts);
      analyzer.end(0);
      const record = ctx.records("quic")[0];
      if (record !== undefined) got.set(Number(flow.orig.split(":").pop()), record);
    }
    // Assess
    expect(expected.length).toBeGreaterThan(0);
    for (const e of expected) {
      const r = got.get(e.src_port);
      expect({ port: e.src_port, sni: r?.server_name, ja4: r?.ja4 }).toEqual({
        port: e.src_port,
        sni: e.tls_server_name,
        ja4: e.ja4,
      });
    }
  });
});

describe("tshark oracle on multi-flow captures: every decrypted ClientHello's SNI", () => {
  const hellos = tsharkClientHellos();
  it.each(["tls-handshake.pcapng", "tls3.pcapng", "sites.pcapng"])("%s", (name) => {
    // Prepare
    const rows = hellos[name];
    // Act: each udp/443 flow through the factory
    const results = flowsOf(loadFixture(name)).map((flow) => {
      const ctx = new RecordingContext();
      const analyzer = quic.create?.(ctx);
      if (analyzer === undefined) throw new Error("the quic factory must create analyzers");
      for (const { isOrig, d } of flow.datagrams) analyzer.packet(isOrig, bytesOf(d.hex), d.ts);
      analyzer.end(0);
      return { frames: new Set(flow.datagrams.map(({ d }) => d.frame)), record: ctx.records("quic")[0] };
    });
    // Assess: sites.pcapng frame 656 (www.threads.net) is included — its bad UDP checksum only
    // matters to the engine, which drops it like Zeek without -C.
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const flow = results.find((r) => r.frames.has(Number(row["frame.number"])));
      expect({ frame: row["frame.number"], sni: flow?.record?.server_name }).toEqual({
        frame: row["frame.number"],
        sni: row["tls.handshake.extensions_server_name"],
      });
    }
  });
});
