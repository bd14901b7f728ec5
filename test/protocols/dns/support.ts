// Test helpers: load the committed corpus fixtures and drive analyzers like the engine would.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type {
  AnalyzerContext,
  DatagramAnalyzerFactory,
  LogRecord,
  StreamAnalyzerFactory,
} from "../../../sensor-ami/src/protocols/types.js";

export const FIXTURES = join(import.meta.dirname, "fixtures");

/** One payload-bearing frame from extract.sh, with tshark's dissection of it. */
export interface Frame {
  capture: string;
  frame: number;
  ts: number;
  transport: "udp" | "tcp";
  src: string;
  sport: number;
  dst: string;
  dport: number;
  payload: Uint8Array;
  oracle: {
    isResponse: string;
    id: string;
    opcode: string;
    qname: string;
    qtype: string;
    rcode: string;
    a: string;
    aaaa: string;
    cname: string;
    ancount: string;
  };
}

export function loadFrames(capture: string): Frame[] {
  const text = readFileSync(join(FIXTURES, `${capture.replace("/", "_")}.tsv`), "utf8");
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const c = line.split("\t");
      return {
        capture,
        frame: Number(c[0]),
        ts: Number(c[1]),
        transport: c[2] as "udp" | "tcp",
        src: c[3],
        sport: Number(c[4]),
        dst: c[5],
        dport: Number(c[6]),
        payload: Uint8Array.from(Buffer.from(c[7], "hex")),
        oracle: {
          isResponse: c[8] ?? "",
          id: c[9] ?? "",
          opcode: c[10] ?? "",
          qname: c[11] ?? "",
          qtype: c[12] ?? "",
          rcode: c[13] ?? "",
          a: c[14] ?? "",
          aaaa: c[15] ?? "",
          cname: c[16] ?? "",
          ancount: c[17] ?? "",
        },
      };
    });
}

export interface Emitted {
  logs: { path: string; record: LogRecord; conn: ConnKey }[];
  weirds: { name: string; addl?: string; conn: ConnKey }[];
  confirmed: string[];
  violations: string[];
}

export interface ConnKey {
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
}

export function recordingContext(emitted: Emitted, conn: ConnKey): AnalyzerContext {
  return {
    log: (path, record) => emitted.logs.push({ path, record, conn }),
    weird: (name, addl) => emitted.weirds.push({ name, ...(addl !== undefined && { addl }), conn }),
    confirm: (service) => emitted.confirmed.push(service),
    violation: (reason) => emitted.violations.push(reason),
  };
}

export function emptyEmitted(): Emitted {
  return { logs: [], weirds: [], confirmed: [], violations: [] };
}

/**
 * The originator is the first sender, unless `flip` says the first payload belongs to the
 * responder (the role flip Zeek applies to DNS replies seen first).
 */
function connectionOf(
  frames: Map<string, ConnKey>,
  frame: Frame,
  flip?: (frame: Frame) => boolean,
): { key: ConnKey; isOrig: boolean } {
  const forward = `${frame.transport} ${frame.src} ${frame.sport} ${frame.dst} ${frame.dport}`;
  const reverse = `${frame.transport} ${frame.dst} ${frame.dport} ${frame.src} ${frame.sport}`;
  const known = frames.get(forward) ?? frames.get(reverse);
  if (known) return { key: known, isOrig: known.orig_h === frame.src && known.orig_p === frame.sport };
  if (flip?.(frame)) {
    const key = { orig_h: frame.dst, orig_p: frame.dport, resp_h: frame.src, resp_p: frame.sport };
    frames.set(reverse, key);
    return { key, isOrig: false };
  }
  const key = { orig_h: frame.src, orig_p: frame.sport, resp_h: frame.dst, resp_p: frame.dport };
  frames.set(forward, key);
  return { key, isOrig: true };
}

/** Runs a UDP factory over every datagram, one analyzer per 5-tuple (first sender = originator). */
export function runDatagrams(
  factory: DatagramAnalyzerFactory,
  frames: Frame[],
  flip?: (frame: Frame) => boolean,
): Emitted {
  const emitted = emptyEmitted();
  const conns = new Map<string, ConnKey>();
  const analyzers = new Map<ConnKey, ReturnType<NonNullable<DatagramAnalyzerFactory["create"]>>>();
  let last = 0;
  for (const frame of frames.filter((f) => f.transport === "udp")) {
    const { key, isOrig } = connectionOf(conns, frame, flip);
    let analyzer = analyzers.get(key);
    if (!analyzer) {
      analyzer = factory.create!(recordingContext(emitted, key));
      analyzers.set(key, analyzer);
    }
    analyzer.packet(isOrig, frame.payload, frame.ts);
    last = frame.ts;
  }
  for (const analyzer of analyzers.values()) analyzer.end(last);
  return emitted;
}

/** Runs a TCP factory over each connection's segments, in capture order, as in-order stream data. */
export function runStreams(factory: StreamAnalyzerFactory, frames: Frame[]): Emitted {
  const emitted = emptyEmitted();
  const conns = new Map<string, ConnKey>();
  const analyzers = new Map<ConnKey, ReturnType<NonNullable<StreamAnalyzerFactory["create"]>>>();
  let last = 0;
  for (const frame of frames.filter((f) => f.transport === "tcp")) {
    const { key, isOrig } = connectionOf(conns, frame);
    let analyzer = analyzers.get(key);
    if (!analyzer) {
      analyzer = factory.create!(recordingContext(emitted, key));
      analyzers.set(key, analyzer);
    }
    analyzer.data(isOrig, frame.payload, frame.ts);
    last = frame.ts;
  }
  for (const analyzer of analyzers.values()) analyzer.end(last);
  return emitted;
}

/** Parses a Zeek ASCII log (btest baseline) into objects keyed by the #fields header. */
export function readZeekLog(file: string): Record<string, string>[] {
  const lines = readFileSync(join(FIXTURES, file), "utf8").split("\n");
  const header = lines.find((line) => line.startsWith("#fields"));
  if (!header) throw new Error(`${file} has no #fields line`);
  const fields = header.split("\t").slice(1);
  return lines
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => Object.fromEntries(line.split("\t").map((value, index) => [fields[index], value])));
}
