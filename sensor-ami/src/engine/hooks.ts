// The seam between the engine and protocol inspection, in both directions: what the engine calls
// (Inspector) and what inspection reports anomalies through (WeirdSink). The engine runs without
// an inspector; inspection sees the engine only through these two interfaces.

import type { Connection } from "./connection.js";
import type { MemoryBudget } from "./memory-budget.js";

/** Protocol inspection attaches here; the engine works without it. */
export interface Inspector {
  /** One TCP segment's captured payload, in packet order, with its relative sequence number. */
  tcpPayload(
    c: Connection,
    isOrig: boolean,
    buf: Uint8Array,
    off: number,
    len: number,
    relSeq: number,
    ts: number,
  ): void;
  udpPayload(c: Connection, isOrig: boolean, buf: Uint8Array, off: number, len: number, ts: number): void;
  /** The connection is about to be logged: flush analyzers. */
  connectionEnd(c: Connection, ts: number): void;
  /**
   * End of input, after the engine finished every connection: flush what spans connections (DHCP
   * transactions). Called by Engine.finish().
   */
  finish(): void;
  /** Charge what inspection holds (reassembly buffers) to the engine's memory budget. */
  useMemory?(memory: MemoryBudget): void;
}

/** Where inspection (and a frame source) report weirds; they are logged with the current packet. */
export interface WeirdSink {
  /** A weird a protocol analyzer raised about a connection (`source`: the analyzer, e.g. "HTTP"). */
  analyzerWeird(c: Connection, name: string, addl: string | undefined, source: string): void;
  /** A weird about no connection (the capture file, the run): `packet` is its number, 0 for none. */
  externalWeird(name: string, packet: number): void;
}
