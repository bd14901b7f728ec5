// Hand-built daemon snapshots for the health and metrics tests: a healthy two-worker sensor that
// has run for ten minutes, changed per test with `snap({...})` and `worker({...})`.

import type { DaemonSnapshot, WorkerSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";

export const STARTED = 1_700_000_000;
const MiB = 1024 * 1024;

export function worker(over: Partial<WorkerSnapshot> = {}): WorkerSnapshot {
  return {
    id: 0,
    alive: true,
    packets: 50_000,
    queueDrops: 0,
    liveConnections: 100,
    evictions: 0,
    memoryUsedBytes: 64 * MiB,
    memoryLimitBytes: 256 * MiB,
    records: { conn: 1000, dns: 200 },
    ...over,
  };
}

type SnapshotOverrides = Partial<Omit<DaemonSnapshot, "totals" | "recent" | "receiver">> & {
  totals?: Partial<DaemonSnapshot["totals"]>;
  recent?: Partial<DaemonSnapshot["recent"]>;
  receiver?: Partial<DaemonSnapshot["receiver"]>;
};

export function snap(over: SnapshotOverrides = {}): DaemonSnapshot {
  const { totals, recent, receiver, ...rest } = over;
  return {
    at: STARTED + 600,
    startedAt: STARTED,
    version: "0.9.0",
    listen: { host: "0.0.0.0", port: 4789 },
    receiver: {
      kind: "recvmmsg",
      receiveBufferBytes: 64 * MiB,
      requestedBufferBytes: 64 * MiB,
      rmemMax: 64 * MiB,
      ...receiver,
    },
    totals: {
      datagrams: 100_000,
      bytes: 80_000_000,
      notVxlan: 0,
      truncated: 0,
      duplicates: 1000,
      kernelDrops: 0,
      socketDrops: 0,
      rcvbufErrors: 0,
      queueDrops: 0,
      oneSidedConnections: 0,
      tcpConnectionsEnded: 1500,
      ...totals,
    },
    recent: { datagrams: 10_000, kernelDrops: 0, queueDrops: 0, seconds: 60, ...recent },
    workers: [worker({ id: 0 }), worker({ id: 1 })],
    output: { dir: "/var/log/spanless", writable: true, rotatedFiles: 0 },
    rssBytes: 300 * MiB,
    ...rest,
  };
}

/** `count` snapshots of one run, `step` seconds apart, ending at `end`; `grow(i)` gives the i-th's overrides. */
export function series(
  count: number,
  step: number,
  end: DaemonSnapshot,
  grow: (i: number) => SnapshotOverrides,
): DaemonSnapshot[] {
  const out: DaemonSnapshot[] = [];
  for (let i = 0; i < count; i++) {
    const o = grow(i);
    out.push(snap({ startedAt: end.startedAt, at: end.at - (count - i) * step, ...o }));
  }
  return out;
}
