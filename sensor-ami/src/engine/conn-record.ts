// conn.log: the record of a finished connection, in Zeek's field order.

import { CONN_ID_FIELDS, type Schema } from "../logs/schema.js";
import type { LogRecordObject } from "../logs/writer.js";
import { AddrScratch, cidrContains } from "./addr.js";
import { communityId } from "./community-id.js";
import { ConnIdRecord } from "./conn-id.js";
import { connState } from "./conn-state.js";
import { type Connection, Proto } from "./connection.js";
import type { EngineOptions } from "./options.js";

/** conn.log's TSV columns (Zeek's, then ip_proto, community_id and the tunnel's vni and vlan). */
export const CONN_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["proto", "enum"],
  ["service", "string"],
  ["duration", "interval"],
  ["orig_bytes", "count"],
  ["resp_bytes", "count"],
  ["conn_state", "string"],
  ["local_orig", "bool"],
  ["local_resp", "bool"],
  ["missed_bytes", "count"],
  ["history", "string"],
  ["orig_pkts", "count"],
  ["orig_ip_bytes", "count"],
  ["resp_pkts", "count"],
  ["resp_ip_bytes", "count"],
  ["tunnel_parents", "set[string]"],
  ["ip_proto", "count"],
  ["community_id", "string"],
  ["vni", "count"],
  ["vlan", "int"],
];

/** One conn.log record: every field is set (undefined = unset, omitted by both writers). */
class ConnLogRecord extends ConnIdRecord {
  declare proto: string;
  declare service: string | undefined;
  declare duration: number | undefined;
  declare orig_bytes: number | undefined;
  declare resp_bytes: number | undefined;
  declare conn_state: string;
  declare local_orig: boolean | undefined;
  declare local_resp: boolean | undefined;
  declare missed_bytes: number;
  declare history: string | undefined;
  declare orig_pkts: number;
  declare orig_ip_bytes: number;
  declare resp_pkts: number;
  declare resp_ip_bytes: number;
  declare tunnel_parents: string[] | undefined;
  declare ip_proto: number;
  declare community_id: string | undefined;
  declare vni: number | undefined;

  constructor(c: Connection, opts: EngineOptions, cidSrc: AddrScratch, cidDst: AddrScratch) {
    super(c.startTs, c);
    const duration = Math.round((c.lastTs - c.startTs) * 1e6) / 1e6;
    const hasDuration = duration > 0;
    const tcp = c.proto === Proto.Tcp;
    const nets = opts.localNets;
    this.proto = tcp
      ? "tcp"
      : c.proto === Proto.Udp
        ? "udp"
        : c.proto === Proto.Icmp
          ? "icmp"
          : "unknown_transport";
    this.service = c.service !== "" ? c.service : undefined;
    this.duration = hasDuration ? duration : undefined;
    this.orig_bytes = hasDuration ? (tcp ? c.orig!.size(c.resp!) : c.origBytes) : undefined;
    this.resp_bytes = hasDuration ? (tcp ? c.resp!.size(c.orig!) : c.respBytes) : undefined;
    this.conn_state = connState(c);
    this.local_orig = nets !== null ? nets.some((n) => cidrContains(n, c.o0, c.o1, c.o2, c.o3)) : undefined;
    this.local_resp = nets !== null ? nets.some((n) => cidrContains(n, c.r0, c.r1, c.r2, c.r3)) : undefined;
    this.missed_bytes = c.missedBytes;
    this.history = c.history !== "" ? c.history : undefined;
    this.orig_pkts = c.origPkts;
    this.orig_ip_bytes = c.origIpBytes;
    this.resp_pkts = c.respPkts;
    this.resp_ip_bytes = c.respIpBytes;
    this.tunnel_parents = c.tunnelParents !== null ? c.tunnelParents : undefined;
    this.ip_proto = c.ipProto;
    this.community_id = opts.communityId
      ? communityId(
          {
            src: cidSrc.bytes(c.o0, c.o1, c.o2, c.o3),
            dst: cidDst.bytes(c.r0, c.r1, c.r2, c.r3),
            proto: c.ipProto,
            sport: c.oPort,
            dport: c.rPort,
          },
          opts.communityIdSeed,
        )
      : undefined;
    this.vni = c.vni >= 0 ? c.vni : undefined;
  }
}

export class ConnRecords {
  /** Address bytes for the Community ID hash input (copied by it at once). */
  private readonly cidSrc = new AddrScratch();
  private readonly cidDst = new AddrScratch();

  constructor(private readonly opts: EngineOptions) {}

  record(c: Connection): LogRecordObject {
    return new ConnLogRecord(c, this.opts, this.cidSrc, this.cidDst);
  }
}
