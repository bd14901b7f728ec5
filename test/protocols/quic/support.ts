// Test support: load the committed datagram fixtures and drive the analyzer with a recording context.
import { readFileSync } from "node:fs";
import type { AnalyzerContext, LogRecord } from "../../../sensor-ami/src/protocols/types.js";

export interface FixtureDatagram {
  frame: number;
  ts: number;
  src: string;
  dst: string;
  /** Original payload length; `hex` may be a prefix for short-header datagrams (see extract.py). */
  length: number;
  hex: string;
}

export interface Fixture {
  capture: string;
  datagrams: FixtureDatagram[];
}

export function loadFixture(name: string): Fixture {
  const url = new URL(`./fixtures/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Fixture;
}

export function bytesOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** An AnalyzerContext that records everything, as the engine would pass it on. */
export class RecordingContext implements AnalyzerContext {
  readonly logs: { path: string; record: LogRecord }[] = [];
  readonly weirds: { name: string; addl?: string }[] = [];
  readonly confirmed = new Set<string>();
  readonly violations: string[] = [];

  log(path: string, record: LogRecord): void {
    this.logs.push({ path, record });
  }
  weird(name: string, addl?: string): void {
    this.weirds.push({ name, addl });
  }
  confirm(service: string): void {
    this.confirmed.add(service);
  }
  violation(reason: string): void {
    this.violations.push(reason);
  }
  records(path: string): LogRecord[] {
    return this.logs.filter((l) => l.path === path).map((l) => l.record);
  }
}

/** Group a fixture's datagrams into UDP flows; the originator is the sender of a flow's first datagram. */
export function flowsOf(
  fixture: Fixture,
): { orig: string; datagrams: { isOrig: boolean; d: FixtureDatagram }[] }[] {
  const flows = new Map<string, { orig: string; datagrams: { isOrig: boolean; d: FixtureDatagram }[] }>();
  for (const d of fixture.datagrams) {
    const key = [d.src, d.dst].sort().join("|");
    let flow = flows.get(key);
    if (flow === undefined) {
      flow = { orig: d.src, datagrams: [] };
      flows.set(key, flow);
    }
    flow.datagrams.push({ isOrig: d.src === flow.orig, d });
  }
  return [...flows.values()];
}

/** Parse a Zeek ASCII log (or a zeek-cut `.cut` file) into rows keyed by field name. */
export function readZeekLog(name: string): Record<string, string>[] {
  const text = readFileSync(new URL(`./fixtures/expected/${name}`, import.meta.url), "utf8");
  const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("### "));
  const fieldsLine = lines.find((l) => l.startsWith("#fields\t"));
  const fields = fieldsLine ? fieldsLine.split("\t").slice(1) : lines[0].split("\t");
  const data = lines.filter((l) => !l.startsWith("#")).slice(fieldsLine ? 0 : 1);
  return data.map((l) => Object.fromEntries(l.split("\t").map((v, i) => [fields[i], v])));
}

export interface TsharkClientHello {
  "frame.number": string;
  "quic.version": string;
  "tls.handshake.extensions_server_name": string;
  "tls.handshake.extensions_alpn_str": string;
  "tls.handshake.extensions.supported_version": string;
  "tls.handshake.ciphersuite": string;
  "tls.handshake.extension.type": string;
  "tls.handshake.sig_hash_alg": string;
  "tls.handshake.ja3": string;
}

export function tsharkClientHellos(): Record<string, TsharkClientHello[]> {
  const url = new URL("./fixtures/tshark-client-hellos.json", import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as Record<string, TsharkClientHello[]>;
}
