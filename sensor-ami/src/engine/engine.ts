// The sensor engine: captured frames in, connection and weird records out. It drives the
// layer decoders, follows tunnels (recording each inner connection's parents and VNI), tracks
// connections with Zeek's rules and hands payload to protocol inspection when one is attached.
// Nothing on the per-packet path allocates except when a connection is created or finished.

import { FragmentReassembler } from "../decode/fragments.js";
import { decodeIPv4, decodeIPv6, FragmentInfo, IPPROTO_ICMP, IPPROTO_ICMPV6 } from "../decode/ip.js";
import { decodeEthernet, decodeLink, LINKTYPE_VXLAN_DATAGRAM } from "../decode/link.js";
import { ipv4ChecksumLooksOffloaded } from "../decode/offload.js";
import { DecodedPacket, Layer, TCP_ACK, TCP_SYN } from "../decode/packet.js";
import { decodeIcmp, decodeTcp, decodeUdp } from "../decode/transport.js";
import { decodeGeneve, decodeGre, decodeVxlan, TunnelResult } from "../decode/tunnels.js";
import { W } from "../decode/weirds.js";
import type { LogSink } from "../logs/writer.js";
import { isGroupAddr } from "./addr.js";
import { ChecksumHosts } from "./checksum-hosts.js";
import { applyChecksumPolicy, keepsChecksumFailure } from "./checksum-policy.js";
import { ConnRecords } from "./conn-record.js";
import { ConnTable } from "./conn-table.js";
import { type Connection, countPacket, Proto } from "./connection.js";
import { openConnection } from "./connection-open.js";
import { setTcpExpiry } from "./expiry.js";
import type { Frame } from "./frame.js";
import { MonotonicClock, plausibleWireLength } from "./frame-sanity.js";
import { addHistory, checkHistory, HIST_PARTIAL, HIST_UDP, isLogStep } from "./history.js";
import type { Inspector } from "./hooks.js";
import { ICMP4_COUNTERPART, ICMP4_REPLY, ICMP6_COUNTERPART, ICMP6_REPLY } from "./icmp.js";
import { reportLosses } from "./losses.js";
import { MemoryBudget } from "./memory-budget.js";
import { defaultEngineOptions, type EngineOptions } from "./options.js";
import { type EngineStats, newEngineStats } from "./stats.js";
import { type TcpEvents, tcpSegment } from "./tcp.js";
import { isTcpReuse } from "./tcp-reuse.js";
import { UidGenerator } from "./uid.js";
import { type PacketClock, WeirdLog } from "./weird-log.js";

/** Seconds of packet time between sweeps for expired connections. */
const SWEEP_INTERVAL_SECONDS = 30;
/** History letters of an acknowledgement or data, either side: a one-sided connection past its handshake. */
const ONE_SIDED = /[ADad]/;
/** When the table is full, this fraction of the least recently active connections is evicted at once. */
const EVICTION_FRACTION = 1 / 64;

export { WEIRD_MEMORY_BUDGET } from "./losses.js";
export type { EngineStats } from "./stats.js";

export class Engine implements TcpEvents, PacketClock {
  readonly opts: EngineOptions;
  readonly stats: EngineStats = newEngineStats();
  inspector: Inspector | null = null;

  /** Memory for connections, reassembly and fragments (hand `memory.reassembly` to inspection). */
  readonly memory: MemoryBudget;
  /** weird.log and the weird counts (hand it to inspection as its WeirdSink). */
  readonly weirds: WeirdLog;
  /** Time of the packet being processed. */
  ts = 0;
  /** Number of the packet being processed (1-based, from the frame source). */
  packetIndex = 0;

  private readonly table: ConnTable;
  private readonly connRecords: ConnRecords;
  private readonly p = new DecodedPacket();
  private readonly frag = new FragmentInfo();
  private readonly tunnel = new TunnelResult();
  private readonly frags: FragmentReassembler;
  private readonly uids: UidGenerator;
  private readonly vxlanPorts: Uint8Array = new Uint8Array(65536);
  private readonly genevePorts: Uint8Array = new Uint8Array(65536);
  private readonly likelyServer: Uint8Array = new Uint8Array(65536);
  /** uid of the innermost tunnel connection the current packet came through (Zeek's tunnel_parents). */
  private tunnelUid: string | null = null;
  /** Checksums are verified (on and auto). */
  private readonly verify: boolean;
  /** auto: failures are judged per sending host (null for on/off); its counts go to the summary. */
  readonly checksumHosts: ChecksumHosts | null;
  private nextSweep = 0;
  private readonly clock = new MonotonicClock();
  /** Memory evictions not yet reported in weird.log (one weird per sweep interval). */
  private memoryEvictionsUnreported = 0;

  constructor(
    private readonly sink: LogSink,
    opts: Partial<EngineOptions> = {},
  ) {
    this.opts = defaultEngineOptions(opts);
    this.memory = new MemoryBudget(this.opts.memoryBudgetBytes);
    this.table = new ConnTable(this.opts.maxConnections, this.memory.connections);
    this.frags = new FragmentReassembler(this.opts.fragments, this.memory.fragments);
    this.uids = new UidGenerator(this.opts.seed);
    this.weirds = new WeirdLog(sink, this, this.opts);
    this.connRecords = new ConnRecords(this.opts);
    this.verify = this.opts.verifyChecksums !== false;
    this.checksumHosts = this.opts.verifyChecksums === "auto" ? new ChecksumHosts(this.weirds) : null;
    for (const port of this.opts.vxlanPorts) this.vxlanPorts[port] = 1;
    for (const port of this.opts.genevePorts) this.genevePorts[port] = 1;
    for (const port of this.opts.likelyServerPorts) this.likelyServer[port] = 1;
  }

  /** Whether auto mode relaxed verification for any host (checksum offloading). */
  get checksumOffloadDetected(): boolean {
    return this.checksumHosts !== null && this.checksumHosts.relaxedHosts > 0;
  }

  get liveConnections(): number {
    return this.table.size;
  }

  /** Processes one captured frame. Never throws for bad packet content. */
  process(pkt: Frame): void {
    // The record header is untrusted input too (frame-sanity.ts): the clock stays monotonic and
    // bounded, and an impossible wire length counts as what was captured.
    const ts = this.clock.admit(pkt.ts);
    let wireLen = plausibleWireLength(pkt.origlen, pkt.caplen);
    const st = this.stats;
    if (st.packets === 0) st.firstTs = ts;
    st.packets++;
    st.lastTs = ts;
    this.ts = ts;
    this.packetIndex = pkt.index;
    const p = this.p;
    p.vni = -1;
    p.origin = pkt.origin;
    if (this.clock.weird !== 0) this.weird(this.clock.weird);
    if (wireLen < 0) {
      this.weird(W.implausibleFrameLength);
      wireLen = pkt.caplen;
    }
    st.bytes += wireLen;
    if (ts >= this.nextSweep) {
      if (this.nextSweep !== 0) this.sweep(ts);
      this.nextSweep = ts + SWEEP_INTERVAL_SECONDS;
    }
    p.buf = pkt.data;
    p.capEnd = pkt.offset + pkt.caplen;
    p.tunnelDepth = 0;
    p.resetForTunnel();
    this.tunnelUid = null;
    if (pkt.linkType < 0) {
      this.weird(W.unknownLinkType);
      return;
    }
    if (pkt.linkType === LINKTYPE_VXLAN_DATAGRAM) {
      this.fromVxlanDatagram(pkt.offset, wireLen);
      return;
    }
    this.fromLayer(decodeLink(p, pkt.offset, pkt.linkType));
  }

  /**
   * A live source's datagram: the VXLAN header and the mirrored frame, with no outer IP/UDP (the
   * socket consumed them). The mirrored connection has no tunnel parent: the outer "connection"
   * is the mirror session, which the daemon reports by origin instead.
   */
  private fromVxlanDatagram(offset: number, wireLen: number): void {
    const p = this.p;
    p.payloadOff = offset;
    p.payloadLen = wireLen;
    const next = decodeVxlan(p, this.tunnel);
    if (next < 0) {
      this.weird(-next);
      return;
    }
    if (!this.enterTunnel()) return;
    this.fromLayer(this.innerLayer(next, this.tunnel.innerOff));
  }

  /** Follows the decoder chain from a link-layer result until the packet is consumed. */
  private fromLayer(layer: number): void {
    const p = this.p;
    for (let guard = 0; guard < 32; guard++) {
      if (layer < 0) {
        this.weird(-layer);
        return;
      }
      switch (layer) {
        case Layer.NonIp:
          this.stats.nonIp++;
          return;
        case Layer.IPv4:
        case Layer.IPv6: {
          const wasV4 = layer === Layer.IPv4;
          layer = wasV4 ? decodeIPv4(p, this.frag, this.verify) : decodeIPv6(p, this.frag);
          if (
            layer === -W.badIpChecksum &&
            keepsChecksumFailure(
              this.checksumHosts,
              p,
              ipv4ChecksumLooksOffloaded(p),
              this.ts,
              this.packetIndex,
            )
          ) {
            layer = decodeIPv4(p, this.frag, false);
          }
          if (layer === Layer.FragmentHeld) {
            this.stats.fragmentPackets++;
            layer = this.frags.add(p, this.frag, this.ts, p.vni + 1);
            if (this.frags.sideWeird) this.weird(this.frags.sideWeird);
            if (layer === Layer.FragmentHeld) return;
            if (layer > 0) this.stats.fragmentsReassembled++;
          }
          if (layer === Layer.IPv4 || layer === Layer.IPv6) {
            // IP in IP (4/41): the payload is another IP header.
            if (!this.enterTunnel()) return;
            p.ipOff = p.l4Off;
            p.capEnd = p.ipEnd;
          }
          continue;
        }
        case Layer.Tcp:
          this.handleTcp();
          return;
        case Layer.Udp:
          this.handleUdp();
          return;
        case Layer.Icmp:
        case Layer.Icmp6:
          this.handleIcmp(layer === Layer.Icmp6);
          return;
        case Layer.Gre: {
          const next = decodeGre(p, this.tunnel);
          if (next < 0) {
            this.handleOther();
            this.weird(-next);
            return;
          }
          if (!this.enterTunnel()) return;
          p.capEnd = p.ipEnd;
          layer = this.innerLayer(next, this.tunnel.innerOff);
          continue;
        }
        case Layer.OtherIp:
          this.handleOther();
          return;
        default:
          return;
      }
    }
  }

  private innerLayer(next: number, innerOff: number): number {
    const p = this.p;
    p.resetForTunnel();
    if (next === Layer.Ethernet) return decodeEthernet(p, innerOff);
    p.ipOff = innerOff;
    return next;
  }

  private enterTunnel(): boolean {
    const p = this.p;
    if (p.tunnelDepth >= this.opts.maxTunnelDepth) {
      this.weird(W.tunnelMaxDepth);
      return false;
    }
    p.tunnelDepth++;
    return true;
  }

  // --- connection lookup --------------------------------------------------------------------

  private lookup(_proto: Proto, ipProto: number, sport: number, dport: number): Connection | null {
    const p = this.p;
    const t = this.table;
    t.setKey(p.s0, p.s1, p.s2, p.s3, sport, p.d0, p.d1, p.d2, p.d3, dport, ipProto, p.vni + 1);
    const c = t.find();
    if (c !== null && this.ts >= c.expiresAt) {
      this.finishConnection(c);
      t.setKey(p.s0, p.s1, p.s2, p.s3, sport, p.d0, p.d1, p.d2, p.d3, dport, ipProto, p.vni + 1);
      return null;
    }
    return c;
  }

  private create(
    proto: Proto,
    ipProto: number,
    sport: number,
    dport: number,
    flip: boolean,
  ): Connection | null {
    const t = this.table;
    if (!t.hasRoom(proto)) {
      const p = this.p;
      this.evict(t.memoryIsFull);
      t.setKey(p.s0, p.s1, p.s2, p.s3, sport, p.d0, p.d1, p.d2, p.d3, dport, ipProto, p.vni + 1);
      if (!t.hasRoom(proto)) return null;
    }
    const c = openConnection(this.p, proto, ipProto, sport, dport, flip, t.swapped, this.ts, this.uids);
    t.insert(c);
    this.stats.connections++;
    return c;
  }

  // --- transports -----------------------------------------------------------------------------

  private handleTcp(): void {
    const p = this.p;
    const r = decodeTcp(p, this.verify);
    if (r < 0) {
      this.weird(-r);
      return;
    }
    applyChecksumPolicy(this.checksumHosts, p, 6, this.ts, this.packetIndex);
    let c = this.lookup(Proto.Tcp, 6, p.sport, p.dport);
    if (c !== null && isTcpReuse(c, p, this.table.swapped === c.origIsB, this)) {
      this.finishConnection(c);
      c = null;
      this.table.setKey(p.s0, p.s1, p.s2, p.s3, p.sport, p.d0, p.d1, p.d2, p.d3, p.dport, 6, p.vni + 1);
    }
    if (c === null) {
      const flags = p.tcpFlags;
      let flip = false;
      if (!(flags & TCP_SYN) || flags & TCP_ACK) {
        // Partial connection or SYN-ACK first: guess the responder from the ports (Zeek's rule).
        const ls = this.likelyServer;
        if (ls[p.sport]) flip = ls[p.dport] ? !(flags & TCP_SYN) && p.sport < p.dport : true;
      }
      c = this.create(Proto.Tcp, 6, p.sport, p.dport, flip && !this.dstIsGroup());
      if (c === null) return;
    }
    this.addTunnelParents(c);
    const isOrig = this.table.swapped === c.origIsB;
    this.stats.tracked++;
    if (tcpSegment(c, isOrig, p, this.ts, this)) {
      if (isOrig) {
        c.origPkts++;
        c.origIpBytes += p.ipTotalLen;
      } else {
        c.respPkts++;
        c.respIpBytes += p.ipTotalLen;
      }
    }
    setTcpExpiry(c, this.opts.timeouts);
  }

  private handleUdp(): void {
    const p = this.p;
    const r = decodeUdp(p, this.verify);
    if (r < 0) {
      this.weird(-r);
      return;
    }
    applyChecksumPolicy(this.checksumHosts, p, 17, this.ts, this.packetIndex);
    const ls = this.likelyServer;
    // Like Zeek, never make a broadcast or multicast address the originator.
    const flip = ls[p.sport] === 1 && ls[p.dport] === 0 && !this.dstIsGroup();
    const c = this.connectionFor(Proto.Udp, 17, p.sport, p.dport, flip, this.opts.timeouts.udpInactivity);
    if (c === null) return;
    const isOrig = this.table.swapped === c.origIsB;
    if (p.badChecksum) {
      this.connWeird(c, "bad_UDP_checksum");
      const n = isOrig ? ++c.origChk : ++c.respChk;
      if (isLogStep(n)) addHistory(c, isOrig, "C");
      return;
    }
    countPacket(c, isOrig, p.ipTotalLen, p.payloadLen);
    checkHistory(c, isOrig, HIST_UDP, "D");

    // Tunnels: VXLAN/GENEVE on their ports (either direction, as Zeek's dispatch does).
    const isVxlan = this.vxlanPorts[p.dport] === 1 || this.vxlanPorts[p.sport] === 1;
    const isGeneve = !isVxlan && (this.genevePorts[p.dport] === 1 || this.genevePorts[p.sport] === 1);
    if (isVxlan || isGeneve) {
      const next = isVxlan ? decodeVxlan(p, this.tunnel) : decodeGeneve(p, this.tunnel);
      if (next < 0) {
        this.weird(-next);
        return;
      }
      if (!this.enterTunnel()) {
        // Zeek marks a connection whose analysis stopped short with 'X'.
        checkHistory(c, isOrig, HIST_PARTIAL, "X");
        return;
      }
      c.addService(this.tunnel.kind);
      this.tunnelUid = c.uid;
      p.capEnd = p.ipEnd;
      this.fromLayer(this.innerLayer(next, this.tunnel.innerOff));
      return;
    }
    if (this.inspector !== null && p.payloadCap > 0) {
      this.inspector.udpPayload(c, isOrig, p.buf, p.payloadOff, p.payloadCap, this.ts);
    }
  }

  private handleIcmp(v6: boolean): void {
    const p = this.p;
    const r = decodeIcmp(p, v6, this.verify);
    if (r < 0) {
      this.weird(-r);
      return;
    }
    applyChecksumPolicy(this.checksumHosts, p, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, this.ts, this.packetIndex);
    const type = p.icmpType;
    const counterpart = (v6 ? ICMP6_COUNTERPART : ICMP4_COUNTERPART)[type];
    // Zeek's ICMP "ports": the type, and the counterpart type (or the code for one-way messages).
    const sport = type;
    const dport = counterpart >= 0 ? counterpart : p.icmpCode;
    const ipProto = v6 ? 58 : 1;
    const flip = counterpart >= 0 && (v6 ? ICMP6_REPLY : ICMP4_REPLY).has(type);
    const c = this.connectionFor(Proto.Icmp, ipProto, sport, dport, flip, this.opts.timeouts.icmpInactivity);
    if (c === null) return;
    const isOrig = this.table.swapped === c.origIsB;
    if (p.badChecksum) {
      this.connWeird(c, "bad_ICMP_checksum");
      return;
    }
    countPacket(c, isOrig, p.ipTotalLen, p.payloadLen);
  }

  private handleOther(): void {
    const p = this.p;
    const c = this.connectionFor(Proto.Other, p.proto, 0, 0, false, this.opts.timeouts.otherInactivity);
    if (c === null) return;
    const isOrig = this.table.swapped === c.origIsB;
    countPacket(c, isOrig, p.ipTotalLen, p.l4Len);
  }

  /**
   * The connection of a UDP, ICMP or other-protocol packet (found, or created with `flip` deciding
   * the originator), marked active now with its idle timeout; null when the table is full.
   */
  private connectionFor(
    proto: Proto,
    ipProto: number,
    sport: number,
    dport: number,
    flip: boolean,
    idleSeconds: number,
  ): Connection | null {
    let c = this.lookup(proto, ipProto, sport, dport);
    if (c === null) c = this.create(proto, ipProto, sport, dport, flip);
    if (c === null) return null;
    this.addTunnelParents(c);
    this.stats.tracked++;
    c.lastTs = this.ts;
    c.expiresAt = this.ts + idleSeconds;
    return c;
  }

  /** Destination is broadcast or multicast. */
  private dstIsGroup(): boolean {
    const p = this.p;
    return isGroupAddr(p.d0, p.d1, p.d2, p.d3);
  }

  /** Zeek's tunnel_parents: the uid of the immediately enclosing tunnel of each packet. */
  private addTunnelParents(c: Connection): void {
    if (this.tunnelUid !== null) c.addTunnelParent(this.tunnelUid);
  }

  /** TcpEvents: payload in packet order for inspection. */
  tcpData(c: Connection, isOrig: boolean, p: DecodedPacket, relSeq: number): void {
    if (this.inspector !== null && p.payloadCap > 0) {
      this.inspector.tcpPayload(c, isOrig, p.buf, p.payloadOff, p.payloadCap, relSeq, this.ts);
    }
  }

  private weird(code: number): void {
    this.weirds.decoder(code, this.p.vni);
  }

  /** TcpEvents (and the engine's own): a weird about one connection, logged once per name. */
  connWeird(c: Connection, name: string): void {
    this.weirds.connection(c, name);
  }

  // --- expiry and output ----------------------------------------------------------------------

  private sweep(now: number): void {
    const conns = this.table.conns;
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i];
      if (c !== null && now >= c.expiresAt) this.finishConnection(c);
    }
    this.frags.expire(now);
    this.reportLosses();
  }

  /** Reports what the bounds dropped since the last sweep (losses.ts). */
  private reportLosses(): void {
    const unreported = this.memoryEvictionsUnreported;
    reportLosses(this.weirds, this.frags.loss, this.p.vni, unreported, this.memory.connections.limit);
    if (unreported > 0) this.memoryEvictionsUnreported = 0;
  }

  /**
   * Table full (the connection count, or the memory budget's connection share when `forMemory`):
   * finish the least recently active connections (counted as evictions).
   */
  private evict(forMemory: boolean): void {
    const t = this.table;
    const live = t.leastRecentlyActive(Math.max(1, Math.floor(t.size * EVICTION_FRACTION)));
    const n = live.length;
    for (let i = 0; i < n; i++) {
      // Every eviction is one connection_table_full weird about the connection cut short, so the
      // weird count and the evictions agree (weird.log samples them like decoder weirds).
      this.stats.evictions++;
      this.weirds.sampledConnection(W.connTableFull, live[i]);
      this.finishConnection(live[i]);
    }
    if (forMemory) {
      this.stats.memoryEvictions += n;
      this.memoryEvictionsUnreported += n;
    }
  }

  /** Logs and removes a connection. */
  finishConnection(c: Connection): void {
    if (c.proto === Proto.Tcp) {
      this.stats.tcpEnded++;
      if ((c.origPkts === 0) !== (c.respPkts === 0) && ONE_SIDED.test(c.history)) this.stats.oneSidedTcp++;
    }
    if (this.inspector !== null) this.inspector.connectionEnd(c, this.ts);
    this.table.remove(c);
    this.sink.write("conn", this.connRecords.record(c));
  }

  /**
   * For live sources: lets time pass without a packet, so that a quiet link still expires its
   * connections. `now` is on the frames' clock (the wall clock, for a live source).
   */
  tick(now: number): void {
    if (this.stats.packets === 0 || !(now > this.ts)) return;
    this.ts = now;
    if (now >= this.nextSweep) {
      this.sweep(now);
      this.nextSweep = now + SWEEP_INTERVAL_SECONDS;
    }
  }

  /** Finishes every live connection (end of input). */
  finish(): void {
    // Fragment trains still incomplete at the end of input are reported, not silently dropped.
    this.frags.expire(Number.POSITIVE_INFINITY);
    this.reportLosses();
    for (const c of this.table.conns) if (c !== null) this.finishConnection(c);
    // Inspection may hold state that spans connections (DHCP transactions): flushed last.
    if (this.inspector !== null) this.inspector.finish();
  }
}
