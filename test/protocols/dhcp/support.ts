// Test helpers: committed DHCP corpus fixtures, and a driver that plays the engine's part.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createDhcpFactory,
  createDhcpTransactions,
  type DhcpLogRecord,
  type DhcpTransactionsOptions,
} from "../../../sensor-ami/src/protocols/dhcp/index.js";
import type {
  AnalyzerContext,
  ConnectionIdentity,
  DatagramAnalyzer,
} from "../../../sensor-ami/src/protocols/types.js";

export const FIXTURES = join(import.meta.dirname, "fixtures");

export interface DhcpFrame {
  frame: number;
  ts: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  payload: Uint8Array;
  /** tshark 4.0's dhcp.* fields for the frame (first occurrence each). */
  oracle: {
    xid: string;
    msgType: string;
    mac: string;
    hostName: string;
    requested: string;
    lease: string;
    domain: string;
    message: string;
    yiaddr: string;
    serverId: string;
  };
}

export function loadDhcpFrames(capture: string): DhcpFrame[] {
  return readFileSync(join(FIXTURES, `${capture.replace("/", "_")}.tsv`), "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const c = line.split("\t");
      return {
        frame: Number(c[0]),
        ts: Number(c[1]),
        src: c[2],
        sport: Number(c[3]),
        dst: c[4],
        dport: Number(c[5]),
        payload: Uint8Array.from(Buffer.from(c[6], "hex")),
        oracle: {
          xid: c[7] ?? "",
          msgType: c[8] ?? "",
          mac: c[9] ?? "",
          hostName: c[10] ?? "",
          requested: c[11] ?? "",
          lease: c[12] ?? "",
          domain: c[13] ?? "",
          message: c[14] ?? "",
          yiaddr: c[15] ?? "",
          serverId: c[16] ?? "",
        },
      };
    });
}

/** Parses a Zeek ASCII log (btest baseline) into objects keyed by the #fields header. */
export function readZeekLog(file: string): Record<string, string>[] {
  const lines = readFileSync(join(FIXTURES, file), "utf8").split("\n");
  const fields = lines
    .find((line) => line.startsWith("#fields"))!
    .split("\t")
    .slice(1);
  return lines
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => Object.fromEntries(line.split("\t").map((value, index) => [fields[index], value])));
}

/**
 * Zeek's orientation for DHCP: 67/udp is a likely server port, so a server's unicast reply
 * (67 → 68) makes the client the originator; broadcasts keep the sender as originator.
 */
function orient(frame: DhcpFrame): ConnectionIdentity["id"] & { isOrig: boolean } {
  if (frame.sport === 67 && frame.dport === 68 && frame.dst !== "255.255.255.255") {
    return { orig_h: frame.dst, orig_p: frame.dport, resp_h: frame.src, resp_p: frame.sport, isOrig: false };
  }
  return { orig_h: frame.src, orig_p: frame.sport, resp_h: frame.dst, resp_p: frame.dport, isOrig: true };
}

export interface DhcpRun {
  records: DhcpLogRecord[];
  weirds: string[];
  violations: string[];
}

/**
 * Plays the engine with one shared store (integration mode 1). Uids come from `uidOf` (e.g. the
 * Zeek conn.log's uid for the same 5-tuple) or are numbered "C1", "C2"… in connection order.
 */
export function runWithSharedStore(
  frames: DhcpFrame[],
  options: Omit<DhcpTransactionsOptions, "log"> = {},
  uidOf?: (id: ConnectionIdentity["id"]) => string | undefined,
): DhcpRun {
  const run: DhcpRun = { records: [], weirds: [], violations: [] };
  const store = createDhcpTransactions({ ...options, log: (record) => run.records.push(record) });
  const factory = createDhcpFactory(store);
  const analyzers = new Map<string, DatagramAnalyzer>();
  for (const frame of frames) {
    const { isOrig, ...id } = orient(frame);
    const key = `${id.orig_h} ${id.orig_p} ${id.resp_h} ${id.resp_p}`;
    let analyzer = analyzers.get(key);
    if (!analyzer) {
      const connection = { uid: uidOf?.(id) ?? `C${analyzers.size + 1}`, id };
      const ctx: AnalyzerContext = {
        log: () => {
          throw new Error("with a shared store, records go to the store's log, not ctx.log");
        },
        weird: (name) => run.weirds.push(name),
        confirm: () => {},
        violation: (reason) => run.violations.push(reason),
        connection,
      };
      analyzer = factory.create!(ctx);
      analyzers.set(key, analyzer);
    }
    analyzer.packet(isOrig, frame.payload, frame.ts);
  }
  const last = frames.at(-1)?.ts ?? 0;
  for (const analyzer of analyzers.values()) analyzer.end(last);
  store.flush();
  return run;
}
