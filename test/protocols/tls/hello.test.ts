// ClientHello / ServerHello parsers on real handshake bytes (fixtures extracted from the corpus:
// capture, TCP stream and frame numbers are in each fixture), including truncated and corrupted
// variants: the parsers must return a TlsParseError naming the field, never throw.

import { describe, expect, it } from "vitest";
import {
  type ClientHello,
  ja3,
  ja4,
  parseClientHello,
  parseServerHello,
  TlsParseError,
} from "../../../sensor-ami/src/protocols/tls/index.js";
import { handshakeMessages, hellosOf, hexBytes, loadFixture, tsharkRows, zeekRows } from "./support.js";

/** ja4/tls12.pcap, TCP stream 0, frame 1: a Firefox ClientHello in one 517-byte segment. */
function firefoxClientHelloMessage(): Uint8Array {
  const stream = loadFixture("tls12.pcap").streams[0];
  expect(stream.frames[0]).toBe(1);
  const record = hexBytes(stream.chunks[0][1]);
  return record.subarray(5); // skip the record header: msg_type 1, length, body
}

function tsharkClientHelloRow(capture: string, frame: number) {
  return tsharkRows(capture).find((r) => r["frame.number"] === String(frame))!;
}

describe("parseClientHello on ja4/tls12.pcap frame 1", () => {
  it("extracts the fields tshark reports for the frame", () => {
    // Prepare
    const message = firefoxClientHelloMessage();
    const row = tsharkClientHelloRow("ja4/tls12.pcap", 1);
    // Act
    const hello = parseClientHello(message) as ClientHello;
    // Assess
    expect(hello).not.toBeInstanceOf(TlsParseError);
    expect(`0x${hello.version.toString(16).padStart(4, "0")}`).toBe(row["tls.handshake.version"]);
    expect(hello.supportedVersions.map((v) => `0x${v.toString(16).padStart(4, "0")}`).join(",")).toBe(
      row["tls.handshake.extensions.supported_version"],
    );
    expect(hello.serverNames[0]).toBe(row["tls.handshake.extensions_server_name"]);
    expect(hello.alpn.join(",")).toBe(row["tls.handshake.extensions_alpn_str"]);
    expect(ja3(hello)).toBe(row["tls.handshake.ja3"]);
    expect(hello.malformedExtensions).toEqual([]);
  });

  it("accepts the bare body as well as the whole handshake message", () => {
    // Prepare
    const message = firefoxClientHelloMessage();
    // Act
    const fromMessage = parseClientHello(message) as ClientHello;
    const fromBody = parseClientHello(message.subarray(4)) as ClientHello;
    // Assess
    expect(ja3(fromBody)).toBe(ja3(fromMessage));
    expect(fromBody.extensions.length).toBe(fromMessage.extensions.length);
  });

  it("returns a TlsParseError naming the field for every truncation, never throwing", () => {
    // Prepare
    const message = firefoxClientHelloMessage();
    const body = message.subarray(4);
    // Act
    const results = Array.from({ length: body.length }, (_, n) => parseClientHello(body.subarray(0, n)));
    // Assess: every strict prefix but the empty-extension boundaries fails with a message
    const failures = results.filter((r) => r instanceof TlsParseError);
    expect(failures.length).toBeGreaterThan(body.length - 3);
    expect((results[20] as TlsParseError).message).toMatch(
      /ClientHello truncated at byte \d+: random needs 32 byte/,
    );
    expect(parseClientHello(message.subarray(0, 100))).toBeInstanceOf(TlsParseError);
  });

  it("rejects an odd cipher_suites length and an extension overrunning its block", () => {
    // Prepare
    const body = Uint8Array.from(firefoxClientHelloMessage().subarray(4));
    const sessionIdLength = body[34];
    const suitesAt = 35 + sessionIdLength;
    const oddSuites = Uint8Array.from(body);
    oddSuites[suitesAt + 1] |= 1;
    const overrun = Uint8Array.from(body);
    const suitesLength = (body[suitesAt] << 8) | body[suitesAt + 1];
    const compressionAt = suitesAt + 2 + suitesLength;
    const extensionsAt = compressionAt + 1 + body[compressionAt] + 2;
    overrun[extensionsAt + 2] = 0xff; // first extension claims ~65 KB
    // Act
    const oddResult = parseClientHello(oddSuites);
    const overrunResult = parseClientHello(overrun);
    // Assess
    expect(oddResult).toBeInstanceOf(TlsParseError);
    expect(overrunResult).toBeInstanceOf(TlsParseError);
    expect((overrunResult as TlsParseError).message).toMatch(/extension 0x[0-9a-f]+ data/);
  });

  it("keeps the hello but flags an extension whose inner lists are inconsistent", () => {
    // Prepare: the first extension is server_name; break its inner list length
    const body = Uint8Array.from(firefoxClientHelloMessage().subarray(4));
    const suitesAt = 35 + body[34];
    const compressionAt = suitesAt + 2 + ((body[suitesAt] << 8) | body[suitesAt + 1]);
    const firstExtension = compressionAt + 1 + body[compressionAt] + 2;
    expect((body[firstExtension] << 8) | body[firstExtension + 1]).toBe(0);
    body[firstExtension + 4] = 0x7f;
    // Act
    const hello = parseClientHello(body) as ClientHello;
    // Assess
    expect(hello).not.toBeInstanceOf(TlsParseError);
    expect(hello.malformedExtensions).toEqual([0]);
    expect(hello.serverNames).toEqual([]);
  });

  it("rejects empty input and a wrong handshake type with a readable message", () => {
    expect((parseClientHello(new Uint8Array(0)) as TlsParseError).message).toBe("ClientHello is empty");
    expect((parseClientHello(Uint8Array.of(2, 0, 0, 0)) as TlsParseError).message).toMatch(
      /expected handshake type 1/,
    );
  });
});

describe("SSLv2-compatible ClientHello (zeek/tls__ssl.v3.pcap, stream 0, frame 4)", () => {
  it("is parsed with the ciphers Zeek's ssl-log-ext reports, and has no JA3", () => {
    // Prepare
    const stream = loadFixture("tls__ssl.v3.pcap").streams.find((s) => s.ports[0] === 58868)!;
    const zeek = zeekRows(
      "zeek/tls__ssl.v3.pcap.zeek/scripts.policy.protocols.ssl.ssl-log-ext/ssl-all.log",
    ).find((r) => r["id.orig_p"] === "58868")!;
    // Act
    const { clients } = hellosOf(stream);
    // Assess
    expect(clients).toHaveLength(1);
    expect(clients[0].sslv2).toBe(true);
    expect(String(clients[0].version)).toBe(zeek.client_version);
    expect(clients[0].cipherSuites.join(",")).toBe(zeek.client_ciphers);
    expect(ja3(clients[0])).toBeUndefined();
  });
});

describe("parseServerHello", () => {
  it("recognises the HelloRetryRequest and the real ServerHello that follows it (ja4/tls-handshake.pcapng)", () => {
    // Prepare: streams where FoxIO saw two ClientHellos are HelloRetryRequest handshakes
    const stream = loadFixture("tls-handshake.pcapng").streams.find((s) => s.stream === 38)!;
    // Act
    const { servers } = hellosOf(stream);
    // Assess
    expect(servers.map((s) => s.helloRetryRequest)).toEqual([true, false]);
    expect(servers.every((s) => s.selectedVersion === 0x0304)).toBe(true);
  });

  it("returns errors for every truncation of a real ServerHello", () => {
    // Prepare: ndpi/443-curl.pcap stream 0, the server's first handshake message
    const stream = loadFixture("443-curl.pcap").streams[0];
    const serverHello = handshakeMessages(stream, false).find((m) => m.type === 2)!.message;
    // Act
    const results = Array.from({ length: serverHello.length }, (_, n) =>
      parseServerHello(serverHello.subarray(0, n)),
    );
    // Assess
    expect(parseServerHello(serverHello)).not.toBeInstanceOf(TlsParseError);
    expect(results.filter((r) => r instanceof TlsParseError).length).toBeGreaterThan(serverHello.length - 4);
  });
});

describe("JA4 ALPN code (spec rules on a real ClientHello with its first ALPN value replaced)", () => {
  it.each([
    [["h2", "http/1.1"], "h2"],
    [["http/1.1"], "h1"],
    [["A2"], "A2"],
    [["x"], "xx"],
    [["\xab\xcd"], "ad"],
    [["h\xff"], "6f"],
    [[], "00"],
    // FoxIO JA4.md's own examples for a first ALPN whose first or last byte is not alphanumeric:
    // the first and last characters of the hex of the whole value.
    [["\xab"], "ab"],
    [["\x30\xab"], "3b"],
    [["\x30\x31\xab\xcd"], "3d"],
    [["\x30\xab\xcd\x31"], "01"],
    // An empty first value is "00" even when others follow (JA4.md); a later value never counts.
    [["", "h2"], "00"],
    [["h3-29", "\xab"], "h9"],
  ])("first ALPN %j gives %s", (alpn, code) => {
    // Prepare
    const hello = { ...(parseClientHello(firefoxClientHelloMessage()) as ClientHello), alpn };
    // Act
    const fingerprint = ja4(hello, "t")!;
    // Assess
    expect(fingerprint.slice(8, 10)).toBe(code);
  });
});
