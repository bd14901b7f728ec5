// Where a batch lands, the same for a directory and for S3, and laid out for Athena's partition projection:
// `<log>/dt=YYYY-MM-DD/hour=HH/sensor=<id>/<batch>.json.gz`, the log type first so each table has a prefix.
import { BATCH_ID_BYTES, LOG_NAME_MAX_LENGTH, SENSOR_ID_MAX_LENGTH } from "./envelope.js";
import { BatchFieldError } from "./errors.js";

export const BATCH_OBJECT_SUFFIX = ".json.gz";

export interface StorageKeyInput {
  log: string;
  /** The batch's `created` time, unix seconds: fixed across retries, so one batch has one key. Read as UTC. */
  ts: number;
  sensor: string;
  batch: string;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The relative key (no leading slash) of a batch; a directory sink joins it to its root, S3 to its prefix. */
export function storageKey({ log, ts, sensor, batch }: StorageKeyInput): string {
  // Each part becomes a path component: the envelope's alphabets exclude "/", and a caller outside the
  // collector (a test, a backfill tool) must not be able to write outside the layout either. ("sensor=.." is
  // an ordinary name, so dots are harmless.)
  if (!new RegExp(`^[a-z0-9_]{1,${LOG_NAME_MAX_LENGTH}}$`).test(log)) {
    throw new BatchFieldError("log", `must be 1-${LOG_NAME_MAX_LENGTH} of a-z0-9_`);
  }
  if (!new RegExp(`^[A-Za-z0-9._-]{1,${SENSOR_ID_MAX_LENGTH}}$`).test(sensor)) {
    throw new BatchFieldError("sensor", `must be 1-${SENSOR_ID_MAX_LENGTH} of A-Za-z0-9._-`);
  }
  if (!new RegExp(`^[0-9a-f]{${BATCH_ID_BYTES * 2}}$`).test(batch)) {
    throw new BatchFieldError("batch", `must be ${BATCH_ID_BYTES * 2} lowercase hex characters`);
  }
  if (!Number.isInteger(ts) || ts < 0) throw new BatchFieldError("ts", "must be whole unix seconds");
  const when = new Date(ts * 1000);
  const day = `${when.getUTCFullYear()}-${pad(when.getUTCMonth() + 1)}-${pad(when.getUTCDate())}`;
  return `${log}/dt=${day}/hour=${pad(when.getUTCHours())}/sensor=${sensor}/${batch}${BATCH_OBJECT_SUFFIX}`;
}
