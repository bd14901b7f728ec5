// A new connection from the current packet: its 5-tuple (as the table keyed it), VNI, start time
// and uid. The only allocation on the packet path besides the TCP endpoints it creates with it.

import type { DecodedPacket } from "../decode/packet.js";
import { Connection, Proto, TcpEndpoint } from "./connection.js";
import type { UidGenerator } from "./uid.js";

/**
 * The connection of packet `p` (originator its source, or its destination when `flip`);
 * `origIsB` is the table's `swapped` for the key just looked up.
 */
export function openConnection(
  p: DecodedPacket,
  proto: Proto,
  ipProto: number,
  sport: number,
  dport: number,
  flip: boolean,
  origIsB: boolean,
  ts: number,
  uids: UidGenerator,
): Connection {
  const c = new Connection();
  c.proto = proto;
  c.ipProto = ipProto;
  // Stored as signed 32-bit so V8 keeps them as small integers (no boxed double per field).
  c.o0 = p.s0 | 0;
  c.o1 = p.s1 | 0;
  c.o2 = p.s2 | 0;
  c.o3 = p.s3 | 0;
  c.r0 = p.d0 | 0;
  c.r1 = p.d1 | 0;
  c.r2 = p.d2 | 0;
  c.r3 = p.d3 | 0;
  c.oPort = sport;
  c.rPort = dport;
  c.origIsB = origIsB;
  c.vni = p.vni;
  c.origin = p.origin;
  c.startTs = ts;
  c.lastTs = ts;
  c.uid = uids.next62("C");
  if (proto === Proto.Tcp) {
    c.orig = new TcpEndpoint();
    c.resp = new TcpEndpoint();
  }
  if (flip) c.flip();
  return c;
}
