// conn.log: the record of a finished connection, in Zeek's field order.

import type { LogRecordObject } from "../logs/writer.js";
import { AddrScratch, cidrContains, formatAddr } from "./addr.js";
import { communityId } from "./community-id.js";
import { connState } from "./conn-state.js";
import { type Connection, Proto } from "./connection.js";
import type { EngineOptions } from "./options.js";

export class ConnRecords {
  /** Address bytes for the Community ID hash input (copied by it at once). */
  private readonly cidSrc = new AddrScratch();
  private readonly cidDst = new AddrScratch();

  constructor(private readonly opts: EngineOptions) {}

  record(c: Connection): LogRecordObject {
    // One object literal with every field (undefined = unset, which JSON.stringify and the TSV
    // writer both omit): a single hidden class is much cheaper than growing the object field by field.
    const duration = Math.round((c.lastTs - c.startTs) * 1e6) / 1e6;
    const hasDuration = duration > 0;
    const tcp = c.proto === Proto.Tcp;
    const nets = this.opts.localNets;
    return {
      ts: c.startTs,
      uid: c.uid,
      "id.orig_h": formatAddr(c.o0, c.o1, c.o2, c.o3),
      "id.orig_p": c.oPort,
      "id.resp_h": formatAddr(c.r0, c.r1, c.r2, c.r3),
      "id.resp_p": c.rPort,
      proto: tcp
        ? "tcp"
        : c.proto === Proto.Udp
          ? "udp"
          : c.proto === Proto.Icmp
            ? "icmp"
            : "unknown_transport",
      service: c.service !== "" ? c.service : undefined,
      duration: hasDuration ? duration : undefined,
      orig_bytes: hasDuration ? (tcp ? c.orig!.size(c.resp!) : c.origBytes) : undefined,
      resp_bytes: hasDuration ? (tcp ? c.resp!.size(c.orig!) : c.respBytes) : undefined,
      conn_state: connState(c),
      local_orig: nets !== null ? nets.some((n) => cidrContains(n, c.o0, c.o1, c.o2, c.o3)) : undefined,
      local_resp: nets !== null ? nets.some((n) => cidrContains(n, c.r0, c.r1, c.r2, c.r3)) : undefined,
      missed_bytes: c.missedBytes,
      history: c.history !== "" ? c.history : undefined,
      orig_pkts: c.origPkts,
      orig_ip_bytes: c.origIpBytes,
      resp_pkts: c.respPkts,
      resp_ip_bytes: c.respIpBytes,
      tunnel_parents: c.tunnelParents !== null ? c.tunnelParents : undefined,
      ip_proto: c.ipProto,
      community_id: this.opts.communityId
        ? communityId(
            {
              src: this.cidSrc.bytes(c.o0, c.o1, c.o2, c.o3),
              dst: this.cidDst.bytes(c.r0, c.r1, c.r2, c.r3),
              proto: c.ipProto,
              sport: c.oPort,
              dport: c.rPort,
            },
            this.opts.communityIdSeed,
          )
        : undefined,
      vni: c.vni >= 0 ? c.vni : undefined,
    };
  }
}
