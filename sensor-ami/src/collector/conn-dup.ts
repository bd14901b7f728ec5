// The collector's own batch of duplicate markers (log `conn_dup`): one line per conn record of a stored
// batch that is a second view of a connection another sensor logged first. Stored beside that batch, in the
// same partition (same log layout, same `created`, same sensor), so a query that shows each connection once
// joins the two on uid and sensor within one partition. Stored batches themselves are never rewritten.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { type BatchMeta, storageKey } from "../../../contracts/upload/index.js";
import type { DuplicateMatch } from "./duplicates.js";

/** The log type of the markers. Reserved: a sensor may not post batches of it. */
export const DUPLICATE_LOG = "conn_dup";
/** The only log type whose records are matched across sensors. */
export const DUPLICATE_SOURCE_LOG = "conn";

/**
 * The marker record's fields and Zeek types, for tools/athena-ddl.mjs. `sensor` is in every line too but not
 * a column: the table's `sensor` partition holds the same value (the marker lives under the batch's sensor).
 */
export const CONN_DUP_SCHEMA: ReadonlyArray<readonly [string, string]> = [
  ["ts", "time"],
  ["uid", "string"],
  ["community_id", "string"],
  ["duplicate_of_uid", "string"],
  ["duplicate_of_sensor", "string"],
  ["mirror_src", "addr"],
  ["duplicate_of_mirror_src", "addr"],
  ["vni", "count"],
  ["duplicate_of_vni", "count"],
  ["instance_id", "string"],
  ["duplicate_of_instance_id", "string"],
];

/**
 * The marker batch's id: derived from the source batch's, so a retry of that batch (after a failure between
 * the two writes) names the same object instead of adding a second marker batch.
 */
export function markerBatchId(sourceBatchId: string): string {
  return createHash("sha256").update(`spanless conn_dup v1\n${sourceBatchId}`).digest("hex").slice(0, 32);
}

/** One JSON line per duplicate; absent optional fields are left out, as Zeek leaves out unset fields. */
export function markerLine(match: DuplicateMatch): Record<string, unknown> {
  const { record, of } = match;
  const line: Record<string, unknown> = {
    ts: record.start,
    uid: record.uid,
    sensor: match.sensor,
    community_id: record.communityId,
    duplicate_of_uid: of.uid,
    duplicate_of_sensor: of.sensor,
  };
  const optional: Array<[string, unknown]> = [
    ["mirror_src", record.mirrorSrc],
    ["duplicate_of_mirror_src", of.mirrorSrc],
    ["vni", record.vni],
    ["duplicate_of_vni", of.vni],
    ["instance_id", record.instanceId],
    ["duplicate_of_instance_id", of.instanceId],
  ];
  for (const [key, value] of optional) if (value !== undefined) line[key] = value;
  return line;
}

export interface MarkerBatch {
  key: string;
  body: Buffer;
  records: number;
}

/** The marker batch for `source` (a stored conn batch), or undefined when it has no duplicates. */
export function markerBatch(
  source: BatchMeta,
  duplicates: readonly DuplicateMatch[],
): MarkerBatch | undefined {
  if (duplicates.length === 0) return undefined;
  const text = duplicates.map((d) => `${JSON.stringify(markerLine(d))}\n`).join("");
  return {
    key: storageKey({
      log: DUPLICATE_LOG,
      ts: source.created,
      sensor: source.sensorId,
      batch: markerBatchId(source.batchId),
    }),
    body: gzipSync(text),
    records: duplicates.length,
  };
}
