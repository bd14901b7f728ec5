// weird.log and the weird counts of the run summary. Three kinds, as Zeek logs them:
// - decoder weirds (by code, from decode/weirds.ts): every one counted, the first
//   `weirdSamplingThreshold` of a name logged, then one in `weirdSamplingRate`;
// - connection weirds raised by the engine: counted always, logged once per (connection, name);
// - analyzer, host and external weirds (inspection, the checksum policy, the capture reader):
//   counted and logged each time.

import { WEIRD_NAMES } from "../decode/weirds.js";
import { CONN_ID_FIELDS, type Schema } from "../logs/schema.js";
import type { LogRecordObject, LogSink } from "../logs/writer.js";
import { ConnIdRecord } from "./conn-id.js";
import { type Connection, Proto } from "./connection.js";
import type { WeirdSink } from "./hooks.js";
import type { EngineOptions } from "./options.js";

/** weird.log's TSV columns (connection fields unset for weirds about no connection). */
export const WEIRD_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["name", "string"],
  ["addl", "string"],
  ["notice", "bool"],
  ["peer", "string"],
  ["source", "string"],
  ["packet", "count"],
  ["vni", "count"],
];

/** The packet being processed (the engine): weird records carry its time and number. */
export interface PacketClock {
  readonly ts: number;
  readonly packetIndex: number;
}

export class WeirdLog implements WeirdSink {
  private readonly decoderCounts = new Int32Array(WEIRD_NAMES.length);
  private readonly namedCounts = new Map<string, number>();

  constructor(
    private readonly sink: LogSink,
    private readonly now: PacketClock,
    private readonly opts: EngineOptions,
  ) {}

  /** A decoder weird (code from decode/weirds.ts) about the current packet; `vni` -1 when not tunnelled. */
  decoder(code: number, vni: number): void {
    const n = ++this.decoderCounts[code];
    const o = this.opts;
    if (n <= o.weirdSamplingThreshold || n % o.weirdSamplingRate === 0) {
      const rec: LogRecordObject = {
        ts: this.now.ts,
        name: WEIRD_NAMES[code],
        notice: false,
        peer: "spanless",
        source: "decoder",
        packet: this.now.packetIndex,
      };
      if (vni >= 0) rec.vni = vni;
      this.sink.write("weird", rec);
    }
  }

  /** A weird about one connection: logged once per (connection, name), always counted. */
  connection(c: Connection, name: string): void {
    this.count(name);
    let seen = c.weirds;
    if (seen === null) {
      seen = [];
      c.weirds = seen;
    }
    if (seen.includes(name)) return;
    seen.push(name);
    const source = c.proto === Proto.Tcp ? "TCP" : c.proto === Proto.Udp ? "UDP" : "IP";
    this.sink.write("weird", this.connectionRecord(c, name, undefined, source));
  }

  /**
   * A weird with a decoder code about one connection (an evicted one): counted by code and sampled
   * like decoder weirds, so a flood of them costs no log volume, but each logged record names its
   * connection.
   */
  sampledConnection(code: number, c: Connection): void {
    const n = ++this.decoderCounts[code];
    const o = this.opts;
    if (n <= o.weirdSamplingThreshold || n % o.weirdSamplingRate === 0) {
      this.sink.write("weird", this.connectionRecord(c, WEIRD_NAMES[code], undefined, "engine"));
    }
  }

  analyzerWeird(c: Connection, name: string, addl: string | undefined, source: string): void {
    this.count(name);
    this.sink.write("weird", this.connectionRecord(c, name, addl, source));
  }

  /**
   * A weird about one host rather than a connection (checksum-hosts.ts: verification relaxed for
   * a sender), with the host in `addl`; always logged, as it is raised once per host.
   */
  hostWeird(name: string, addl: string, vni: number): void {
    this.count(name);
    const rec: LogRecordObject = {
      ts: this.now.ts,
      name,
      addl,
      notice: false,
      peer: "spanless",
      source: "IP",
      packet: this.now.packetIndex,
    };
    if (vni >= 0) rec.vni = vni;
    this.sink.write("weird", rec);
  }

  /**
   * A weird summing up many events of a sort (a fragment flood, connections the memory budget
   * evicted): raised at most once per sweep interval by its caller, with the counts in `addl`.
   */
  aggregateWeird(name: string, addl: string, source: string): void {
    this.count(name);
    this.sink.write("weird", {
      ts: this.now.ts,
      name,
      addl,
      notice: false,
      peer: "spanless",
      source,
      packet: this.now.packetIndex,
    });
  }

  externalWeird(name: string, packet: number): void {
    this.count(name);
    this.sink.write("weird", {
      ts: this.now.ts,
      name,
      notice: false,
      peer: "spanless",
      source: "capture",
      packet,
    });
  }

  /** Every weird counted so far, by name (decoder weirds first, in code order). */
  byName(): Map<string, number> {
    const out = new Map<string, number>();
    const counts = this.decoderCounts;
    for (let i = 1; i < counts.length; i++) if (counts[i] > 0) out.set(WEIRD_NAMES[i], counts[i]);
    for (const [k, v] of this.namedCounts) out.set(k, (out.get(k) ?? 0) + v);
    return out;
  }

  private count(name: string): void {
    this.namedCounts.set(name, (this.namedCounts.get(name) ?? 0) + 1);
  }

  private connectionRecord(
    c: Connection,
    name: string,
    addl: string | undefined,
    source: string,
  ): ConnWeirdRecord {
    return new ConnWeirdRecord(this.now.ts, c, name, addl, source, this.now.packetIndex);
  }
}

/** A weird.log record about a connection (undefined = unset, omitted by both writers). */
class ConnWeirdRecord extends ConnIdRecord {
  declare name: string;
  declare addl: string | undefined;
  declare notice: boolean;
  declare peer: string;
  declare source: string;
  declare packet: number;
  declare vni: number | undefined;

  constructor(
    ts: number,
    c: Connection,
    name: string,
    addl: string | undefined,
    source: string,
    packet: number,
  ) {
    super(ts, c);
    this.name = name;
    this.addl = addl;
    this.notice = false;
    this.peer = "spanless";
    this.source = source;
    this.packet = packet;
    this.vni = c.vni >= 0 ? c.vni : undefined;
  }
}
