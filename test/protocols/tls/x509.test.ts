// Certificates: every certificate in the fixture streams, parsed by our DER reader, against
// OpenSSL 3.0's description of the same DER (fixtures/certificates.openssl.json, built by
// tools/openssl-certificates.py from the certificates tshark finds in each capture); plus
// truncated and corrupted certificates, which must yield a DerParseError and never throw.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DerParseError,
  parseCertificate,
  type X509Info,
} from "../../../sensor-ami/src/protocols/tls/index.js";
import { hostMatchesCertificate } from "../../../sensor-ami/src/protocols/tls/x509.js";
import { FIXTURES, fixtureNames, handshakeMessages, loadFixture, replay } from "./support.js";

interface OpensslView {
  capture: string;
  frame: number;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  sanDns: string[];
  version: number;
  signatureAlgorithm: string;
  publicKeyAlgorithm: string;
  publicKeyBits: number;
  exponent: string | null;
  curve: string | null;
  /** e.g. "CA:TRUE, pathlen:0", null without the extension */
  basicConstraints: string | null;
}

const oracle = JSON.parse(readFileSync(join(FIXTURES, "certificates.openssl.json"), "utf8")) as Record<
  string,
  OpensslView
>;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** OpenSSL's "Dec  6 23:59:59 2023 GMT" to epoch seconds. */
function opensslTime(text: string): number {
  const [month, day, time, year] = text.split(/\s+/);
  const [h, m, s] = time.split(":").map(Number);
  return Date.UTC(Number(year), MONTHS.indexOf(month), Number(day), h, m, s) / 1000;
}

const loggedCertificates = new Map<string, Record<string, unknown>>();
for (const name of fixtureNames()) {
  for (const stream of loadFixture(name).streams) {
    for (const log of replay(stream).logs)
      if (log.path === "x509") loggedCertificates.set(String(log.record.fingerprint), log.record);
  }
}

/** DER certificates of ja4/ipv6.pcapng stream 0 (frames in the fixture), taken from its Certificate message. */
function realCertificates(): Uint8Array[] {
  const stream = loadFixture("ipv6.pcapng").streams[0];
  const body = handshakeMessages(stream, false)
    .find((m) => m.type === 11)!
    .message.subarray(4);
  const certificates: Uint8Array[] = [];
  for (let offset = 3; offset < body.length; ) {
    const length = (body[offset] << 16) | (body[offset + 1] << 8) | body[offset + 2];
    certificates.push(body.subarray(offset + 3, offset + 3 + length));
    offset += 3 + length;
  }
  return certificates;
}

describe("x509 fields against OpenSSL", () => {
  it("finds every certificate OpenSSL/tshark see in the captures", () => {
    const missing = Object.entries(oracle)
      .filter(([fingerprint]) => !loggedCertificates.has(fingerprint))
      .map(([, view]) => `${view.capture} frame ${view.frame}`);
    expect(Object.keys(oracle).length).toBeGreaterThanOrEqual(100);
    expect(missing).toEqual([]);
  });

  it("agrees on subject, issuer, serial, validity and SAN DNS names for each of them", () => {
    for (const [fingerprint, expected] of Object.entries(oracle)) {
      const ours = loggedCertificates.get(fingerprint)!;
      const where = `${expected.capture} frame ${expected.frame}`;
      expect(ours["certificate.subject"], where).toBe(expected.subject);
      expect(ours["certificate.issuer"], where).toBe(expected.issuer);
      expect(ours["certificate.serial"], where).toBe(expected.serial);
      expect(ours["certificate.not_valid_before"], where).toBe(opensslTime(expected.notBefore));
      expect(ours["certificate.not_valid_after"], where).toBe(opensslTime(expected.notAfter));
      expect(ours["san.dns"] ?? [], where).toEqual(expected.sanDns);
    }
  });

  it("agrees on version, algorithms, key size, exponent, curve and basic constraints", () => {
    for (const [fingerprint, expected] of Object.entries(oracle)) {
      const ours = loggedCertificates.get(fingerprint)!;
      const where = `${expected.capture} frame ${expected.frame}`;
      expect(ours["certificate.version"], where).toBe(expected.version);
      expect(ours["certificate.sig_alg"], where).toBe(expected.signatureAlgorithm);
      expect(ours["certificate.key_alg"], where).toBe(expected.publicKeyAlgorithm);
      expect(ours["certificate.key_length"], where).toBe(expected.publicKeyBits);
      expect(ours["certificate.exponent"] ?? null, where).toBe(expected.exponent);
      expect(ours["certificate.curve"] ?? null, where).toBe(expected.curve);
      const constraints =
        ours["basic_constraints.ca"] === undefined
          ? null
          : `CA:${ours["basic_constraints.ca"] ? "TRUE" : "FALSE"}${ours["basic_constraints.path_len"] === undefined ? "" : `, pathlen:${ours["basic_constraints.path_len"]}`}`;
      expect(constraints, where).toBe(expected.basicConstraints);
    }
  });
});

describe("parseCertificate on damaged input", () => {
  it("returns a DerParseError for every truncation of a real certificate chain", () => {
    for (const der of realCertificates()) {
      // Act
      const results = Array.from({ length: der.length }, (_, n) => parseCertificate(der.subarray(0, n)));
      // Assess
      expect(results.every((r) => r instanceof DerParseError)).toBe(true);
      expect(parseCertificate(der)).not.toBeInstanceOf(DerParseError);
    }
  });

  it("never throws when any single byte of a real certificate is changed", () => {
    // Prepare
    const [der] = realCertificates();
    let errors = 0;
    // Act
    for (let i = 0; i < der.length; i += 3) {
      const copy = Uint8Array.from(der);
      copy[i] ^= 0xa5;
      if (parseCertificate(copy) instanceof DerParseError) errors++;
    }
    // Assess: structure bytes are hit often enough that some mutations must be rejected
    expect(errors).toBeGreaterThan(10);
  });

  it("explains an over-long element", () => {
    const result = parseCertificate(Uint8Array.of(0x30, 0x82, 0x10, 0x00, 0x02));
    expect((result as DerParseError).message).toMatch(/declares 4096 bytes, only 1 left/);
  });
});

describe("ECDSA certificate details (ja4/ipv6.pcapng, Cloudflare)", () => {
  it("reports the key type, curve and SNI match", () => {
    const host = parseCertificate(realCertificates()[0]) as X509Info;
    expect(host.keyType).toBe("ecdsa");
    expect(host.curve).toBe("prime256v1");
    expect(host.keyLength).toBe(256);
    expect(hostMatchesCertificate("www.cloudflare.com", host)).toBe(true);
    expect(hostMatchesCertificate("a.b.cloudflare.com", host)).toBe(false);
    expect(hostMatchesCertificate("evil.example", host)).toBe(false);
  });
});
