// The Athena tables: generated from the analyzers' log schemas (tools/athena-ddl.mjs), committed beside
// the collector, and able to read every field the analyzers and the live sensor's enrichment write.
// Athena cannot run here, so the test applies the JSON SerDe's own mapping (dots.in.keys, case-insensitive
// keys) to real analyzer output and checks each value against its column's Hive type.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOG_SCHEMAS } from "../../sensor-ami/src/cli/analyze.js";
import { CONN_DUP_SCHEMA, DUPLICATE_LOG, markerLine } from "../../sensor-ami/src/collector/conn-dup.js";
import { enrichRecord, VniMapIndex } from "../../sensor-ami/src/daemon/enrichment.js";
import type { OriginTable } from "../../sensor-ami/src/daemon/origins.js";
import { buildInspector } from "../../sensor-ami/src/inspect/index.js";
import {
  ATHENA_DIR,
  athenaFiles,
  ENRICHMENT_COLUMNS,
  hiveColumn,
  tableColumns,
} from "../../tools/athena-ddl.mjs";
import { CORPUS_DIR, corpusAvailable, REPO_ROOT, type RunOutput, runCapture } from "../support/corpus.js";

/** Captures that between them make every log: conn, weird, dns, http, ssl, x509, quic, ssh, dhcp. */
const CAPTURES = [
  "arkime/dns-udp.pcap",
  "arkime/v6-http.pcap",
  "arkime/curl-enabled-tls13.pcap",
  "arkime/wireshark-dhcp.pcap",
  "ja4/tls12.pcap",
  "pcapplusplus/tls.pcap",
  "ja4/ssh.pcapng",
  "ndpi/quic.pcap",
  "ndpi/malformed_dns.pcap",
  "ndpi/ip_fragmented_garbage.pcap",
];
const DEMO = join(REPO_ROOT, "sensor-ami", "samples", "demo.pcap");
const PARTITIONS = ["dt", "hour", "sensor"];
/** The collector's own tables (no enrichment columns). */
const COLLECTOR_SCHEMAS = { [DUPLICATE_LOG]: CONN_DUP_SCHEMA };

/** Does a JSON value fit a Hive column type as the OpenX SerDe reads it? */
function fits(value: unknown, type: string): boolean {
  if (value === null) return true;
  const array = /^array<(.+)>$/.exec(type);
  if (array) return Array.isArray(value) && value.every((v) => fits(v, array[1]!));
  switch (type) {
    case "double":
      return typeof value === "number";
    case "bigint":
    case "int":
      return (
        typeof value === "number" && Number.isInteger(value) && (type === "bigint" || value <= 2 ** 31 - 1)
      );
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    default:
      return false;
  }
}

const runs: RunOutput[] = [];
afterAll(() => {
  for (const r of runs) rmSync(r.dir, { recursive: true, force: true });
});

describe("Athena table definitions", () => {
  it("are committed exactly as tools/athena-ddl.mjs generates them from LOG_SCHEMAS", () => {
    // Prepare
    const expected = athenaFiles(LOG_SCHEMAS, COLLECTOR_SCHEMAS);
    // SPANLESS_UPDATE_ATHENA=1 rewrites them (the script does the same from dist/ after a build).
    if (process.env.SPANLESS_UPDATE_ATHENA === "1") {
      for (const { file, text } of expected) writeFileSync(join(ATHENA_DIR, file), text);
    }

    // Act
    const committed = readdirSync(ATHENA_DIR)
      .filter((f) => f.endsWith(".sql"))
      .sort()
      .map((file) => ({ file, text: readFileSync(join(ATHENA_DIR, file), "utf8") }));

    // Assess
    expect(committed.map((c) => c.file)).toEqual(
      ["conn", "conn_dup", "dhcp", "dns", "http", "quic", "ssh", "ssl", "weird", "x509"].map(
        (l) => `${l}.sql`,
      ),
    );
    expect(committed).toEqual(expected);
  });

  it.each(Object.keys(LOG_SCHEMAS))("%s: columns are unique, typed, apart from the partitions", (log) => {
    // Act
    const columns = tableColumns(LOG_SCHEMAS[log]!);
    const names = columns.map((c) => c.column);

    // Assess
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => PARTITIONS.includes(n))).toEqual([]);
    for (const n of names) expect(n).toMatch(/^[a-z0-9_]+$/);
    for (const [field] of ENRICHMENT_COLUMNS) expect(names).toContain(field);
  });

  it("conn_dup: reads every field of a marker line, with its type; sensor comes from the partition", () => {
    // Prepare: a marker with every optional field, as the collector writes it.
    const both = { communityId: "1:x=", start: 1_795_000_000.25, end: 1_795_000_001 };
    const line = markerLine({
      sensor: "sensor-b",
      record: { ...both, uid: "Cb", mirrorSrc: "10.0.2.9", vni: 202, instanceId: "i-b" },
      of: { ...both, uid: "Ca", mirrorSrc: "10.0.1.5", vni: 101, instanceId: "i-a", sensor: "sensor-a" },
    });

    // Act
    const columns = new Map(tableColumns(CONN_DUP_SCHEMA, false).map((c) => [c.column, c.type]));

    // Assess
    const names = [...columns.keys()];
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => PARTITIONS.includes(n))).toEqual([]);
    expect(names).toEqual(CONN_DUP_SCHEMA.map(([field]) => field)); // no enrichment columns appended
    for (const [key, value] of Object.entries(line)) {
      if (key === "sensor") continue; // the partition column holds it (the marker is stored under it)
      expect(fits(value, columns.get(hiveColumn(key))!), key).toBe(true);
    }
    expect(
      Object.keys(line)
        .filter((k) => k !== "sensor")
        .sort(),
    ).toEqual(names.slice().sort());
  });

  it("hold every enrichment field the live sensor appends, with its type", () => {
    // Prepare
    const record: Record<string, unknown> = { ts: 1, uid: "C1" };
    const origins = { get: () => ({ vni: 4242, source: "10.1.2.3" }) } as unknown as OriginTable;
    const map = new VniMapIndex({
      version: 1,
      generatedAt: "2026-11-24T00:00:00.000Z",
      owner: "spanless",
      vnis: {
        "4242": {
          vpcId: "vpc-1",
          sources: {
            "10.1.2.3": {
              eniId: "eni-1",
              instanceId: "i-1",
              subnetId: "subnet-1",
              availabilityZone: "eu-west-1a",
              sessionId: "tms-1",
              sessionNumber: 1,
              tags: { Name: "web" },
            },
          },
        },
      },
    });

    // Act
    enrichRecord(record, 0, origins, map);
    const columns = new Map(tableColumns(LOG_SCHEMAS.dns!).map((c) => [c.column, c.type]));

    // Assess
    const added = Object.keys(record).filter((k) => k !== "ts" && k !== "uid");
    expect(added.sort()).toEqual(ENRICHMENT_COLUMNS.map(([f]) => f).sort());
    for (const key of added) expect(fits(record[key], columns.get(hiveColumn(key))!), key).toBe(true);
  });

  it.skipIf(!corpusAvailable())(
    "read every field the analyzers write on corpus captures, each value fitting its column",
    () => {
      // Prepare
      const captures = [DEMO, ...CAPTURES.filter((c) => existsSync(join(CORPUS_DIR, c)))];

      // Act
      for (const capture of captures) runs.push(runCapture(capture, { inspector: buildInspector }));

      // Assess
      const seenLogs = new Set<string>();
      const problems: string[] = [];
      for (const run of runs) {
        for (const [log, records] of run.logs) {
          seenLogs.add(log);
          const schema = LOG_SCHEMAS[log];
          if (!schema) {
            problems.push(`${log}: written but has no table`);
            continue;
          }
          const columns = new Map(tableColumns(schema).map((c) => [c.column, c.type]));
          for (const record of records) {
            for (const [key, value] of Object.entries(record)) {
              const type = columns.get(hiveColumn(key));
              if (type === undefined) problems.push(`${log}.${key}: no column`);
              else if (!fits(value, type))
                problems.push(`${log}.${key}: ${JSON.stringify(value)} is not ${type}`);
            }
          }
        }
      }
      expect([...new Set(problems)]).toEqual([]);
      expect([...seenLogs].sort()).toEqual(Object.keys(LOG_SCHEMAS).sort());
    },
  );
});
