// JsonLinesSink: the worker side of the live sensor's logs. Its lines must be FileLogWriter's
// JSON lines byte for byte (spanless analyze and spanless sensor write the same logs), chunked per
// log path at a size limit and on drain(), with record counts, and an enrichment hook.

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CaptureReader } from "../../sensor-ami/src/capture/reader.js";
import { Engine } from "../../sensor-ami/src/engine/engine.js";
import { Frame } from "../../sensor-ami/src/engine/frame.js";
import { buildInspector } from "../../sensor-ami/src/inspect/index.js";
import { JsonLinesSink, type LogChunk } from "../../sensor-ami/src/logs/json-lines.js";
import { FileLogWriter, type LogRecordObject, type LogSink } from "../../sensor-ami/src/logs/writer.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";

type Entry = { path: string; record: LogRecordObject };

/** Records of every kind the engine and analyzers make, from a few corpus captures. */
function corpusRecords(): Entry[] {
  const out: Entry[] = [];
  const sink: LogSink = { write: (path, record) => out.push({ path, record }) };
  for (const capture of ["zeek/http__get.pcap", "zeek/dns53.pcap", "zeek/dhcp__dhcp.pcap"]) {
    const engine = new Engine(sink, { seed: 1 });
    engine.inspector = buildInspector(engine.weirds, sink);
    const reader = CaptureReader.open(join(CORPUS_DIR, capture));
    const frame = new Frame();
    while (reader.next(frame)) engine.process(frame);
    reader.close();
    engine.finish();
  }
  return out;
}

/** Records that exercise JSON's corners: escapes, unset fields, non-ASCII, arrays, floats. */
const CRAFTED: Entry[] = [
  {
    path: "dns",
    record: { ts: 1.5, query: 'a\tb\u0000\u00ff\\"', answers: ["x", "y"], AA: true, rtt: undefined },
  },
  { path: "http", record: { ts: 1362692526.9395, uri: "/ü/€/😀", tags: [], username: "", n: 0, neg: -1e-7 } },
  { path: "conn", record: { uid: "C1", "id.orig_h": "10.0.0.1", "id.orig_p": 80, duration: 0.1 + 0.2 } },
];

function fileWriterText(entries: Entry[]): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "spanless-jsonl-"));
  const writer = new FileLogWriter(dir, "json");
  for (const { path, record } of entries) writer.write(path, record);
  writer.close();
  const out = new Map<string, string>();
  for (const path of new Set(entries.map((e) => e.path)))
    out.set(path, readFileSync(join(dir, `${path}.log`), "utf8"));
  return out;
}

function sinkText(entries: Entry[], chunkBytes?: number): { text: Map<string, string>; chunks: LogChunk[] } {
  const chunks: LogChunk[] = [];
  const sink = new JsonLinesSink({ flush: (c) => chunks.push(...c), chunkBytes });
  for (const { path, record } of entries) sink.write(path, record);
  sink.drain();
  const text = new Map<string, string>();
  for (const c of chunks) text.set(c.path, (text.get(c.path) ?? "") + c.text);
  return { text, chunks };
}

describe("JsonLinesSink", () => {
  it("writes exactly FileLogWriter's JSON lines for crafted records", () => {
    expect(sinkText(CRAFTED).text).toEqual(fileWriterText(CRAFTED));
  });

  it.skipIf(!corpusAvailable())("writes exactly FileLogWriter's JSON lines for the engine's records", () => {
    const records = corpusRecords();
    expect(new Set(records.map((r) => r.path)).size).toBeGreaterThan(3);
    // Small chunks: many flushes per path, joined back they are still the same bytes.
    const { text, chunks } = sinkText(records, 256);
    expect(chunks.length).toBeGreaterThan(new Set(records.map((r) => r.path)).size);
    expect(text).toEqual(fileWriterText(records));
  });

  it("flushes a log's chunk on its own when it reaches the limit; each chunk whole lines with its count", () => {
    // Prepare
    const flushes: LogChunk[][] = [];
    const sink = new JsonLinesSink({ flush: (c) => flushes.push(c), chunkBytes: 100 });
    // Act: 30-byte lines; the 4th conn line crosses 100
    for (let i = 0; i < 4; i++) sink.write("conn", { uid: `C${i}`, pad: "x".repeat(8) });
    sink.write("dns", { q: 1 });
    // Assess
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toHaveLength(1);
    const [chunk] = flushes[0];
    expect(chunk.path).toBe("conn");
    expect(chunk.records).toBe(4);
    expect(chunk.text.split("\n")).toHaveLength(5);
    expect(chunk.text.endsWith("\n")).toBe(true);
    expect(sink.pendingBytes).toBe('{"q":1}\n'.length);
    // drain(): everything pending in one call, nothing for an emptied log
    sink.drain();
    expect(flushes).toHaveLength(2);
    expect(flushes[1]).toEqual([{ path: "dns", text: '{"q":1}\n', records: 1 }]);
    sink.drain();
    expect(flushes).toHaveLength(2);
    expect(sink.pendingBytes).toBe(0);
    expect(Object.fromEntries(sink.counts)).toEqual({ conn: 4, dns: 1 });
  });

  it("enrich() sees each record before it is serialized; its fields come last", () => {
    const chunks: LogChunk[] = [];
    const seen: string[] = [];
    const sink = new JsonLinesSink({
      flush: (c) => chunks.push(...c),
      enrich: (path, record) => {
        seen.push(path);
        record.mirror_source = "eni-1";
        record.vni = 42;
      },
    });
    sink.write("conn", { ts: 1, uid: "C1" });
    sink.write("weird", { ts: 2, name: "x" });
    sink.drain();
    expect(seen).toEqual(["conn", "weird"]);
    expect(chunks.map((c) => c.text)).toEqual([
      '{"ts":1,"uid":"C1","mirror_source":"eni-1","vni":42}\n',
      '{"ts":2,"name":"x","mirror_source":"eni-1","vni":42}\n',
    ]);
  });
});
