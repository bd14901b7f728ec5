// JA3/JA3S strings and hashes, JA4 and JA4_r, cipher, version and certificate fields against
// Arkime's expected session documents (`arkime/<capture>.arkime.test.json`) for its TLS captures.
// Arkime spells versions "TLSv1.3"/"TLSv1" and lower-cases CNs; its cert hash is SHA-1, so
// certificates are matched by serial number.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ja3String, ja3sString, ja4Forms } from "../../../sensor-ami/src/protocols/tls/index.js";
import { CORPUS, hellosOf, loadFixture } from "./support.js";

interface ArkimeCert {
  serial: string;
  notBefore: number;
  notAfter: number;
  subjectCN?: string[];
  alt?: string[];
}

interface ArkimeSession {
  body: {
    ipProtocol: number;
    source: { port: number };
    tls?: Record<string, string[]>;
    cert?: ArkimeCert[];
  };
}

/** Zeek version names to Arkime's: TLSv13 → TLSv1.3, TLSv10 → TLSv1. */
function arkimeVersion(zeekName: unknown): string {
  const match = /^TLSv1(\d)$/.exec(String(zeekName));
  if (!match) return String(zeekName);
  return match[1] === "0" ? "TLSv1" : `TLSv1.${match[1]}`;
}

const CAPTURES = ["curl-enabled-tls13.pcap", "https3-301-get.pcap", "tls-split-client-hello.pcap"];

describe("TLS against Arkime's expected sessions", () => {
  for (const name of CAPTURES) {
    it(`${name}: fingerprints, cipher, version and certificates agree`, () => {
      // Prepare
      const sessions = (
        JSON.parse(readFileSync(join(CORPUS, `arkime/${name}.arkime.test.json`), "utf8")) as {
          sessions3: ArkimeSession[];
        }
      ).sessions3.filter((s) => s.body.ipProtocol === 6 && s.body.tls);
      expect(sessions.length).toBeGreaterThan(0);
      const fixture = loadFixture(name);
      for (const { body } of sessions) {
        const stream = fixture.streams.find((s) => s.ports[0] === body.source.port)!;
        const tls = body.tls!;
        // Act
        const { clients, servers, recorded } = hellosOf(stream);
        const ssl = recorded.logs.find((l) => l.path === "ssl")!.record;
        const forms = ja4Forms(clients[0], "t")!;
        // Assess
        expect(ssl.ja3).toBe(tls.ja3[0]);
        expect(ja3String(clients[0])).toBe(tls.ja3string[0]);
        expect(ssl.ja3s).toBe(tls.ja3s[0]);
        expect(ja3sString(servers[0])).toBe(tls.ja3sstring[0]);
        expect(forms.ja4).toBe(tls.ja4[0]);
        expect(forms.ja4_r).toBe(tls.ja4_r[0]);
        expect(ssl.cipher).toBe(tls.cipher[0]);
        expect(arkimeVersion(ssl.version)).toBe(tls.version[0]);
        const certificates = recorded.logs.filter((l) => l.path === "x509").map((l) => l.record);
        expect(certificates).toHaveLength(body.cert?.length ?? 0);
        for (const cert of body.cert ?? []) {
          const ours = certificates.find(
            (c) => String(c["certificate.serial"]).toLowerCase() === cert.serial,
          )!;
          expect(ours, `certificate ${cert.serial}`).toBeDefined();
          expect(Number(ours["certificate.not_valid_before"]) * 1000).toBe(cert.notBefore);
          expect(Number(ours["certificate.not_valid_after"]) * 1000).toBe(cert.notAfter);
          expect(ours["san.dns"] ?? []).toEqual(cert.alt ?? []);
          const cn = /(?:^|,)CN=([^,]*)/.exec(String(ours["certificate.subject"]))?.[1];
          expect([cn?.toLowerCase()]).toEqual(cert.subjectCN);
        }
      }
    });
  }
});
