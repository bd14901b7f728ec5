// Whole-path fuzzing: mutated real captures driven through the capture reader, the layer decoders,
// fragment reassembly, the connection table, TCP reassembly and the analyzers, exactly as
// `spanless analyze` runs them (engine + inspector, finish() at the end). One target per component,
// each a mutation strategy aimed at it and engine limits small enough that its bounds are hit:
//
// - path/reader: bytes of the capture file itself (file header, record headers, pcapng blocks);
//   a CaptureFormatError is a clear rejection, any other exception a failure;
// - path/decoders: bytes of the link/IP/transport/tunnel headers of a few frames;
// - path/fragments: IP ids, fragment offsets and flags, lengths; frames reordered and duplicated;
//   2 pending datagrams at most, 8 fragments each, a 64 KB memory budget;
// - path/conn-table: addresses and ports, timestamps (steps back and forward), frame order;
//   8 connections at most and a budget of a few hundred connections' worth;
// - path/tcp-reassembly: sequence numbers, TCP flags, reordered, duplicated, dropped and cut
//   segments; a 16 KB per-connection and 64 KB global reassembly budget.
//
// Seeds are the corpus captures up to SEED_FILE_BYTES (bench/ excluded); one input in LARGE_EVERY
// is a large one: the seed's frames repeated to several thousand packets.

import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CaptureFormatError } from "../src/capture/errors.js";
import { CaptureReader } from "../src/capture/reader.js";
import { Engine } from "../src/engine/engine.js";
import { Frame } from "../src/engine/frame.js";
import type { EngineOptions } from "../src/engine/options.js";
import { ProtocolInspector } from "../src/inspect/inspector.js";
import { ReassemblyBudget } from "../src/inspect/reassembler.js";
import { defaultRegistry } from "../src/inspect/registry.js";
import type { LogRecordObject, LogSink } from "../src/logs/writer.js";
import { emptyReport, type FuzzReport, mutate, Rng } from "./fuzz.js";

/** Capture files larger than this are not seeds (speed: a million inputs per target). */
const SEED_FILE_BYTES = 256 * 1024;
/** Frames kept per seed capture. */
const SEED_FRAMES = 400;
/** One input in this many is large. */
const LARGE_EVERY = 500;
/** Frames a large input grows to. */
const LARGE_FRAMES = 5000;
/** An input is a hang when it takes longer than this plus PER_FRAME_MS per frame (twice in a row). */
const HANG_MS = 250;
const PER_FRAME_MS = 0.05;
/**
 * …and per file byte (reader target): a corrupt file is searched byte by byte for the next valid
 * record, linear in its size (about 90 ns per byte measured on a 1-8 MB garbage body).
 */
const PER_BYTE_MS = 0.0002;

export const PATH_TARGETS = [
  "path/reader",
  "path/decoders",
  "path/fragments",
  "path/conn-table",
  "path/tcp-reassembly",
] as const;
export type PathTarget = (typeof PATH_TARGETS)[number];

interface SeedFrame {
  data: Uint8Array;
  ts: number;
  origlen: number;
  linkType: number;
}

interface SeedCapture {
  name: string;
  file: Uint8Array;
  frames: SeedFrame[];
  hasFragments: boolean;
  hasTcp: boolean;
}

class NullSink implements LogSink {
  records = 0;
  write(_path: string, _record: LogRecordObject): void {
    this.records++;
  }
}

/** The corpus captures small enough to be seeds, read once into frames. */
export function collectCaptureSeeds(corpusDir: string): SeedCapture[] {
  const out: SeedCapture[] = [];
  for (const project of readdirSync(corpusDir).sort()) {
    const dir = join(corpusDir, project);
    if (project === "bench" || !statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(pcap|pcapng)$/.test(f)) continue;
      const path = join(dir, f);
      if (statSync(path).size > SEED_FILE_BYTES) continue;
      const frames: SeedFrame[] = [];
      let reader: CaptureReader;
      try {
        reader = CaptureReader.open(path);
      } catch {
        continue;
      }
      const pkt = new Frame();
      while (frames.length < SEED_FRAMES && reader.next(pkt)) {
        frames.push({
          data: Uint8Array.from(pkt.data.subarray(pkt.offset, pkt.offset + pkt.caplen)),
          ts: pkt.ts,
          origlen: pkt.origlen,
          linkType: pkt.linkType,
        });
      }
      reader.close();
      if (frames.length === 0) continue;
      const stats = runFrames(frames, {}, null).stats;
      out.push({
        name: `${project}/${f}`,
        file: readFileSync(path),
        frames,
        hasFragments: stats.fragmentPackets > 0,
        hasTcp: frames.some(isTcpish),
      });
    }
  }
  return out;
}

/** Ethernet + IPv4/IPv6 + TCP, roughly: enough to pick seeds for the TCP target. */
function isTcpish(f: SeedFrame): boolean {
  const b = f.data;
  if (f.linkType !== 1 || b.length < 54) return false;
  const et = (b[12] << 8) | b[13];
  return (et === 0x0800 && b[23] === 6) || (et === 0x86dd && b[20] === 6);
}

const SMALL_LIMITS: Record<PathTarget, Partial<EngineOptions>> = {
  "path/reader": {},
  "path/decoders": { maxTunnelDepth: 2 },
  "path/fragments": {
    fragments: { timeoutSeconds: 30, maxPending: 2, maxFragmentsPerDatagram: 8 },
    memoryBudgetBytes: 64 * 1024,
  },
  "path/conn-table": { maxConnections: 8, memoryBudgetBytes: 300 * 1024 },
  "path/tcp-reassembly": {},
};

function makeEngine(opts: Partial<EngineOptions>, reassembly: ReassemblyBudget | null): Engine {
  const sink = new NullSink();
  const engine = new Engine(sink, { seed: 1, verifyChecksums: "auto", ...opts });
  engine.inspector = new ProtocolInspector(
    engine.weirds,
    sink,
    defaultRegistry(sink),
    reassembly ?? new ReassemblyBudget(),
  );
  return engine;
}

function runFrames(
  frames: SeedFrame[],
  opts: Partial<EngineOptions>,
  reassembly: ReassemblyBudget | null,
): Engine {
  const engine = makeEngine(opts, reassembly);
  const pkt = new Frame();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    pkt.data = f.data;
    pkt.offset = 0;
    pkt.caplen = f.data.length;
    pkt.origlen = f.origlen;
    pkt.ts = f.ts;
    pkt.linkType = f.linkType;
    pkt.index = i + 1;
    engine.process(pkt);
  }
  engine.finish();
  return engine;
}

let tempFile: string | null = null;

function runFile(bytes: Uint8Array): void {
  tempFile ??= join(tmpdir(), `spanless-fuzz-${process.pid}.pcap`);
  writeFileSync(tempFile, bytes);
  let reader: CaptureReader;
  try {
    reader = CaptureReader.open(tempFile);
  } catch (err) {
    if (err instanceof CaptureFormatError) return; // a clear rejection is the right outcome
    throw err;
  }
  const engine = makeEngine({}, null);
  const pkt = new Frame();
  let delivered = 0;
  try {
    while (reader.next(pkt)) {
      delivered++;
      engine.process(pkt);
    }
    engine.finish();
  } catch (err) {
    // Rejecting a file whose very start is not a capture loses nothing; after a packet was
    // delivered the reader must report a truncation or skip, never throw (the logs would be lost).
    if (!(err instanceof CaptureFormatError) || delivered > 0) throw err;
  } finally {
    reader.close();
  }
}

export function removeTempFile(): void {
  if (tempFile !== null) rmSync(tempFile, { force: true });
}

/** Header-region byte mutations of 1-4 frames (where the decoders read). */
function mutateHeaders(frames: SeedFrame[], rng: Rng, region: number): void {
  const n = 1 + rng.below(4);
  for (let k = 0; k < n; k++) {
    const i = rng.below(frames.length);
    const d = Uint8Array.from(frames[i].data);
    const edits = 1 + rng.below(4);
    for (let e = 0; e < edits && d.length > 0; e++) {
      const at = rng.below(Math.min(d.length, region));
      d[at] =
        rng.below(3) === 0
          ? d[at] ^ (1 << rng.below(8))
          : [0, 0xff, 0x80, 0x7f, rng.below(256)][rng.below(5)];
    }
    frames[i] = { ...frames[i], data: rng.below(8) === 0 ? d.subarray(0, rng.below(d.length + 1)) : d };
  }
}

/** Moves, duplicates or drops a few frames. */
function shuffleFrames(frames: SeedFrame[], rng: Rng): void {
  const n = 1 + rng.below(6);
  for (let k = 0; k < n && frames.length > 0; k++) {
    const i = rng.below(frames.length);
    switch (rng.below(3)) {
      case 0: {
        const [f] = frames.splice(i, 1);
        frames.splice(rng.below(frames.length + 1), 0, f);
        break;
      }
      case 1:
        frames.splice(rng.below(frames.length + 1), 0, frames[i]);
        break;
      default:
        frames.splice(i, 1);
    }
  }
}

/** Offset of the IP header in an Ethernet frame (after VLAN tags), or -1. */
function ipOffset(d: Uint8Array): number {
  let off = 12;
  for (let tags = 0; tags < 4 && off + 2 <= d.length; tags++) {
    const et = (d[off] << 8) | d[off + 1];
    if (et === 0x8100 || et === 0x88a8) off += 4;
    else return et === 0x0800 || et === 0x86dd ? off + 2 : -1;
  }
  return -1;
}

/** Rewrites IP fragment fields (id, offset, MF, total length) of a few frames. */
function mutateFragments(frames: SeedFrame[], rng: Rng): void {
  const n = 1 + rng.below(4);
  for (let k = 0; k < n; k++) {
    const i = rng.below(frames.length);
    const f = frames[i];
    const ip = f.linkType === 1 ? ipOffset(f.data) : f.linkType === 101 ? 0 : -1;
    if (ip < 0 || ip + 20 > f.data.length) continue;
    const d = Uint8Array.from(f.data);
    if (d[ip] >> 4 === 4) {
      switch (rng.below(4)) {
        case 0: // fragment offset and flags
          d[ip + 6] = rng.below(256) & 0x3f;
          d[ip + 7] = rng.below(256);
          break;
        case 1: // identification (collide with another datagram)
          d[ip + 4] = rng.below(2);
          d[ip + 5] = rng.below(4);
          break;
        case 2: // total length
          d[ip + 2] = rng.below(256);
          d[ip + 3] = rng.below(256);
          break;
        default: // a second copy with different bytes at the same offset (overlap)
          if (d.length > ip + 28) d[ip + 20 + rng.below(d.length - ip - 20)] ^= 0xff;
      }
    } else if (ip + 48 <= d.length) {
      // IPv6: the fragment header usually follows the fixed header.
      d[ip + 40 + 2 + rng.below(6)] = rng.below(256);
    }
    frames.splice(i, 1, { ...f, data: d });
  }
  shuffleFrames(frames, rng);
}

/** Rewrites addresses, ports and timestamps so connections collide, multiply and time out. */
function mutateConnections(frames: SeedFrame[], rng: Rng): void {
  const n = 1 + rng.below(8);
  for (let k = 0; k < n; k++) {
    const i = rng.below(frames.length);
    const f = frames[i];
    const ip = f.linkType === 1 ? ipOffset(f.data) : -1;
    const d = Uint8Array.from(f.data);
    if (ip >= 0 && ip + 24 <= d.length && d[ip] >> 4 === 4) {
      // a source/destination address byte, or a port byte
      d[ip + 12 + rng.below(12)] = rng.below(256);
    }
    let ts = f.ts;
    switch (rng.below(6)) {
      case 0:
        ts -= rng.below(1000);
        break;
      case 1:
        ts += rng.below(4000);
        break;
      case 2:
        ts = rng.below(2) === 0 ? 0 : 4e9;
        break;
    }
    frames.splice(i, 1, { ...f, data: d, ts });
  }
  shuffleFrames(frames, rng);
}

/** Rewrites TCP sequence/ack numbers and flags, and reorders, duplicates, drops and cuts segments. */
function mutateTcp(frames: SeedFrame[], rng: Rng): void {
  const n = 1 + rng.below(6);
  for (let k = 0; k < n; k++) {
    const i = rng.below(frames.length);
    const f = frames[i];
    const ip = f.linkType === 1 ? ipOffset(f.data) : -1;
    if (ip < 0 || ip + 20 > f.data.length) continue;
    const v4 = f.data[ip] >> 4 === 4;
    const tcp = v4 ? ip + ((f.data[ip] & 0x0f) << 2) : ip + 40;
    if (tcp + 20 > f.data.length) continue;
    let d = Uint8Array.from(f.data);
    switch (rng.below(5)) {
      case 0: // sequence number: small step or anywhere
        if (rng.below(2) === 0) d[tcp + 7] = (d[tcp + 7] + rng.below(64) - 32) & 0xff;
        else d[tcp + 4 + rng.below(4)] = rng.below(256);
        break;
      case 1: // acknowledgement number
        d[tcp + 8 + rng.below(4)] = rng.below(256);
        break;
      case 2: // flags
        d[tcp + 13] = rng.below(256);
        break;
      case 3: // cut the segment (snap length)
        d = d.subarray(0, tcp + rng.below(d.length - tcp + 1));
        break;
      default: // payload byte (retransmissions that disagree)
        if (d.length > tcp + 20) d[tcp + 20 + rng.below(d.length - tcp - 20)] ^= 1 << rng.below(8);
    }
    frames.splice(i, 1, { ...f, data: d });
  }
  shuffleFrames(frames, rng);
}

/** A large input: the frames repeated (later copies shifted in time) up to LARGE_FRAMES. */
function enlarge(frames: SeedFrame[]): SeedFrame[] {
  if (frames.length === 0) return frames;
  const out: SeedFrame[] = [];
  const span = Math.max(1, frames[frames.length - 1].ts - frames[0].ts + 1);
  for (let r = 0; out.length < LARGE_FRAMES; r++) {
    for (const f of frames) out.push(r === 0 ? f : { ...f, ts: f.ts + r * span });
  }
  return out;
}

function seedPool(target: PathTarget, seeds: SeedCapture[]): SeedCapture[] {
  if (target === "path/fragments") return seeds.filter((s) => s.hasFragments);
  if (target === "path/tcp-reassembly") return seeds.filter((s) => s.hasTcp);
  return seeds;
}

/** Builds one input (drawing every random choice up front) and returns how to run it. */
function makeInput(
  target: PathTarget,
  pool: SeedCapture[],
  rng: Rng,
): { frames: number; bytes: number; run: () => void; hex: () => string } {
  const seed = pool[rng.below(pool.length)];
  const large = rng.below(LARGE_EVERY) === 0;
  if (target === "path/reader") {
    const other = pool[rng.below(pool.length)].file;
    let bytes = mutate(seed.file, rng, other);
    if (large) {
      // Records repeated: the file's body appended to itself (same header).
      const parts = [bytes];
      for (let n = bytes.length; n < 2 * 1024 * 1024 && bytes.length > 24; n += bytes.length - 24)
        parts.push(bytes.subarray(24));
      bytes = Buffer.concat(parts);
    }
    return {
      frames: seed.frames.length * (large ? 10 : 1),
      bytes: bytes.length,
      run: () => runFile(bytes),
      hex: () => Buffer.from(bytes.subarray(0, 256)).toString("hex"),
    };
  }
  let frames = seed.frames.slice();
  switch (target) {
    case "path/decoders":
      mutateHeaders(frames, rng, 96);
      break;
    case "path/fragments":
      mutateFragments(frames, rng);
      break;
    case "path/conn-table":
      mutateConnections(frames, rng);
      break;
    default:
      mutateTcp(frames, rng);
  }
  if (large) frames = enlarge(frames);
  const opts = SMALL_LIMITS[target];
  const reassembly =
    target === "path/tcp-reassembly" ? () => new ReassemblyBudget(64 * 1024, 16 * 1024) : () => null;
  return {
    frames: frames.length,
    bytes: 0,
    run: () => {
      runFrames(frames, opts, reassembly());
    },
    hex: () => `${seed.name}: ${frames.length} frames`,
  };
}

/**
 * Milliseconds of this thread's CPU time `run` takes: a busy machine (the fuzzer runs beside other
 * work) deschedules the thread, which wall time would count as the input's.
 */
function cpuMs(run: () => void): number {
  const t0 = process.threadCpuUsage();
  run();
  const t = process.threadCpuUsage(t0);
  return (t.user + t.system) / 1000;
}

/** Fuzzes one whole-path target with `runs` inputs. */
export function fuzzPath(target: PathTarget, seeds: SeedCapture[], runs: number, seed = 1): FuzzReport {
  const pool = seedPool(target, seeds);
  const rng = new Rng(seed);
  const report = emptyReport(target, pool.length);
  const t0 = performance.now();
  for (let run = 0; run < runs && pool.length > 0; run++) {
    const input = makeInput(target, pool, rng);
    const limit = HANG_MS + input.frames * PER_FRAME_MS + input.bytes * PER_BYTE_MS;
    let ms = 0;
    try {
      ms = cpuMs(input.run);
      // Slow once may be a collection; slow twice is the input.
      if (ms > limit) ms = Math.min(ms, cpuMs(input.run));
    } catch (err) {
      report.exceptions++;
      if (report.failures.length < 5) {
        report.failures.push({
          run,
          error: (err as Error).stack?.split("\n").slice(0, 4).join(" | ") ?? String(err),
          inputHex: input.hex(),
        });
      }
    }
    if (ms > report.maxMs) report.maxMs = ms;
    if (ms > limit) {
      report.hangs++;
      if (report.failures.length < 5)
        report.failures.push({
          run,
          error: `hang: ${ms.toFixed(0)} ms for ${input.frames} frames`,
          inputHex: input.hex(),
        });
    }
    report.inputs++;
    if ((run & 0x3ff) === 0) {
      const heap = process.memoryUsage().heapUsed / 1048576;
      if (heap > report.heapPeakMb) report.heapPeakMb = heap;
    }
  }
  report.seconds = (performance.now() - t0) / 1000;
  removeTempFile();
  return report;
}
