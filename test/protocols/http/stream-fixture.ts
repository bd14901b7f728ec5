// Test support shared by the HTTP and SSH tests: committed stream fixtures (made from corpus
// captures by fixtures/extract-streams.mjs) and a recording AnalyzerContext.

import { readFileSync } from "node:fs";
import type { AnalyzerContext, LogRecord, StreamAnalyzer } from "../../../sensor-ami/src/protocols/types.js";

export interface FixtureSegment {
  frame: number;
  ts: number;
  orig: boolean;
  hex?: string;
  gap?: number;
}

export interface StreamFixture {
  capture: string;
  stream: number;
  originator: string;
  truncatedAtBytesPerDirection?: number;
  segments: FixtureSegment[];
}

export function loadStreams(url: URL): StreamFixture[] {
  return JSON.parse(readFileSync(url, "utf8")) as StreamFixture[];
}

export interface Recorded {
  logs: { path: string; record: LogRecord }[];
  weirds: { name: string; addl?: string }[];
  confirmed: string[];
  violations: string[];
}

export function recordingContext(): { ctx: AnalyzerContext; out: Recorded } {
  const out: Recorded = { logs: [], weirds: [], confirmed: [], violations: [] };
  const ctx: AnalyzerContext = {
    log: (path, record) => out.logs.push({ path, record: structuredClone(record) }),
    weird: (name, addl) => out.weirds.push({ name, addl }),
    confirm: (service) => {
      if (!out.confirmed.includes(service)) out.confirmed.push(service);
    },
    violation: (reason) => out.violations.push(reason),
  };
  return { ctx, out };
}

/**
 * Feeds a stream fixture to an analyzer the way the engine does: each segment's bytes through a
 * buffer that is overwritten after the call (so an analyzer that keeps views breaks the test),
 * optionally re-split at `cuts` (offsets within each segment) to test chunk-boundary handling.
 */
export function replay(
  analyzer: StreamAnalyzer,
  fixture: StreamFixture,
  split?: (segmentIndex: number, length: number) => number[],
): void {
  let lastTs = 0;
  fixture.segments.forEach((segment, index) => {
    lastTs = segment.ts;
    if (segment.gap !== undefined) {
      analyzer.gap(segment.orig, segment.gap, segment.ts);
      return;
    }
    const bytes = Buffer.from(segment.hex ?? "", "hex");
    const cuts = split ? split(index, bytes.length) : [];
    let start = 0;
    for (const cut of [
      ...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b),
      bytes.length,
    ]) {
      if (cut <= start) continue;
      const scratch = new Uint8Array(cut - start);
      scratch.set(bytes.subarray(start, cut));
      analyzer.data(segment.orig, scratch, segment.ts);
      scratch.fill(0xee);
      start = cut;
    }
  });
  analyzer.end(lastTs);
}

/** Reads a Zeek TSV log (btest baseline) into objects keyed by the #fields names. */
export function readZeekLog(path: string): Record<string, string>[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const fieldsLine = lines.find((l) => l.startsWith("#fields"));
  if (!fieldsLine) throw new Error(`${path}: no #fields header`);
  const fields = fieldsLine.split("\t").slice(1);
  return lines
    .filter((l) => l.length > 0 && !l.startsWith("#"))
    .map((l) => {
      const values = l.split("\t");
      return Object.fromEntries(fields.map((f, i) => [f, values[i]]));
    });
}
