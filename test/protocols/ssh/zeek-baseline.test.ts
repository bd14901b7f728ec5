// ssh.log field by field against Zeek's baseline for ssh/ssh.pcap
// (fixtures/zeek-ssh.log: zeek/zeek@a13de64 testing/btest/Baseline/scripts.base.protocols.ssh.basic).
//
// Documented differences:
// - direction: Zeek derives OUTBOUND/INBOUND from Site::local_nets; an analyzer has no site
//   configuration, so we never set it.
// - host_key_fingerprint: the baseline holds 32 base64 characters after "SHA256:"; OpenSSH's
//   form (which we log) has all 43. We require the baseline's text to be our prefix.

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readZeekLog } from "../http/stream-fixture.js";
import { runSshFixture, sshFixtureUrl } from "./ssh-runs.js";

const EXACT_FIELDS = [
  "version",
  "auth_success",
  "auth_attempts",
  "client",
  "server",
  "cipher_alg",
  "mac_alg",
  "compression_alg",
  "kex_alg",
  "host_key_alg",
] as const;

function asZeekText(value: unknown): string {
  if (value === undefined) return "-";
  if (value === true) return "T";
  if (value === false) return "F";
  return String(value);
}

describe("ssh.log against Zeek's ssh.pcap baseline", () => {
  // Prepare
  const expected = readZeekLog(fileURLToPath(sshFixtureUrl("zeek-ssh.log")));
  // Act
  const runs = runSshFixture("ssh.json");

  it("logs exactly the connections Zeek logs, one record each", () => {
    // Assess
    const loggedPorts = runs.filter((r) => r.record).map((r) => r.clientPort);
    expect(loggedPorts.sort()).toEqual(expected.map((row) => row["id.orig_p"]).sort());
  });

  it("agrees on every field both produce", () => {
    // Assess
    const disagreements: string[] = [];
    for (const row of expected) {
      const run = runs.find((r) => r.clientPort === row["id.orig_p"]);
      const record = run?.record;
      if (!record) {
        disagreements.push(`${row["id.orig_p"]}: no record`);
        continue;
      }
      for (const field of EXACT_FIELDS) {
        const got = asZeekText(record[field]);
        if (got !== row[field]) disagreements.push(`${row["id.orig_p"]} ${field}: ${got} != ${row[field]}`);
      }
      const fingerprint = record.host_key_fingerprint as string | undefined;
      const zeekFingerprint = row.host_key_fingerprint;
      if (zeekFingerprint === "-" ? fingerprint !== undefined : !fingerprint?.startsWith(zeekFingerprint)) {
        disagreements.push(`${row["id.orig_p"]} host_key_fingerprint: ${fingerprint} vs ${zeekFingerprint}`);
      }
      if (fingerprint !== undefined) expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
    expect(disagreements).toEqual([]);
  });

  it("rejects the capture's one non-SSH connection (TLS records to port 8118) without a record", () => {
    // Assess
    const tls = runs.find((r) => r.clientPort === "51476");
    expect(tls?.record).toBeUndefined();
    expect(tls?.out.violations).toHaveLength(1);
    expect(tls?.out.violations[0]).toMatch(/did not open with "SSH-"/);
  });
});
