// `spanless analyze`: run the engine over one capture file and write Zeek-style logs.

import { isSupportedLinkType } from "../capture/link-types.js";
import { CaptureReader, type CaptureResync, type CaptureTruncation } from "../capture/reader.js";
import type { RelaxedHost } from "../engine/checksum-hosts.js";
import { CONN_SCHEMA } from "../engine/conn-record.js";
import { Engine, type EngineStats } from "../engine/engine.js";
import { Frame } from "../engine/frame.js";
import type { Inspector, WeirdSink } from "../engine/hooks.js";
import type { MemoryBudget } from "../engine/memory-budget.js";
import type { EngineOptions } from "../engine/options.js";
import { WEIRD_SCHEMA } from "../engine/weird-log.js";
import { PROTOCOL_LOG_SCHEMAS } from "../inspect/registry.js";
import type { LogSchemas } from "../logs/schema.js";
import { FileLogWriter, type LogFormat, type LogSink, wallClock } from "../logs/writer.js";
import { clearCompletion } from "./completion.js";

/** TSV columns of every log this build writes. */
export const LOG_SCHEMAS: LogSchemas = { conn: CONN_SCHEMA, weird: WEIRD_SCHEMA, ...PROTOCOL_LOG_SCHEMAS };

export interface AnalyzeOptions {
  capture: string;
  outDir: string;
  format: LogFormat;
  engine: Partial<EngineOptions>;
  /**
   * Builds protocol inspection for the engine, writing protocol logs to `sink` (the engine's own
   * log writer) and weirds to `weirds` (the engine's weird log); absent: connection records only.
   * The CLI passes `buildInspector` unless --no-inspect.
   */
  inspector?: (weirds: WeirdSink, sink: LogSink) => Inspector;
  /**
   * Times in the output come from the capture, not the wall clock: TSV #open is the time of the
   * packet being processed when the log opens (the first packet's for the logs every run writes),
   * #close the last packet's. Two runs with the same --seed then write byte-identical files.
   */
  captureTime?: boolean;
  /** Called once the output directory exists and a stale completion record is gone. */
  onOutputReady?: () => void;
}

export interface AnalyzeResult {
  stats: EngineStats;
  weirds: Map<string, number>;
  logs: Map<string, number>;
  wallSeconds: number;
  cpuSeconds: number;
  truncation: CaptureTruncation | undefined;
  /** The run's memory budget: its accounts' limits, peaks and refusals. */
  memory: MemoryBudget;
  /** Corrupt stretches of the capture skipped (the first 100 described), their number and bytes. */
  resyncs: CaptureResync[];
  resyncCount: number;
  skippedBytes: number;
  unsupportedLinkPackets: number;
  notes: string[];
  format: string;
  checksumOffloadDetected: boolean;
  /** When the run started and its logs were closed (seconds since the epoch), by `timeSource`. */
  startedAt: number;
  finishedAt: number;
  timeSource: "wall" | "capture";
  /** auto checksum mode: hosts whose failing checksums were kept, and the packets kept/dropped. */
  checksums: { hosts: number; listed: RelaxedHost[]; kept: number; dropped: number } | undefined;
}

/** Runs the whole pipeline. Throws CaptureReadError/CaptureFormatError/LogWriteError for bad input. */
export function analyzeCapture(o: AnalyzeOptions): AnalyzeResult {
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const startedAt = wallClock();
  const reader = CaptureReader.open(o.capture);
  const pkt = new Frame();
  // The frame being processed is the capture's clock: reading its field costs the packet loop nothing.
  const clock = o.captureTime ? () => (Number.isNaN(pkt.ts) ? 0 : pkt.ts) : wallClock;
  let writer: FileLogWriter;
  try {
    writer = new FileLogWriter(o.outDir, o.format, LOG_SCHEMAS, clock);
    clearCompletion(o.outDir);
  } catch (err) {
    reader.close();
    throw err;
  }
  o.onOutputReady?.();
  const engine = new Engine(writer, o.engine);
  if (o.inspector) {
    engine.inspector = o.inspector(engine.weirds, writer);
    engine.inspector.useMemory?.(engine.memory);
  }
  let unsupported = 0;
  let firstTs = startedAt;
  try {
    // The first packet is read before the always-written logs open, so that with captureTime
    // their #open is its time.
    let more = reader.next(pkt);
    if (o.captureTime) firstTs = clock();
    writer.touch("conn");
    writer.touch("weird");
    while (more) {
      if (pkt.linkType >= 0 && !isSupportedLinkType(pkt.linkType)) {
        unsupported++;
        pkt.linkType = -1;
      }
      engine.process(pkt);
      more = reader.next(pkt);
    }
    // After the loop, not in it: the packet loop stays free of checks for a rare event.
    for (const r of reader.resyncs) engine.weirds.externalWeird("corrupt_capture_record", r.afterPacket + 1);
    if (reader.truncation)
      engine.weirds.externalWeird("truncated_capture_file", reader.truncation.packetIndex);
    engine.finish();
  } finally {
    reader.close();
    writer.close();
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    stats: engine.stats,
    weirds: engine.weirds.byName(),
    logs: new Map(writer.counts),
    wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    truncation: reader.truncation,
    memory: engine.memory,
    resyncs: reader.resyncs,
    resyncCount: reader.resyncCount,
    skippedBytes: reader.skippedBytes,
    unsupportedLinkPackets: unsupported,
    notes: reader.notes,
    format: reader.format,
    checksumOffloadDetected: engine.checksumOffloadDetected,
    startedAt: firstTs,
    finishedAt: writer.closedAt,
    timeSource: o.captureTime ? "capture" : "wall",
    checksums: engine.checksumHosts
      ? {
          hosts: engine.checksumHosts.relaxedHosts,
          listed: engine.checksumHosts.listed,
          kept: engine.checksumHosts.kept,
          dropped: engine.checksumHosts.dropped,
        }
      : undefined,
  };
}

function mib(bytes: number): string {
  return `${fmtInt(Math.round(bytes / 1048576))} MB`;
}

function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatSummary(capture: string, outDir: string, r: AnalyzeResult): string {
  const s = r.stats;
  const span = s.packets > 0 ? s.lastTs - s.firstTs : 0;
  const pps = r.wallSeconds > 0 ? s.packets / r.wallSeconds : 0;
  const lines = [
    `spanless analyze ${capture} (${r.format})`,
    `  packets      ${fmtInt(s.packets)} (${fmtInt(s.bytes)} bytes on the wire, ${span.toFixed(3)} s of capture time)`,
    `  speed        ${fmtInt(Math.round(pps))} packets/s, ${((s.bytes * 8) / Math.max(r.wallSeconds, 1e-9) / 1e9).toFixed(3)} Gbit/s (${r.wallSeconds.toFixed(3)} s wall, ${r.cpuSeconds.toFixed(3)} s CPU)`,
    `  connections  ${fmtInt(s.connections)} (${fmtInt(s.evictions)} evicted because the table was full)`,
    `  non-IP       ${fmtInt(s.nonIp)} frames (ARP, STP, LLC…) counted, not tracked`,
  ];
  const m = r.memory;
  if (s.memoryEvictions > 0 || m.accounts.some((a) => a.refusals > 0)) {
    // Only when the budget bit: what each share peaked at, and what it cost.
    const shares = m.accounts.map((a) => `${a.name} ${mib(a.peak)} of ${mib(a.limit)}`).join(", ");
    lines.push(`  memory       budget ${mib(m.limit)} reached (peaks: ${shares})`);
    lines.push(
      `               ${fmtInt(s.memoryEvictions)} connections evicted, ${fmtInt(m.reassembly.refusals)} reassembly and ${fmtInt(m.fragments.refusals)} fragment reservations refused`,
    );
  }
  if (s.fragmentsReassembled > 0)
    lines.push(`  fragments    ${fmtInt(s.fragmentsReassembled)} datagrams reassembled`);
  const logs = [...r.logs.entries()].map(([k, v]) => `${k}.log ${fmtInt(v)}`).join(", ");
  lines.push(`  logs         ${outDir}: ${logs}`);
  const weirds = [...r.weirds.entries()].sort((a, b) => b[1] - a[1]);
  if (weirds.length === 0) {
    lines.push("  weirds       none");
  } else {
    lines.push(`  weirds       ${fmtInt(weirds.reduce((a, [, v]) => a + v, 0))} by reason:`);
    for (const [name, n] of weirds) lines.push(`    ${String(n).padStart(10)}  ${name}`);
  }
  if (r.unsupportedLinkPackets > 0) {
    lines.push(
      `  skipped      ${fmtInt(r.unsupportedLinkPackets)} packets on interfaces with an unsupported link type`,
    );
  }
  const cs = r.checksums;
  if (cs !== undefined && cs.hosts > 0) {
    lines.push(
      `  checksums    offloading: verification relaxed for ${fmtInt(cs.hosts)} host(s), ${fmtInt(cs.kept)} failing packets kept, ${fmtInt(cs.dropped)} dropped`,
    );
    for (const h of cs.listed) {
      const when = new Date(h.ts * 1000).toISOString();
      const vni = h.vni >= 0 ? ` (VNI ${h.vni})` : "";
      lines.push(`    ${h.addr}${vni} from packet ${fmtInt(h.packet)} at ${when}: ${h.reason}`);
    }
    if (cs.hosts > cs.listed.length)
      lines.push(`    … and ${fmtInt(cs.hosts - cs.listed.length)} more (weird.log)`);
  }
  if (r.resyncCount > 0) {
    lines.push(
      `  corrupt      ${fmtInt(r.resyncCount)} corrupt stretch(es) of the capture, ${fmtInt(r.skippedBytes)} bytes skipped; reading resumed after each (notes below)`,
    );
  }
  for (const n of r.notes) lines.push(`  note         ${n}`);
  return `${lines.join("\n")}\n`;
}
