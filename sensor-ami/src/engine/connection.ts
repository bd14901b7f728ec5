// One tracked connection and its per-direction TCP endpoint state. The TCP rules follow Zeek's
// TCP session adapter (endpoint states, relative sequence space, history letters, sizes from
// sequence numbers) so that conn.log fields mean what analysts already know them to mean.

import { MAX_HISTORY_LENGTH } from "./history.js";

export enum EpState {
  Inactive = 0,
  SynSent = 1,
  SynAckSent = 2,
  Partial = 3,
  Established = 4,
  Closed = 5,
  Reset = 6,
}

export enum Proto {
  Tcp = 1,
  Udp = 2,
  Icmp = 3,
  Other = 4,
}

/** Out-of-order byte ranges kept per direction for gap accounting. */
export const MAX_OOO_BLOCKS = 32;

/**
 * Sequence numbers (startSeq, lastSeq, ackSeq) are stored as signed 32-bit values so V8 keeps them
 * as small integers instead of boxing a double per field; compare them with `>>> 0` when order
 * matters and with seqDelta() for sequence-space distance.
 */
export class TcpEndpoint {
  state: EpState = EpState.Inactive;
  prevState: EpState = EpState.Inactive;
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  seqWraps = 0;
  ackWraps = 0;
  finCnt = 0;
  /** Relative sequence number just past the FIN. */
  finRelSeq = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  rxmtCnt = 0;
  win0Cnt = 0;
  gapCnt = 0;
  chkCnt = 0;
  /** Next relative sequence number expected in order (first data byte after a SYN is 1). */
  reassemSeq = 1;
  /** Out-of-order ranges above reassemSeq: [start0, end0, start1, end1, …] (relative). */
  ooo: number[] | null = null;

  setState(s: EpState): void {
    if (s !== this.state) {
      this.prevState = this.state;
      this.state = s;
    }
  }

  /** Zeek's TCP_Endpoint::Size(): payload bytes from sequence numbers. */
  size(peer: TcpEndpoint): number {
    if (
      this.prevState === EpState.SynSent &&
      this.state === EpState.Reset &&
      peer.state === EpState.Inactive &&
      !this.noDataAcked()
    ) {
      return 0;
    }
    const last = this.seqWraps * 4294967296 + this.lastSeq;
    const ack = this.ackWraps * 4294967296 + this.ackSeq;
    let size = Math.max(last, ack) - this.startSeq;
    if (size < 0) size = 0;
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }

  private noDataAcked(): boolean {
    const ack = this.ackWraps * 4294967296 + (this.ackSeq >>> 0);
    const start = this.startSeq >>> 0;
    return ack === start || ack === start + 1;
  }
}

const F_ORIG_IS_B = 1;
const F_ORIG_ACTIVE = 2;
const F_RESP_ACTIVE = 4;
const F_PARTIAL = 8;
const F_CLOSE_COMPLETE = 16;

export class Connection {
  /** Index in the connection table's storage (stable for the connection's life). */
  index = -1;
  /** Booleans packed in one field (see the accessors below): fewer fields, less memory per connection. */
  private flags = 0;
  uid = "";
  proto: Proto = Proto.Tcp;
  ipProto = 0;
  /** Originator / responder (after any flip). Addresses as 4 words each, IPv4-mapped for v4. */
  o0 = 0;
  o1 = 0;
  o2 = 0;
  o3 = 0;
  r0 = 0;
  r1 = 0;
  r2 = 0;
  r3 = 0;
  oPort = 0;
  rPort = 0;
  /** Weird names already logged for this connection (null until the first). */
  weirds: string[] | null = null;
  /** UDP bad-checksum counters for the logarithmic 'C' letter. */
  origChk = 0;
  respChk = 0;
  /** VNI of the innermost tunnel, -1 when not tunnelled. */
  vni = -1;
  /** Mirror origin of the packet that opened the connection (engine/frame.ts), 0 for files. */
  origin = 0;
  // Timestamps start as doubles (NaN) so V8 never has to change the field representation later.
  startTs = Number.NaN;
  lastTs = Number.NaN;
  /** Packet time at which this connection is finished if nothing else happens. */
  expiresAt = Number.NaN;
  history = "";
  histSeen = 0;
  origPkts = 0;
  respPkts = 0;
  origIpBytes = 0;
  respIpBytes = 0;
  /** UDP/ICMP/other payload bytes (TCP uses sequence numbers instead). */
  origBytes = 0;
  respBytes = 0;
  missedBytes = 0;
  /** Comma-joined confirmed services, in confirmation order. */
  service = "";
  /** uids of the encapsulating (outer) connections, Zeek's tunnel_parents. */
  tunnelParents: string[] | null = null;
  orig: TcpEndpoint | null = null;
  resp: TcpEndpoint | null = null;
  firstPacketSeen = 0;
  /** Time of the first SYN from the originator while the responder had not answered. */
  attemptTs = -1;
  /** Extra per-connection state owned by the inspection layer. */
  inspect: unknown = null;

  /** The originator is the B side of the table key (so isOrig = packetIsB === origIsB). */
  get origIsB(): boolean {
    return (this.flags & F_ORIG_IS_B) !== 0;
  }
  set origIsB(v: boolean) {
    this.flags = v ? this.flags | F_ORIG_IS_B : this.flags & ~F_ORIG_IS_B;
  }
  /** The originator / responder sent at least one (valid) packet: UDP's conn_state input. */
  get origActive(): boolean {
    return (this.flags & F_ORIG_ACTIVE) !== 0;
  }
  set origActive(v: boolean) {
    this.flags = v ? this.flags | F_ORIG_ACTIVE : this.flags & ~F_ORIG_ACTIVE;
  }
  get respActive(): boolean {
    return (this.flags & F_RESP_ACTIVE) !== 0;
  }
  set respActive(v: boolean) {
    this.flags = v ? this.flags | F_RESP_ACTIVE : this.flags & ~F_RESP_ACTIVE;
  }
  /** Zeek's is_partial: the connection did not start with a clean handshake. */
  get isPartial(): boolean {
    return (this.flags & F_PARTIAL) !== 0;
  }
  set isPartial(v: boolean) {
    this.flags = v ? this.flags | F_PARTIAL : this.flags & ~F_PARTIAL;
  }
  /** Both directions closed (FIN/RST) and the delete delay started. */
  get closeComplete(): boolean {
    return (this.flags & F_CLOSE_COMPLETE) !== 0;
  }
  set closeComplete(v: boolean) {
    this.flags = v ? this.flags | F_CLOSE_COMPLETE : this.flags & ~F_CLOSE_COMPLETE;
  }

  addService(name: string): void {
    // Tunnel connections re-add theirs on every packet: the common case costs one comparison.
    if (this.service === name) return;
    if (this.service === "") this.service = name;
    else if (!`,${this.service},`.includes(`,${name},`)) this.service += `,${name}`;
  }

  addTunnelParent(uid: string): void {
    const tp = this.tunnelParents;
    if (tp === null) this.tunnelParents = [uid];
    else if (tp[tp.length - 1] !== uid && !tp.includes(uid)) tp.push(uid);
  }

  /** Swaps originator and responder (Zeek's FlipRoles), recording '^' in the history. */
  flip(): void {
    let t = this.o0;
    this.o0 = this.r0;
    this.r0 = t;
    t = this.o1;
    this.o1 = this.r1;
    this.r1 = t;
    t = this.o2;
    this.o2 = this.r2;
    this.r2 = t;
    t = this.o3;
    this.o3 = this.r3;
    this.r3 = t;
    t = this.oPort;
    this.oPort = this.rPort;
    this.rPort = t;
    t = this.origPkts;
    this.origPkts = this.respPkts;
    this.respPkts = t;
    t = this.origIpBytes;
    this.origIpBytes = this.respIpBytes;
    this.respIpBytes = t;
    t = this.origBytes;
    this.origBytes = this.respBytes;
    this.respBytes = t;
    const a = this.origActive;
    this.origActive = this.respActive;
    this.respActive = a;
    this.origIsB = !this.origIsB;
    const e = this.orig;
    this.orig = this.resp;
    this.resp = e;
    // Letters already recorded keep their case and their seen-bits: Zeek flips roles, not history.
    if (this.history.length < MAX_HISTORY_LENGTH) this.history += "^";
    this.firstPacketSeen = ((this.firstPacketSeen & 1) << 1) | ((this.firstPacketSeen & 2) >> 1);
    this.isPartial = false;
  }
}

/** Zeek's ConnSize counters for UDP, ICMP and other IP protocols (TCP sizes come from sequence numbers). */
export function countPacket(c: Connection, isOrig: boolean, ipBytes: number, payloadBytes: number): void {
  if (isOrig) {
    c.origPkts++;
    c.origIpBytes += ipBytes;
    c.origBytes += payloadBytes;
    c.origActive = true;
  } else {
    c.respPkts++;
    c.respIpBytes += ipBytes;
    c.respBytes += payloadBytes;
    c.respActive = true;
  }
}
