// TLS 1.3 draft ServerHellos (issue #10, class A5). Drafts up to 21 put the draft number (0x7fNN) in
// the ServerHello's version field and have no session ID or compression method; from draft 22 the
// field says 0x0303 and supported_versions names the draft. Real packets from bench/bench.pcap
// (fixtures/tls13-draft-server-hellos.json: the ServerHello records with tshark 4.0's dissection of
// each; fixtures/tls13-draft-streams.json: the TCP streams of those handshakes), taken from
// suricata-verify's tls13-draft18/22/23/28 and Zeek's tls-13draft19-early-data and
// tls13draft16-{chrome55,ff52} traces.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ja3sString } from "../../../sensor-ami/src/protocols/tls/fingerprints.js";
import { parseServerHello, type ServerHello } from "../../../sensor-ami/src/protocols/tls/hello.js";
import { groupName, versionName } from "../../../sensor-ami/src/protocols/tls/tables.js";
import { FIXTURES, hexBytes, replay, type StreamFixture, sslLogs } from "./support.js";

interface DraftServerHello {
  frame: number;
  source: string;
  /** tshark tls.handshake.version / extensions.supported_version / ciphersuite / ja3s_full. */
  handshakeVersion: string;
  supportedVersion: string;
  cipherSuite: string;
  ja3sFull: string;
  /** tshark tls.handshake.extensions_key_share_group (empty for the draft-22 HelloRetryRequest). */
  keyShareGroup: string;
  /** The TLS record carrying the ServerHello (5-byte header + handshake message). */
  record: string;
}

const TLS_RECORD_HEADER_BYTES = 5;
const hellos = (
  JSON.parse(readFileSync(join(FIXTURES, "tls13-draft-server-hellos.json"), "utf8")) as {
    hellos: DraftServerHello[];
  }
).hellos;
const streams = (
  JSON.parse(readFileSync(join(FIXTURES, "tls13-draft-streams.json"), "utf8")) as { streams: StreamFixture[] }
).streams;

const hex4 = (value: number | undefined): string =>
  value === undefined ? "" : `0x${value.toString(16).padStart(4, "0")}`;

describe("TLS 1.3 draft ServerHello (real packets, tshark's dissection as oracle)", () => {
  it.each(hellos.map((h) => [h.frame, h.handshakeVersion, h.supportedVersion || "-", h]))(
    "bench.pcap frame %i (version %s, supported_versions %s) parses as tshark reads it",
    (_frame, _version, _supported, expected) => {
      // Prepare
      const message = hexBytes(expected.record).subarray(TLS_RECORD_HEADER_BYTES);
      // Act
      const hello = parseServerHello(message) as ServerHello;
      // Assess
      expect(hello).not.toBeInstanceOf(Error);
      expect(hex4(hello.version)).toBe(expected.handshakeVersion);
      expect(hex4(hello.selectedVersion)).toBe(expected.supportedVersion);
      expect(hex4(hello.cipherSuite)).toBe(expected.cipherSuite);
      expect(ja3sString(hello)).toBe(expected.ja3sFull);
      if (expected.keyShareGroup !== "") expect(String(hello.keyShareGroup)).toBe(expected.keyShareGroup);
      expect(hello.malformedExtensions).toEqual([]);
    },
  );

  it("reads the draft layout only for a 0x7fNN version: no session ID, no compression method", () => {
    // Prepare: the draft-18 hello (version 0x7f12) and the draft-22 one (0x0303 + supported_versions).
    const draft18 = hellos.find((h) => h.handshakeVersion === "0x7f12")!;
    const draft22 = hellos.find((h) => h.supportedVersion === "0x7f16")!;
    // Act
    const short = parseServerHello(hexBytes(draft18.record).subarray(TLS_RECORD_HEADER_BYTES)) as ServerHello;
    const classic = parseServerHello(
      hexBytes(draft22.record).subarray(TLS_RECORD_HEADER_BYTES),
    ) as ServerHello;
    // Assess: the short layout has no session ID; the draft-22 one echoes the client's.
    expect(short.sessionId.length).toBe(0);
    expect(classic.sessionId.length).toBeGreaterThan(0);
    // Both carry the key share under the drafts' code point 40 (the draft-22 one is a
    // HelloRetryRequest naming the group it wants): its group is read.
    expect(short.extensions.map((e) => e.type)).toEqual([40]);
    expect(short.keyShareGroup).toBe(Number(draft18.keyShareGroup));
    expect(classic.keyShareGroup).toBeDefined();
  });

  it("a truncated draft ServerHello is an error that names the missing field", () => {
    // Prepare
    const draft18 = hellos.find((h) => h.handshakeVersion === "0x7f12")!;
    const message = hexBytes(draft18.record).subarray(TLS_RECORD_HEADER_BYTES);
    const body = message.subarray(4, 4 + 2 + 32 + 1);
    // Act
    const result = parseServerHello(body, "body");
    // Assess
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/cipher_suite/);
  });
});

describe("ssl.log of TLS 1.3 draft handshakes (real streams)", () => {
  it.each(streams.map((s) => [s.frames[0], s]))(
    "stream from bench.pcap frame %i: version, cipher, curve and JA3S as tshark sees the ServerHello",
    (_frame, stream) => {
      // Prepare: tshark's view of this stream's (last, after any HelloRetryRequest) ServerHello.
      const expected = hellos.filter((h) => stream.frames.includes(h.frame)).at(-1)!;
      const draft = Number.parseInt((expected.supportedVersion || expected.handshakeVersion).slice(4), 16);
      // Act
      const recorded = replay(stream);
      // Assess
      const [record] = sslLogs(recorded);
      expect(record.version).toBe(`TLSv13-draft${draft}`);
      expect(record.cipher).toMatch(/^TLS_/);
      expect(record.curve).toBe(groupName(Number(expected.keyShareGroup)));
      expect(record.ja3s).toBe(createHash("md5").update(expected.ja3sFull).digest("hex"));
      expect(recorded.weirds.map((w) => w.name)).not.toContain("SSL_malformed_server_hello");
    },
  );
});

describe("version names (Zeek's SSL::version_strings default)", () => {
  it.each([
    [0x7f0e, "TLSv13-draft14"],
    [0x7f12, "TLSv13-draft18"],
    [0x7f16, "TLSv13-draft22"],
    [0x7f1c, "TLSv13-draft28"],
    [0x0304, "TLSv13"],
    [0xfb1a, "unknown-64282"],
    // Zeek's arithmetic (i/0xFF == 0x7F, then i % 0x7F) at its edges.
    [0x7f7f, "TLSv13-draft0"],
    [0x7f80, "unknown-32640"],
  ])("%i → %s", (version, name) => {
    expect(versionName(version)).toBe(name);
  });
});
