// Test support: load committed stream fixtures (extracted from the corpus by tools/extract-streams.py),
// replay them through the analyzer with a recording context, and read the corpus' peer outputs.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { type HelloObserver, TlsAnalyzer } from "../../../sensor-ami/src/protocols/tls/analyzer.js";
import {
  HandshakeAssembler,
  type HandshakeMessage,
} from "../../../sensor-ami/src/protocols/tls/handshake-assembler.js";
import type { ClientHello, ServerHello } from "../../../sensor-ami/src/protocols/tls/hello.js";
import { CONTENT_HANDSHAKE, RecordFramer } from "../../../sensor-ami/src/protocols/tls/record-layer.js";
import type { AnalyzerContext, LogRecord } from "../../../sensor-ami/src/protocols/types.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
export const CORPUS = "/work/shared/corpus";

export interface StreamFixture {
  stream: number;
  /** [originator port, responder port] */
  ports: [number, number];
  frames: number[];
  /** [1 = from originator | 0, hex] in capture order, one per TCP segment. */
  chunks: [number, string][];
}

export interface CaptureFixture {
  capture: string;
  streams: StreamFixture[];
}

/** Fixtures are JSON; the one holding a 340 KB certificate message is gzipped. */
export function loadFixture(name: string): CaptureFixture {
  const plain = join(FIXTURES, `${name}.streams.json`);
  const text = existsSync(plain)
    ? readFileSync(plain, "utf8")
    : gunzipSync(readFileSync(`${plain}.gz`)).toString("utf8");
  return JSON.parse(text) as CaptureFixture;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.includes(".streams.json"))
    .map((f) => f.replace(/\.streams\.json(\.gz)?$/, ""))
    .sort();
}

export function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export interface Recorded {
  logs: { path: string; record: LogRecord }[];
  weirds: { name: string; addl?: string }[];
  confirmed: string[];
  violations: string[];
}

export function recordingContext(): { ctx: AnalyzerContext; recorded: Recorded } {
  const recorded: Recorded = { logs: [], weirds: [], confirmed: [], violations: [] };
  const ctx: AnalyzerContext = {
    log: (path, record) => recorded.logs.push({ path, record }),
    weird: (name, addl) => recorded.weirds.push({ name, addl }),
    confirm: (service) => recorded.confirmed.push(service),
    violation: (reason) => recorded.violations.push(reason),
  };
  return { ctx, recorded };
}

/** Chunks of a stream, optionally re-cut into pieces of at most `maxChunk` bytes (to stress buffering). */
export function chunksOf(stream: StreamFixture, maxChunk?: number): [boolean, Uint8Array][] {
  const out: [boolean, Uint8Array][] = [];
  for (const [isOrig, hex] of stream.chunks) {
    const bytes = hexBytes(hex);
    if (maxChunk === undefined) out.push([isOrig === 1, bytes]);
    else
      for (let i = 0; i < bytes.length; i += maxChunk)
        out.push([isOrig === 1, bytes.subarray(i, i + maxChunk)]);
  }
  return out;
}

/**
 * Replay a stream through a fresh analyzer. Each chunk is copied into one reused scratch buffer
 * first, as the engine does, so an analyzer that keeps views instead of copies fails these tests.
 */
export function replay(stream: StreamFixture, maxChunk?: number, observer?: HelloObserver): Recorded {
  const { ctx, recorded } = recordingContext();
  const analyzer = new TlsAnalyzer(ctx, observer);
  const chunks = chunksOf(stream, maxChunk);
  const scratch = new Uint8Array(Math.max(1, ...chunks.map(([, bytes]) => bytes.length)));
  let ts = 1_700_000_000;
  for (const [isOrig, bytes] of chunks) {
    scratch.set(bytes);
    analyzer.data(isOrig, scratch.subarray(0, bytes.length), ts);
    scratch.fill(0xee, 0, bytes.length);
    ts += 0.001;
  }
  analyzer.end(ts);
  return recorded;
}

/** Every ClientHello/ServerHello the analyzer parsed in a stream, in order. */
export function hellosOf(stream: StreamFixture): {
  clients: ClientHello[];
  servers: ServerHello[];
  recorded: Recorded;
} {
  const clients: ClientHello[] = [];
  const servers: ServerHello[] = [];
  const recorded = replay(stream, undefined, {
    clientHello: (hello) => clients.push(hello),
    serverHello: (hello) => servers.push(hello),
  });
  return { clients, servers, recorded };
}

export function sslLogs(recorded: Recorded): LogRecord[] {
  return recorded.logs.filter((l) => l.path === "ssl").map((l) => l.record);
}

/** Plaintext handshake messages of one direction, found with the production framer and assembler. */
export function handshakeMessages(
  stream: StreamFixture,
  fromOrig: boolean,
): { type: number; message: Uint8Array }[] {
  const messages: { type: number; message: Uint8Array }[] = [];
  const assembler = new HandshakeAssembler();
  let stop = false;
  const framer = new RecordFramer({
    record: (record) => {
      if (record.contentType !== CONTENT_HANDSHAKE) {
        if (record.contentType === 20 || record.contentType === 23) stop = true;
        return !stop;
      }
      assembler.push(record.fragment, {
        message: (m: HandshakeMessage) => messages.push({ type: m.type, message: m.message.slice() }),
        oversized: () => {},
      });
      return true;
    },
    problem: () => {
      stop = true;
    },
  });
  for (const [isOrig, bytes] of chunksOf(stream)) if (isOrig === fromOrig && !stop) framer.push(bytes);
  return messages;
}

export type TsvRow = Record<string, string>;

/** The corpus' tshark oracle: `<capture>.tshark.tsv`, one object per row keyed by field name. */
export function tsharkRows(capture: string): TsvRow[] {
  const lines = readFileSync(join(CORPUS, `${capture}.tshark.tsv`), "utf8")
    .split("\n")
    .filter(Boolean);
  const header = lines[0].split("\t");
  return lines.slice(1).map((line) => {
    const cells = line.split("\t");
    return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
  });
}

/** Zeek TSV log rows (btest baseline), keyed by the #fields header. */
export function zeekRows(path: string): TsvRow[] {
  const rows: TsvRow[] = [];
  let fields: string[] = [];
  for (const line of readFileSync(join(CORPUS, path), "utf8").split("\n")) {
    if (line.startsWith("#fields\t")) fields = line.split("\t").slice(1);
    else if (line && !line.startsWith("#")) {
      const cells = line.split("\t");
      rows.push(Object.fromEntries(fields.map((name, i) => [name, cells[i] ?? ""])));
    }
  }
  return rows;
}
