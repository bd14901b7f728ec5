// The engine's Inspector: the shell around per-connection detection (detection.ts). It creates a
// connection's inspection state on its first payload, feeds TCP segments to the reassembler and
// datagrams to detection, stamps analyzer records, and guards every call into an analyzer.
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
import type { Connection } from "../engine/connection.js";
import type { Inspector, WeirdSink } from "../engine/hooks.js";
import type { MemoryBudget } from "../engine/memory-budget.js";
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
import { type AnyFactory, ConnInspection, type DetectionHost, Phase } from "./detection.js";
import { PROBE_LIMIT_DATAGRAMS } from "./limits.js";
import { ReassemblyBudget, TcpReassembler } from "./reassembler.js";
import { type AnalyzerRegistry, ProbeOrder } from "./registry.js";

/**
 * Connection.inspect of a connection nothing will ever be attached to: the engine's calls return
 * on one comparison. (A shared sentinel, so giving up allocates nothing and frees the state.)
 */
export const INSPECTION_GIVEN_UP: unknown = Object.freeze({ givenUp: true });
export const WEIRD_ANALYZER_ERROR = "analyzer_error";

interface InspectorStats {
  attached: Map<string, number>;
  confirmed: Map<string, number>;
  violations: Map<string, number>;
  /** Exceptions thrown by analyzers or probes (each detaches the analyzer). */
  analyzerErrors: number;
  /** Connections whose probing ended without an analyzer. */
  unidentified: number;
  readonly reassembly: ReassemblyBudget;
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

/** Protocol inspection for one engine: implements the engine's Inspector hooks. */
export class ProtocolInspector implements Inspector, AttachmentHost, DetectionHost {
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

  /** Reassembly buffers are charged to the engine's memory budget from now on (none held yet). */
  useMemory(memory: MemoryBudget): void {
    this.stats.reassembly.memory = memory.reassembly;
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

  // --- DetectionHost -------------------------------------------------------------

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
