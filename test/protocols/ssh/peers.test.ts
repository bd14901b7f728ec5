// Banners against tshark, HASSH against nDPI (fixtures/*.hassh.txt are the HASSH columns of the
// corpus' nDPI outputs), and SSH identified by content on port 80 and 8000.
//
// Documented disagreements with ndpiReader 4.2 on ssh.pcap (fixtures/ndpireader-ssh.hassh.txt):
// - d41d8cd98f00b204e9800998ecf8427e is the MD5 of an empty string: nDPI 4.2 did not parse that
//   side's KEXINIT (split across segments); the newer nDPI in ndpi-ssh.hassh.txt does. Skipped.
// - 10.0.0.18:40184 -> 128.2.6.88:41644: nDPI 4.2 calls the server's HASSH "HASSH-C"; the
//   KEXINIT comes from the port-41644 side, which answered the SYN, so it is the server's.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { probeSsh } from "../../../sensor-ami/src/protocols/ssh/index.js";
import { ProbeResult } from "../../../sensor-ami/src/protocols/types.js";
import { runSshFixture, sshFixtureUrl } from "./ssh-runs.js";

const EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";

function readHassh(name: string): { client: string; clientHassh: string; serverHassh: string }[] {
  return readFileSync(sshFixtureUrl(name), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const [flow, c, s] = line.split("\t");
      const client = flow.split(" ")[1];
      return {
        client,
        clientHassh: c.replace("HASSH-C: ", "").toLowerCase(),
        serverHassh: s.replace("HASSH-S: ", "").toLowerCase(),
      };
    });
}

describe("HASSH against nDPI", () => {
  it("matches nDPI dev's HASSH-C and HASSH-S for ndpi/ssh.pcap (incl. SSH on port 8000)", () => {
    // Prepare
    const expected = readHassh("ndpi-ssh.hassh.txt");
    // Act
    const runs = runSshFixture("ndpi-ssh.json");
    // Assess
    expect(expected).toHaveLength(2);
    for (const row of expected) {
      const run = runs.find((r) => r.fixture.originator === row.client);
      expect(run?.record?.hassh).toBe(row.clientHassh);
      expect(run?.record?.hasshServer).toBe(row.serverHassh);
    }
  });

  it("matches ndpiReader 4.2 on zeek/ssh.pcap wherever 4.2 saw the KEXINIT", () => {
    // Prepare
    const expected = readHassh("ndpireader-ssh.hassh.txt");
    // Act
    const runs = runSshFixture("ssh.json");
    // Assess
    let compared = 0;
    const disagreements: string[] = [];
    for (const row of expected) {
      const record = runs.find((r) => r.fixture.originator === row.client)?.record;
      const swapped = row.client === "10.0.0.18:40184";
      const pairs: [string, unknown][] = [
        [row.clientHassh, swapped ? record?.hasshServer : record?.hassh],
        [row.serverHassh, swapped ? record?.hassh : record?.hasshServer],
      ];
      for (const [theirs, ours] of pairs) {
        if (theirs === EMPTY_MD5) continue;
        compared++;
        if (theirs !== ours) disagreements.push(`${row.client}: ${ours} != ${theirs}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(compared).toBe(13);
  });

  it("hashes exactly the algorithm string it logs (Salesforce's kex;enc;mac;cmp layout)", () => {
    // Act
    const record = runSshFixture("ndpi-ssh.json")[1].record!;
    // Assess
    const algorithms = String(record.hasshAlgorithms);
    expect(algorithms.split(";")).toHaveLength(4);
    expect(createHash("md5").update(algorithms).digest("hex")).toBe(record.hassh);
    expect(algorithms.split(";")[0].split(",")).toContain(record.kex_alg);
    expect(String(record.hasshServerAlgorithms).split(";")[1].split(",")).toContain("aes128-ctr");
  });
});

describe("banners against tshark", () => {
  it("client and server software agree with tshark's ssh.protocol on every banner it decoded", () => {
    // Prepare
    const rows = readFileSync(sshFixtureUrl("ssh__ssh.tshark.tsv"), "utf8").trim().split("\n").slice(1);
    // Act
    const runs = runSshFixture("ssh.json");
    // Assess
    const disagreements: string[] = [];
    for (const row of rows) {
      const [frame, srcPort, dstPort, banner] = row.split("\t");
      const fromClient = runs.find((r) => r.clientPort === srcPort);
      const run = fromClient ?? runs.find((r) => r.clientPort === dstPort);
      const ours = fromClient ? run?.record?.client : run?.record?.server;
      if (ours !== banner) disagreements.push(`frame ${frame}: ${ours} != ${banner}`);
    }
    expect(rows.length).toBe(40);
    expect(disagreements).toEqual([]);
  });
});

describe("identification by content, not port", () => {
  it("probes and analyzes SSH on port 80 (zeek/ssh-on-port-80.pcap; tshark misses it)", () => {
    // Prepare
    const [run] = runSshFixture("ssh-on-port-80.json");
    const first = (orig: boolean) =>
      Buffer.from(run.fixture.segments.find((s) => s.orig === orig && s.hex)!.hex!, "hex");
    // Act / Assess
    expect(run.fixture.originator.endsWith(":49656")).toBe(true);
    expect(probeSsh(first(true), true)).toBe(ProbeResult.Yes);
    expect(probeSsh(first(false), false)).toBe(ProbeResult.Yes);
    expect(run.out.confirmed).toEqual(["ssh"]);
    expect(run.record).toMatchObject({
      version: 2,
      client: "SSH-2.0-OpenSSH_5.2",
      server: "SSH-2.0-OpenSSH_5.8p1 Debian-1ubuntu3",
      kex_alg: "diffie-hellman-group-exchange-sha256",
      host_key_alg: "ssh-rsa",
    });
  });

  it("says No to HTTP, TLS and binary, Maybe to a bare prefix", () => {
    // Prepare
    const tlsRecord = Buffer.from("170303002800000000000000071d704d", "hex"); // ssh.pcap frame 904
    // Act / Assess
    expect(probeSsh(Buffer.from("GET / HTTP/1.1\r\n"), true)).toBe(ProbeResult.No);
    expect(probeSsh(tlsRecord, true)).toBe(ProbeResult.No);
    expect(probeSsh(Buffer.from("SSH"), true)).toBe(ProbeResult.Maybe);
    expect(probeSsh(Buffer.from("SSH-2.0-"), false)).toBe(ProbeResult.Yes);
  });
});
