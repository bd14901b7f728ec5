// The push-token signature. The sensor holds `label:secret`; both ends sign with a key DERIVED from the
// secret, so the collector stores only that key: a leaked token file lets nobody read the secret back
// (it still lets them sign — revoke the label). The secret itself never travels.

import { Buffer } from "node:buffer";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { type BatchMeta, checkBatchMeta, UPLOAD_METHOD, UPLOAD_PATH } from "./envelope.js";
import { BatchFieldError } from "./errors.js";

/** The HMAC message that turns a secret into its signing key; the version lets a later scheme coexist. */
export const TOKEN_KEY_CONTEXT = "spanless push-token v1";
/** First line of the signed text: a verifier refuses what another scheme version signed. */
export const SIGNATURE_VERSION = "spanless-batch-v1";
/** How far a request's timestamp may be from the verifier's clock, either way (clock skew and transit). */
export const TIMESTAMP_WINDOW_SECONDS = 300;
export const TOKEN_KEY_BYTES = 32;

/**
 * Why a batch is refused, as the collector logs it (never in the response). The first three come from
 * this module; the rest are the collector's decisions. README.md maps each to its HTTP status.
 */
export type RejectReason =
  | "malformed-header"
  | "bad-signature"
  | "stale-timestamp"
  | "unknown-label"
  | "revoked-label"
  | "batch-replayed-with-different-body"
  | "malformed-body"
  | "length-required"
  | "body-too-large"
  | "busy"
  | "sink-failed";

export type VerifyResult =
  | { ok: true }
  | { ok: false; reason: "malformed-header" | "bad-signature" | "stale-timestamp"; message: string };

/** HMAC-SHA256(secret, TOKEN_KEY_CONTEXT): the 32-byte key both ends sign with. */
export function deriveTokenKey(secret: string): Buffer {
  if (secret.length === 0) throw new BatchFieldError("secret", "is empty");
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(TOKEN_KEY_CONTEXT, "utf8").digest();
}

/** SHA-256 of the body exactly as sent (the gzip bytes), lowercase hex. */
export function bodySha256(body: Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

/**
 * The signed text: one field per line, in this order. Every field's alphabet excludes the newline, so the
 * lines cannot be shifted into one another. The path is always `UPLOAD_PATH`, not the URL's full path.
 */
export function canonicalString(meta: BatchMeta, bodyHash: string): string {
  return [
    SIGNATURE_VERSION,
    UPLOAD_METHOD,
    UPLOAD_PATH,
    meta.label,
    String(meta.timestamp),
    String(meta.created),
    meta.batchId,
    meta.sensorId,
    meta.log,
    String(meta.records),
    bodyHash,
  ].join("\n");
}

function checkKey(key: Uint8Array): void {
  if (key.length !== TOKEN_KEY_BYTES) {
    throw new BatchFieldError("key", `must be the ${TOKEN_KEY_BYTES}-byte key from deriveTokenKey`);
  }
}

/** The `x-spanless-signature` value: lowercase hex HMAC-SHA256(key, canonicalString(meta, sha256(body))). */
export function signBatch(key: Uint8Array, meta: BatchMeta, body: Uint8Array): string {
  checkKey(key);
  checkBatchMeta(meta);
  return createHmac("sha256", key)
    .update(canonicalString(meta, bodySha256(body)), "utf8")
    .digest("hex");
}

export interface VerifyInput {
  /** The label's derived key, as the collector stored it. */
  key: Uint8Array;
  meta: BatchMeta;
  /** The `x-spanless-signature` header. */
  signature: string;
  /** The body as received (still compressed). */
  body: Uint8Array;
  /** The verifier's clock, unix seconds. */
  now: number;
}

/** Whether `timestamp` is within TIMESTAMP_WINDOW_SECONDS of `now`; cheap enough to check before the body. */
export function timestampFresh(timestamp: number, now: number): boolean {
  return Math.abs(now - timestamp) <= TIMESTAMP_WINDOW_SECONDS;
}

/**
 * Checks the signature (constant time) and then the timestamp window. The signature comes first so that a
 * forger learns nothing about the window; both failures are 401 for the client, the reason is for the log.
 */
export function verifyBatch(input: VerifyInput): VerifyResult {
  try {
    checkKey(input.key);
    checkBatchMeta(input.meta);
  } catch (error) {
    return { ok: false, reason: "malformed-header", message: (error as Error).message };
  }
  if (!/^[0-9a-f]{64}$/.test(input.signature)) {
    return {
      ok: false,
      reason: "malformed-header",
      message: "signature must be 64 lowercase hex characters",
    };
  }
  const expected = Buffer.from(signBatch(input.key, input.meta, input.body), "hex");
  if (!timingSafeEqual(expected, Buffer.from(input.signature, "hex"))) {
    return { ok: false, reason: "bad-signature", message: "signature does not match the label's key" };
  }
  if (!timestampFresh(input.meta.timestamp, input.now)) {
    return {
      ok: false,
      reason: "stale-timestamp",
      message: `timestamp is ${input.now - input.meta.timestamp} s from the collector's clock (window ±${TIMESTAMP_WINDOW_SECONDS} s)`,
    };
  }
  return { ok: true };
}
