// The engine's running counts (packets, bytes, connections, evictions, fragments): the summary's
// figures. One object per engine, created here so its shape is fixed in one place.

export interface EngineStats {
  packets: number;
  bytes: number;
  /** Frames without IP (ARP, STP, LLC…). */
  nonIp: number;
  /** Packets that belonged to a tracked connection. */
  tracked: number;
  connections: number;
  evictions: number;
  /** Of the evictions, those made because the memory budget's connection share was full. */
  memoryEvictions: number;
  firstTs: number;
  lastTs: number;
  fragmentsReassembled: number;
  /** Packets that were IP fragments (held for, or completing, a reassembly). */
  fragmentPackets: number;
  /**
   * TCP connections that ended with packets from one side only although that side acknowledged
   * or sent data (so the handshake happened): the other direction went elsewhere. A split
   * upstream (another sensor, an unmirrored path) shows here; a scan (SYNs only) does not.
   */
  oneSidedTcp: number;
  /** TCP connections finished (logged): oneSidedTcp's denominator. */
  tcpEnded: number;
}

export function newEngineStats(): EngineStats {
  return {
    packets: 0,
    bytes: 0,
    nonIp: 0,
    tracked: 0,
    connections: 0,
    evictions: 0,
    memoryEvictions: 0,
    firstTs: 0,
    lastTs: 0,
    fragmentsReassembled: 0,
    fragmentPackets: 0,
    oneSidedTcp: 0,
    tcpEnded: 0,
  };
}
