// Zeek's conn_state() decision rules (scripts/base/protocols/conn/main.zeek), in the same order.

import { type Connection, EpState, Proto } from "./connection.js";

const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/;

export function connState(c: Connection): string {
  if (c.proto === Proto.Tcp) {
    const o = c.orig!;
    const r = c.resp!;
    const os = o.state;
    const rs = r.state;
    const oInactive = os === EpState.Inactive || os === EpState.Partial;
    const rInactive = rs === EpState.Inactive || rs === EpState.Partial;
    if (rs === EpState.Reset) {
      if (
        os === EpState.SynSent ||
        os === EpState.SynAckSent ||
        (os === EpState.Reset && o.size(r) === 0 && r.size(o) === 0)
      ) {
        return "REJ";
      }
      return oInactive ? "RSTRH" : "RSTR";
    }
    if (os === EpState.Reset) {
      if (rInactive) return RSTOS0_HISTORY.test(c.history) ? "RSTOS0" : "OTH";
      return "RSTO";
    }
    if (rs === EpState.Closed && os === EpState.Closed) return "SF";
    if (os === EpState.Closed) return rInactive ? "SH" : "S2";
    if (rs === EpState.Closed) return oInactive ? "SHR" : "S3";
    if (os === EpState.SynSent && rs === EpState.Inactive) return "S0";
    if (os === EpState.Established && rs === EpState.Established) return "S1";
    return "OTH";
  }
  if (c.proto === Proto.Udp) {
    if (c.origActive) return c.respActive ? "SF" : "S0";
    return c.respActive ? "SHR" : "OTH";
  }
  return "OTH";
}
