// ssl.log and x509.log against Zeek's btest baselines (`<capture>.zeek/<test>/*.log`), field by
// field for every field both produce. Rows are matched by the connection's ports (ssl.log) or the
// certificate fingerprint (x509.log); ts is masked in the baselines and not compared. Values are
// rendered the way Zeek's TSV writer does ("-" unset, "(empty)" empty set, T/F, %.6f times).

import { describe, expect, it } from "vitest";
import type { LogRecord } from "../../../sensor-ami/src/protocols/types.js";
import { loadFixture, replay, sslLogs, type TsvRow, zeekRows } from "./support.js";

const SSL_FIELDS = [
  "version",
  "cipher",
  "curve",
  "server_name",
  "resumed",
  "last_alert",
  "next_protocol",
  "established",
  "ssl_history",
  "cert_chain_fps",
  "client_cert_chain_fps",
  "subject",
  "issuer",
  "sni_matches_cert",
];

const X509_FIELDS = [
  "certificate.version",
  "certificate.serial",
  "certificate.subject",
  "certificate.issuer",
  "certificate.not_valid_before",
  "certificate.not_valid_after",
  "certificate.key_alg",
  "certificate.sig_alg",
  "certificate.key_type",
  "certificate.key_length",
  "certificate.exponent",
  "certificate.curve",
  "san.dns",
  "san.uri",
  "san.email",
  "san.ip",
  "basic_constraints.ca",
  "basic_constraints.path_len",
  "host_cert",
  "client_cert",
];

/**
 * Fields where we knowingly differ from Zeek, with the reason: "<capture> <orig port> <field>".
 * The 339,629-byte Certificate message of tls-fragmented-handshake is over MAX_HANDSHAKE_MESSAGE_BYTES
 * (128 KiB): we log its "x" history letter and skip it instead of buffering it, so no subject/issuer.
 */
const KNOWN_SSL_DIFFERENCES = new Set([
  "zeek/tls__tls-fragmented-handshake.pcap 61454 cert_chain_fps",
  "zeek/tls__tls-fragmented-handshake.pcap 61454 client_cert_chain_fps",
  "zeek/tls__tls-fragmented-handshake.pcap 61454 subject",
  "zeek/tls__tls-fragmented-handshake.pcap 61454 issuer",
  "zeek/tls__tls-fragmented-handshake.pcap 61454 sni_matches_cert",
]);

function zeekText(value: unknown, field: string): string {
  if (value === undefined || value === null) return "-";
  if (typeof value === "boolean") return value ? "T" : "F";
  if (Array.isArray(value)) return value.length === 0 ? "(empty)" : value.join(",");
  if (typeof value === "number" && field.includes("not_valid")) return value.toFixed(6);
  return String(value);
}

const SSL_BASELINES: [string, string][] = [
  ["tls__tls1.2.pcap", "zeek/tls__tls1.2.pcap.zeek/scripts.base.protocols.ssl.tls-1.2/ssl.log"],
  [
    "tls__tls13-ech.pcap",
    "zeek/tls__tls13-ech.pcap.zeek/scripts.base.protocols.ssl.tls13-encrypted-client-hello/ssl.log",
  ],
  [
    "tls__tls-fragmented-handshake.pcap",
    "zeek/tls__tls-fragmented-handshake.pcap.zeek/scripts.base.protocols.ssl.fragment/ssl.log",
  ],
  [
    "tls__tls-conn-with-extensions.pcap",
    "zeek/tls__tls-conn-with-extensions.pcap.zeek/scripts.base.protocols.ssl.basic/ssl.log",
  ],
  ["tls__ssl.v3.pcap", "zeek/tls__ssl.v3.pcap.zeek/scripts.policy.protocols.ssl.ssl-log-ext/ssl-all.log"],
];

const X509_BASELINES: [string, string][] = [
  ["tls__tls1.2.pcap", "zeek/tls__tls1.2.pcap.zeek/scripts.base.protocols.ssl.tls-1.2/x509.log"],
  [
    "tls__tls-conn-with-extensions.pcap",
    "zeek/tls__tls-conn-with-extensions.pcap.zeek/scripts.base.protocols.ssl.basic/x509.log",
  ],
];

describe("ssl.log against Zeek baselines", () => {
  for (const [name, baseline] of SSL_BASELINES) {
    it(`${name}: fields agree with ${baseline.split("/")[2]}`, () => {
      // Prepare
      const fixture = loadFixture(name);
      const rows = zeekRows(baseline);
      const differences: string[] = [];
      let compared = 0;
      for (const stream of fixture.streams) {
        const row = rows.find(
          (r: TsvRow) =>
            r["id.orig_p"] === String(stream.ports[0]) && r["id.resp_p"] === String(stream.ports[1]),
        );
        if (!row) continue;
        // Act
        const [record] = sslLogs(replay(stream)) as LogRecord[];
        // Assess
        for (const field of SSL_FIELDS.filter((f) => f in row)) {
          compared++;
          const ours = zeekText(record[field], field);
          const key = `${fixture.capture} ${stream.ports[0]} ${field}`;
          if (ours !== row[field] && !KNOWN_SSL_DIFFERENCES.has(key))
            differences.push(`${key}: ours=${ours} zeek=${row[field]}`);
        }
      }
      if (process.env.TLS_ORACLE_REPORT) console.log(`${name}: ${compared} ssl.log fields compared`);
      expect(differences).toEqual([]);
      expect(compared).toBeGreaterThanOrEqual(9);
    });
  }
});

describe("x509.log against Zeek baselines", () => {
  for (const [name, baseline] of X509_BASELINES) {
    it(`${name}: every certificate's fields agree`, () => {
      // Prepare
      const fixture = loadFixture(name);
      const rows = zeekRows(baseline);
      // Act
      const certificates = fixture.streams.flatMap((s) =>
        replay(s)
          .logs.filter((l) => l.path === "x509")
          .map((l) => l.record),
      );
      // Assess
      expect(certificates.map((c) => c.fingerprint)).toEqual(rows.map((r) => r.fingerprint));
      for (const row of rows) {
        const ours = certificates.find((c) => c.fingerprint === row.fingerprint)!;
        for (const field of X509_FIELDS.filter((f) => f in row)) {
          expect(zeekText(ours[field], field), `${row.fingerprint.slice(0, 8)} ${field}`).toBe(row[field]);
        }
      }
    });
  }
});
