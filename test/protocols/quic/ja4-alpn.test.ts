// The `q` JA4 of a QUIC ClientHello whose first ALPN value is not alphanumeric (issue #10, class A9):
// the same rule as TLS over TCP (FoxIO JA4.md, see the TLS README), end to end through the QUIC
// analyzer into quic.log and ssl.log. The ClientHello is the real one of ja4/quic-tls-handshake.pcapng
// (decrypted by the analyzer), with its ALPN list replaced, re-encrypted as a v1 client Initial
// under the RFC 9001 Appendix A connection ID.
import { describe, expect, it } from "vitest";
import { QuicAnalyzer } from "../../../sensor-ami/src/protocols/quic/analyzer.js";
import { quic } from "../../../sensor-ami/src/protocols/quic/index.js";
import { tlsHelloInspectors } from "../../../sensor-ami/src/protocols/quic/tls-hello.js";
import { padded, protectInitial } from "./protect.js";
import { RFC_DCID, V1 } from "./rfc-vectors.js";
import { bytesOf, flowsOf, loadFixture, RecordingContext } from "./support.js";

const EXT_ALPN = 0x0010;
const CRYPTO_FRAME = 0x06;
const CLIENT_INITIAL_PAYLOAD = 1162;

/** The real ClientHello message of ja4/quic-tls-handshake.pcapng, as the analyzer reassembled it. */
function realClientHello(): Buffer {
  const fixture = loadFixture("quic-tls-handshake.pcapng");
  let message: Buffer | undefined;
  const analyzer = new QuicAnalyzer(new RecordingContext(), {
    ...tlsHelloInspectors,
    clientParsed: undefined,
    client: (m) => {
      message = Buffer.from(m);
      return tlsHelloInspectors.client(m);
    },
  });
  for (const { isOrig, d } of flowsOf(fixture)[0].datagrams) analyzer.packet(isOrig, bytesOf(d.hex), d.ts);
  if (message === undefined) throw new Error("the fixture's ClientHello did not decrypt");
  return message;
}

/** `message` with its ALPN extension's protocol list replaced by `protocols` (lengths rebuilt). */
function withAlpn(message: Buffer, protocols: Buffer[]): Buffer {
  let at = 4 + 2 + 32;
  at += 1 + message[at]; // session ID
  at += 2 + message.readUInt16BE(at); // cipher suites
  at += 1 + message[at]; // compression methods
  const extensionsStart = at + 2;
  const extensionsEnd = extensionsStart + message.readUInt16BE(at);
  const parts: Buffer[] = [];
  for (let p = extensionsStart; p < extensionsEnd; ) {
    const type = message.readUInt16BE(p);
    const length = message.readUInt16BE(p + 2);
    if (type === EXT_ALPN) {
      const list = Buffer.concat(protocols.map((name) => Buffer.concat([Buffer.from([name.length]), name])));
      const data = Buffer.concat([Buffer.from([list.length >> 8, list.length & 0xff]), list]);
      const header = Buffer.alloc(4);
      header.writeUInt16BE(EXT_ALPN, 0);
      header.writeUInt16BE(data.length, 2);
      parts.push(header, data);
    } else parts.push(message.subarray(p, p + 4 + length));
    p += 4 + length;
  }
  const extensions = Buffer.concat(parts);
  const body = Buffer.concat([
    message.subarray(4, extensionsStart - 2),
    Buffer.from([extensions.length >> 8, extensions.length & 0xff]),
    extensions,
  ]);
  return Buffer.concat([
    Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]),
    body,
  ]);
}

/** A protected v1 client Initial carrying `message` in one CRYPTO frame at offset 0. */
function clientInitial(message: Buffer): Buffer {
  const frame = Buffer.concat([
    Buffer.from([CRYPTO_FRAME, 0x00, 0x40 | (message.length >> 8), message.length & 0xff]),
    message,
  ]);
  const prefix = Buffer.from(`c30000000108${RFC_DCID}0000`, "hex");
  return protectInitial(V1.client, prefix, padded(frame, CLIENT_INITIAL_PAYLOAD), 2);
}

describe("QUIC q-JA4 with a non-alphanumeric first ALPN (JA4.md's examples)", () => {
  const hello = realClientHello();

  it.each([
    [[Buffer.from("h3")], "h3"],
    [[Buffer.from([0xab])], "ab"],
    [[Buffer.from([0xab, 0xcd])], "ad"],
    [[Buffer.from([0x30, 0xab])], "3b"],
    [[Buffer.from([0x30, 0x31, 0xab, 0xcd])], "3d"],
    [[Buffer.from([0x30, 0xab, 0xcd, 0x31]), Buffer.from("h3")], "01"],
  ])("ALPN %j → JA4 a-part ends in %s, in quic.log and ssl.log alike", (protocols, code) => {
    // Prepare
    const packet = clientInitial(withAlpn(hello, protocols));
    const ctx = new RecordingContext();
    const analyzer = quic.create?.(ctx);
    // Act
    analyzer?.packet(true, packet, 1);
    analyzer?.end(2);
    // Assess
    const [quicRecord] = ctx.records("quic");
    const [sslRecord] = ctx.records("ssl");
    expect(String(quicRecord.ja4).slice(0, 1)).toBe("q");
    expect(String(quicRecord.ja4).slice(8, 10)).toBe(code);
    expect(sslRecord.ja4).toBe(quicRecord.ja4);
  });
});
