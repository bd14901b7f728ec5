// TCP connection state: Zeek's TCP session adapter rules (endpoint state machine, relative
// sequence numbers, history letters, gap accounting) applied to one decoded segment.

import { type DecodedPacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from "../decode/packet.js";
import { type Connection, EpState, MAX_OOO_BLOCKS, type TcpEndpoint } from "./connection.js";
import {
  addHistory,
  checkHistory,
  HIST_ACK,
  HIST_DATA,
  HIST_FIN,
  HIST_FIN_RST,
  HIST_MULTI_FLAG,
  HIST_RST,
  HIST_SYN,
  isLogStep,
} from "./history.js";

/** Sequence jumps larger than this on SYN/RST are not trusted (Zeek's TOO_LARGE_SEQ_DELTA). */
const TOO_LARGE_SEQ_DELTA = 1048576;

export interface TcpEvents {
  connWeird(c: Connection, name: string): void;
  /** In-order payload of one direction for protocol analysis (optional). */
  tcpData(c: Connection, isOrig: boolean, p: DecodedPacket, relSeq: number): void;
}

function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/** Relative sequence number of `cur` in the endpoint's space; NaN signals underflow. */
function relativeSeq(ep: TcpEndpoint, cur: number, last: number, wraps: number): number {
  const delta = seqDelta(cur, last);
  const c = cur >>> 0;
  const l = last >>> 0;
  if (delta < 0) {
    if (wraps && c > l) wraps--;
  } else if (delta > 0) {
    if (c < l) wraps++;
  }
  if (wraps === 0) {
    const d = seqDelta(cur, ep.startSeq);
    return d < 0 ? Number.NaN : d;
  }
  return wraps * 4294967296 + c - (ep.startSeq >>> 0);
}

/** A SYN that (re)starts this endpoint's sequence space. */
function restartSequence(ep: TcpEndpoint, firstSeq: number, lastSeq: number): void {
  ep.startSeq = firstSeq | 0;
  ep.ackSeq = firstSeq | 0;
  ep.lastSeq = lastSeq | 0;
  ep.seqWraps = 0;
  ep.ackWraps = 0;
}

function initEndpoint(
  ep: TcpEndpoint,
  flags: number,
  firstSeq: number,
  lastSeq: number,
  c: Connection,
  ev: TcpEvents,
): void {
  const syn = (flags & TCP_SYN) !== 0;
  switch (ep.state) {
    case EpState.Inactive:
      if (syn) {
        ep.ackSeq = firstSeq | 0;
        ep.startSeq = firstSeq | 0;
      } else {
        // Partial connection: number bytes as though a SYN had been seen.
        ep.ackSeq = (firstSeq - 1) | 0;
        ep.startSeq = (firstSeq - 1) | 0;
        lastSeq = firstSeq;
      }
      ep.lastSeq = lastSeq | 0;
      break;
    case EpState.SynSent:
    case EpState.SynAckSent:
      if (syn && (firstSeq | 0) !== ep.startSeq) {
        ev.connWeird(c, "SYN_seq_jump");
        restartSequence(ep, firstSeq, lastSeq);
      }
      break;
    case EpState.Established:
    case EpState.Partial:
      if (syn) {
        if ((firstSeq | 0) !== ep.startSeq) ev.connWeird(c, "SYN_seq_jump");
        restartSequence(ep, firstSeq, lastSeq);
      }
      break;
    case EpState.Reset:
      if (syn && ep.prevState === EpState.Inactive) {
        ep.startSeq = firstSeq | 0;
        ep.ackSeq = firstSeq | 0;
        ep.lastSeq = lastSeq | 0;
      }
      break;
    default:
      break;
  }
}

function updateHistory(
  c: Connection,
  isOrig: boolean,
  flags: number,
  ep: TcpEndpoint,
  relSeq: number,
  len: number,
): void {
  const syn = flags & TCP_SYN;
  const fin = flags & TCP_FIN;
  const rst = flags & TCP_RST;
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) checkHistory(c, isOrig, HIST_FIN_RST, "I");
    else checkHistory(c, isOrig, HIST_MULTI_FLAG, "Q");
  } else if (bits === 1) {
    if (syn) {
      const code = flags & TCP_ACK ? "H" : "S";
      if (checkHistory(c, isOrig, HIST_SYN, code) && relSeq !== ep.histLastSyn) addHistory(c, isOrig, code);
      ep.histLastSyn = relSeq;
    }
    if (fin) {
      if (checkHistory(c, isOrig, HIST_FIN, "F") && relSeq + len !== ep.histLastFin)
        addHistory(c, isOrig, "F");
      ep.histLastFin = relSeq + len;
    }
    if (rst) {
      if (checkHistory(c, isOrig, HIST_RST, "R") && relSeq !== ep.histLastRst) addHistory(c, isOrig, "R");
      ep.histLastRst = relSeq;
    }
  } else if (len) {
    checkHistory(c, isOrig, HIST_DATA, "D");
  } else if (flags & TCP_ACK) {
    checkHistory(c, isOrig, HIST_ACK, "A");
  }
}

function updateLastSeq(
  c: Connection,
  isOrig: boolean,
  ep: TcpEndpoint,
  lastSeq: number,
  flags: number,
  len: number,
): number {
  const delta = seqDelta(lastSeq, ep.lastSeq);
  if (flags & (TCP_SYN | TCP_RST) && (delta > TOO_LARGE_SEQ_DELTA || delta < -TOO_LARGE_SEQ_DELTA)) {
    // Not trusted.
  } else if (flags & TCP_FIN && ep.lastSeq === ((ep.startSeq + 1) | 0)) {
    setLastSeq(ep, lastSeq);
  } else if (ep.state === EpState.Reset) {
    // Sequence numbers after a RST are not trusted.
  } else if (delta > 0) {
    setLastSeq(ep, lastSeq);
  } else if (len > 0) {
    ep.rxmtCnt++;
    if (isLogStep(ep.rxmtCnt)) addHistory(c, isOrig, "T");
  }
  return delta;
}

function setLastSeq(ep: TcpEndpoint, seq: number): void {
  if (seq >>> 0 < ep.lastSeq >>> 0) ep.seqWraps++;
  ep.lastSeq = seq | 0;
}

function updateAckSeq(ep: TcpEndpoint, ack: number): void {
  const delta = seqDelta(ack, ep.ackSeq);
  if (ack === 0 && delta > TOO_LARGE_SEQ_DELTA) return; // a broken ack, not a wrap to exactly 0
  if (delta > 0) {
    if (ack >>> 0 < ep.ackSeq >>> 0) ep.ackWraps++;
    ep.ackSeq = ack | 0;
  }
}

function initPeer(
  peer: TcpEndpoint,
  ep: TcpEndpoint,
  flags: number,
  ack: number,
  c: Connection,
  ev: TcpEvents,
): void {
  if (!(flags & (TCP_SYN | TCP_FIN | TCP_RST))) {
    if (ep.state === EpState.SynSent || ep.state === EpState.SynAckSent || ep.state === EpState.Established) {
      ev.connWeird(c, "possible_split_routing");
    }
  }
  const base = (ack - 1) | 0;
  peer.startSeq = base;
  peer.ackSeq = base;
  peer.lastSeq = base;
}

interface CloseDecision {
  doClose: boolean;
  genEvent: boolean;
}

const decision: CloseDecision = { doClose: false, genEvent: false };

function updateStateMachine(
  c: Connection,
  ep: TcpEndpoint,
  peer: TcpEndpoint,
  baseSeq: number,
  ack: number,
  len: number,
  deltaLast: number,
  isOrig: boolean,
  flags: number,
  ts: number,
  ev: TcpEvents,
): void {
  decision.doClose = false;
  decision.genEvent = false;
  const syn = flags & TCP_SYN;
  const fin = flags & TCP_FIN;
  const rst = flags & TCP_RST;
  const ackf = flags & TCP_ACK;
  switch (ep.state) {
    case EpState.Inactive: {
      if (syn) {
        if (isOrig) {
          if (ackf) {
            ev.connWeird(c, "connection_originator_SYN_ack");
            ep.setState(EpState.SynAckSent);
          } else {
            ep.setState(EpState.SynSent);
          }
          if (c.attemptTs < 0) c.attemptTs = ts;
        } else {
          if (ackf) {
            if (
              peer.state !== EpState.Inactive &&
              peer.state !== EpState.Partial &&
              !seqBetween(ack, peer.startSeq, peer.lastSeq)
            ) {
              ev.connWeird(c, "bad_SYN_ack");
            }
          } else if (peer.state === EpState.SynAckSent && (baseSeq | 0) === ep.startSeq) {
            // SYN and SYN-ACK arrived reversed: flip and establish.
            c.flip();
            peer.setState(EpState.Established);
            c.firstPacketSeen |= 1;
          } else {
            ev.connWeird(c, "simultaneous_open");
          }
          if (peer.state === EpState.SynSent) peer.setState(EpState.Established);
          else if (peer.state === EpState.Inactive) ev.connWeird(c, "unsolicited_SYN_response");
          ep.setState(EpState.Established);
        }
      }
      if (fin) {
        ep.setState(EpState.Closed);
        decision.doClose = decision.genEvent = true;
        if (peer.state !== EpState.Partial && !syn) ev.connWeird(c, "spontaneous_FIN");
      }
      if (rst) {
        ep.setState(EpState.Reset);
        let isReject = false;
        if (isOrig) {
          if (peer.state === EpState.Established) isReject = true;
        } else if (peer.state === EpState.SynSent || peer.state === EpState.SynAckSent) {
          isReject = true;
        }
        decision.doClose = true;
        decision.genEvent = !isReject;
        if (!isReject && peer.state === EpState.Inactive) ev.connWeird(c, "spontaneous_RST");
      }
      if (ep.state === EpState.Inactive) {
        if (!isOrig && len === 0 && c.orig!.state === EpState.SynSent) {
          // Some stacks ACK a SYN before answering it: not a partial connection.
        } else if (ackf && peer.state === EpState.Established) {
          ep.setState(EpState.Established);
          c.isPartial = false;
          c.firstPacketSeen |= isOrig ? 1 : 2;
        } else {
          ep.setState(EpState.Partial);
        }
      }
      break;
    }
    case EpState.SynSent:
    case EpState.SynAckSent:
      if (syn) {
        if (isOrig) {
          if (ackf && !fin && !rst && ep.state !== EpState.SynAckSent)
            ev.connWeird(c, "repeated_SYN_with_ack");
        } else if (!ackf && ep.state !== EpState.SynSent) {
          ev.connWeird(c, "repeated_SYN_reply_wo_ack");
        }
      }
      if (fin) {
        if (peer.state === EpState.Inactive || peer.state === EpState.SynSent)
          ev.connWeird(c, "inappropriate_FIN");
        ep.setState(EpState.Closed);
        decision.doClose = decision.genEvent = true;
      }
      if (rst) {
        ep.setState(EpState.Reset);
        decision.doClose = true;
      } else if (len > 0) {
        ev.connWeird(c, "data_before_established");
      }
      break;
    case EpState.Established:
    case EpState.Partial:
      if (syn && ep.state === EpState.Partial && peer.state === EpState.Inactive && !ackf) {
        ev.connWeird(c, "SYN_after_partial");
        ep.setState(EpState.SynSent);
      }
      if (fin && !rst) {
        ep.setState(EpState.Closed);
        if (peer.state === EpState.Reset && peer.prevState === EpState.Closed) peer.setState(EpState.Closed);
        decision.doClose = decision.genEvent = true;
      }
      if (rst) {
        ep.setState(EpState.Reset);
        decision.doClose = true;
      }
      break;
    case EpState.Closed:
      if (syn) ev.connWeird(c, "SYN_after_close");
      if (fin && deltaLast > 0) ev.connWeird(c, "FIN_advanced_last_seq");
      if (rst && peer.state !== EpState.Closed) {
        ep.setState(EpState.Reset);
        if (!ep.didClose) decision.doClose = true;
      }
      break;
    case EpState.Reset:
      if (syn) ev.connWeird(c, "SYN_after_reset");
      if (fin) ev.connWeird(c, "FIN_after_reset");
      if (len > 0 && !rst) ev.connWeird(c, "data_after_reset");
      break;
  }
}

function seqBetween(seq: number, low: number, high: number): boolean {
  return seqDelta(seq, low) >= 0 && seqDelta(seq, high) <= 0;
}

function connectionClosed(c: Connection, ep: TcpEndpoint, peer: TcpEndpoint): void {
  if (ep.didClose) return;
  ep.didClose = true;
  const closeComplete = ep.state === EpState.Reset || peer.didClose || peer.state === EpState.Inactive;
  if (closeComplete) c.closeComplete = true;
}

/** Records payload [relSeq, relSeq+len) of `ep` for gap accounting (no payload is stored here). */
function dataSent(ep: TcpEndpoint, relSeq: number, len: number): void {
  const end = relSeq + len;
  if (end <= ep.reassemSeq) return;
  if (relSeq <= ep.reassemSeq) {
    ep.reassemSeq = end;
    const ooo = ep.ooo;
    if (ooo !== null) {
      // Absorb out-of-order ranges that are now contiguous.
      let i = 0;
      while (i < ooo.length && ooo[i] <= ep.reassemSeq) {
        if (ooo[i + 1] > ep.reassemSeq) ep.reassemSeq = ooo[i + 1];
        i += 2;
      }
      if (i > 0) ooo.splice(0, i);
    }
    return;
  }
  let ooo = ep.ooo;
  if (ooo === null) {
    ooo = [];
    ep.ooo = ooo;
  }
  if (ooo.length >= MAX_OOO_BLOCKS * 2) return; // bounded: gaps are then over-reported, never unbounded memory
  let i = 0;
  while (i < ooo.length && ooo[i] < relSeq) i += 2;
  ooo.splice(i, 0, relSeq, end);
  // Merge overlapping neighbours.
  for (let j = 0; j + 2 < ooo.length; ) {
    if (ooo[j + 2] <= ooo[j + 1]) {
      if (ooo[j + 3] > ooo[j + 1]) ooo[j + 1] = ooo[j + 3];
      ooo.splice(j + 2, 2);
    } else {
      j += 2;
    }
  }
}

/** The peer acknowledged up to `relAck` of `ep`'s data: bytes never seen below it are a gap. */
function ackReceived(c: Connection, isOrigEp: boolean, ep: TcpEndpoint, relAck: number): void {
  let upTo = relAck;
  if (upTo <= 2 && c.isPartial) {
    // Faked-up initial sequence numbers of a partial connection: nothing is really missing.
    if (upTo > ep.reassemSeq) ep.reassemSeq = upTo;
    return;
  }
  if (ep.finCnt > 0 && upTo >= ep.finRelSeq) upTo = ep.finRelSeq - 1; // the FIN octet is not data
  if (upTo <= ep.reassemSeq) return;
  let missing = 0;
  let cursor = ep.reassemSeq;
  const ooo = ep.ooo;
  let consumed = 0;
  if (ooo !== null) {
    for (; consumed < ooo.length && ooo[consumed] < upTo; consumed += 2) {
      if (ooo[consumed] > cursor) missing += ooo[consumed] - cursor;
      const e = ooo[consumed + 1];
      if (e > cursor) cursor = e;
      if (e > upTo) break;
    }
  }
  if (cursor < upTo) {
    missing += upTo - cursor;
    cursor = upTo;
  }
  if (ooo !== null && consumed > 0) {
    // Keep a range that extends past the ack point.
    const keepPartial = consumed < ooo.length && ooo[consumed + 1] > upTo && ooo[consumed] < upTo;
    ooo.splice(0, keepPartial ? consumed : consumed);
  }
  ep.reassemSeq = cursor;
  if (missing > 0) {
    const peer = isOrigEp ? c.resp! : c.orig!;
    const reportable = ep.state === EpState.Established && peer.state === EpState.Established;
    if (reportable) {
      c.missedBytes += missing;
      ep.gapCnt++;
      if (isLogStep(ep.gapCnt)) addHistory(c, isOrigEp, "G");
    }
  }
}

/** Applies one TCP segment of `c` (direction isOrig) to its state. Returns false if it was dropped. */
export function tcpSegment(
  c: Connection,
  isOrig: boolean,
  p: DecodedPacket,
  ts: number,
  ev: TcpEvents,
): boolean {
  const ep = isOrig ? c.orig! : c.resp!;
  const peer = isOrig ? c.resp! : c.orig!;
  if (p.badChecksum) {
    ev.connWeird(c, "bad_TCP_checksum");
    ep.chkCnt++;
    if (isLogStep(ep.chkCnt)) addHistory(c, isOrig, "C");
    return false;
  }
  const flags = p.tcpFlags;
  const len = p.payloadLen;
  const baseSeq = p.seq;
  const ack = p.ack;

  // Zeek's SetPartialStatus: a connection is partial unless it started with a clean handshake.
  if (isOrig) {
    if (!(c.firstPacketSeen & 1)) c.isPartial = !(flags & TCP_SYN) || (flags & TCP_ACK) !== 0;
  } else if (!(c.firstPacketSeen & 2) && !c.isPartial) {
    c.isPartial = !(flags & TCP_SYN);
  }

  let segLen = len;
  if (flags & TCP_SYN) segLen++;
  if (flags & TCP_FIN) segLen++;
  if (flags & TCP_RST) segLen -= len;
  const seqOnePast = (baseSeq + segLen) >>> 0;

  initEndpoint(ep, flags, baseSeq, seqOnePast, c, ev);

  let relSeq = relativeSeq(ep, baseSeq, ep.lastSeq, ep.seqWraps);
  const underflow = Number.isNaN(relSeq);
  if (underflow) {
    relSeq = seqDelta(baseSeq, ep.startSeq);
    if (!(flags & TCP_RST)) ev.connWeird(c, "TCP_seq_underflow_or_misorder");
  }

  updateHistory(c, isOrig, flags, ep, relSeq, len);

  if (p.win === 0 && !(flags & TCP_RST) && peer.state !== EpState.Closed && ep.state !== EpState.Reset) {
    ep.win0Cnt++;
    if (isLogStep(ep.win0Cnt)) addHistory(c, isOrig, "W");
  }

  if (!c.orig!.didClose || !c.resp!.didClose) c.lastTs = ts;

  if (flags & TCP_SYN) {
    if (flags & TCP_RST) ev.connWeird(c, "TCP_christmas");
    if (flags & TCP_URG) ev.connWeird(c, "baroque_SYN");
    if (len > 0) ev.connWeird(c, "SYN_with_data");
  }
  if (flags & TCP_FIN) {
    ep.finCnt++;
    ep.finRelSeq = relSeq + segLen;
  }

  let relAck = 0;
  if (flags & TCP_ACK) {
    if (peer.state === EpState.Inactive) {
      relAck = 1;
      initPeer(peer, ep, flags, ack, c, ev);
    } else {
      const r = relativeSeq(peer, ack, peer.ackSeq, peer.ackWraps);
      if (Number.isNaN(r)) {
        relAck = 0;
        ev.connWeird(c, "TCP_ack_underflow_or_misorder");
      } else {
        relAck = r;
        if (!(flags & TCP_RST)) updateAckSeq(peer, ack);
      }
    }
  }

  const deltaLast = updateLastSeq(c, isOrig, ep, seqOnePast, flags, len);

  updateStateMachine(c, ep, peer, baseSeq, ack, len, deltaLast, isOrig, flags, ts, ev);
  const doClose = decision.doClose;

  if (flags & TCP_ACK && relAck > 0) ackReceived(c, !isOrig, peer, relAck);

  c.firstPacketSeen |= isOrig ? 1 : 2;

  if (len > 0 && !(flags & TCP_RST) && !underflow) {
    const relDataSeq = flags & TCP_SYN ? relSeq + 1 : relSeq;
    if (p.payloadCap < len) ev.connWeird(c, "truncated_tcp_payload");
    ev.tcpData(c, isOrig, p, relDataSeq);
    dataSent(ep, relDataSeq, len);
  }

  if (doClose) connectionClosed(c, ep, peer);
  return true;
}
