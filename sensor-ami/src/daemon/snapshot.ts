// What the running daemon knows about itself, gathered every few seconds: the one input of the
// /healthcheck decision, `spanless health` (served as JSON on the health port at /status) and the
// EMF metrics. Counters are running totals since start; "recent" fields cover the last minute.

import type { PcapUploadStatus } from "../pcap/s3-upload.js";

export interface WorkerSnapshot {
  id: number;
  /** The worker answered the last poll (it is alive and its packet loop turns). */
  alive: boolean;
  /** Packets handed to this worker's engine since start. */
  packets: number;
  /** Packets this worker could not take because its queue was full (counted, never silent). */
  queueDrops: number;
  liveConnections: number;
  /** Connections evicted early because the memory budget or the table limit bit. */
  evictions: number;
  /** Memory budget in use and its limit, bytes (connections, reassembly and fragments together). */
  memoryUsedBytes: number;
  memoryLimitBytes: number;
  /** Records written, by log name (conn, dns, http, …). */
  records: Record<string, number>;
}

/**
 * Datagrams the sensor is done with: taken by an engine, or counted as a duplicate, not VXLAN or
 * a queue drop. Equal to `totals.datagrams` once everything received has been handled.
 */
export function handledDatagrams(s: Pick<DaemonSnapshot, "totals" | "workers">): number {
  const t = s.totals;
  return s.workers.reduce((n, w) => n + w.packets, 0) + t.duplicates + t.notVxlan + t.queueDrops;
}

/** The VNI map's S3 fetcher (`vniMapS3`, daemon/vni-map-fetch.ts). Times in seconds since the epoch. */
export interface VniMapFetchSnapshot {
  url: string;
  bucket: string;
  key: string;
  intervalSeconds: number;
  /** The last request S3 answered (200 or 304 Not Modified), null before the first. */
  lastCheckAt: number | null;
  /** The last time a new map was written to the local file, null before the first. */
  lastWrittenAt: number | null;
  /** ETag of the object last received, null before the first. */
  etag: string | null;
  /** Requests made, answered 304 (unchanged), new maps written, and failures (any kind), since start. */
  fetches: number;
  notModified: number;
  written: number;
  failures: number;
  /** Why the local file does not hold the object's current map (bucket, key and the AWS error); null when it does. */
  error: string | null;
}

export interface DaemonSnapshot {
  /** Seconds since the epoch when the snapshot was taken. */
  at: number;
  startedAt: number;
  version: string;
  listen: { host: string; port: number };
  /** Receive path in use; fallbackReason says why it is not the batched one. */
  receiver: {
    kind: "recvmmsg" | "dgram";
    fallbackReason?: string;
    receiveBufferBytes: number;
    requestedBufferBytes: number;
    rmemMax?: number;
    /** The socket is bound and its receive loop turns; absent means running (the daemon is up). */
    running?: boolean;
    /** Why the receiver stopped (bind or socket error), when it is not running. */
    error?: string;
  };
  /** Running totals since start. */
  totals: {
    datagrams: number;
    bytes: number;
    /** Datagrams that are not VXLAN as AWS sends it (counted, never analysed). */
    notVxlan: number;
    /** Mirror packets cut short by the session's PacketLength (or the slot), counted apart from malformed. */
    truncated: number;
    /** Mirrored copies suppressed (the same packet seen from both ends within the window). */
    duplicates: number;
    /** Kernel drops: this sensor's sockets (SO_RXQ_OVFL) and the host's UDP RcvbufErrors since start. */
    kernelDrops: number;
    socketDrops: number;
    rcvbufErrors: number;
    /** Packets that no worker could take (queue full). */
    queueDrops: number;
    /** Connections that ended having seen packets in one direction only, while both were expected (TCP). */
    oneSidedConnections: number;
    /**
     * TCP connections that ended (their conn.log records): the denominator of oneSidedConnections.
     * Absent: health compares one-sided connections with all conn.log records instead.
     */
    tcpConnectionsEnded?: number;
  };
  /** Over the last 60 seconds. */
  recent: { datagrams: number; kernelDrops: number; queueDrops: number; seconds: number };
  workers: WorkerSnapshot[];
  /** Whether the log directory accepts writes; error says why not. */
  output: { dir: string; writable: boolean; error?: string; rotatedFiles: number };
  /** VNI map enrichment: where it is read from, entries, last load and last error. */
  vniMap?: {
    path: string;
    vnis: number;
    sources: number;
    loadedAt?: number;
    error?: string;
    /** The fetch of the map from S3 into `path` (absent: the file is maintained by other means). */
    s3?: VniMapFetchSnapshot;
  };
  /** Upload to the collector (absent: local output only). Times in seconds since the epoch. */
  shipping?: {
    collectorConnectivity: "ok" | "failing" | "unknown";
    lastUploadAt: number | null;
    /** When the collector first accepted the push-token handshake; null before (absent: older snapshot). */
    lastHandshakeAt?: number | null;
    /** Why the collector has not accepted the handshake yet (absent: older snapshot). */
    handshakeError?: string | null;
    lastError: string | null;
    spoolBacklogBytes: number;
    spoolBacklogBatches: number;
    spoolMaxBytes: number;
    /** Batches dropped (spool full, oldest first, or lost before reaching it), and refused for good by the collector (`rejected`), since start. */
    dropped: number;
    droppedRecords: number;
    rejected: number;
    /** Spool files found torn (after a power cut) and set aside. */
    corrupt: number;
    uploadedBatches: number;
    uploadedBytes: number;
    uploadedRecords: number;
  };
  /** The PCAP ring, all workers together (absent: no PCAP). */
  pcap?: {
    dir: string;
    maxBytes: number;
    /** Frames written, and frames not written while the disk refused (writing paused). */
    packets: number;
    droppedPackets: number;
    writeErrors: number;
    lastError: string | null;
    diskBytes: number;
    closedFiles: number;
    /** Closed files deleted, oldest first, to keep maxBytes. */
    deletedFiles: number;
    /** S3 upload of closed files (absent: not configured). */
    upload?: PcapUploadStatus;
  };
  /** Resident set size of the daemon process, bytes. */
  rssBytes: number;
  /**
   * The memory the process may use before the kernel kills it (cgroup memory.max, else the
   * machine's memory), bytes; absent: health judges RSS against the memory budget only.
   */
  processMemoryLimitBytes?: number;
}
