// One flood measurement in its own process (so peak RSS is this run's alone):
//   node --expose-gc flood-worker.js <syn|fragment> <packets> [memory budget MB|-] [max connections|-]
// Runs the flood through a fresh engine (no inspection, checksums off: the generator leaves them
// zero) and prints one JSON line: CPU and wall time per packet, peak RSS, and the heap and
// array-buffer bytes each live connection costs at the flood's peak.

import { Engine } from "../src/engine/engine.js";
import type { LogRecordObject, LogSink } from "../src/logs/writer.js";
import { type FloodKind, FloodSource } from "./flood-frames.js";

class CountingSink implements LogSink {
  records = 0;
  write(_path: string, _record: LogRecordObject): void {
    this.records++;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

export interface FloodResult {
  kind: FloodKind;
  packets: number;
  cpuSeconds: number;
  wallSeconds: number;
  nsCpuPerPacket: number;
  peakRssBytes: number;
  baselineRssBytes: number;
  liveConnections: number;
  bytesPerConnection: number;
  rssBytesPerConnection: number;
  evictions: number;
  memoryBudgetBytes: number;
  weirds: Record<string, number>;
  records: number;
}

function run(kind: FloodKind, packets: number, budgetMb: number | undefined, maxConns: number | undefined) {
  const sink = new CountingSink();
  const engine = new Engine(sink, {
    seed: 1,
    verifyChecksums: false,
    ...(budgetMb !== undefined ? { memoryBudgetBytes: budgetMb * 1048576 } : {}),
    ...(maxConns !== undefined ? { maxConnections: maxConns } : {}),
  });
  const src = new FloodSource(kind, packets);
  gc?.();
  gc?.();
  const baselineRss = process.memoryUsage().rss;
  const mem0 = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const frame = src.frame;
  while (src.next()) engine.process(frame);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // Bytes per live connection at the peak, before finish() logs and frees them.
  gc?.();
  gc?.();
  const mem1 = process.memoryUsage();
  const live = engine.liveConnections;
  const used = mem1.heapUsed + mem1.arrayBuffers - (mem0.heapUsed + mem0.arrayBuffers);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  engine.finish();
  const result: FloodResult = {
    kind,
    packets,
    cpuSeconds,
    wallSeconds: wall,
    nsCpuPerPacket: Math.round((cpuSeconds * 1e9) / packets),
    peakRssBytes: peakRss,
    baselineRssBytes: baselineRss,
    liveConnections: live,
    bytesPerConnection: live > 0 ? Math.round(used / live) : 0,
    rssBytesPerConnection: live > 0 ? Math.round((peakRss - baselineRss) / live) : 0,
    evictions: engine.stats.evictions,
    memoryBudgetBytes: engine.memory.limit,
    weirds: Object.fromEntries(engine.weirds.byName()),
    records: sink.records,
  };
  console.log(JSON.stringify(result));
}

const [kind, packets, budget, maxConns] = process.argv.slice(2);
if (kind !== "syn" && kind !== "fragment") {
  console.error("usage: flood-worker.js <syn|fragment> <packets> [memory budget MB|-] [max connections|-]");
  process.exit(64);
}
const opt = (s: string | undefined) => (s === undefined || s === "-" ? undefined : Number(s));
run(kind, Number(packets), opt(budget), opt(maxConns));
