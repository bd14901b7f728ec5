// Messages between the live sensor's main thread (receiver, dispatcher, log files, health) and
// its engine workers. Packets never travel as messages: they go through the shared ring.

import type { VniMap } from "../../../contracts/vni-map/index.js";
import type { LogChunk } from "../logs/json-lines.js";
import type { ClosedPcap, PcapCounters } from "../pcap/ring.js";
import type { RingShared } from "./ring.js";

export interface WorkerInit {
  id: number;
  ring: RingShared;
  /** The VNI map at the worker's start (later changes come as messages). */
  vniMap?: VniMap | null;
  /** Engine options that survive structured cloning (no functions). */
  engine: {
    memoryBudgetBytes?: number;
    seed?: number;
    localNets?: string[];
    verifyChecksums: boolean | "auto";
  };
  dedupWindowSeconds: number;
  inspect: boolean;
  /** How often the worker reports its counters and hands its log lines on, ms. */
  reportIntervalMs: number;
  /** The PCAP ring's share of this worker (absent: no PCAP). */
  pcap?: { dir: string; maxBytes: number; rotateBytes?: number; rotateSeconds?: number };
}

export interface WorkerCounters {
  id: number;
  packets: number;
  duplicates: number;
  liveConnections: number;
  connections: number;
  evictions: number;
  oneSidedTcp: number;
  tcpEnded: number;
  memoryUsedBytes: number;
  memoryLimitBytes: number;
  records: Record<string, number>;
  origins: number;
  originOverflows: number;
  pcap?: PcapCounters;
}

export type FromWorker =
  | { type: "logs"; chunks: LogChunk[] }
  | { type: "counters"; counters: WorkerCounters }
  | { type: "finished"; counters: WorkerCounters }
  /** A PCAP ring file was closed (the main thread's uploader takes it). */
  | { type: "pcap-closed"; file: ClosedPcap };

export type ToWorker = { type: "vni-map"; map: VniMap | null };
