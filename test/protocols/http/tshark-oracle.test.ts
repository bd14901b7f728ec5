// HTTP method/host/uri/user_agent and response codes against tshark 4.0's dissection of the same
// frames (fixtures/tshark/*.tsv: rows of the corpus' <capture>.tshark.tsv for these streams).
//
// Known, documented disagreements (counted, never silently skipped):
// - host-port: tshark prints the Host header verbatim ("apache.org:443"); http.log, like Zeek,
//   drops the port.
// - Replies are paired with tshark's status rows in order, skipping records whose reply was not
//   captured (1kxun.pcap 45422 joins mid-connection: the first reply has no status line).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixtureUrl, runHttpFixture } from "./corpus-runs.js";

interface TsharkRow {
  frame: string;
  srcPort: string;
  dstPort: string;
  method: string;
  host: string;
  uri: string;
  userAgent: string;
  code: string;
}

function readTshark(name: string): TsharkRow[] {
  const lines = readFileSync(fixtureUrl(`tshark/${name}`), "utf8")
    .split("\n")
    .slice(1);
  return lines
    .filter((line) => line.length > 0)
    .map((line) => {
      const f = line.split("\t").map((v) => v ?? "");
      while (f.length < 11) f.push("");
      return {
        frame: f[0],
        srcPort: f[4],
        dstPort: f[5],
        method: f[6],
        host: f[7],
        uri: f[8],
        userAgent: f[9],
        code: f[10],
      };
    });
}

const CASES = [
  { fixture: "wikipedia.json", tshark: "wikipedia.tsv", hostPort: 0 },
  { fixture: "http-get.json", tshark: "http__get.tsv", hostPort: 0 },
  { fixture: "http-pipelined.json", tshark: "http__pipelined-requests.tsv", hostPort: 0 },
  { fixture: "vxlan-http.json", tshark: "tunnels__vxlan-encapsulated-http.tsv", hostPort: 0 },
  { fixture: "mixed-vlan-mpls.json", tshark: "mixed-vlan-mpls.tsv", hostPort: 0 },
  { fixture: "ipv6-streams.json", tshark: "four_ipv6_http_streams.tsv", hostPort: 0 },
  { fixture: "ndpi-1kxun.json", tshark: "1kxun.tsv", hostPort: 0 },
  { fixture: "ndpi-http-connect.json", tshark: "http_connect.tsv", hostPort: 1 },
];

describe("HTTP fields against tshark", () => {
  for (const c of CASES) {
    it(`${c.fixture}: requests and status codes agree with ${c.tshark}`, () => {
      // Prepare
      const rows = readTshark(c.tshark);

      // Act
      const runs = runHttpFixture(c.fixture);

      // Assess
      const disagreements: string[] = [];
      let hostPortDifferences = 0;
      let compared = 0;
      for (const run of runs) {
        const requests = rows.filter((r) => r.method !== "" && r.srcPort === run.clientPort);
        const finalReplies = rows.filter(
          (r) => r.code !== "" && r.dstPort === run.clientPort && !r.code.startsWith("1"),
        );
        for (const [i, row] of requests.entries()) {
          const rec = run.records[i];
          compared++;
          if (!rec) {
            disagreements.push(`frame ${row.frame}: no record`);
            continue;
          }
          const host = String(rec.host ?? "");
          if (row.host !== host) {
            if (row.host.startsWith(`${host}:`)) hostPortDifferences++;
            else disagreements.push(`frame ${row.frame} host ${host} != ${row.host}`);
          }
          if (row.method !== rec.method) disagreements.push(`frame ${row.frame} method ${rec.method}`);
          if (row.uri !== rec.uri) disagreements.push(`frame ${row.frame} uri ${rec.uri}`);
          if (row.userAgent !== String(rec.user_agent ?? ""))
            disagreements.push(`frame ${row.frame} user_agent`);
        }
        // Records whose reply was never captured (no status) have no tshark reply row either.
        const answered = run.records.filter((r) => r.status_code !== undefined);
        for (const [i, row] of finalReplies.entries()) {
          compared++;
          const code = answered[i]?.status_code;
          if (String(code) !== row.code)
            disagreements.push(`frame ${row.frame} status ${code} != ${row.code}`);
        }
      }
      expect(compared).toBeGreaterThan(0);
      expect(disagreements).toEqual([]);
      expect(hostPortDifferences).toBe(c.hostPort);
    });
  }
});
