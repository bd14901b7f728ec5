// http.log field by field against Zeek's btest baselines for the same captures
// (fixtures/zeek/*.http.log are unmodified copies of zeek/zeek@a13de64 baselines).

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fixtureUrl, runHttpFixture } from "./corpus-runs.js";
import { readZeekLog } from "./stream-fixture.js";

const COMPARED_FIELDS = [
  "trans_depth",
  "method",
  "host",
  "uri",
  "referrer",
  "version",
  "user_agent",
  "origin",
  "request_body_len",
  "response_body_len",
  "status_code",
  "status_msg",
  "info_code",
  "info_msg",
  "username",
  "password",
  "proxied",
  "orig_mime_types",
  "resp_mime_types",
] as const;

/** Our JSON value in Zeek's TSV notation: unset "-", empty set "(empty)", sets comma-joined. */
function asZeekText(value: unknown, field: string): string {
  if (value === undefined) return field === "proxied" ? "-" : "-";
  if (Array.isArray(value)) return value.length === 0 ? "(empty)" : value.join(",");
  return String(value);
}

const CASES = [
  // Zeek never analyzes 141.142.220.118:35634: the capture starts mid-connection (no SYN, conn.log
  // OTH, no service). We analyze it because the fixture hands us its bytes; the engine decides.
  { fixture: "wikipedia.json", baseline: "wikipedia.http.log", extraClientPorts: ["35634"] },
  { fixture: "http-get.json", baseline: "http-get.http.log", extraClientPorts: [] },
  { fixture: "http-pipelined.json", baseline: "http-pipelined.http.log", extraClientPorts: [] },
  { fixture: "vxlan-http.json", baseline: "vxlan-http.http.log", extraClientPorts: [] },
  { fixture: "mixed-vlan-mpls.json", baseline: "mixed-vlan-mpls.http.log", extraClientPorts: [] },
];

describe("http.log against Zeek baselines", () => {
  for (const c of CASES) {
    it(`${c.fixture}: every field both produce agrees`, () => {
      // Prepare
      const expected = readZeekLog(fileURLToPath(fixtureUrl(`zeek/${c.baseline}`)));

      // Act
      const runs = runHttpFixture(c.fixture);

      // Assess
      const ours = runs.flatMap((run) => run.records.map((record) => ({ port: run.clientPort, record })));
      const disagreements: string[] = [];
      for (const row of expected) {
        const mine = ours.find(
          (o) => o.port === row["id.orig_p"] && String(o.record.trans_depth) === row.trans_depth,
        );
        if (!mine) {
          disagreements.push(`missing ${row["id.orig_p"]}#${row.trans_depth}`);
          continue;
        }
        for (const field of COMPARED_FIELDS) {
          const got = asZeekText(mine.record[field], field);
          if (got !== row[field])
            disagreements.push(`${row["id.orig_p"]}#${row.trans_depth} ${field}: ${got} != ${row[field]}`);
        }
      }
      const extra = ours.filter(
        (o) =>
          !expected.some(
            (row) => row["id.orig_p"] === o.port && row.trans_depth === String(o.record.trans_depth),
          ),
      );
      expect(disagreements).toEqual([]);
      expect(extra.map((o) => o.port)).toEqual(c.extraClientPorts);
      expect(ours.length).toBe(expected.length + c.extraClientPorts.length);
    });
  }
});
