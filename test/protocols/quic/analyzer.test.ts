// The QUIC state machine on RFC vector packets and packets built with the RFC keys: a full
// handshake start, Retry, CONNECTION_CLOSE, unknown versions and broken input.
import { describe, expect, it } from "vitest";
import { MAX_INITIAL_DECRYPTIONS, QuicAnalyzer } from "../../../sensor-ami/src/protocols/quic/analyzer.js";
import { tlsHelloInspectors } from "../../../sensor-ami/src/protocols/quic/tls-hello.js";
import { TlsAnalyzer } from "../../../sensor-ami/src/protocols/tls/index.js";
import { padded, protectInitial } from "./protect.js";
import { CLIENT_CRYPTO_FRAME, RFC_DCID, V1, V2, type VersionVectors } from "./rfc-vectors.js";
import { RecordingContext } from "./support.js";

const hex = (s: string) => Buffer.from(s, "hex");
const TS = 1_700_000_000;

/** Client Initial long-header prefix: version, DCID 8394c8f03e515708, empty SCID and token. */
function clientPrefix(firstByte: number, version: string) {
  return Buffer.concat([Buffer.from([firstByte]), hex(version), hex(`08${RFC_DCID}`), hex("00"), hex("00")]);
}

function clientInitial(v: VersionVectors, firstByte: number, version: string, frames: Buffer, pn = 2) {
  return protectInitial(v.client, clientPrefix(firstByte, version), padded(frames, 1162), pn);
}

function run(datagrams: [boolean, Uint8Array][], withSslLog = false) {
  const ctx = new RecordingContext();
  const analyzer = new QuicAnalyzer(
    ctx,
    tlsHelloInspectors,
    withSslLog ? { sslAnalyzer: (sslCtx) => new TlsAnalyzer(sslCtx) } : {},
  );
  for (const [i, [isOrig, bytes]] of datagrams.entries()) analyzer.packet(isOrig, bytes, TS + i);
  analyzer.end(TS + datagrams.length);
  return { ctx, records: ctx.records("quic") };
}

describe.each([
  ["v1", V1, 0xc3, "00000001", "1"],
  ["v2", V2, 0xd3, "6b3343cf", "quicv2"],
])("QUIC %s handshake start from the RFC vectors", (_name, v, firstByte, version, versionName) => {
  it("client Initial then server Initial → one quic.log record", () => {
    // Prepare
    const client = clientInitial(v, firstByte, version, hex(CLIENT_CRYPTO_FRAME));
    const server = hex(v.serverPacket);
    // Act
    const { ctx, records } = run([
      [true, client],
      [false, server],
    ]);
    // Assess
    expect(records).toEqual([
      {
        ts: TS,
        version: versionName,
        client_initial_dcid: RFC_DCID,
        client_scid: "",
        server_scid: "f067a5502a4262b5",
        server_name: "example.com",
        client_protocol: "alpn",
        history: "ISis",
        // 2 ciphers (1301, 1302); 11 extensions: 0000 ff01 000a 0010 0005 0033 002b 000d 002d 001c 0039
        ja4: expect.stringMatching(/^q13d0211an_[0-9a-f]{12}_[0-9a-f]{12}$/),
      },
    ]);
    expect([...ctx.confirmed].sort()).toEqual(["quic", "ssl"]);
    expect(ctx.weirds).toEqual([]);
  });
});

describe("QUIC draft-29 client Initial (draft-ietf-quic-tls-29 keys)", () => {
  it("is decrypted with the draft-29 salt and named as Zeek names it", () => {
    // Prepare: the RFC CRYPTO frame protected with the draft's published client keys
    const draft29 = {
      key: "175257a31eb09dea9366d8bb79ad80ba",
      iv: "6b26114b9cba2b63a9e8dd4f",
      hp: "9ddd12c994c0698b89374a9c077a3077",
    };
    const prefix = Buffer.concat([hex("c3ff00001d"), hex(`08${RFC_DCID}`), hex("0000")]);
    const packet = protectInitial(draft29, prefix, padded(hex(CLIENT_CRYPTO_FRAME), 1162), 0);
    // Act
    const { records } = run([[true, packet]]);
    // Assess
    expect(records.map((r) => [r.version, r.server_name, r.history])).toEqual([
      ["draft-29", "example.com", "IS"],
    ]);
  });
});

describe("datagrams as views into the engine's reused buffer", () => {
  it("a datagram at a non-zero offset of a larger buffer gives the same record", () => {
    // Prepare: the RFC client Initial and server Initial inside buffers with junk around them
    const client = clientInitial(V1, 0xc3, "00000001", hex(CLIENT_CRYPTO_FRAME));
    const server = hex(V1.serverPacket);
    const embed = (packet: Buffer, at: number) => {
      const big = Buffer.alloc(at + packet.length + 64, 0xee);
      packet.copy(big, at);
      return new Uint8Array(big.buffer, big.byteOffset + at, packet.length);
    };
    // Act
    const plain = run([
      [true, client],
      [false, server],
    ]).records;
    const viewed = run([
      [true, embed(client, 37)],
      [false, embed(server, 5)],
    ]).records;
    // Assess
    expect(viewed).toEqual(plain);
    expect(viewed[0].server_scid).toBe("f067a5502a4262b5");
  });
});

describe("session boundaries", () => {
  it("a Retry (RFC 9001 A.4) logs the record and the next Initial starts a new one", () => {
    // Prepare
    const retry = hex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
    const first = clientInitial(V1, 0xc3, "00000001", hex(CLIENT_CRYPTO_FRAME));
    // Act
    const { records } = run([
      [true, first],
      [false, retry],
      [true, first],
    ]);
    // Assess
    expect(records.map((r) => r.history)).toEqual(["ISr", "IS"]);
    // and, as Zeek closes its SSL analyzer at the Retry, one ssl.log record per handshake
    expect(
      run(
        [
          [true, first],
          [false, retry],
          [true, first],
        ],
        true,
      )
        .ctx.records("ssl")
        .map((r) => r.ssl_history),
    ).toEqual(["C", "C"]);
    // Zeek's retry_packet handler only sets CIDs when no session exists yet: no server_scid here.
    expect(records[0].server_scid).toBeUndefined();
  });

  it("a server Initial carrying CONNECTION_CLOSE ends the record with c", () => {
    // Prepare: server rejects with CONNECTION_CLOSE error 0x0a (PROTOCOL_VIOLATION), reason "bye"
    const hello = clientInitial(V1, 0xc3, "00000001", hex(CLIENT_CRYPTO_FRAME));
    const serverPrefix = hex("c1000000010008f067a5502a4262b500");
    const close = protectInitial(V1.server, serverPrefix, padded(hex("1c0a0003627965"), 32), 1);
    // Act
    const { records } = run([
      [true, hello],
      [false, close],
    ]);
    // Assess
    expect(records).toHaveLength(1);
    expect(records[0].history).toBe("ISic");
  });

  it("a client CONNECTION_CLOSE after its hello is not seen: its Initials are no longer decrypted (as Zeek)", () => {
    // Prepare
    const hello = clientInitial(V1, 0xc3, "00000001", hex(CLIENT_CRYPTO_FRAME));
    const close = clientInitial(V1, 0xc3, "00000001", hex("1c0a0003627965"), 3);
    // Act
    const { records } = run([
      [true, hello],
      [true, close],
    ]);
    // Assess
    expect(records.map((r) => r.history)).toEqual(["ISI"]);
  });

  it("an unknown version is logged once with U (Zeek's unhandled_version)", () => {
    // Prepare: a greased version (RFC 9000 §15 reserves 0x?a?a?a?a)
    const packet = hex(`c01a2a3a4a08${RFC_DCID}00${"00".repeat(40)}`);
    // Act
    const { records, ctx } = run([[true, packet]]);
    // Assess
    expect(records).toEqual([
      { ts: TS, version: "unknown-1a2a3a4a", client_initial_dcid: RFC_DCID, client_scid: "", history: "U" },
    ]);
    expect(ctx.confirmed.size).toBe(0);
    expect(ctx.violations).toEqual(["QUIC: unhandled version unknown-1a2a3a4a"]);
  });
});

describe("broken input becomes weirds, never exceptions", () => {
  const good = clientInitial(V1, 0xc3, "00000001", hex(CLIENT_CRYPTO_FRAME));

  it("a truncated Initial: length beyond the datagram, and a violation since nothing decrypted", () => {
    // Act
    const { ctx, records } = run([[true, good.subarray(0, 600)]]);
    // Assess
    expect(ctx.weirds.map((w) => w.name)).toEqual(["QUIC_packet_length_exceeds_datagram"]);
    expect(ctx.violations).toEqual(["QUIC: QUIC_packet_length_exceeds_datagram"]);
    expect(records).toEqual([]);
  });

  it("a corrupted ciphertext: decryption fails, the session is still logged without TLS facts", () => {
    // Prepare
    const bad = Buffer.from(good);
    bad[700] ^= 0x80;
    // Act
    const { ctx, records } = run([[true, bad]]);
    // Assess
    expect(ctx.weirds).toEqual([
      {
        name: "QUIC_decryption_failed",
        addl: "client Initial: AEAD authentication failed for packet number 2",
      },
    ]);
    expect(records.map((r) => [r.history, r.server_name])).toEqual([["I", undefined]]);
    expect(ctx.confirmed.size).toBe(0);
  });

  it("a ClientHello the TLS parser rejects is reported with its reason", () => {
    // Prepare: CRYPTO frame holding a 6-byte "ClientHello" with a truncated body
    const packet = clientInitial(V1, 0xc3, "00000001", hex("060006010000020303"));
    // Act
    const { ctx, records } = run([[true, packet]]);
    // Assess
    expect(ctx.weirds.map((w) => w.name)).toEqual(["QUIC_client_hello_unparsed"]);
    expect(ctx.weirds[0].addl).toMatch(/\w/);
    expect(records[0].history).toBe("I");
    expect(ctx.confirmed).toEqual(new Set(["quic"]));
  });

  it("a flood of Initials that never completes the hello stops being decrypted after the limit", () => {
    // Prepare: Initials whose CRYPTO data never starts at offset 0 (the hello cannot complete)
    const tail = clientInitial(V1, 0xc3, "00000001", hex("06407804aabbccdd"), 2);
    const flood: [boolean, Uint8Array][] = Array.from({ length: MAX_INITIAL_DECRYPTIONS + 10 }, () => [
      true,
      tail,
    ]);
    // Act
    const { ctx, records } = run(flood);
    // Assess
    expect(ctx.weirds.map((w) => w.name)).toEqual(["QUIC_initial_decryption_limit"]);
    expect(String(records[0].history)).toMatch(/^I+$/);
  });

  it.each([
    ["empty datagram", ""],
    ["one byte", "c0"],
    ["header cut inside the DCID", "c00000000108aabb"],
    ["DCID length 21", `c00000000115${"00".repeat(40)}`],
    ["zero padding only", "00".repeat(64)],
  ])("%s", (_name, payload) => {
    // Act
    const { ctx } = run([[true, hex(payload)]]);
    // Assess
    expect(ctx.weirds.filter((w) => w.name === "QUIC_analyzer_error")).toEqual([]);
  });
});
