// The sensor's CloudWatch metrics as Embedded Metric Format documents: one JSON object per log line
// that the CloudWatch agent ships to CloudWatch Logs, which extracts the metrics. The names, units
// and dimensions are a contract (the stack's alarms use them): METRICS.md lists them.
//
// Two kinds of document per interval:
//   - the sensor document: every counter and gauge, dimensions [InstanceId, AvailabilityZone],
//     [AvailabilityZone] and [] (per sensor, per zone, whole fleet);
//   - one document per log (conn, dns, http, …): `Records` with dimensions [InstanceId, Log] and
//     [Log]. EMF takes one value per member per document, so a `Log` dimension needs a document of
//     its own; a dimension (instead of names like `Records.conn`) lets one alarm or graph cover
//     every log and new protocols appear without a new metric name.
//
// Counters are the growth since the previous snapshot written; a snapshot of another run (the
// daemon restarted) or a counter that went backwards (a worker restarted) counts from zero, so the
// value is the new total: never negative, and nothing counted twice. Gauges are the snapshot's.

import type { DaemonSnapshot } from "../snapshot.js";

export const EMF_NAMESPACE = "Spanless/Sensor";

/** CloudWatch's units for the metrics here (a subset of the standard units). */
export type EmfUnit = "Count" | "Bytes" | "Percent";

export interface EmfDimensions {
  instanceId: string;
  availabilityZone: string;
}

export interface EmfMetricDefinition {
  Name: string;
  Unit: EmfUnit;
}

export interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: EmfMetricDefinition[];
}

/** An EMF document: `_aws` metadata, dimension values (strings) and metric values (numbers) at the root. */
export interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: EmfDirective[] };
  [member: string]: unknown;
}

type WorkerSnapshot = DaemonSnapshot["workers"][number];

/**
 * A counter of the daemon (`get`), a counter kept by each worker (`perWorker`: its growth is
 * summed worker by worker, so one restarted worker restarts only its own count) or a gauge.
 */
type MetricSpec = { name: string; unit: EmfUnit } & (
  | { kind: "counter"; get: (s: DaemonSnapshot) => number }
  | { kind: "workerCounter"; perWorker: (w: WorkerSnapshot) => number }
  | { kind: "gauge"; get: (s: DaemonSnapshot) => number }
);

/** The sensor document's metrics, in the order they are written. */
export const SENSOR_METRICS: readonly MetricSpec[] = [
  { name: "Packets", unit: "Count", kind: "counter", get: (s) => s.totals.datagrams },
  { name: "Bytes", unit: "Bytes", kind: "counter", get: (s) => s.totals.bytes },
  { name: "KernelDrops", unit: "Count", kind: "counter", get: (s) => s.totals.kernelDrops },
  { name: "QueueDrops", unit: "Count", kind: "counter", get: (s) => s.totals.queueDrops },
  { name: "Duplicates", unit: "Count", kind: "counter", get: (s) => s.totals.duplicates },
  { name: "Truncated", unit: "Count", kind: "counter", get: (s) => s.totals.truncated },
  { name: "NotVxlan", unit: "Count", kind: "counter", get: (s) => s.totals.notVxlan },
  { name: "Evictions", unit: "Count", kind: "workerCounter", perWorker: (w) => w.evictions },
  { name: "OneSidedConnections", unit: "Count", kind: "counter", get: (s) => s.totals.oneSidedConnections },
  { name: "Records", unit: "Count", kind: "workerCounter", perWorker: (w) => recordsOf(w.records) },
  { name: "LiveConnections", unit: "Count", kind: "gauge", get: (s) => sum(s, (w) => w.liveConnections) },
  { name: "MemoryUsedBytes", unit: "Bytes", kind: "gauge", get: (s) => sum(s, (w) => w.memoryUsedBytes) },
  { name: "MemoryBudgetPercent", unit: "Percent", kind: "gauge", get: memoryBudgetPercent },
  { name: "RssBytes", unit: "Bytes", kind: "gauge", get: (s) => s.rssBytes },
  { name: "Workers", unit: "Count", kind: "gauge", get: (s) => s.workers.length },
  { name: "WorkersAlive", unit: "Count", kind: "gauge", get: (s) => s.workers.filter((w) => w.alive).length },
  { name: "WorkersDead", unit: "Count", kind: "gauge", get: (s) => s.workers.filter((w) => !w.alive).length },
  { name: "OutputWritable", unit: "Count", kind: "gauge", get: (s) => (s.output.writable ? 1 : 0) },
  // Shipping (0 while the sensor writes locally only).
  { name: "UploadedBatches", unit: "Count", kind: "counter", get: (s) => s.shipping?.uploadedBatches ?? 0 },
  { name: "UploadedRecords", unit: "Count", kind: "counter", get: (s) => s.shipping?.uploadedRecords ?? 0 },
  { name: "UploadedBytes", unit: "Bytes", kind: "counter", get: (s) => s.shipping?.uploadedBytes ?? 0 },
  { name: "SpoolDroppedBatches", unit: "Count", kind: "counter", get: (s) => s.shipping?.dropped ?? 0 },
  { name: "UploadRejectedBatches", unit: "Count", kind: "counter", get: (s) => s.shipping?.rejected ?? 0 },
  { name: "SpoolBacklogBytes", unit: "Bytes", kind: "gauge", get: (s) => s.shipping?.spoolBacklogBytes ?? 0 },
  // The PCAP ring (0 without pcapMaxGB; the upload counters 0 without pcapS3).
  { name: "PcapBytes", unit: "Bytes", kind: "gauge", get: (s) => s.pcap?.diskBytes ?? 0 },
  { name: "PcapWriteErrors", unit: "Count", kind: "counter", get: (s) => s.pcap?.writeErrors ?? 0 },
  { name: "PcapUploadedFiles", unit: "Count", kind: "counter", get: (s) => s.pcap?.upload?.uploaded ?? 0 },
  { name: "PcapUploadFailures", unit: "Count", kind: "counter", get: (s) => s.pcap?.upload?.failed ?? 0 },
];

export const SENSOR_DIMENSIONS: readonly (readonly string[])[] = [
  ["InstanceId", "AvailabilityZone"],
  ["AvailabilityZone"],
  [],
];
export const LOG_DIMENSIONS: readonly (readonly string[])[] = [["InstanceId", "Log"], ["Log"]];

/** The sensor document for `now`: counters as growth since `previous` (undefined: since start). */
export function emfRecord(
  now: DaemonSnapshot,
  previous: DaemonSnapshot | undefined,
  dims: EmfDimensions,
): EmfDocument {
  const doc: EmfDocument = {
    _aws: {
      Timestamp: timestamp(now),
      CloudWatchMetrics: [
        {
          Namespace: EMF_NAMESPACE,
          Dimensions: SENSOR_DIMENSIONS.map((d) => [...d]),
          Metrics: SENSOR_METRICS.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    InstanceId: dims.instanceId,
    AvailabilityZone: dims.availabilityZone,
  };
  const base = sameRun(now, previous);
  for (const m of SENSOR_METRICS) {
    if (m.kind === "gauge") doc[m.name] = m.get(now);
    else if (m.kind === "counter") doc[m.name] = counterSince(m.get(now), base ? m.get(base) : undefined);
    else doc[m.name] = workerCounterSince(now, base, m.perWorker);
  }
  // Context for people reading the log (not metrics): what the counters cover.
  doc.IntervalSeconds = Math.max(0, Math.round(now.at - (base ? base.at : now.startedAt)));
  doc.Version = now.version;
  return doc;
}

/** One document per log written in either snapshot: `Records` (growth since `previous`) with a `Log` dimension. */
export function emfLogRecords(
  now: DaemonSnapshot,
  previous: DaemonSnapshot | undefined,
  dims: EmfDimensions,
): EmfDocument[] {
  const base = sameRun(now, previous);
  const logs = new Set<string>();
  for (const s of base ? [now, base] : [now])
    for (const w of s.workers) for (const log in w.records) logs.add(log);
  return [...logs].sort().map((log) => ({
    _aws: {
      Timestamp: timestamp(now),
      CloudWatchMetrics: [
        {
          Namespace: EMF_NAMESPACE,
          Dimensions: LOG_DIMENSIONS.map((d) => [...d]),
          Metrics: [{ Name: "Records", Unit: "Count" }],
        },
      ],
    },
    InstanceId: dims.instanceId,
    AvailabilityZone: dims.availabilityZone,
    Log: log,
    Records: workerCounterSince(now, base, (w) => w.records[log] ?? 0),
  }));
}

/** Every document for one interval: the sensor document, then one per log. */
export function emfDocuments(
  now: DaemonSnapshot,
  previous: DaemonSnapshot | undefined,
  dims: EmfDimensions,
): EmfDocument[] {
  return [emfRecord(now, previous, dims), ...emfLogRecords(now, previous, dims)];
}

/** `previous` when it belongs to the same run as `now` and is older; otherwise undefined (count from zero). */
function sameRun(now: DaemonSnapshot, previous: DaemonSnapshot | undefined): DaemonSnapshot | undefined {
  return previous && previous.startedAt === now.startedAt && previous.at <= now.at ? previous : undefined;
}

/** Growth of a running total; without a base, or when it went backwards (restarted), the total itself. */
function counterSince(now: number, before: number | undefined): number {
  if (before === undefined || now < before) return Math.max(0, now);
  return now - before;
}

/** The growth of a per-worker counter, worker by worker (by id); a worker new since `base` counts from zero. */
function workerCounterSince(
  now: DaemonSnapshot,
  base: DaemonSnapshot | undefined,
  get: (w: WorkerSnapshot) => number,
): number {
  let n = 0;
  for (const w of now.workers) {
    const before = base?.workers.find((b) => b.id === w.id);
    n += counterSince(get(w), before ? get(before) : undefined);
  }
  return n;
}

function timestamp(s: DaemonSnapshot): number {
  return Math.round(s.at * 1000);
}

function sum(s: DaemonSnapshot, get: (w: WorkerSnapshot) => number): number {
  let n = 0;
  for (const w of s.workers) n += get(w);
  return n;
}

function recordsOf(records: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(records)) n += v;
  return n;
}

function memoryBudgetPercent(s: DaemonSnapshot): number {
  const limit = sum(s, (w) => w.memoryLimitBytes);
  if (limit <= 0) return 0;
  return Math.round((sum(s, (w) => w.memoryUsedBytes) / limit) * 1000) / 10;
}
