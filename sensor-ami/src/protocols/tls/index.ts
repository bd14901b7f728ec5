// TLS inspection: ssl.log (+ x509.log), JA3/JA3S and client JA4.
// The hello parsers and fingerprint functions are exported for the QUIC analyzer.

import { ProbeResult, type StreamAnalyzerFactory } from "../types.js";
import { TlsAnalyzer } from "./analyzer.js";

export type { HelloObserver } from "./analyzer.js";
export { TlsAnalyzer } from "./analyzer.js";
export { DerParseError, TlsParseError } from "./errors.js";
export { ja3, ja3String, ja3s, ja3sString, ja4, ja4Forms } from "./fingerprints.js";
export type { ClientHello } from "./hello.js";
export { parseClientHello, parseServerHello } from "./hello.js";
export { SSL_SCHEMA, X509_SCHEMA } from "./schema.js";
export { isGrease } from "./tables.js";
export type { X509Info } from "./x509.js";
export { parseCertificate } from "./x509.js";

const CONTENT_HANDSHAKE = 0x16;
const CONTENT_CHANGE_CIPHER_SPEC = 0x14;
const CONTENT_APPLICATION_DATA = 0x17;
const HANDSHAKE_CLIENT_HELLO = 1;
const HANDSHAKE_SERVER_HELLO = 2;

/**
 * Content probe. Yes: a handshake record header (type 22, version 3.0–3.4) whose first message is a
 * ClientHello (from the originator) or ServerHello, or an SSLv2-compatible ClientHello header
 * (top bit set, msg_type 1, version 0x0002/0x03xx). Maybe: other TLS record headers.
 */
export function probeTls(bytes: Uint8Array, isOrig: boolean): ProbeResult {
  if (bytes.length < 3) return ProbeResult.No;
  const [first, second, third] = bytes;
  if (first === CONTENT_HANDSHAKE && second === 3 && third <= 4) {
    if (bytes.length < 6) return ProbeResult.Maybe;
    const expected = isOrig ? HANDSHAKE_CLIENT_HELLO : HANDSHAKE_SERVER_HELLO;
    return bytes[5] === expected ? ProbeResult.Yes : ProbeResult.Maybe;
  }
  if (
    (first === CONTENT_CHANGE_CIPHER_SPEC || first === 0x15 || first === CONTENT_APPLICATION_DATA) &&
    second === 3
  ) {
    return third <= 4 ? ProbeResult.Maybe : ProbeResult.No;
  }
  if (isOrig && first & 0x80 && bytes.length >= 5 && third === HANDSHAKE_CLIENT_HELLO) {
    const major = bytes[3];
    const minor = bytes[4];
    if ((major === 0 && minor === 2) || (major === 3 && minor <= 4)) return ProbeResult.Yes;
  }
  return ProbeResult.No;
}

/** TLS over TCP: service "ssl" (Zeek's name), ports are only a hint. */
export const tls: StreamAnalyzerFactory = {
  service: "ssl",
  transport: "tcp",
  ports: [443, 465, 563, 585, 614, 636, 853, 989, 990, 992, 993, 994, 995, 5061, 5223, 8443],
  probe: probeTls,
  create: (ctx) => new TlsAnalyzer(ctx),
};
