// `spanless pcap find`'s search: a connection (from conn.log by uid, or given as a 5-tuple and a
// time range) → the ring's closed files whose time range overlaps it (from their names, without
// opening them) and that hold at least one of its frames, either direction (scanned to be sure:
// with several workers and 60 s files, many files overlap any time range).

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { PcapFindError } from "./errors.js";
import { type ConnKey, flowMatches, frameFlow } from "./flow.js";
import { type ClosedName, parseClosedName } from "./names.js";
import { scanPcap } from "./read.js";

/**
 * Slack around the connection's time range, µs. The ring stamps frames with the same receive time
 * the engine logs, but conn.log prints ts and duration to the microsecond only, and a connection's
 * first packet may be a duplicate the engine dropped while the ring kept the earlier copy.
 */
const TIME_SLACK_MICROS = 1_000_000;

export interface ConnQuery extends ConnKey {
  fromMicros: number;
  toMicros: number;
}

export interface FoundPcap extends ClosedName {
  path: string;
  name: string;
}

/** The connection conn.log (current and rotated, gzipped or not) records under `uid`. */
export function connByUid(logDir: string, uid: string): ConnQuery {
  let names: string[];
  try {
    names = readdirSync(logDir);
  } catch (cause) {
    throw new PcapFindError(`cannot read the log directory ${logDir}`, { cause });
  }
  const logs = names.filter((n) => n === "conn.log" || /^conn\..+\.log(\.gz)?$/.test(n)).sort();
  const needle = `"uid":"${uid}"`;
  for (const name of logs) {
    const raw = readFileSync(join(logDir, name));
    const text = (name.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
    const at = text.indexOf(needle);
    if (at === -1) continue;
    const lineStart = text.lastIndexOf("\n", at) + 1;
    const lineEnd = text.indexOf("\n", at);
    const line = text.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
    return connFromRecord(JSON.parse(line) as Record<string, unknown>, `${name}: ${uid}`);
  }
  throw new PcapFindError(`no conn.log record with uid ${uid} in ${logDir}`);
}

function connFromRecord(r: Record<string, unknown>, where: string): ConnQuery {
  const proto = r.proto;
  const ts = r.ts;
  if ((proto !== "tcp" && proto !== "udp" && proto !== "icmp") || typeof ts !== "number")
    throw new PcapFindError(`${where}: the record has no tcp/udp/icmp proto or no ts`);
  const duration = typeof r.duration === "number" ? r.duration : 0;
  const fromMicros = Math.round(ts * 1_000_000);
  return {
    proto,
    origH: String(r["id.orig_h"]),
    origP: Number(r["id.orig_p"]),
    respH: String(r["id.resp_h"]),
    respP: Number(r["id.resp_p"]),
    fromMicros,
    toMicros: fromMicros + Math.round(duration * 1_000_000),
  };
}

/** The ring's closed files, every worker's, oldest first. */
export function ringFiles(pcapDir: string): FoundPcap[] {
  if (!existsSync(pcapDir)) throw new PcapFindError(`no PCAP directory ${pcapDir}`);
  const out: FoundPcap[] = [];
  for (const folder of readdirSync(pcapDir, { withFileTypes: true })) {
    if (!folder.isDirectory() || !/^w\d+$/.test(folder.name)) continue;
    for (const name of readdirSync(join(pcapDir, folder.name))) {
      const n = parseClosedName(name);
      if (n !== undefined) out.push({ ...n, name, path: join(pcapDir, folder.name, name) });
    }
  }
  return out.sort((a, b) => a.startMicros - b.startMicros || a.worker - b.worker);
}

/** The closed files that overlap the connection's time range and hold one of its frames. */
export function findPcaps(pcapDir: string, q: ConnQuery): FoundPcap[] {
  const from = q.fromMicros - TIME_SLACK_MICROS;
  const to = q.toMicros + TIME_SLACK_MICROS;
  return ringFiles(pcapDir).filter(
    (f) =>
      f.endMicros >= from &&
      f.startMicros <= to &&
      scanPcap(f.path, (r) => {
        const flow = frameFlow(r.data, r.offset, r.offset + r.length);
        return flow !== undefined && flowMatches(flow, q);
      }),
  );
}
