// One benchmark measurement in its own process: node --expose-gc worker.js <capture> <mode> [checksums]
// mode: core (decode + connection tracking), inspect (plus protocol inspection), memory (bytes
// per live connection). checksums: auto (the default: verified per sending host, as Zeek verifies
// them) or off (not verified, as ndpiReader does not: the like-for-like reference row). Prints one
// JSON line.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CaptureReader } from "../src/capture/reader.js";
import { Engine } from "../src/engine/engine.js";
import { Frame } from "../src/engine/frame.js";
import type { Inspector, WeirdSink } from "../src/engine/hooks.js";
import type { LogRecordObject, LogSink } from "../src/logs/writer.js";

/** Counts records instead of writing them: the benchmark measures the engine, not the disk. */
class CountingSink implements LogSink {
  records = 0;
  write(_path: string, _record: LogRecordObject): void {
    this.records++;
  }
}

const [file, mode, checksums = "auto"] = process.argv.slice(2);
/** Passes after the warm one, of which the fastest is the steady-state figure. */
const STEADY_PASSES = 3;
const gc = (globalThis as { gc?: () => void }).gc;
type BuildInspector = (weirds: WeirdSink, sink: LogSink) => Inspector;

async function loadInspector(): Promise<BuildInspector | null> {
  const path = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "inspect", "index.js");
  if (!existsSync(path)) return null;
  const mod = (await import(path)) as { buildInspector?: BuildInspector };
  return mod.buildInspector ?? null;
}

function makeEngine(sink: LogSink, memory: boolean): Engine {
  // Memory mode keeps every connection live (no timeouts) so the heap holds all of them at once.
  return new Engine(sink, {
    seed: 1,
    verifyChecksums: checksums === "off" ? false : "auto",
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
}

/**
 * Two full collections before a heap reading: after one, array buffers whose owners it freed can
 * still be counted (their release is finished later), which made single readings jump by ~1.7 MB.
 */
function settleHeap(): void {
  gc?.();
  gc?.();
}

interface Pass {
  wall: number;
  cpu: number;
  engine: Engine;
  bytesPerConnection?: number;
  live?: number;
}

async function onePass(sink: LogSink, memory: boolean, build: BuildInspector | null): Promise<Pass> {
  const engine = makeEngine(sink, memory);
  if (build) engine.inspector = build(engine.weirds, sink);
  const reader = CaptureReader.open(file);
  const pkt = new Frame();
  // Only the memory reading needs a settled heap. A forced full collection between speed passes
  // would free the previous engine's objects that optimised code refers to, discarding that code
  // (V8's "weak objects" deoptimisation): a cost a running sensor, with one engine, never pays.
  if (memory) settleHeap();
  const heap0 = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  while (reader.next(pkt)) engine.process(pkt);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const pass: Pass = { wall, cpu: (cpu.user + cpu.system) / 1e6, engine };
  if (memory) {
    settleHeap();
    const heap1 = process.memoryUsage();
    pass.live = engine.liveConnections;
    const used = heap1.heapUsed + heap1.arrayBuffers - (heap0.heapUsed + heap0.arrayBuffers);
    pass.bytesPerConnection = pass.live > 0 ? Math.round(used / pass.live) : 0;
  }
  engine.finish();
  reader.close();
  return pass;
}

async function main(): Promise<void> {
  const sink = new CountingSink();
  const memory = mode === "memory";
  let build: BuildInspector | null = null;
  if (mode === "inspect") {
    build = await loadInspector();
    if (!build) {
      console.log(JSON.stringify({ mode: "unavailable" }));
      return;
    }
  }
  // The first pass includes JIT compilation (on V8's background threads, which CPU time counts);
  // the second, on a fresh engine in the same process, still finishes some of it; passes three to
  // five (the fastest is reported) are the steady state a long-running sensor settles into.
  const cold = await onePass(sink, memory, build);
  const warm = memory ? cold : await onePass(sink, memory, build);
  let steady = warm;
  for (let i = 0; i < (memory ? 0 : STEADY_PASSES); i++) {
    const pass = await onePass(sink, memory, build);
    if (pass.wall < steady.wall || steady === warm) steady = pass;
  }
  console.log(
    JSON.stringify({
      mode,
      packets: cold.engine.stats.packets,
      bytes: cold.engine.stats.bytes,
      connections: cold.engine.stats.connections,
      wallSeconds: cold.wall,
      cpuSeconds: cold.cpu,
      warmWallSeconds: warm.wall,
      warmCpuSeconds: warm.cpu,
      steadyWallSeconds: steady.wall,
      steadyCpuSeconds: steady.cpu,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      bytesPerConnection: cold.bytesPerConnection,
      liveConnections: cold.live,
      records: sink.records,
    }),
  );
}

await main();
