// The contract between the engine (connection tracking, TCP reassembly) and protocol analyzers.
//
// Analyzers never see packets: TCP analyzers get each direction's reassembled, in-order byte
// stream; UDP analyzers get one datagram payload per call. The Uint8Array handed to data()/packet()
// is a view into a reused buffer and is valid only during the call: copy what you keep.
// Analyzers must never throw for bad input — report it with ctx.weird() / ctx.violation().

/** One log record without the connection fields; the engine adds uid and id.* (and vni). */
export type LogRecord = Record<string, unknown> & { ts: number };

/** A connection as Zeek's scripts name it: its uid and its conn_id, in the engine's orientation. */
export interface ConnectionIdentity {
  uid: string;
  id: { orig_h: string; orig_p: number; resp_h: string; resp_p: number };
}

/**
 * What an analyzer talks back through. The first four are the contract every host provides; the
 * optional members are capabilities of the inspector's host (a test harness may leave them out),
 * so an analyzer calls them as `ctx.switchProtocol?.()`.
 */
export interface AnalyzerContext {
  /** Emit a record to `<path>.log` (e.g. "dns", "http", "ssl", "ssh", "dhcp", "quic", "x509"). */
  log(path: string, record: LogRecord): void;
  /** A protocol anomaly worth an analyst's attention (Zeek weird.log name, optional detail). */
  weird(name: string, addl?: string): void;
  /** The analyzer has seen enough to be sure: adds `service` to conn.log (idempotent). */
  confirm(service: string): void;
  /** The traffic is not this protocol (or is too broken to continue): the engine detaches the analyzer. */
  violation(reason: string): void;
  /**
   * The connection's identity, for records that span several connections (DHCP transactions list
   * theirs in `uids`); built on each read, so read it once per message at most.
   */
  readonly connection?: ConnectionIdentity;
  /**
   * The protocol hands the connection over to another (HTTP after an accepted CONNECT or a 101
   * Switching Protocols): call it once the handing-over message is complete. Detection starts
   * again on the bytes that follow; this analyzer gets no more data (its end() still comes).
   */
  switchProtocol?(): void;
  /**
   * The originator is really the responder (Zeek's rule for a DNS conversation whose first message
   * is a response): swaps the connection's roles, but only while its first packet is being
   * delivered and never making a broadcast or multicast address the originator. Returns whether
   * the roles were swapped; if so, the data being delivered is the responder's.
   */
  flipRoles?(): boolean;
}

export interface StreamAnalyzer {
  /** In-order bytes of one direction (isOrig = from the connection's originator). */
  data(isOrig: boolean, bytes: Uint8Array, ts: number): void;
  /** `length` bytes of this direction were never seen (packet loss): resynchronise or give up. */
  gap(isOrig: boolean, length: number, ts: number): void;
  /** Connection finished or expired: flush pending transactions. */
  end(ts: number): void;
}

export interface DatagramAnalyzer {
  packet(isOrig: boolean, bytes: Uint8Array, ts: number): void;
  end(ts: number): void;
}

/** How sure a probe is that the first payload bytes of a direction belong to a protocol. */
export enum ProbeResult {
  No = 0,
  Maybe = 1,
  Yes = 2,
}

export interface AnalyzerFactory<T> {
  /** Zeek's service name ("dns", "http", "ssl", "ssh", "dhcp", "quic", "smtp", …). */
  service: string;
  /** Conventional ports: a hint for ordering probes, never a requirement. */
  ports: readonly number[];
  /** Content probe on the first payload bytes of a direction (and which direction it is). */
  probe(bytes: Uint8Array, isOrig: boolean): ProbeResult;
  /** Absent for label-only protocols: a Yes probe alone confirms the service. */
  create?(ctx: AnalyzerContext): T;
}

export type StreamAnalyzerFactory = AnalyzerFactory<StreamAnalyzer> & { transport: "tcp" };
export type DatagramAnalyzerFactory = AnalyzerFactory<DatagramAnalyzer> & { transport: "udp" };
