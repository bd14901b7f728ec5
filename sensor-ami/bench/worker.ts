// One benchmark measurement in its own process: node --expose-gc worker.js <capture> <mode>
// mode: core (decode + connection tracking), inspect (plus protocol inspection), memory (bytes
// per live connection). Prints one JSON line.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CapturedPacket, CaptureReader } from "../src/capture/reader.js";
import { Engine, type Inspector } from "../src/engine/engine.js";
import type { LogRecordObject, LogSink } from "../src/logs/writer.js";

/** Counts records instead of writing them: the benchmark measures the engine, not the disk. */
class CountingSink implements LogSink {
  records = 0;
  write(_path: string, _record: LogRecordObject): void {
    this.records++;
  }
}

const [file, mode] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;

async function loadInspector(): Promise<((engine: Engine, sink: LogSink) => Inspector) | null> {
  const path = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "inspect", "index.js");
  if (!existsSync(path)) return null;
  const mod = (await import(path)) as { buildInspector?: (engine: Engine, sink: LogSink) => Inspector };
  return mod.buildInspector ?? null;
}

async function main(): Promise<void> {
  const sink = new CountingSink();
  const memory = mode === "memory";
  // Memory mode keeps every connection live (no timeouts) so the heap holds all of them at once.
  const engine = new Engine(sink, {
    seed: 1,
    verifyChecksums: "auto",
    ...(memory
      ? {
          timeouts: {
            tcpInactivity: 1e12,
            udpInactivity: 1e12,
            icmpInactivity: 1e12,
            otherInactivity: 1e12,
            tcpAttempt: 1e12,
            tcpClose: 1e12,
            tcpLinger: 1e12,
          },
        }
      : {}),
  });
  if (mode === "inspect") {
    const build = await loadInspector();
    if (!build) {
      console.log(JSON.stringify({ mode: "unavailable" }));
      return;
    }
    engine.inspector = build(engine, sink);
  }
  const reader = CaptureReader.open(file);
  const pkt = new CapturedPacket();
  gc?.();
  const heap0 = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  while (reader.next(pkt)) engine.process(pkt);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  let bytesPerConnection: number | undefined;
  let live: number | undefined;
  if (memory) {
    gc?.();
    const heap1 = process.memoryUsage();
    live = engine.liveConnections;
    const used = heap1.heapUsed + heap1.arrayBuffers - (heap0.heapUsed + heap0.arrayBuffers);
    bytesPerConnection = live > 0 ? Math.round(used / live) : 0;
  }
  engine.finish();
  reader.close();
  console.log(
    JSON.stringify({
      mode,
      packets: engine.stats.packets,
      bytes: engine.stats.bytes,
      connections: engine.stats.connections,
      wallSeconds: wall,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      bytesPerConnection,
      liveConnections: live,
      records: sink.records,
    }),
  );
}

await main();
