// Mutation fuzzing of every protocol analyzer through its public contract (probe, create, data /
// packet, gap, end), seeded with real payloads taken from the corpus by the engine itself. Used by
// `npm run fuzz` (long run) and by a short run in the test suite.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CaptureReader } from "../src/capture/reader.js";
import type { Connection } from "../src/engine/connection.js";
import { Engine } from "../src/engine/engine.js";
import { Frame } from "../src/engine/frame.js";
import type { Inspector } from "../src/engine/hooks.js";
import { defaultRegistry } from "../src/inspect/registry.js";
import type { LogRecordObject, LogSink } from "../src/logs/writer.js";
import type {
  AnalyzerContext,
  DatagramAnalyzerFactory,
  LogRecord,
  StreamAnalyzerFactory,
} from "../src/protocols/types.js";

/** Bytes of one direction's stream kept as a seed. */
export const SEED_STREAM_BYTES = 8192;
/** Seeds kept per transport (first come, first kept). */
export const MAX_SEEDS_PER_TRANSPORT = 6000;
/** An input taking longer than this is reported as a hang. */
export const HANG_MS = 250;

export interface Seed {
  isOrig: boolean;
  bytes: Uint8Array;
  /** The other direction's first bytes, when seen (streams only). */
  peer?: Uint8Array;
}

export interface SeedSet {
  tcp: Seed[];
  udp: Seed[];
}

class NullSink implements LogSink {
  write(_path: string, _record: LogRecordObject): void {}
}

/** An Inspector that records the first bytes of each direction instead of analysing them. */
class SeedCollector implements Inspector {
  readonly tcp = new Map<Connection, { orig: number[]; resp: number[] }>();
  readonly udp: Seed[] = [];

  tcpPayload(c: Connection, isOrig: boolean, buf: Uint8Array, off: number, len: number): void {
    let s = this.tcp.get(c);
    if (!s) {
      if (this.tcp.size >= MAX_SEEDS_PER_TRANSPORT) return;
      s = { orig: [], resp: [] };
      this.tcp.set(c, s);
    }
    const dir = isOrig ? s.orig : s.resp;
    for (let i = 0; i < len && dir.length < SEED_STREAM_BYTES; i++) dir.push(buf[off + i]);
  }

  udpPayload(_c: Connection, isOrig: boolean, buf: Uint8Array, off: number, len: number): void {
    if (this.udp.length < MAX_SEEDS_PER_TRANSPORT)
      this.udp.push({ isOrig, bytes: Uint8Array.from(buf.subarray(off, off + len)) });
  }

  connectionEnd(): void {}

  finish(): void {}
}

/** Real payloads from every capture under `corpusDir` (bench/ excluded). */
export function collectSeeds(corpusDir: string): SeedSet {
  const collector = new SeedCollector();
  for (const project of readdirSync(corpusDir)) {
    const dir = join(corpusDir, project);
    if (project === "bench" || !statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) {
      if (!/\.(pcap|pcapng)$/.test(f)) continue;
      const engine = new Engine(new NullSink(), { seed: 1, verifyChecksums: false });
      engine.inspector = collector;
      const reader = CaptureReader.open(join(dir, f));
      const pkt = new Frame();
      while (reader.next(pkt)) engine.process(pkt);
      reader.close();
    }
  }
  const tcp: Seed[] = [];
  for (const s of collector.tcp.values()) {
    if (s.orig.length > 0)
      tcp.push({ isOrig: true, bytes: Uint8Array.from(s.orig), peer: Uint8Array.from(s.resp) });
    if (s.resp.length > 0)
      tcp.push({ isOrig: false, bytes: Uint8Array.from(s.resp), peer: Uint8Array.from(s.orig) });
  }
  return { tcp, udp: collector.udp };
}

/** xorshift32: deterministic, so a failing input can be reproduced from its run number. */
export class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Applies 1-4 random mutations (flip, overwrite, truncate, delete, duplicate, insert, splice). */
export function mutate(src: Uint8Array, rng: Rng, other: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds; r++) {
    const len = b.length;
    switch (rng.below(7)) {
      case 0:
        if (len > 0) b[rng.below(len)] ^= 1 << rng.below(8);
        break;
      case 1:
        if (len > 0) b[rng.below(len)] = [0, 0xff, 0x7f, 0x80, rng.below(256)][rng.below(5)];
        break;
      case 2:
        b = b.subarray(0, rng.below(len + 1));
        break;
      case 3: {
        const at = rng.below(len + 1);
        const n = rng.below(Math.min(64, len - at) + 1);
        b = concat(b.subarray(0, at), b.subarray(at + n));
        break;
      }
      case 4: {
        const at = rng.below(len + 1);
        const n = rng.below(Math.min(64, len - at) + 1);
        const piece = b.subarray(at, at + n);
        b = concat(b.subarray(0, at + n), piece, b.subarray(at + n));
        break;
      }
      case 5: {
        const at = rng.below(len + 1);
        const n = 1 + rng.below(16);
        const ins = new Uint8Array(n);
        for (let i = 0; i < n; i++) ins[i] = rng.below(256);
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      default: {
        const at = rng.below(len + 1);
        const from = rng.below(other.length + 1);
        b = concat(b.subarray(0, at), other.subarray(from, from + 256));
        break;
      }
    }
  }
  return b;
}

export interface FuzzFailure {
  run: number;
  error: string;
  inputHex: string;
}

export interface FuzzReport {
  parser: string;
  inputs: number;
  seeds: number;
  exceptions: number;
  hangs: number;
  maxMs: number;
  seconds: number;
  heapPeakMb: number;
  failures: FuzzFailure[];
}

/** A report before its first input. */
export function emptyReport(parser: string, seeds: number): FuzzReport {
  return {
    parser,
    inputs: 0,
    seeds,
    exceptions: 0,
    hangs: 0,
    maxMs: 0,
    seconds: 0,
    heapPeakMb: 0,
    failures: [],
  };
}

function context(): AnalyzerContext & { connection: unknown } {
  return {
    log(_path: string, _record: LogRecord) {},
    weird() {},
    confirm() {},
    violation() {},
    // Analyzers that name their connection in records (DHCP) read this.
    connection: { uid: "Cfuzz", id: { orig_h: "10.0.0.1", orig_p: 68, resp_h: "10.0.0.2", resp_p: 67 } },
  };
}

function relevantSeeds(seeds: Seed[], probe: (b: Uint8Array, o: boolean) => number): Seed[] {
  const hits = seeds.filter((s) => {
    try {
      return probe(s.bytes, s.isOrig) !== 0;
    } catch {
      return true;
    }
  });
  // Too few matches: fuzz from everything, which also exercises the reject paths.
  return hits.length >= 8 ? hits : seeds;
}

interface Plan {
  isOrig: boolean;
  cut1: number;
  cut2: number;
  /** Bytes of a simulated capture gap after the first chunk (0 = none). */
  gap: number;
  /** The other direction's bytes (streams) or a second datagram. */
  second: Uint8Array | undefined;
}

/** Runs one input through probe and a fresh analyzer; returns milliseconds taken. */
function exercise(
  factory: StreamAnalyzerFactory | DatagramAnalyzerFactory,
  input: Uint8Array,
  plan: Plan,
): number {
  const start = performance.now();
  factory.probe(input, plan.isOrig);
  if (factory.create) {
    if (factory.transport === "tcp") {
      const a = (factory as StreamAnalyzerFactory).create!(context());
      a.data(plan.isOrig, input.subarray(0, plan.cut1), 1);
      if (plan.gap > 0) a.gap(plan.isOrig, plan.gap, 1);
      a.data(plan.isOrig, input.subarray(plan.cut1, plan.cut2), 1);
      if (plan.second) a.data(!plan.isOrig, plan.second, 1.5);
      a.data(plan.isOrig, input.subarray(plan.cut2), 2);
      a.end(3);
    } else {
      const a = (factory as DatagramAnalyzerFactory).create!(context());
      a.packet(plan.isOrig, input, 1);
      if (plan.second) a.packet(!plan.isOrig, plan.second, 1.5);
      a.end(2);
    }
  }
  return performance.now() - start;
}

function fuzzOne(
  name: string,
  factory: StreamAnalyzerFactory | DatagramAnalyzerFactory,
  seeds: Seed[],
  runs: number,
  rng: Rng,
): FuzzReport {
  const pool = relevantSeeds(seeds, (b, o) => factory.probe(b, o));
  const report = emptyReport(name, pool.length);
  const t0 = performance.now();
  for (let run = 0; run < runs && pool.length > 0; run++) {
    const seed = pool[rng.below(pool.length)];
    const other = pool[rng.below(pool.length)].bytes;
    const input = mutate(seed.bytes, rng, other);
    // Everything random about this input is drawn up front so it can be replayed exactly.
    const cut1 = rng.below(input.length + 1);
    const plan: Plan = {
      isOrig: seed.isOrig,
      cut1,
      cut2: cut1 + rng.below(input.length - cut1 + 1),
      gap: rng.below(8) === 0 ? 1 + rng.below(1000) : 0,
      second:
        factory.transport === "tcp"
          ? seed.peer && seed.peer.length > 0
            ? mutate(seed.peer, rng, other)
            : undefined
          : rng.below(2) === 0
            ? mutate(pool[rng.below(pool.length)].bytes, rng, other)
            : undefined,
    };
    let ms: number;
    try {
      ms = exercise(factory, input, plan);
      // A slow input is replayed once: only if it is slow again is it a hang (not a GC pause or a
      // busy machine).
      if (ms > HANG_MS) ms = Math.min(ms, exercise(factory, input, plan));
    } catch (err) {
      ms = 0;
      report.exceptions++;
      if (report.failures.length < 5) {
        report.failures.push({
          run,
          error: (err as Error).stack?.split("\n").slice(0, 3).join(" | ") ?? String(err),
          inputHex: Buffer.from(input).toString("hex").slice(0, 512),
        });
      }
    }
    if (ms > report.maxMs) report.maxMs = ms;
    if (ms > HANG_MS) report.hangs++;
    report.inputs++;
    if ((run & 0x3fff) === 0) {
      const heap = process.memoryUsage().heapUsed / 1048576;
      if (heap > report.heapPeakMb) report.heapPeakMb = heap;
    }
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** Fuzzes every analyzer of the default registry with `runs` inputs each. */
export function fuzzAll(seeds: SeedSet, runs: number, seed = 1, only?: string): FuzzReport[] {
  const registry = defaultRegistry(new NullSink());
  const reports: FuzzReport[] = [];
  const rng = new Rng(seed);
  const named = new Map<string, number>();
  const label = (transport: string, service: string) => {
    const base = `${service}/${transport}`;
    const n = (named.get(base) ?? 0) + 1;
    named.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  };
  for (const f of registry.stream) {
    const name = label("tcp", f.service);
    if (!only || name.startsWith(only)) reports.push(fuzzOne(name, f, seeds.tcp, runs, rng));
  }
  for (const f of registry.datagram) {
    const name = label("udp", f.service);
    if (!only || name.startsWith(only)) reports.push(fuzzOne(name, f, seeds.udp, runs, rng));
  }
  registry.finish?.();
  return reports;
}
