// When a TCP connection expires, by Zeek's timeouts for the state it is in: attempts, established,
// closed and half-closed/reset connections each have their own.

import { type Connection, EpState } from "./connection.js";
import type { Timeouts } from "./options.js";

/** Sets c.expiresAt after a segment (UDP, ICMP and other protocols use one idle timeout each). */
export function setTcpExpiry(c: Connection, t: Timeouts): void {
  const o = c.orig!;
  const r = c.resp!;
  if (c.closeComplete) {
    c.expiresAt = c.lastTs + t.tcpClose;
  } else if (
    (o.state === EpState.SynSent || o.state === EpState.SynAckSent) &&
    r.state === EpState.Inactive
  ) {
    c.expiresAt = (c.attemptTs >= 0 ? c.attemptTs : c.startTs) + t.tcpAttempt;
  } else if (
    (o.didClose || r.didClose) &&
    (o.state === EpState.Reset ||
      r.state === EpState.Reset ||
      o.state === EpState.Inactive ||
      r.state === EpState.Inactive)
  ) {
    c.expiresAt = c.lastTs + t.tcpLinger;
  } else {
    c.expiresAt = c.lastTs + t.tcpInactivity;
  }
}
