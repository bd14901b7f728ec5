// `npm run bench:analyzers [-- --passes N] [-- --capture FILE]`: where inspection time goes.
// Runs the capture N times in one process (a fresh engine each pass) with every analyzer factory
// wrapped in timers, and prints for the first (cold) and the last (steady) pass the milliseconds
// spent inside each service's probe, create, data/packet/gap and end calls (inclusive of what they
// call, logging included). The timers cost about 0.1 µs per call: compare figures from this script
// with each other, not with `npm run bench`.

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CaptureReader } from "../src/capture/reader.js";
import { Engine } from "../src/engine/engine.js";
import { Frame } from "../src/engine/frame.js";
import { buildInspector, defaultRegistry } from "../src/inspect/index.js";
import type { LogRecordObject, LogSink } from "../src/logs/writer.js";
import type {
  AnalyzerContext,
  DatagramAnalyzer,
  DatagramAnalyzerFactory,
  StreamAnalyzer,
  StreamAnalyzerFactory,
} from "../src/protocols/types.js";

type Part = "probe" | "create" | "data" | "end";

class Timings {
  readonly byService = new Map<string, Record<Part, bigint>>();

  add(service: string, part: Part, ns: bigint): void {
    let t = this.byService.get(service);
    if (t === undefined) {
      t = { probe: 0n, create: 0n, data: 0n, end: 0n };
      this.byService.set(service, t);
    }
    t[part] += ns;
  }
}

let current = new Timings();

function timed<A extends unknown[], R>(
  service: string,
  part: Part,
  fn: (...args: A) => R,
): (...args: A) => R {
  return (...args: A): R => {
    const t0 = process.hrtime.bigint();
    try {
      return fn(...args);
    } finally {
      current.add(service, part, process.hrtime.bigint() - t0);
    }
  };
}

function wrapStream(service: string, a: StreamAnalyzer): StreamAnalyzer {
  return {
    data: timed(service, "data", a.data.bind(a)),
    gap: timed(service, "data", a.gap.bind(a)),
    end: timed(service, "end", a.end.bind(a)),
  };
}

function wrapDatagram(service: string, a: DatagramAnalyzer): DatagramAnalyzer {
  return { packet: timed(service, "data", a.packet.bind(a)), end: timed(service, "end", a.end.bind(a)) };
}

function wrapStreamFactory(f: StreamAnalyzerFactory): StreamAnalyzerFactory {
  const create = f.create;
  return {
    ...f,
    probe: timed(f.service, "probe", f.probe.bind(f)),
    create:
      create === undefined
        ? undefined
        : timed(f.service, "create", (ctx: AnalyzerContext) => wrapStream(f.service, create.call(f, ctx))),
  };
}

function wrapDatagramFactory(f: DatagramAnalyzerFactory): DatagramAnalyzerFactory {
  const create = f.create;
  return {
    ...f,
    probe: timed(f.service, "probe", f.probe.bind(f)),
    create:
      create === undefined
        ? undefined
        : timed(f.service, "create", (ctx: AnalyzerContext) => wrapDatagram(f.service, create.call(f, ctx))),
  };
}

class CountingSink implements LogSink {
  records = 0;
  write(_path: string, _record: LogRecordObject): void {
    this.records++;
  }
}

function onePass(file: string): { wallMs: number; records: number } {
  const sink = new CountingSink();
  const engine = new Engine(sink, { seed: 1, verifyChecksums: "auto" });
  const registry = defaultRegistry(sink);
  engine.inspector = buildInspector(engine.weirds, sink, {
    stream: registry.stream.map(wrapStreamFactory),
    datagram: registry.datagram.map(wrapDatagramFactory),
    finish: registry.finish,
  });
  const reader = CaptureReader.open(file);
  const pkt = new Frame();
  const t0 = process.hrtime.bigint();
  while (reader.next(pkt)) engine.process(pkt);
  engine.finish();
  reader.close();
  return { wallMs: Number(process.hrtime.bigint() - t0) / 1e6, records: sink.records };
}

function report(label: string, pass: { wallMs: number; records: number }, t: Timings): void {
  const ms = (ns: bigint) => (Number(ns) / 1e6).toFixed(1).padStart(8);
  const total = (r: Record<Part, bigint>) => r.probe + r.create + r.data + r.end;
  console.log(`\n${label}: ${pass.wallMs.toFixed(0)} ms for the pass, ${pass.records} records`);
  console.log(
    `${"service".padEnd(12)}${"probe".padStart(8)}${"create".padStart(8)}${"data".padStart(8)}${"end".padStart(8)}${"total".padStart(8)}`,
  );
  let sum = 0n;
  for (const [service, r] of [...t.byService].sort((a, b) => Number(total(b[1]) - total(a[1])))) {
    sum += total(r);
    console.log(`${service.padEnd(12)}${ms(r.probe)}${ms(r.create)}${ms(r.data)}${ms(r.end)}${ms(total(r))}`);
  }
  console.log(`${"all".padEnd(12)}${"".padStart(32)}${ms(sum)}`);
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const { values } = parseArgs({
    options: { passes: { type: "string", default: "4" }, capture: { type: "string" } },
  });
  const file =
    values.capture ?? resolve(here, "..", "..", "..", "..", "shared", "corpus", "bench", "bench.pcap");
  if (!existsSync(file)) {
    console.error(`capture not found: ${file} (pass --capture FILE)`);
    process.exit(2);
  }
  const passes = Math.max(1, Number(values.passes));
  console.log(`analyzer time on ${file}, ${passes} passes (node ${process.version})`);
  for (let i = 0; i < passes; i++) {
    current = new Timings();
    const pass = onePass(file);
    if (i === 0) report("cold (pass 1)", pass, current);
    else if (i === passes - 1) report(`steady (pass ${passes})`, pass, current);
  }
}

main();
