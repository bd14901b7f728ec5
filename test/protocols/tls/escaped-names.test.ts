// Certificate names that need escaping, against OpenSSL's `-nameopt RFC2253` (the
// X509_NAME_print_ex(XN_FLAG_RFC2253) output Zeek logs): non-ASCII text in UTF8String, BMPString
// and T61String becomes "\XX" per UTF-8 byte, RFC 2253 specials get a backslash. Fixtures:
// fixtures/escaped-names.json, made by tools/openssl-escaped-names.sh (self-signed, OpenSSL 3.0).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCertificate } from "../../../sensor-ami/src/protocols/tls/index.js";
import { escapeRfc2253 } from "../../../sensor-ami/src/protocols/tls/x509.js";
import { FIXTURES } from "./support.js";

interface EscapedName {
  stringType: string;
  der: string;
  subject: string;
}

const fixtures = JSON.parse(readFileSync(join(FIXTURES, "escaped-names.json"), "utf8")) as EscapedName[];

describe("certificate names as OpenSSL prints them in RFC 2253 form", () => {
  it("has fixtures for every string type", () => {
    expect(new Set(fixtures.map((f) => f.stringType))).toEqual(new Set(["utf8", "bmp", "t61"]));
  });

  for (const f of fixtures) {
    it(`${f.stringType}: ${f.subject}`, () => {
      // Prepare
      const der = Buffer.from(f.der, "hex");
      // Act
      const parsed = parseCertificate(der);
      // Assess: subject and (self-signed) issuer both print exactly as OpenSSL's.
      expect(parsed).not.toBeInstanceOf(Error);
      const info = parsed as { subject: string; issuer: string };
      expect(info.subject).toBe(f.subject);
      expect(info.issuer).toBe(f.subject);
    });
  }

  it("escapes control characters and a leading space or trailing space", () => {
    expect(escapeRfc2253("a\u0001b\u007f")).toBe("a\\01b\\7F");
    expect(escapeRfc2253(" x ")).toBe("\\ x\\ ");
    expect(escapeRfc2253(" ")).toBe("\\ ");
    expect(escapeRfc2253("plain text")).toBe("plain text");
  });
});
