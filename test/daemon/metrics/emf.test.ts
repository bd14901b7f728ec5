// EMF documents checked against the specification's rules (CloudWatch Embedded Metric Format:
// `_aws.Timestamp` in ms, `CloudWatchMetrics` directives whose dimension names are string members
// of the root and whose metric names are number members, at most 30 dimensions per set and 100
// metrics per directive, standard units), and the counters as deltas that survive restarts.

import { describe, expect, it } from "vitest";
import {
  EMF_NAMESPACE,
  type EmfDocument,
  emfDocuments,
  emfLogRecords,
  emfRecord,
} from "../../../sensor-ami/src/daemon/metrics/emf.js";
import type { DaemonSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";
import { STARTED, snap, worker } from "../health/snapshots.js";

const DIMS = { instanceId: "i-0123456789abcdef0", availabilityZone: "eu-west-1a" };
const MiB = 1024 * 1024;

/** The CloudWatch units (MetricDatum.Unit). */
const UNITS = new Set([
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
]);

/** Every rule of the EMF specification a document can break; returns the broken ones. */
function emfViolations(doc: unknown): string[] {
  const v: string[] = [];
  const line = JSON.stringify(doc);
  if (Buffer.byteLength(line) > 256 * 1024) v.push("larger than a CloudWatch Logs event");
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return ["root is not an object"];
  const root = doc as Record<string, unknown>;
  const aws = root._aws as Record<string, unknown> | undefined;
  if (typeof aws !== "object" || aws === null) return ["_aws missing"];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) < 1e12)
    v.push("Timestamp is not ms since the epoch");
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0)
    return [...v, "CloudWatchMetrics is not a non-empty array"];
  for (const d of directives as Record<string, unknown>[]) {
    if (typeof d.Namespace !== "string" || !/^[a-zA-Z0-9._#:/-]{1,256}$/.test(d.Namespace))
      v.push("bad Namespace");
    if (!Array.isArray(d.Dimensions)) v.push("Dimensions is not an array");
    for (const set of (d.Dimensions ?? []) as unknown[]) {
      if (!Array.isArray(set)) {
        v.push("a DimensionSet is not an array");
        continue;
      }
      if (set.length > 30) v.push("a DimensionSet has more than 30 dimensions");
      if (new Set(set).size !== set.length) v.push("a DimensionSet repeats a dimension");
      for (const name of set) {
        if (typeof name !== "string" || name.length === 0 || name.length > 250)
          v.push(`bad dimension name ${name}`);
        const value = root[name as string];
        if (typeof value !== "string") v.push(`dimension ${name} has no string value at the root`);
        else if (
          value.length === 0 ||
          value.length > 1024 ||
          !/^[\x20-\x7e]+$/.test(value) ||
          value.trim() === ""
        )
          v.push(`dimension ${name}'s value is not 1-1024 printable ASCII characters`);
      }
    }
    const metrics = d.Metrics as Record<string, unknown>[];
    if (!Array.isArray(metrics)) {
      v.push("Metrics is not an array");
      continue;
    }
    if (metrics.length > 100) v.push("more than 100 metrics in a directive");
    const names = metrics.map((m) => m.Name);
    if (new Set(names).size !== names.length) v.push("a metric is defined twice");
    for (const m of metrics) {
      if (typeof m.Name !== "string" || m.Name.length === 0 || m.Name.length > 255)
        v.push(`bad metric name ${m.Name}`);
      if (m.Unit !== undefined && !UNITS.has(m.Unit as string))
        v.push(`${m.Name}: unit ${m.Unit} is not a CloudWatch unit`);
      const value = root[m.Name as string];
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || values.length > 100) v.push(`${m.Name}: 1-100 values`);
      for (const x of values)
        if (typeof x !== "number" || !Number.isFinite(x)) v.push(`${m.Name} has no number value at the root`);
      for (const set of (d.Dimensions ?? []) as string[][])
        if (set.includes(m.Name as string)) v.push(`${m.Name} is also a dimension`);
    }
    for (const k of Object.keys(d))
      if (!["Namespace", "Dimensions", "Metrics"].includes(k)) v.push(`unknown directive member ${k}`);
  }
  return v;
}

function metricNames(doc: EmfDocument): string[] {
  return doc._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
}

/** The snapshot a minute after `snap()`'s, with every counter grown. */
function aMinuteLater(over: Partial<DaemonSnapshot> = {}): DaemonSnapshot {
  const s = snap({
    at: snap().at + 60,
    totals: {
      datagrams: 160_000,
      bytes: 130_000_000,
      notVxlan: 2,
      truncated: 7,
      duplicates: 1500,
      kernelDrops: 12,
      queueDrops: 3,
      oneSidedConnections: 9,
    },
    workers: [
      worker({ id: 0, evictions: 4, records: { conn: 1300, dns: 260, http: 5 } }),
      worker({ id: 1, records: { conn: 1100, dns: 200 } }),
    ],
  });
  return { ...s, ...over };
}

describe("emfRecord", () => {
  it("follows the EMF specification: namespace, dimension sets, units, a value for every metric", () => {
    // Act
    const doc = emfRecord(aMinuteLater(), snap(), DIMS);
    // Assess
    expect(emfViolations(doc)).toEqual([]);
    const d = doc._aws.CloudWatchMetrics[0];
    expect(d.Namespace).toBe(EMF_NAMESPACE);
    expect(d.Dimensions).toEqual([["InstanceId", "AvailabilityZone"], ["AvailabilityZone"], []]);
    expect(doc.InstanceId).toBe(DIMS.instanceId);
    expect(doc.AvailabilityZone).toBe(DIMS.availabilityZone);
    expect(doc._aws.Timestamp).toBe((snap().at + 60) * 1000);
    expect(metricNames(doc)).toEqual([
      "Packets",
      "Bytes",
      "KernelDrops",
      "QueueDrops",
      "Duplicates",
      "Truncated",
      "NotVxlan",
      "Evictions",
      "OneSidedConnections",
      "Records",
      "LiveConnections",
      "MemoryUsedBytes",
      "MemoryBudgetPercent",
      "RssBytes",
      "Workers",
      "WorkersAlive",
      "WorkersDead",
      "OutputWritable",
      "UploadedBatches",
      "UploadedRecords",
      "UploadedBytes",
      "SpoolDroppedBatches",
      "UploadRejectedBatches",
      "SpoolBacklogBytes",
      "PcapBytes",
      "PcapWriteErrors",
      "PcapUploadedFiles",
      "PcapUploadFailures",
    ]);
  });

  it("counters are the growth since the previous snapshot; gauges are the snapshot's", () => {
    const doc = emfRecord(aMinuteLater(), snap(), DIMS);
    expect(doc).toMatchObject({
      Packets: 60_000,
      Bytes: 50_000_000,
      KernelDrops: 12,
      QueueDrops: 3,
      Duplicates: 500,
      Truncated: 7,
      NotVxlan: 2,
      Evictions: 4,
      OneSidedConnections: 9,
      Records: 2865 - 2400,
      LiveConnections: 200,
      MemoryUsedBytes: 128 * MiB,
      MemoryBudgetPercent: 25,
      RssBytes: 300 * MiB,
      Workers: 2,
      WorkersAlive: 2,
      WorkersDead: 0,
      OutputWritable: 1,
      IntervalSeconds: 60,
      Version: "0.9.0",
    });
  });

  it("without a previous snapshot the counters are the totals since start", () => {
    const doc = emfRecord(snap(), undefined, DIMS);
    expect(doc.Packets).toBe(100_000);
    expect(doc.IntervalSeconds).toBe(600);
  });

  it("after a daemon restart (another startedAt) reports the new totals, never a negative delta", () => {
    // Prepare: the previous line came from the old run, with larger totals
    const restarted = snap({
      startedAt: STARTED + 1000,
      at: STARTED + 1030,
      totals: { datagrams: 500, bytes: 400_000, kernelDrops: 1 },
      workers: [worker({ id: 0, records: { conn: 3 } })],
    });
    // Act
    const doc = emfRecord(restarted, aMinuteLater(), DIMS);
    // Assess
    expect(doc.Packets).toBe(500);
    expect(doc.Bytes).toBe(400_000);
    expect(doc.KernelDrops).toBe(1);
    expect(doc.Records).toBe(3);
    expect(doc.IntervalSeconds).toBe(30);
    for (const name of metricNames(doc)) expect(doc[name] as number).toBeGreaterThanOrEqual(0);
  });

  it("a restarted worker restarts only its own counts", () => {
    const before = snap({ workers: [worker({ id: 0, evictions: 50 }), worker({ id: 1, evictions: 10 })] });
    const now = snap({
      at: before.at + 60,
      workers: [
        worker({ id: 0, evictions: 2 }),
        worker({ id: 1, evictions: 15 }),
        worker({ id: 2, evictions: 1 }),
      ],
    });
    expect(emfRecord(now, before, DIMS).Evictions).toBe(2 + 5 + 1);
  });

  it("the PCAP ring: bytes on disk (gauge), write errors, uploaded and failed files (counters); 0 without it", () => {
    // Prepare
    const ring = (writeErrors: number, uploaded: number, failed: number): DaemonSnapshot["pcap"] => ({
      dir: "/p",
      maxBytes: 10 * 1024 * MiB,
      packets: 1000,
      droppedPackets: 0,
      writeErrors,
      lastError: null,
      diskBytes: 300 * MiB,
      closedFiles: 5,
      deletedFiles: 0,
      upload: { uploaded, uploadedBytes: 0, failed, missed: 0, pending: 0, lastError: null },
    });
    const before = snap({ pcap: ring(2, 10, 1) });
    const now = snap({ at: before.at + 60, pcap: ring(5, 14, 1) });

    // Act
    const doc = emfRecord(now, before, DIMS);
    const none = emfRecord(snap({ at: before.at + 60 }), snap(), DIMS);
    const noUpload = emfRecord(snap({ pcap: { ...ring(0, 0, 0)!, upload: undefined } }), undefined, DIMS);

    // Assess
    expect(doc).toMatchObject({
      PcapBytes: 300 * MiB,
      PcapWriteErrors: 3,
      PcapUploadedFiles: 4,
      PcapUploadFailures: 0,
    });
    expect(none).toMatchObject({
      PcapBytes: 0,
      PcapWriteErrors: 0,
      PcapUploadedFiles: 0,
      PcapUploadFailures: 0,
    });
    expect(noUpload).toMatchObject({ PcapBytes: 300 * MiB, PcapUploadedFiles: 0, PcapUploadFailures: 0 });
    expect(emfViolations(doc)).toEqual([]);
  });

  it("dead workers and the memory budget in percent", () => {
    const now = snap({
      workers: [
        worker({ id: 0, alive: false, memoryUsedBytes: 200 * MiB }),
        worker({ id: 1, memoryUsedBytes: 100 * MiB }),
      ],
    });
    const doc = emfRecord(now, undefined, DIMS);
    expect(doc.WorkersAlive).toBe(1);
    expect(doc.WorkersDead).toBe(1);
    expect(doc.MemoryBudgetPercent).toBe(58.6);
    const none = emfRecord(snap({ workers: [] }), undefined, DIMS);
    expect(none.MemoryBudgetPercent).toBe(0);
    expect(emfViolations(none)).toEqual([]);
  });
});

describe("emfLogRecords", () => {
  it("one document per log with a Log dimension, sorted, each valid EMF", () => {
    // Act
    const docs = emfLogRecords(aMinuteLater(), snap(), DIMS);
    // Assess
    expect(docs.map((d) => [d.Log, d.Records])).toEqual([
      ["conn", 400],
      ["dns", 60],
      ["http", 5],
    ]);
    for (const d of docs) {
      expect(emfViolations(d)).toEqual([]);
      expect(d._aws.CloudWatchMetrics[0].Dimensions).toEqual([["InstanceId", "Log"], ["Log"]]);
      expect(metricNames(d)).toEqual(["Records"]);
    }
  });

  it("a log that stopped being written still gets its line (0), never a negative one", () => {
    const before = snap({ workers: [worker({ id: 0, records: { conn: 10, ssh: 4 } })] });
    const now = snap({ at: before.at + 60, workers: [worker({ id: 0, records: { conn: 12 } })] });
    expect(emfLogRecords(now, before, DIMS).map((d) => [d.Log, d.Records])).toEqual([
      ["conn", 2],
      ["ssh", 0],
    ]);
  });

  it("emfDocuments: the sensor document first, then the logs'", () => {
    const docs = emfDocuments(aMinuteLater(), snap(), DIMS);
    expect(docs).toHaveLength(4);
    expect(docs[0].Packets).toBe(60_000);
    expect(docs.slice(1).map((d) => d.Log)).toEqual(["conn", "dns", "http"]);
    for (const d of docs) expect(emfViolations(d)).toEqual([]);
  });
});

describe("the specification check itself", () => {
  it("catches a metric without a value, a numeric dimension and an unknown unit", () => {
    const bad = {
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          { Namespace: "x", Dimensions: [["Az"]], Metrics: [{ Name: "A", Unit: "Packets" }] },
        ],
      },
      Az: 3,
    };
    expect(emfViolations(bad)).toEqual([
      "Timestamp is not ms since the epoch",
      "dimension Az has no string value at the root",
      "A: unit Packets is not a CloudWatch unit",
      "A has no number value at the root",
    ]);
  });
});
