// What goes into a run's completion record (summary.json, see completion.ts): how the run ended,
// what it read and what it wrote. Field names follow the logs' snake_case.

import type { AnalyzeResult } from "./analyze.js";
import { SPANLESS_VERSION } from "./version.js";

/** Bumped when a field changes meaning or disappears (new fields do not bump it). */
const RECORD_VERSION = 1;

export interface RunEnd {
  exitStatus: number;
  /** One word a script can switch on: ok, truncated, resynchronised, unsupported, error. */
  outcome: string;
  /** What stderr said about the ending, if anything. */
  message?: string;
}

function iso(seconds: number): string | null {
  return Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;
}

/** The record of a run that got to the end of its capture. */
export function finishedRunRecord(capture: string, r: AnalyzeResult, end: RunEnd): object {
  const s = r.stats;
  return {
    record_version: RECORD_VERSION,
    exit_status: end.exitStatus,
    outcome: end.outcome,
    ...(end.message ? { message: end.message } : {}),
    spanless: SPANLESS_VERSION,
    node: process.version,
    // With --seed the times are the capture's (first and last packet): the record is reproducible.
    time_source: r.timeSource,
    started: iso(r.startedAt),
    finished: iso(r.finishedAt),
    ...(r.timeSource === "wall" ? { wall_seconds: r.wallSeconds, cpu_seconds: r.cpuSeconds } : {}),
    capture: {
      path: capture,
      format: r.format,
      packets: s.packets,
      bytes: s.bytes,
      first_ts: s.packets > 0 ? s.firstTs : null,
      last_ts: s.packets > 0 ? s.lastTs : null,
      unsupported_link_packets: r.unsupportedLinkPackets,
      truncated_at_byte: r.truncation ? r.truncation.fileOffset : null,
      corrupt_stretches: r.resyncCount,
      skipped_bytes: r.skippedBytes,
    },
    connections: s.connections,
    evictions: s.evictions,
    logs: Object.fromEntries(r.logs),
    weirds: Object.fromEntries(r.weirds),
  };
}

/** The record of a run that stopped on an error after its output directory was set up. */
export function failedRunRecord(capture: string, end: RunEnd, startedAt: number): object {
  return {
    record_version: RECORD_VERSION,
    exit_status: end.exitStatus,
    outcome: end.outcome,
    ...(end.message ? { message: end.message } : {}),
    spanless: SPANLESS_VERSION,
    node: process.version,
    time_source: "wall",
    started: iso(startedAt),
    finished: iso(Date.now() / 1000),
    capture: { path: capture },
  };
}
