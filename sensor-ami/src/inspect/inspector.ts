// The engine's Inspector: per-connection dynamic protocol detection and analyzer dispatch.
//
// A connection's payload first goes through probing: the first bytes of each direction (TCP: the
// reassembled stream, bounded by PROBE_LIMIT_BYTES; UDP: the first PROBE_LIMIT_DATAGRAMS datagrams)
// are shown to every candidate's probe, port-hinted candidates first. A Yes attaches the analyzer
// and replays what was probed; Maybes are attached only when probing ends without a Yes (and on UDP
// when the port agrees). Confirmation adds the service to conn.log; a violation or an exception
// detaches the analyzer; when none is left the connection costs nothing more: the engine's calls
// return on one comparison (Connection.inspect is a shared sentinel), with no allocation.

import { isGroupAddr } from "../engine/addr.js";
import { ConnIdRecord } from "../engine/conn-id.js";
import { type Connection, Proto } from "../engine/connection.js";
import type { Inspector, WeirdSink } from "../engine/hooks.js";
import { type LogSink, LogWriteError } from "../logs/writer.js";
import type {
  DatagramAnalyzer,
  DatagramAnalyzerFactory,
  LogRecord,
  StreamAnalyzer,
  StreamAnalyzerFactory,
} from "../protocols/types.js";
import { ProbeResult } from "../protocols/types.js";
import { Attachment, type AttachmentHost } from "./attachment.js";
import { PROBE_LIMIT_BYTES, PROBE_LIMIT_DATAGRAMS, PROBE_MIN_BYTES } from "./limits.js";
import { ReassemblyBudget, type ReassemblySink, TcpReassembler } from "./reassembler.js";
import { type AnalyzerRegistry, ProbeOrder } from "./registry.js";

/**
 * Connection.inspect of a connection nothing will ever be attached to: the engine's calls return
 * on one comparison. (A shared sentinel, so giving up allocates nothing and frees the state.)
 */
export const INSPECTION_GIVEN_UP: unknown = Object.freeze({ givenUp: true });
export const WEIRD_ANALYZER_ERROR = "analyzer_error";

export interface InspectorStats {
  attached: Map<string, number>;
  confirmed: Map<string, number>;
  violations: Map<string, number>;
  /** Exceptions thrown by analyzers or probes (each detaches the analyzer). */
  analyzerErrors: number;
  /** Connections whose probing ended without an analyzer. */
  unidentified: number;
  readonly reassembly: ReassemblyBudget;
}

type AnyFactory = StreamAnalyzerFactory | DatagramAnalyzerFactory;

enum Phase {
  Probing = 0,
  Attached = 1,
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Per-connection inspection state (Connection.inspect). */
class ConnInspection implements ReassemblySink {
  phase = Phase.Probing;
  tcp: TcpReassembler | null = null;
  /** The engine's originator endpoint when state was created (a change means the roles flipped). */
  origEp: unknown = null;
  /** Probe bookkeeping, per candidate: bit 0/1 = said No for orig/resp, bits 2/3 = said Maybe. */
  verdicts: Uint8Array;
  readonly probeBuf: [Uint8Array | null, Uint8Array | null] = [null, null];
  readonly probeLen = [0, 0];
  /** A direction whose probing is over (buffer full, every probe said No, or a gap). */
  readonly probeDone = [false, false];
  /** A direction holding fewer than PROBE_MIN_BYTES not yet shown to the probes. */
  readonly unprobed = [false, false];
  readonly datagramsProbed = [0, 0];
  /** Packet time of each direction's first probed bytes, so replayed data keeps its time. */
  readonly firstTs = [0, 0];
  firstIsOrig = true;
  sawData = false;
  streams: Attachment<StreamAnalyzer>[] = [];
  datagrams: Attachment<DatagramAnalyzer>[] = [];
  /** Analyzers that handed the stream over (HTTP after CONNECT): no more data, still end()ed. */
  retired: Attachment<StreamAnalyzer>[] = [];

  constructor(
    readonly insp: ProtocolInspector,
    readonly c: Connection,
    readonly candidates: readonly AnyFactory[],
  ) {
    this.verdicts = new Uint8Array(candidates.length);
  }

  // --- ReassemblySink ---------------------------------------------------------------------

  data(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    if (this.phase === Phase.Attached) this.streamData(isOrig, bytes, ts);
    else this.probeStream(isOrig, bytes, ts);
  }

  gap(isOrig: boolean, length: number, ts: number): void {
    if (this.phase === Phase.Attached) {
      const list = this.streams;
      for (let i = 0; i < list.length; i++) {
        const a = list[i];
        if (a.detached) continue;
        try {
          a.analyzer!.gap(isOrig, length, ts);
        } catch (err) {
          this.insp.analyzerThrew(this.c, a, err);
        }
      }
      this.prune();
      return;
    }
    // A hole before anything was probed changes nothing (a partial connection's start is unknown
    // anyway); a hole in what is being probed means the rest is not this direction's start.
    const d = isOrig ? 0 : 1;
    if (this.probeLen[d] === 0) return;
    // What came before the hole is all this direction will show: judge it if it was waiting.
    if (this.unprobed[d] && !this.runProbes(isOrig, ts)) return;
    this.probeDone[d] = true;
    this.maybeConclude(ts);
  }

  weird(name: string, addl?: string): void {
    this.insp.analyzerWeird(this.c, name, addl, "TCP");
  }

  // --- probing ----------------------------------------------------------------------------

  private probeStream(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    const d = isOrig ? 0 : 1;
    if (!this.sawData) {
      this.sawData = true;
      this.firstIsOrig = isOrig;
    }
    if (this.probeDone[d]) return;
    let buf = this.probeBuf[d];
    const have = this.probeLen[d];
    if (have === 0) this.firstTs[d] = ts;
    const take = Math.min(bytes.length, PROBE_LIMIT_BYTES - have);
    if (buf === null || buf.length < have + take) {
      const grown = new Uint8Array(Math.min(PROBE_LIMIT_BYTES, Math.max(256, (have + take) * 2)));
      if (buf !== null) grown.set(buf.subarray(0, have));
      buf = grown;
      this.probeBuf[d] = buf;
    }
    buf.set(take === bytes.length ? bytes : bytes.subarray(0, take), have);
    this.probeLen[d] = have + take;
    if (take < bytes.length || have + take >= PROBE_LIMIT_BYTES) this.probeDone[d] = true;
    // A few bytes are too little to judge (a probe may say No to "GE"); wait for more, unless the
    // peer has spoken (then this direction's message was complete) or probing must end.
    const other = 1 - d;
    if (this.probeLen[d] < PROBE_MIN_BYTES && !this.probeDone[d] && this.probeLen[other] === 0) {
      this.unprobed[d] = true;
      return;
    }
    if (this.unprobed[other] && !this.runProbes(other === 0, ts)) return;
    this.runProbes(isOrig, ts);
  }

  /**
   * Shows a direction's buffered bytes to the candidates it has not ruled out. Returns false when
   * probing ended (an analyzer was attached, a label matched, or detection gave up).
   */
  private runProbes(isOrig: boolean, ts: number): boolean {
    const d = isOrig ? 0 : 1;
    this.unprobed[d] = false;
    const buf = this.probeBuf[d];
    if (buf === null) return true;
    const view = buf.subarray(0, this.probeLen[d]);
    const noBit = isOrig ? 1 : 2;
    const maybeBit = isOrig ? 4 : 8;
    let yes: number[] | null = null;
    let label = false;
    let anyMaybe = false;
    const cands = this.candidates;
    for (let i = 0; i < cands.length; i++) {
      if (this.verdicts[i] & noBit) continue;
      const f = cands[i];
      const r = this.insp.probe(this.c, f, view, isOrig);
      if (r === ProbeResult.Yes) {
        if (f.create === undefined) {
          this.c.addService(f.service);
          label = true;
        } else {
          if (yes === null) yes = [];
          yes.push(i);
        }
      } else if (r === ProbeResult.No) {
        this.verdicts[i] |= noBit;
      } else {
        this.verdicts[i] |= maybeBit;
        anyMaybe = true;
      }
    }
    if (yes !== null) {
      this.attachStreams(yes, ts);
      return false;
    }
    if (label) {
      this.insp.giveUp(this.c);
      return false;
    }
    if (!anyMaybe) this.probeDone[d] = true;
    this.maybeConclude(ts);
    return this.phase === Phase.Probing && this.c.inspect === this;
  }

  /** Both directions finished probing without a Yes: attach the Maybes (or give up). */
  private maybeConclude(ts: number): void {
    if (this.probeDone[0] && this.probeDone[1]) this.concludeProbing(ts);
  }

  /**
   * Probing is over without a Yes: attach the candidates that said Maybe and either never said No
   * or are on their conventional port (an HTTP/0.9 "GET /" gets Maybe, and its reply has no status
   * line to say Yes to).
   */
  concludeProbing(ts: number): void {
    if (this.phase !== Phase.Probing) return;
    let maybes: number[] | null = null;
    const cands = this.candidates;
    const c = this.c;
    for (let i = 0; i < cands.length; i++) {
      const v = this.verdicts[i];
      const f = cands[i];
      if (f.create === undefined || (v & 12) === 0) continue;
      if ((v & 3) === 0 || ProbeOrder.hints(f, c.rPort, c.oPort)) {
        if (maybes === null) maybes = [];
        maybes.push(i);
      }
    }
    if (maybes === null || this.c.proto !== Proto.Tcp) {
      this.insp.giveUp(this.c);
      return;
    }
    this.attachStreams(maybes, ts);
  }

  private attachStreams(indices: number[], ts: number): void {
    this.phase = Phase.Attached;
    for (const i of indices) {
      const a = this.insp.create(this.c, this.candidates[i] as StreamAnalyzerFactory);
      if (a !== null) this.streams.push(a as Attachment<StreamAnalyzer>);
    }
    // Replay what was probed, the direction that spoke first first.
    const first = this.firstIsOrig ? 0 : 1;
    for (const d of [first, 1 - first]) {
      const buf = this.probeBuf[d];
      const n = this.probeLen[d];
      this.probeBuf[d] = null;
      if (buf !== null && n > 0 && this.streams.length > 0) {
        this.streamData(d === 0, buf.subarray(0, n), Math.min(this.firstTs[d], ts));
      }
    }
    if (this.streams.length === 0) {
      this.insp.giveUp(this.c);
      return;
    }
    // Bytes that arrived after a direction stopped probing were not kept: they are a gap.
    const tcp = this.tcp;
    const c = this.c;
    if (tcp !== null && c.orig !== null && c.resp !== null) {
      tcp.orig.advanceTo(c.orig.reassemSeq, ts);
      tcp.resp.advanceTo(c.resp.reassemSeq, ts);
    }
  }

  /**
   * An analyzer says the stream now carries another protocol (an accepted HTTP CONNECT, a 101
   * upgrade): detection starts again on the bytes that follow. The current analyzers are retired
   * (they get no more data but still end() at connection end, to flush what they hold).
   */
  restartDetection(): void {
    if (this.phase !== Phase.Attached || this.tcp === null) return;
    for (const a of this.streams) if (!a.detached) this.retired.push(a);
    this.streams = [];
    this.phase = Phase.Probing;
    this.verdicts = new Uint8Array(this.candidates.length);
    this.probeBuf[0] = this.probeBuf[1] = null;
    this.probeLen[0] = this.probeLen[1] = 0;
    this.probeDone[0] = this.probeDone[1] = false;
    this.unprobed[0] = this.unprobed[1] = false;
    this.sawData = false;
  }

  probeDatagram(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    const d = isOrig ? 0 : 1;
    if (this.datagramsProbed[d] >= PROBE_LIMIT_DATAGRAMS) return;
    this.datagramsProbed[d]++;
    const c = this.c;
    let picked: number[] | null = null;
    let label = false;
    const cands = this.candidates;
    for (let i = 0; i < cands.length; i++) {
      const f = cands[i];
      const r = this.insp.probe(c, f, bytes, isOrig);
      if (r === ProbeResult.No) continue;
      if (f.create === undefined) {
        if (r === ProbeResult.Yes) {
          c.addService(f.service);
          label = true;
        }
        continue;
      }
      if (r === ProbeResult.Yes || ProbeOrder.hints(f, c.rPort, c.oPort)) {
        if (picked === null) picked = [];
        picked.push(i);
      }
    }
    if (picked !== null) {
      this.phase = Phase.Attached;
      for (const i of picked) {
        const a = this.insp.create(c, cands[i] as DatagramAnalyzerFactory);
        if (a !== null) this.datagrams.push(a as Attachment<DatagramAnalyzer>);
      }
      this.datagramData(isOrig, bytes, ts);
      if (this.datagrams.length === 0) this.insp.giveUp(c);
      return;
    }
    if (label) {
      this.insp.giveUp(c);
      return;
    }
    const other = this.datagramsProbed[1 - d];
    if (this.datagramsProbed[d] >= PROBE_LIMIT_DATAGRAMS && other >= PROBE_LIMIT_DATAGRAMS) {
      this.insp.giveUp(c);
    }
  }

  // --- dispatch -----------------------------------------------------------------------------

  streamData(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    const list = this.streams;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.detached) continue;
      try {
        a.analyzer!.data(isOrig, bytes, ts);
      } catch (err) {
        this.insp.analyzerThrew(this.c, a, err);
      }
    }
    this.prune();
  }

  datagramData(isOrig: boolean, bytes: Uint8Array, ts: number): void {
    const list = this.datagrams;
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.detached) continue;
      try {
        a.analyzer!.packet(isOrig, bytes, ts);
      } catch (err) {
        this.insp.analyzerThrew(this.c, a, err);
      }
    }
    this.prune();
  }

  /** Removes detached analyzers; with none left, the connection is no longer inspected. */
  private prune(): void {
    const s = this.streams;
    const g = this.datagrams;
    let any = false;
    for (let i = 0; i < s.length; i++) if (s[i].detached) any = true;
    for (let i = 0; i < g.length; i++) if (g[i].detached) any = true;
    if (!any) return;
    this.streams = s.filter((a) => !a.detached);
    this.datagrams = g.filter((a) => !a.detached);
    if (this.phase === Phase.Attached && this.streams.length === 0 && this.datagrams.length === 0) {
      this.insp.giveUp(this.c);
    }
  }

  /** Connection end: deliver what is held, settle probing, and let analyzers flush. */
  end(ts: number): void {
    const tcp = this.tcp;
    const c = this.c;
    if (tcp !== null && c.orig !== null && c.resp !== null) {
      tcp.orig.advanceTo(c.orig.reassemSeq, ts);
      tcp.resp.advanceTo(c.resp.reassemSeq, ts);
      tcp.orig.flush(ts);
      tcp.resp.flush(ts);
    }
    if (c.inspect !== this) return; // gave up while flushing
    if (this.phase === Phase.Probing && c.proto === Proto.Tcp) {
      // Short messages still waiting for company are all there will be: judge them now.
      if (this.unprobed[0]) this.runProbes(true, ts);
      if (c.inspect === this && this.phase === Phase.Probing && this.unprobed[1]) this.runProbes(false, ts);
      if (c.inspect !== this) return;
      this.concludeProbing(ts);
    }
    if (c.inspect !== this) return;
    this.endRetired(ts);
    for (const a of this.streams) this.insp.endAnalyzer(c, a, ts);
    for (const a of this.datagrams) this.insp.endAnalyzer(c, a, ts);
    this.streams = [];
    this.datagrams = [];
    this.insp.release(c);
  }

  endRetired(ts: number): void {
    const retired = this.retired;
    this.retired = [];
    for (const a of retired) this.insp.endAnalyzer(this.c, a, ts);
  }
}

/** Protocol inspection for one engine: implements the engine's Inspector hooks. */
export class ProtocolInspector implements Inspector, AttachmentHost {
  readonly stats: InspectorStats;
  private readonly streamOrder: ProbeOrder<StreamAnalyzerFactory>;
  private readonly datagramOrder: ProbeOrder<DatagramAnalyzerFactory>;

  constructor(
    private readonly weirds: WeirdSink,
    private readonly sink: LogSink,
    private readonly registry: AnalyzerRegistry,
    budget: ReassemblyBudget = new ReassemblyBudget(),
  ) {
    this.streamOrder = new ProbeOrder(registry.stream);
    this.datagramOrder = new ProbeOrder(registry.datagram);
    this.stats = {
      attached: new Map(),
      confirmed: new Map(),
      violations: new Map(),
      analyzerErrors: 0,
      unidentified: 0,
      reassembly: budget,
    };
  }

  // --- Inspector ------------------------------------------------------------------------------

  tcpPayload(
    c: Connection,
    isOrig: boolean,
    buf: Uint8Array,
    off: number,
    len: number,
    relSeq: number,
    ts: number,
  ): void {
    if (c.inspect === INSPECTION_GIVEN_UP) return;
    let st = c.inspect as ConnInspection | null;
    if (st === null) {
      if (this.streamOrder.factories.length === 0) {
        c.inspect = INSPECTION_GIVEN_UP;
        return;
      }
      st = new ConnInspection(this, c, this.streamOrder.forPorts(c.rPort, c.oPort));
      st.tcp = new TcpReassembler(st, this.stats.reassembly);
      st.origEp = c.orig;
      c.inspect = st;
    }
    const tcp = st.tcp!;
    if (st.origEp !== c.orig) {
      st.origEp = c.orig;
      tcp.swapDirections();
    }
    const probing = st.phase === Phase.Probing;
    const d = isOrig ? 0 : 1;
    // Holes acknowledged by the other side (or cut by the snap length) become gaps first: this
    // segment's ACK may have passed the peer's holes, earlier ACKs this direction's.
    const peerEp = isOrig ? c.resp! : c.orig!;
    const peerDir = isOrig ? tcp.resp : tcp.orig;
    if (peerEp.reassemSeq > peerDir.next && !(probing && st.probeDone[1 - d])) {
      peerDir.advanceTo(peerEp.reassemSeq, ts);
      if (c.inspect !== st) return;
    }
    if (probing && st.probeDone[d]) return;
    const ep = isOrig ? c.orig! : c.resp!;
    const dir = isOrig ? tcp.orig : tcp.resp;
    if (ep.reassemSeq > dir.next) {
      dir.advanceTo(ep.reassemSeq, ts);
      if (c.inspect !== st) return;
    }
    if (len === 1 && relSeq === dir.next && dir.delivered === 0 && c.isPartial) {
      // The first byte seen of a partial connection's direction, alone in its segment, is a TCP
      // keep-alive probe (the last byte already sent, repeated), not the start of a message.
      dir.next = relSeq + 1;
      return;
    }
    dir.segment(buf, off, len, relSeq, ts);
  }

  udpPayload(c: Connection, isOrig: boolean, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (c.inspect === INSPECTION_GIVEN_UP) return;
    let st = c.inspect as ConnInspection | null;
    if (st === null) {
      if (this.datagramOrder.factories.length === 0) {
        c.inspect = INSPECTION_GIVEN_UP;
        return;
      }
      st = new ConnInspection(this, c, this.datagramOrder.forPorts(c.rPort, c.oPort));
      c.inspect = st;
    }
    if (st.phase === Phase.Probing) {
      // Past the probe budget of this direction: nothing to do, and nothing allocated.
      if (st.datagramsProbed[isOrig ? 0 : 1] >= PROBE_LIMIT_DATAGRAMS) return;
      st.probeDatagram(isOrig, buf.subarray(off, off + len), ts);
    } else {
      st.datagramData(isOrig, buf.subarray(off, off + len), ts);
    }
  }

  connectionEnd(c: Connection, ts: number): void {
    const st = c.inspect;
    if (st === null || st === INSPECTION_GIVEN_UP) return;
    (st as ConnInspection).end(ts);
  }

  /** End of input, after the engine finished every connection: flush cross-connection state. */
  finish(): void {
    try {
      this.registry.finish?.();
    } catch (err) {
      if (err instanceof LogWriteError) throw err;
      // Nothing to attribute it to but the run: counted, logged once, never thrown.
      this.stats.analyzerErrors++;
      this.weirds.externalWeird(WEIRD_ANALYZER_ERROR, 0);
    }
  }

  // --- AttachmentHost -------------------------------------------------------------------------

  writeLog(c: Connection, path: string, record: LogRecord): void {
    // Zeek's field order: ts, uid and id.* first (one class for every record's prefix), then the
    // analyzer's fields appended with for-in, which walks the record's enum cache without building
    // a key array.
    const out = new ConnIdRecord(record.ts, c);
    for (const key in record) if (key !== "ts") out[key] = record[key];
    if (c.vni >= 0) out.vni = c.vni;
    this.sink.write(path, out);
  }

  analyzerWeird(c: Connection, name: string, addl: string | undefined, source: string): void {
    this.weirds.analyzerWeird(c, name, addl, source);
  }

  protocolSwitched(c: Connection): void {
    this.stateOf(c)?.restartDetection();
  }

  /** Roles may change only on the connection's first packet, and never towards a group address. */
  flipRoles(c: Connection): boolean {
    if (c.origPkts + c.respPkts !== 1 || isGroupAddr(c.r0, c.r1, c.r2, c.r3)) return false;
    c.flip();
    return true;
  }

  confirmed(service: string): void {
    bump(this.stats.confirmed, service);
  }

  violated(service: string, _reason: string): void {
    bump(this.stats.violations, service);
  }

  // --- helpers for ConnInspection -------------------------------------------------------------

  probe(c: Connection, f: AnyFactory, bytes: Uint8Array, isOrig: boolean): ProbeResult {
    try {
      return f.probe(bytes, isOrig);
    } catch (err) {
      this.stats.analyzerErrors++;
      this.weirds.analyzerWeird(c, WEIRD_ANALYZER_ERROR, `${f.service} probe: ${describe(err)}`, "DPD");
      return ProbeResult.No;
    }
  }

  create(c: Connection, f: AnyFactory): Attachment<StreamAnalyzer | DatagramAnalyzer> | null {
    const a = new Attachment<StreamAnalyzer | DatagramAnalyzer>(this, c, f.service);
    try {
      a.analyzer = f.create!(a);
    } catch (err) {
      this.analyzerThrew(c, a, err);
      return null;
    }
    bump(this.stats.attached, f.service);
    return a;
  }

  analyzerThrew(c: Connection, a: Attachment<StreamAnalyzer | DatagramAnalyzer>, err: unknown): void {
    // A log that cannot be written is the run's failure, not the analyzer's: let it reach the caller.
    if (err instanceof LogWriteError) throw err;
    this.stats.analyzerErrors++;
    a.detached = true;
    this.weirds.analyzerWeird(c, WEIRD_ANALYZER_ERROR, `${a.service}: ${describe(err)}`, a.source);
  }

  endAnalyzer(c: Connection, a: Attachment<StreamAnalyzer | DatagramAnalyzer>, ts: number): void {
    if (a.detached || a.analyzer === null) return;
    try {
      a.analyzer.end(ts);
    } catch (err) {
      this.analyzerThrew(c, a, err);
    }
  }

  /** Stops inspecting a connection for good. */
  giveUp(c: Connection): void {
    const st = this.stateOf(c);
    if (st !== null && st.phase === Phase.Probing) this.stats.unidentified++;
    if (st !== null) st.endRetired(c.lastTs);
    this.release(c);
    c.inspect = INSPECTION_GIVEN_UP;
  }

  release(c: Connection): void {
    const st = this.stateOf(c);
    if (st !== null && st.tcp !== null) st.tcp.discard();
    c.inspect = null;
  }

  private stateOf(c: Connection): ConnInspection | null {
    const st = c.inspect;
    return st === null || st === INSPECTION_GIVEN_UP ? null : (st as ConnInspection);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
