// Per-connection protocol detection and dispatch (Connection.inspect): probing the first bytes of
// each direction, attaching the analyzers that match and replaying what was probed, then handing
// every delivery to the attached analyzers. The inspector shell (inspector.ts) creates one per
// inspected connection and provides the DetectionHost services.

import { type Connection, Proto } from "../engine/connection.js";
import type {
  DatagramAnalyzer,
  DatagramAnalyzerFactory,
  StreamAnalyzer,
  StreamAnalyzerFactory,
} from "../protocols/types.js";
import { ProbeResult } from "../protocols/types.js";
import type { Attachment } from "./attachment.js";
import { PROBE_LIMIT_BYTES, PROBE_LIMIT_DATAGRAMS, PROBE_MIN_BYTES } from "./limits.js";
import type { ReassemblySink, TcpReassembler } from "./reassembler.js";
import { ProbeOrder } from "./registry.js";
import { uninitializedBytes } from "./uninitialized.js";

export type AnyFactory = StreamAnalyzerFactory | DatagramAnalyzerFactory;

export enum Phase {
  Probing = 0,
  Attached = 1,
}

/** What detection needs from the inspector: guarded calls into analyzers, and giving up. */
export interface DetectionHost {
  /** A candidate's probe (an exception counts as No, and is reported). */
  probe(c: Connection, f: AnyFactory, bytes: Uint8Array, isOrig: boolean): ProbeResult;
  /** A new attachment of `f` to `c`, or null when create() threw (reported). */
  create(c: Connection, f: AnyFactory): Attachment<StreamAnalyzer | DatagramAnalyzer> | null;
  /** An analyzer threw: detach it and report (LogWriteError passes through). */
  analyzerThrew(c: Connection, a: Attachment<StreamAnalyzer | DatagramAnalyzer>, err: unknown): void;
  endAnalyzer(c: Connection, a: Attachment<StreamAnalyzer | DatagramAnalyzer>, ts: number): void;
  analyzerWeird(c: Connection, name: string, addl: string | undefined, source: string): void;
  /** Stops inspecting a connection for good. */
  giveUp(c: Connection): void;
  /** Drops a connection's inspection state (at its end). */
  release(c: Connection): void;
}

/** Per-connection inspection state (Connection.inspect). */
export class ConnInspection implements ReassemblySink {
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
    readonly insp: DetectionHost,
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
      // Not zero-filled: nothing past probeLen is ever read.
      const grown = uninitializedBytes(Math.min(PROBE_LIMIT_BYTES, Math.max(256, (have + take) * 2)));
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
