// The TLS stream analyzer on real streams: independence from TCP segmentation, the probe, the
// memory bounds, gaps, non-TLS input, and when the ssl.log record is written.

import { describe, expect, it } from "vitest";
import { TlsAnalyzer } from "../../../sensor-ami/src/protocols/tls/analyzer.js";
import {
  HandshakeAssembler,
  MAX_HANDSHAKE_MESSAGE_BYTES,
} from "../../../sensor-ami/src/protocols/tls/handshake-assembler.js";
import { probeTls, tls } from "../../../sensor-ami/src/protocols/tls/index.js";
import {
  MAX_TLS_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  RecordFramer,
} from "../../../sensor-ami/src/protocols/tls/record-layer.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import {
  chunksOf,
  fixtureNames,
  loadFixture,
  recordingContext,
  replay,
  sslLogs,
  tsharkRows,
} from "./support.js";

const allStreams = fixtureNames().flatMap((name) =>
  loadFixture(name).streams.map((stream) => ({ name, stream })),
);

function withoutTs(records: Record<string, unknown>[]) {
  return records.map(({ ts: _ts, ...rest }) => rest);
}

describe("segmentation independence", () => {
  it.each([7, 300])(
    "logs the same ssl/x509 records when every stream is re-cut into %i-byte segments",
    (size) => {
      for (const { name, stream } of allStreams) {
        // Prepare
        const whole = replay(stream);
        // Act
        const cut = replay(stream, size);
        // Assess
        expect(
          withoutTs(cut.logs.map((l) => ({ path: l.path, ...l.record }))),
          `${name} stream ${stream.stream}`,
        ).toEqual(withoutTs(whole.logs.map((l) => ({ path: l.path, ...l.record }))));
      }
    },
  );

  it("survives one byte per call on the split-ClientHello and SSLv2-hello captures", () => {
    for (const name of [
      "tls-split-client-hello.pcap",
      "tls__tls-client-hello-frag-01__dump_mtu300.pcap",
      "tls_with_huge_ch.pcapng",
      "tls__ssl.v3.pcap",
      "google_ssl.pcap",
    ]) {
      const stream = loadFixture(name).streams[0];
      expect(sslLogs(replay(stream)).length, name).toBe(1);
      expect(sslLogs(replay(stream, 1))).toEqual(
        sslLogs(replay(stream)).map((r) => ({ ...r, ts: expect.any(Number) })),
      );
    }
  });

  it.each([
    ["tls-split-client-hello.pcap", "arkime/tls-split-client-hello.pcap"],
    [
      "tls__tls-client-hello-frag-01__dump_mtu300.pcap",
      "suricata-verify/tls__tls-client-hello-frag-01__dump_mtu300.pcap",
    ],
    ["tls_with_huge_ch.pcapng", "ndpi/tls_with_huge_ch.pcapng"],
  ])("%s: the ClientHello spans several TCP segments and its SNI still matches tshark", (name, capture) => {
    // Prepare
    const stream = loadFixture(name).streams[0];
    const [firstOrig] = chunksOf(stream).filter(([isOrig]) => isOrig);
    const firstRecordLength = (firstOrig[1][3] << 8) | firstOrig[1][4];
    const chRow = tsharkRows(capture).find((r) => r["tls.handshake.type"].split(",").includes("1"))!;
    // Act
    const [record] = sslLogs(replay(stream));
    // Assess
    expect(firstRecordLength + RECORD_HEADER_BYTES).toBeGreaterThan(firstOrig[1].length);
    expect(record.server_name ?? "").toBe(chRow["tls.handshake.extensions_server_name"]);
    expect(record.ja3).toBe(chRow["tls.handshake.ja3"]);
  });
});

describe("probe", () => {
  it("says Yes to the first bytes of every real stream but the HTTP CONNECT tunnel, No to that one", () => {
    for (const { name, stream } of allStreams) {
      const [isOrig, bytes] = chunksOf(stream)[0];
      const tunnelled = name === "http_connect.pcap" && stream.stream === 0;
      const expected = tunnelled ? ProbeResult.No : ProbeResult.Yes;
      expect(probeTls(bytes, isOrig), `${name} stream ${stream.stream}`).toBe(expected);
    }
    const serverFirst = chunksOf(loadFixture("443-curl.pcap").streams[0]).find(([isOrig]) => !isOrig)!;
    expect(probeTls(serverFirst[1], false)).toBe(ProbeResult.Yes);
  });

  it("says No to HTTP, SSH and short input", () => {
    expect(probeTls(new TextEncoder().encode("GET / HTTP/1.1\r\n"), true)).toBe(ProbeResult.No);
    expect(probeTls(new TextEncoder().encode("SSH-2.0-OpenSSH_9.6\r\n"), true)).toBe(ProbeResult.No);
    expect(probeTls(Uint8Array.of(0x16, 3), true)).toBe(ProbeResult.No);
  });

  it("is the factory's probe, and the factory names the service ssl", () => {
    expect(tls.service).toBe("ssl");
    expect(tls.transport).toBe("tcp");
    expect(tls.probe).toBe(probeTls);
    expect(tls.ports).toContain(443);
  });
});

describe("analyzer lifecycle", () => {
  it("writes ssl.log as soon as the session is established, once, and ignores later data", () => {
    // Prepare
    const stream = loadFixture("443-curl.pcap").streams[0];
    const { ctx, recorded } = recordingContext();
    const analyzer = tls.create!(ctx);
    // Act
    for (const [isOrig, bytes] of chunksOf(stream)) analyzer.data(isOrig, bytes, 1);
    const beforeEnd = sslLogs(recorded).length;
    analyzer.data(true, Uint8Array.of(0x17, 3, 3, 0, 1, 0), 2);
    analyzer.end(3);
    // Assess
    expect(beforeEnd).toBe(1);
    expect(sslLogs(recorded)).toHaveLength(1);
    expect(sslLogs(recorded)[0].established).toBe(true);
    expect(recorded.confirmed).toEqual(["ssl"]);
  });

  it("reports a violation and logs nothing for a non-TLS stream", () => {
    // Prepare
    const { ctx, recorded } = recordingContext();
    const analyzer = new TlsAnalyzer(ctx);
    // Act
    analyzer.data(true, new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), 1);
    analyzer.end(2);
    // Assess
    expect(recorded.violations).toHaveLength(1);
    expect(recorded.violations[0]).toMatch(/not a TLS record header \(content type 71/);
    expect(recorded.logs).toEqual([]);
    expect(recorded.confirmed).toEqual([]);
  });

  it("stops at a content gap but still logs what the handshake showed", () => {
    // Prepare
    const stream = loadFixture("443-curl.pcap").streams[0];
    const [clientHello] = chunksOf(stream);
    const { ctx, recorded } = recordingContext();
    const analyzer = new TlsAnalyzer(ctx);
    // Act
    analyzer.data(true, clientHello[1], 1);
    analyzer.gap(false, 1400, 2);
    analyzer.data(false, Uint8Array.of(0x16, 3, 3, 0, 4, 2, 0, 0, 0), 3);
    analyzer.end(4);
    // Assess
    const [record] = sslLogs(recorded);
    expect(record.ssl_history).toBe("C");
    expect(record.server_name).toBe("www.ntop.org");
    expect(record.established).toBe(false);
    expect(recorded.weirds.map((w) => w.name)).toEqual(["SSL_content_gap"]);
  });

  it("marks garbage after a confirmed hello with the sender's q letter and a weird", () => {
    // Prepare
    const { ctx, recorded } = recordingContext();
    const analyzer = new TlsAnalyzer(ctx);
    const clientHello = chunksOf(loadFixture("443-curl.pcap").streams[0])[0][1];
    // Act
    analyzer.data(true, clientHello, 1);
    analyzer.data(false, new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n"), 2);
    analyzer.end(3);
    // Assess
    expect(sslLogs(recorded)[0].ssl_history).toBe("Cq");
    expect(recorded.weirds.map((w) => w.name)).toEqual(["SSL_unknown_content_type"]);
    expect(recorded.violations).toEqual([]);
  });

  it("gives up with a weird on a record longer than TLS allows", () => {
    // Prepare
    const { ctx, recorded } = recordingContext();
    const analyzer = new TlsAnalyzer(ctx);
    const clientHello = chunksOf(loadFixture("443-curl.pcap").streams[0])[0][1];
    // Act
    analyzer.data(true, clientHello, 1);
    analyzer.data(false, Uint8Array.of(0x16, 3, 3, 0xff, 0xff), 2);
    analyzer.end(3);
    // Assess
    expect(recorded.weirds).toEqual([{ name: "SSL_excessive_record_length", addl: "65535" }]);
    expect(sslLogs(recorded)).toHaveLength(1);
  });
});

describe("memory bounds", () => {
  it("buffers at most one record per direction however the bytes arrive", () => {
    // Prepare
    let records = 0;
    const framer = new RecordFramer({ record: () => ++records > 0, problem: () => {} });
    const record = new Uint8Array(RECORD_HEADER_BYTES + MAX_TLS_RECORD_BYTES);
    record.set([0x17, 3, 3, MAX_TLS_RECORD_BYTES >> 8, MAX_TLS_RECORD_BYTES & 0xff]);
    let maxBuffered = 0;
    // Act
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < record.length; i += 1000) {
        framer.push(record.subarray(i, i + 1000));
        maxBuffered = Math.max(maxBuffered, framer.bufferedBytes);
      }
    }
    // Assess
    expect(records).toBe(4);
    expect(maxBuffered).toBeLessThan(RECORD_HEADER_BYTES + MAX_TLS_RECORD_BYTES);
  });

  it("skips an oversized handshake message without buffering it and resumes after it", () => {
    // Prepare
    const assembler = new HandshakeAssembler();
    const seen: number[] = [];
    const oversized: number[] = [];
    const sink = {
      message: (m: { type: number }) => seen.push(m.type),
      oversized: (type: number) => oversized.push(type),
    };
    const length = MAX_HANDSHAKE_MESSAGE_BYTES + 10;
    const header = Uint8Array.of(11, length >> 16, (length >> 8) & 0xff, length & 0xff);
    // Act
    assembler.push(header, sink);
    let maxBuffered = 0;
    for (let sent = 0; sent < length; sent += 16384) {
      assembler.push(new Uint8Array(Math.min(16384, length - sent)), sink);
      maxBuffered = Math.max(maxBuffered, assembler.bufferedBytes);
    }
    assembler.push(Uint8Array.of(14, 0, 0, 0), sink);
    // Assess
    expect(oversized).toEqual([11]);
    expect(maxBuffered).toBe(0);
    expect(seen).toEqual([14]);
  });

  it("reassembles a message of exactly the limit without buffering more than the message", () => {
    // Prepare
    const assembler = new HandshakeAssembler();
    const length = MAX_HANDSHAKE_MESSAGE_BYTES;
    const message = new Uint8Array(4 + length);
    message.set([11, length >> 16, (length >> 8) & 0xff, length & 0xff]);
    const complete: number[] = [];
    let maxBuffered = 0;
    // Act
    for (let offset = 0; offset < message.length; offset += 16384) {
      assembler.push(message.subarray(offset, offset + 16384), {
        message: (m) => complete.push(m.body.length),
        oversized: () => {},
      });
      maxBuffered = Math.max(maxBuffered, assembler.bufferedBytes);
    }
    // Assess
    expect(complete).toEqual([length]);
    expect(maxBuffered).toBeLessThanOrEqual(4 + length);
  });

  it("reassembles a message sent one byte per record in linear space", () => {
    // Prepare: the real ClientHello of ndpi/443-curl.pcap, one byte per handshake record
    const message = chunksOf(loadFixture("443-curl.pcap").streams[0])[0][1].subarray(RECORD_HEADER_BYTES);
    const assembler = new HandshakeAssembler();
    const complete: Uint8Array[] = [];
    // Act
    for (const byte of message)
      assembler.push(Uint8Array.of(byte), {
        message: (m) => complete.push(m.message.slice()),
        oversized: () => {},
      });
    // Assess
    expect(complete).toHaveLength(1);
    expect(Buffer.from(complete[0]).equals(Buffer.from(message))).toBe(true);
    expect(assembler.bufferedBytes).toBe(0);
  });
});

describe("mid-connection start", () => {
  it("logs nothing and does not confirm when only application data is seen", () => {
    // Prepare: the last chunks of a real stream, i.e. protected records only
    const chunks = chunksOf(loadFixture("443-curl.pcap").streams[0]);
    const appData = chunks.filter(([, bytes]) => bytes[0] === 0x17);
    const { ctx, recorded } = recordingContext();
    const analyzer = new TlsAnalyzer(ctx);
    // Act
    for (const [isOrig, bytes] of appData) analyzer.data(isOrig, bytes, 1);
    analyzer.end(2);
    // Assess
    expect(appData.length).toBeGreaterThan(0);
    expect(recorded.logs).toEqual([]);
    expect(recorded.confirmed).toEqual([]);
    expect(recorded.violations).toEqual([]);
  });
});

describe("JA4 transport option", () => {
  it("writes the q form of JA4 when QUIC feeds the hellos, the same fingerprint otherwise", () => {
    // Prepare
    const chunks = chunksOf(loadFixture("443-curl.pcap").streams[0]);
    const run = (options?: { ja4Transport: "q" }) => {
      const { ctx, recorded } = recordingContext();
      const analyzer = new TlsAnalyzer(ctx, options);
      for (const [isOrig, bytes] of chunks) analyzer.data(isOrig, bytes, 1);
      analyzer.end(2);
      return String(sslLogs(recorded)[0].ja4);
    };
    // Act
    const overTcp = run();
    const overQuic = run({ ja4Transport: "q" });
    // Assess
    expect(overTcp[0]).toBe("t");
    expect(overQuic).toBe(`q${overTcp.slice(1)}`);
  });
});

describe("direction flip", () => {
  it.each(["443-curl.pcap", "tls__tls13-ech.pcap", "tls__tls1.2.pcap"])(
    "%s with originator and responder swapped logs the same record, history prefixed with ^",
    (name) => {
      // Prepare
      const stream = loadFixture(name).streams[0];
      const swapped = {
        ...stream,
        chunks: stream.chunks.map(([isOrig, hex]) => [isOrig === 1 ? 0 : 1, hex] as [number, string]),
      };
      // Act
      const normal = replay(stream);
      const flipped = replay(swapped);
      // Assess
      const [expected] = sslLogs(normal);
      expect(sslLogs(flipped)).toEqual([
        { ...expected, ts: expect.any(Number), ssl_history: `^${expected.ssl_history}` },
      ]);
      expect(flipped.logs.filter((l) => l.path === "x509").map((l) => l.record.client_cert)).toEqual(
        normal.logs.filter((l) => l.path === "x509").map((l) => l.record.client_cert),
      );
    },
  );
});

describe("log write failures", () => {
  it("propagate to the caller instead of being swallowed as an analyzer problem", () => {
    // Prepare: a context whose log() fails like a full disk
    const { ctx } = recordingContext();
    const failing = {
      ...ctx,
      log: () => {
        throw new Error("cannot write ssl.log: ENOSPC");
      },
    };
    const analyzer = new TlsAnalyzer(failing);
    const chunks = chunksOf(loadFixture("443-curl.pcap").streams[0]);
    // Act / Assess: the established session is logged during data()
    expect(() => {
      for (const [isOrig, bytes] of chunks) analyzer.data(isOrig, bytes, 1);
    }).toThrow("ENOSPC");
  });
});
