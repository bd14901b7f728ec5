// The batch envelope: what one upload request carries besides its body, the limits both ends enforce, and
// the header codec. One POST per batch; the body is the gzip of Zeek JSON lines of ONE log type, so a
// collector (or a later SIEM forwarder) can route a batch by its headers without opening it.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { PUSH_TOKEN_LABEL_MAX_LENGTH } from "../config/rules.js";
import { BatchFieldError, BatchHeaderError } from "./errors.js";

/** The endpoint, appended to the collector URL's own path (see `batchUrl`). Also the path that is signed. */
export const UPLOAD_PATH = "/v1/batches";
export const UPLOAD_METHOD = "POST";
export const CONTENT_TYPE = "application/x-ndjson";
export const CONTENT_ENCODING = "gzip";

/** Header names, lower case as Node's `IncomingMessage.headers` gives them. */
export const HEADER = {
  label: "x-spanless-label",
  timestamp: "x-spanless-timestamp",
  created: "x-spanless-created",
  batch: "x-spanless-batch",
  sensor: "x-spanless-sensor",
  log: "x-spanless-log",
  records: "x-spanless-records",
  signature: "x-spanless-signature",
  contentEncoding: "content-encoding",
  contentType: "content-type",
} as const;

/** A compressed body above this is refused (413) before it is read to the end. */
export const MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024;
/** A body that inflates beyond this is refused: bounds the memory a gzip bomb can claim. */
export const MAX_BATCH_DECOMPRESSED_BYTES = 256 * 1024 * 1024;
/** More records than this in one batch is refused; the sensor's batches are far smaller. */
export const MAX_BATCH_RECORDS = 1_000_000;
export const SENSOR_ID_MAX_LENGTH = 64;
export const LOG_NAME_MAX_LENGTH = 32;
/** 128 random bits as lowercase hex: unique without coordination, and the idempotency key. */
export const BATCH_ID_BYTES = 16;

const SENSOR_ID = new RegExp(`^[A-Za-z0-9._-]{1,${SENSOR_ID_MAX_LENGTH}}$`);
const LOG_NAME = new RegExp(`^[a-z0-9_]{1,${LOG_NAME_MAX_LENGTH}}$`);
const LABEL = new RegExp(`^[A-Za-z0-9._-]{1,${PUSH_TOKEN_LABEL_MAX_LENGTH}}$`);
const BATCH_ID = new RegExp(`^[0-9a-f]{${BATCH_ID_BYTES * 2}}$`);
const SIGNATURE = /^[0-9a-f]{64}$/;
// Decimal without sign or leading zeros: one spelling per number, so the signed text has one form.
const UNSIGNED = /^(?:0|[1-9]\d{0,15})$/;
// Unix seconds up to 9999-12-31: a millisecond value sent by mistake is refused, not read as year 50000.
const MAX_UNIX_SECONDS = 253_402_300_799;

/** What a batch says about itself; every field is signed. */
export interface BatchMeta {
  /** The push token's label (the part before the colon). */
  label: string;
  /** When this request was signed, unix seconds. A retry signs again with a new timestamp. */
  timestamp: number;
  /** When the batch was cut, unix seconds; fixed across retries, so it chooses the storage partition. */
  created: number;
  /** 32 lowercase hex characters (`newBatchId()`), the idempotency key. */
  batchId: string;
  sensorId: string;
  /** The Zeek log type of every record in the body (`conn`, `dns`, …). */
  log: string;
  /** How many JSON lines the body holds. */
  records: number;
}

/** Headers as read from a request: Node's `IncomingHttpHeaders`, or anything with `get` (fetch `Headers`). */
export type HeaderSource =
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

const unixSeconds = z.number().int().min(0).max(MAX_UNIX_SECONDS);

export const batchMetaSchema = z.object({
  label: z.string().regex(LABEL, `must be 1-${PUSH_TOKEN_LABEL_MAX_LENGTH} of A-Za-z0-9._-`),
  timestamp: unixSeconds,
  created: unixSeconds,
  batchId: z.string().regex(BATCH_ID, `must be ${BATCH_ID_BYTES * 2} lowercase hex characters`),
  sensorId: z.string().regex(SENSOR_ID, `must be 1-${SENSOR_ID_MAX_LENGTH} of A-Za-z0-9._-`),
  log: z.string().regex(LOG_NAME, `must be 1-${LOG_NAME_MAX_LENGTH} of a-z0-9_`),
  records: z.number().int().min(1).max(MAX_BATCH_RECORDS),
});

/** Throws BatchFieldError naming the first bad field; returns the meta unchanged otherwise. */
export function checkBatchMeta(meta: BatchMeta): BatchMeta {
  const result = batchMetaSchema.safeParse(meta);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = String(issue.path[0] ?? "meta");
    throw new BatchFieldError(field, issue.message);
  }
  return meta;
}

/** A fresh batch ID: 16 random bytes as lowercase hex. */
export function newBatchId(): string {
  return randomBytes(BATCH_ID_BYTES).toString("hex");
}

/**
 * The URL to POST to: the collector URL's path (a reverse proxy may mount the collector under one) with
 * `UPLOAD_PATH` appended. Only `UPLOAD_PATH` is signed, so such a prefix may be added or stripped on the way.
 */
export function batchUrl(collectorUrl: string): string {
  const url = new URL(collectorUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${UPLOAD_PATH}`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** Every header of a signed batch request, ready for `fetch`/`https.request`. */
export function batchHeaders(meta: BatchMeta, signature: string): Record<string, string> {
  checkBatchMeta(meta);
  if (!SIGNATURE.test(signature))
    throw new BatchFieldError("signature", "must be 64 lowercase hex characters");
  return {
    [HEADER.label]: meta.label,
    [HEADER.timestamp]: String(meta.timestamp),
    [HEADER.created]: String(meta.created),
    [HEADER.batch]: meta.batchId,
    [HEADER.sensor]: meta.sensorId,
    [HEADER.log]: meta.log,
    [HEADER.records]: String(meta.records),
    [HEADER.signature]: signature,
    [HEADER.contentEncoding]: CONTENT_ENCODING,
    [HEADER.contentType]: CONTENT_TYPE,
  };
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  // A repeated header is ambiguous (which one was signed?): refuse it rather than pick one.
  if (Array.isArray(value)) throw new BatchHeaderError(name, "appears more than once");
  return value;
}

function required(headers: HeaderSource, name: string): string {
  const value = headerValue(headers, name);
  if (value === undefined || value === "") throw new BatchHeaderError(name, "is missing");
  return value;
}

function matching(headers: HeaderSource, name: string, pattern: RegExp, rule: string): string {
  const value = required(headers, name);
  if (!pattern.test(value)) throw new BatchHeaderError(name, `is malformed: ${rule}`);
  return value;
}

function decimal(headers: HeaderSource, name: string, min: number, max: number): number {
  const value = matching(headers, name, UNSIGNED, "must be a decimal number without sign or leading zeros");
  const number = Number(value);
  if (number < min || number > max) throw new BatchHeaderError(name, `must be ${min}-${max}`);
  return number;
}

/** The media type without parameters, lower case: `application/x-ndjson; charset=utf-8` is accepted. */
function mediaType(value: string): string {
  return value.split(";")[0]!.trim().toLowerCase();
}

/**
 * Reads and checks every envelope header. Throws BatchHeaderError (reason `malformed-header`) naming the
 * header and the rule it breaks; the message never quotes the value.
 */
export function parseBatchHeaders(headers: HeaderSource): { meta: BatchMeta; signature: string } {
  const encoding = required(headers, HEADER.contentEncoding).trim().toLowerCase();
  if (encoding !== CONTENT_ENCODING)
    throw new BatchHeaderError(HEADER.contentEncoding, `must be ${CONTENT_ENCODING}`);
  if (mediaType(required(headers, HEADER.contentType)) !== CONTENT_TYPE) {
    throw new BatchHeaderError(HEADER.contentType, `must be ${CONTENT_TYPE}`);
  }
  const meta: BatchMeta = {
    label: matching(headers, HEADER.label, LABEL, `1-${PUSH_TOKEN_LABEL_MAX_LENGTH} of A-Za-z0-9._-`),
    timestamp: decimal(headers, HEADER.timestamp, 0, MAX_UNIX_SECONDS),
    created: decimal(headers, HEADER.created, 0, MAX_UNIX_SECONDS),
    batchId: matching(headers, HEADER.batch, BATCH_ID, `${BATCH_ID_BYTES * 2} lowercase hex characters`),
    sensorId: matching(headers, HEADER.sensor, SENSOR_ID, `1-${SENSOR_ID_MAX_LENGTH} of A-Za-z0-9._-`),
    log: matching(headers, HEADER.log, LOG_NAME, `1-${LOG_NAME_MAX_LENGTH} of a-z0-9_`),
    records: decimal(headers, HEADER.records, 1, MAX_BATCH_RECORDS),
  };
  const signature = matching(headers, HEADER.signature, SIGNATURE, "64 lowercase hex characters");
  return { meta, signature };
}
