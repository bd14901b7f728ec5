// Engine configuration with Zeek's defaults. Every limit is a named, documented value.

import { DEFAULT_FRAGMENT_LIMITS, type FragmentLimits } from "../decode/fragments.js";
import { GENEVE_PORT, VXLAN_PORT } from "../decode/tunnels.js";
import type { Cidr } from "./addr.js";
import { defaultMemoryBudgetBytes } from "./memory-size.js";

export interface Timeouts {
  /** Zeek tcp_inactivity_timeout. */
  tcpInactivity: number;
  /** Zeek udp_inactivity_timeout. */
  udpInactivity: number;
  /** Zeek icmp_inactivity_timeout. */
  icmpInactivity: number;
  /** Zeek unknown_ip_inactivity_timeout. */
  otherInactivity: number;
  /** Zeek tcp_attempt_delay: an unanswered SYN is given up (S0) after this long. */
  tcpAttempt: number;
  /** Zeek tcp_close_delay: a closed connection lingers this long for late packets. */
  tcpClose: number;
  /** Zeek tcp_connection_linger: a half-closed or reset connection is removed after this long idle. */
  tcpLinger: number;
}

export const ZEEK_DEFAULT_TIMEOUTS: Timeouts = {
  tcpInactivity: 300,
  udpInactivity: 60,
  icmpInactivity: 60,
  otherInactivity: 60,
  tcpAttempt: 5,
  tcpClose: 5,
  tcpLinger: 5,
};

/**
 * Ports Zeek's analyzers register (its likely_server_ports with the default scripts): used only
 * to decide who the originator is when the first packet seen is not a SYN.
 */
const LIKELY_SERVER_PORTS: readonly number[] = [
  21, 22, 23, 25, 53, 67, 69, 80, 81, 88, 102, 110, 111, 123, 135, 137, 139, 143, 161, 162, 389, 443, 445,
  463, 502, 514, 563, 585, 587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1194, 1433, 1434, 1521, 1701,
  1723, 1812, 1813, 1883, 2049, 2123, 2152, 2811, 3128, 3268, 3306, 3389, 3544, 4500, 4789, 5060, 5061, 5222,
  5223, 5353, 5355, 5432, 5672, 5900, 6081, 6379, 6443, 6667, 6668, 6669, 8000, 8080, 8443, 8888, 9092, 11211,
  20000, 27017, 47808,
];

export interface EngineOptions {
  vxlanPorts: number[];
  genevePorts: number[];
  /** Maximum nested encapsulations decoded (Zeek Tunnel::max_depth). */
  maxTunnelDepth: number;
  /** Live connections kept at most; beyond it the least recently active are evicted (and counted). */
  maxConnections: number;
  /**
   * Bytes of connection state, reassembly buffers and pending fragments together (memory-budget.ts
   * splits it); default: sized from the machine (memory-size.ts).
   */
  memoryBudgetBytes: number;
  /**
   * Verify IPv4 header and TCP/UDP/ICMP checksums and drop packets that fail (true: Zeek's
   * behaviour). "auto" (default) verifies, but keeps a failing packet whose checksum fits the
   * offload pattern, judged per sending host (checksum-hosts.ts): captures taken on a sending
   * host carry unfinished checksums, and dropping them would silently lose its traffic.
   */
  verifyChecksums: boolean | "auto";
  timeouts: Timeouts;
  /** Site::local_nets; local_orig/local_resp are logged only when set. */
  localNets: Cidr[] | null;
  communityId: boolean;
  communityIdSeed: number;
  /** uid generator seed for reproducible output; random when undefined. */
  seed: number | undefined;
  likelyServerPorts: ReadonlySet<number>;
  fragments: FragmentLimits;
  /** Weird records per name written before sampling starts (Zeek Weird::sampling_threshold). */
  weirdSamplingThreshold: number;
  /** After the threshold, one in this many is written (Zeek Weird::sampling_rate). */
  weirdSamplingRate: number;
}

const DEFAULT_MAX_CONNECTIONS = 1_000_000;

/** The machine-sized budget, computed once per process (it reads the cgroup files). */
let machineBudget: number | undefined;

export function defaultEngineOptions(overrides: Partial<EngineOptions> = {}): EngineOptions {
  if (overrides.memoryBudgetBytes === undefined) machineBudget ??= defaultMemoryBudgetBytes();
  return {
    vxlanPorts: [VXLAN_PORT],
    genevePorts: [GENEVE_PORT],
    maxTunnelDepth: 4,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    memoryBudgetBytes: machineBudget ?? 0,
    verifyChecksums: "auto",
    timeouts: { ...ZEEK_DEFAULT_TIMEOUTS },
    localNets: null,
    communityId: true,
    communityIdSeed: 0,
    seed: undefined,
    likelyServerPorts: new Set(LIKELY_SERVER_PORTS),
    fragments: { ...DEFAULT_FRAGMENT_LIMITS },
    weirdSamplingThreshold: 25,
    weirdSamplingRate: 1000,
    ...overrides,
  };
}
