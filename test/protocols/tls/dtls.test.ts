// DTLS ClientHellos (RFC 6347 §4.2: a cookie after the session ID) through the shared parser and
// JA4 with the "d" transport. Bytes: UDP payloads of DTLS ClientHellos in bench/bench.pcap (frame
// numbers in fixtures/dtls-client-hellos.json; tshark's view of each is recorded beside it).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type ClientHello,
  ja4,
  parseClientHello,
  TlsParseError,
} from "../../../sensor-ami/src/protocols/tls/index.js";
import { FIXTURES, hexBytes } from "./support.js";

interface DtlsHello {
  frame: number;
  recordVersion: string;
  helloVersion: string;
  serverName: string;
  cookieLength: number;
  udpPayload: string;
}

const DTLS_RECORD_HEADER_BYTES = 13;
const DTLS_HANDSHAKE_HEADER_BYTES = 12;

const hellos = (
  JSON.parse(readFileSync(join(FIXTURES, "dtls-client-hellos.json"), "utf8")) as { hellos: DtlsHello[] }
).hellos;

/** The ClientHello body of the first record, when the message is not fragmented. */
function clientHelloBody(payload: Uint8Array): Uint8Array | undefined {
  const handshake = payload.subarray(DTLS_RECORD_HEADER_BYTES);
  const length = (handshake[1] << 16) | (handshake[2] << 8) | handshake[3];
  const fragmentLength = (handshake[9] << 16) | (handshake[10] << 8) | handshake[11];
  if (fragmentLength !== length) return undefined;
  return handshake.subarray(DTLS_HANDSHAKE_HEADER_BYTES, DTLS_HANDSHAKE_HEADER_BYTES + length);
}

describe("DTLS ClientHello", () => {
  it.each(hellos.map((h) => [h.frame, h]))(
    "bench.pcap frame %i parses with tshark's version, cookie and SNI",
    (_frame, expected) => {
      // Prepare
      const body = clientHelloBody(hexBytes(expected.udpPayload));
      expect(body).toBeDefined();
      // Act
      const hello = parseClientHello(body!, "body") as ClientHello;
      // Assess
      expect(hello).not.toBeInstanceOf(TlsParseError);
      expect(`0x${hello.version.toString(16).padStart(4, "0")}`).toBe(expected.helloVersion);
      expect(hello.serverNames[0] ?? "").toBe(expected.serverName);
      const cookieLength = body![2 + 32 + 1 + hello.sessionId.length];
      expect(cookieLength).toBe(expected.cookieLength);
      expect(ja4(hello, "d")).toMatch(/^d(d1|d2|d3|00)[di]\d{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
    },
  );

  it("is recognised as DTLS only for the DTLS version family", () => {
    const dtls = hellos.filter((h) => h.helloVersion.startsWith("0xfe"));
    expect(dtls.length).toBeGreaterThan(0);
    for (const h of dtls)
      expect((parseClientHello(clientHelloBody(hexBytes(h.udpPayload))!) as ClientHello).dtls).toBe(true);
  });

  it('needs form "body" for a DTLS1_BAD_VER (0x0100) body, whose first byte looks like a message type', () => {
    // Prepare
    const badVersion = hellos.find((h) => h.helloVersion === "0x0100")!;
    const body = clientHelloBody(hexBytes(badVersion.udpPayload))!;
    // Act
    const auto = parseClientHello(body);
    const explicit = parseClientHello(body, "body") as ClientHello;
    // Assess
    expect(auto).toBeInstanceOf(TlsParseError);
    expect(explicit.dtls).toBe(true);
    expect(ja4(explicit, "d")!.slice(0, 3)).toBe("d00");
  });
});
