// The log writers on real records: the records the engine and analyzers produce for corpus
// captures, written as JSON lines and as Zeek TSV, then read back; plus Zeek's TSV escaping and
// unset/empty conventions on records built to exercise them.

import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { LOG_SCHEMAS } from "../../sensor-ami/src/cli/analyze.js";
import { Engine } from "../../sensor-ami/src/engine/engine.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { buildInspector } from "../../sensor-ami/src/inspect/index.js";
import {
  FileLogWriter,
  type LogRecordObject,
  type LogSink,
  LogWriteError,
} from "../../sensor-ami/src/logs/writer.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";
import { readZeekLog } from "../support/zeek-log.js";

/** Captures with conn, weird (decoder and connection), dns (a flipped flow), http, dhcp (uids) records. */
const CAPTURES = [
  "zeek/http__get.pcap",
  "zeek/dns53.pcap",
  "zeek/dhcp__dhcp.pcap",
  "zeek/mixed-vlan-mpls.pcap",
  "zeek/ipv6-http-atomic-frag.pcap",
];

class MemorySink implements LogSink {
  readonly records: { path: string; record: LogRecordObject }[] = [];
  write(path: string, record: LogRecordObject): void {
    this.records.push({ path, record });
  }
}

function realRecords(): { path: string; record: LogRecordObject }[] {
  const sink = new MemorySink();
  for (const capture of CAPTURES) {
    const engine = new Engine(sink, { seed: 1 });
    engine.inspector = buildInspector(engine.weirds, sink);
    const reader = CaptureReader.open(join(CORPUS_DIR, capture));
    const frame = new Frame();
    while (reader.next(frame)) engine.process(frame);
    reader.close();
    engine.finish();
  }
  return sink.records;
}

function writeAll(records: { path: string; record: LogRecordObject }[], format: "json" | "tsv"): string {
  const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
  const writer = new FileLogWriter(dir, format, LOG_SCHEMAS);
  for (const { path, record } of records) writer.write(path, record);
  writer.close();
  return dir;
}

function lines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** What Zeek's ASCII writer prints for a value of a column (the reading side of the writer). */
function zeekText(v: unknown, type: string): string {
  if (v === undefined || v === null) return "-";
  if (type === "time" || type === "interval") return (v as number).toFixed(6);
  if (typeof v === "boolean") return v ? "T" : "F";
  if (Array.isArray(v)) {
    if (v.length === 0) return "(empty)";
    return v.map((x) => (type === "vector[interval]" ? (x as number).toFixed(6) : String(x))).join(",");
  }
  return v === "" ? "(empty)" : String(v);
}

describe.skipIf(!corpusAvailable())("log writers on real records", () => {
  let records: { path: string; record: LogRecordObject }[] = [];
  const byPath = (path: string) => records.filter((r) => r.path === path).map((r) => r.record);
  beforeAll(() => {
    records = realRecords();
  });

  it("the corpus gives records of every kind the assertions below rely on", () => {
    for (const path of ["conn", "weird", "dns", "http", "dhcp"])
      expect(byPath(path).length).toBeGreaterThan(0);
    // Unset fields (undefined) occur in real conn records, and dhcp records carry `uids`, no uid.
    expect(byPath("conn").some((r) => Object.values(r).includes(undefined))).toBe(true);
    expect(byPath("dhcp").every((r) => Array.isArray(r.uids) && r.uid === undefined)).toBe(true);
    // weird.log mixes records about a connection (uid, id.*) with decoder weirds (neither).
    expect(byPath("weird").some((r) => r.uid !== undefined)).toBe(true);
    expect(byPath("weird").some((r) => r.uid === undefined)).toBe(true);
  });

  it("JSON: one line per record, the record's fields in its own order, unset fields omitted", () => {
    const dir = writeAll(records, "json");
    for (const path of new Set(records.map((r) => r.path))) {
      const written = lines(join(dir, `${path}.log`)).map((l) => JSON.parse(l) as Record<string, unknown>);
      const expected = byPath(path);
      expect(written).toHaveLength(expected.length);
      written.forEach((w, i) => {
        const set = Object.keys(expected[i]).filter((k) => expected[i][k] !== undefined);
        expect(Object.keys(w)).toEqual(set);
        for (const k of set) expect(w[k]).toEqual(expected[i][k]);
      });
    }
  });

  it("TSV: the schema's columns and types in the header, every value as Zeek prints it", () => {
    const dir = writeAll(records, "tsv");
    for (const path of new Set(records.map((r) => r.path))) {
      const schema = LOG_SCHEMAS[path];
      const file = join(dir, `${path}.log`);
      const text = readFileSync(file, "utf8");
      expect(
        text.startsWith("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"),
      ).toBe(true);
      expect(text).toContain(`#path\t${path}\n`);
      expect(text).toContain(`#types\t${schema.map((f) => f[1]).join("\t")}\n`);
      expect(text).toMatch(/\n#close\t\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\n$/);
      const log = readZeekLog(file);
      expect(log.fields).toEqual(schema.map((f) => f[0]));
      const expected = byPath(path);
      expect(log.rows).toHaveLength(expected.length);
      log.rows.forEach((row, i) => {
        for (const [field, type] of schema)
          expect(row[field], `${path} ${field}`).toBe(zeekText(expected[i][field], type));
      });
      // Every line has exactly one column per field (no separator leaked from a value).
      for (const line of lines(file).filter((l) => !l.startsWith("#"))) {
        expect(line.split("\t")).toHaveLength(schema.length);
      }
    }
  });
});

describe("TSV escaping and the unset/empty conventions", () => {
  it("escapes tab, newline, CR, control bytes and backslash as \\xHH; keeps other bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    const writer = new FileLogWriter(dir, "tsv", {
      http: [
        ["ts", "time"],
        ["uri", "string"],
        ["tags", "set[enum]"],
        ["username", "string"],
        ["password", "string"],
        ["proxied", "set[string]"],
        ["rtt", "vector[interval]"],
        ["AA", "bool"],
        ["trans_depth", "count"],
      ],
    });
    writer.write("http", {
      ts: 1362692526.9395,
      uri: "/a\tb\nc\rd\u0001e\\f\u00e9",
      tags: [],
      username: "",
      proxied: ["x,y", "z\t"],
      rtt: [0.5, 1],
      AA: false,
      trans_depth: 3,
    });
    writer.close();
    const row = lines(join(dir, "http.log"))
      .filter((l) => !l.startsWith("#"))[0]
      .split("\t");
    expect(row).toEqual([
      "1362692526.939500",
      "/a\\x09b\\x0ac\\x0dd\\x01e\\x5cf\u00e9",
      "(empty)",
      "(empty)",
      "-",
      "x,y,z\\x09",
      "0.500000,1.000000",
      "F",
      "3",
    ]);
  });

  it("JSON escapes control characters and keeps byte strings readable back to the same text", () => {
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    const writer = new FileLogWriter(dir, "json");
    const record = { ts: 1, query: "a\tb\u0000\u00ff\\", answers: ["x"], AA: true, rtt: undefined };
    writer.write("dns", record);
    writer.close();
    const [line] = lines(join(dir, "dns.log"));
    expect(line).toBe('{"ts":1,"query":"a\\tb\\u0000ÿ\\\\","answers":["x"],"AA":true}');
    expect(JSON.parse(line)).toEqual({ ts: 1, query: record.query, answers: ["x"], AA: true });
  });

  it("a log without a schema takes the first record's fields, with types guessed from their values", () => {
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    const writer = new FileLogWriter(dir, "tsv");
    writer.write("custom", { name: "n", count: 2, ratio: 0.5, ok: true, list: ["a", "b"] });
    writer.write("custom", { name: "m", extra: "not a column" });
    writer.close();
    const text = readFileSync(join(dir, "custom.log"), "utf8");
    expect(text).toContain("#fields\tname\tcount\tratio\tok\tlist\n");
    expect(text).toContain("#types\tstring\tcount\tdouble\tbool\tvector[string]\n");
    expect(lines(join(dir, "custom.log")).filter((l) => !l.startsWith("#"))).toEqual([
      "n\t2\t0.5\tT\ta,b",
      "m\t-\t-\t-\t-",
    ]);
  });

  it("touch() leaves an empty JSON log, and a header-only TSV log, with a count of 0", () => {
    for (const format of ["json", "tsv"] as const) {
      const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
      const writer = new FileLogWriter(dir, format, LOG_SCHEMAS);
      writer.touch("weird");
      expect(writer.counts.get("weird")).toBe(0);
      writer.close();
      const text = readFileSync(join(dir, "weird.log"), "utf8");
      if (format === "json") expect(text).toBe("");
      else expect(lines(join(dir, "weird.log")).every((l) => l.startsWith("#"))).toBe(true);
    }
  });

  it("an output directory that cannot be created is a LogWriteError", () => {
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    expect(() => new FileLogWriter(join(file, "logs"))).toThrow(LogWriteError);
  });

  it("creates missing parents, and refuses /proc at once (Node's recursive mkdir spins there)", () => {
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    new FileLogWriter(join(dir, "a", "b", "c")).close();
    expect(existsSync(join(dir, "a", "b", "c"))).toBe(true);
    expect(() => new FileLogWriter("/proc/self/x/y")).toThrow(
      /cannot create output directory \/proc\/self\/x\/y: cannot create \/proc\/self\/x: the file system does not allow creating it/,
    );
  });

  it("#open and #close carry the writer's clock (the capture's time with --seed)", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    let now = 1300475167.9;
    const writer = new FileLogWriter(dir, "tsv", LOG_SCHEMAS, () => now);
    // Act
    writer.touch("conn");
    now = 1300475233.2;
    writer.close();
    // Assess
    const text = readFileSync(join(dir, "conn.log"), "utf8");
    expect(text).toContain("#open\t2011-03-18-19-06-07\n");
    expect(text.endsWith("#close\t2011-03-18-19-07-13\n")).toBe(true);
    expect(writer.closedAt).toBe(now);
  });

  it("a device that takes no bytes (ENOSPC from /dev/full) is a LogWriteError naming the file and reason", () => {
    // Prepare: the log file is /dev/full, whose writes fail with ENOSPC
    const dir = mkdtempSync(join(tmpdir(), "spanless-logs-"));
    symlinkSync("/dev/full", join(dir, "dns.log"));
    const writer = new FileLogWriter(dir, "json");
    writer.write("dns", { ts: 1, query: "example.com" });
    // Act + Assess
    expect(() => writer.close()).toThrow(
      new RegExp(
        `cannot write ${join(dir, "dns.log")}: no space left on device \\(ENOSPC\\); it ends at its last whole record \\(0 bytes\\)`,
      ),
    );
  });
});
