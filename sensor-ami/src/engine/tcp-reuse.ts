// Zeek's IsReuse: when a SYN for a known TCP connection starts a new one instead.

import { type DecodedPacket, TCP_ACK, TCP_SYN } from "../decode/packet.js";
import { type Connection, EpState } from "./connection.js";
import type { TcpEvents } from "./tcp.js";

/**
 * Whether packet `p` (from the originator when `isOrig`) ends connection `c` and starts a new
 * one: a new initial SYN with a different ISN. A reuse of a connection not yet closed is a weird.
 */
export function isTcpReuse(c: Connection, p: DecodedPacket, isOrig: boolean, events: TcpEvents): boolean {
  const flags = p.tcpFlags;
  if (!(flags & TCP_SYN)) return false;
  let connOrig = c.orig!;
  if (flags & TCP_ACK) {
    if (c.orig!.state !== EpState.Inactive) return false;
    if (isOrig) return false;
    connOrig = c.resp!;
  } else if (!isOrig) {
    return false;
  }
  const closed = c.orig!.didClose && c.resp!.didClose;
  if (!closed) {
    if ((p.seq | 0) === connOrig.startSeq) return false;
    if (connOrig.state === EpState.SynSent) events.connWeird(c, "SYN_seq_jump");
    else events.connWeird(c, "active_connection_reuse");
  }
  return true;
}
