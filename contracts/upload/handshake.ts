// The push-token handshake: a signed, body-less request that proves a sensor's token to a collector
// without storing anything. `spanless bootstrap` sends it before the launch is allowed to continue
// (step push-token-auth) and the live sensor sends it at start, so "the collector accepts this sensor"
// is known before any traffic is mirrored to it (the load balancer sends none until the sensor is
// in service). The signed text starts with its own version line, so a handshake signature can never
// be replayed as a batch signature (or the other way round).

import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { PUSH_TOKEN_LABEL_MAX_LENGTH } from "../config/rules.js";
import { HEADER, SENSOR_ID_MAX_LENGTH } from "./envelope.js";
import { BatchFieldError, BatchHeaderError } from "./errors.js";
import { TIMESTAMP_WINDOW_SECONDS, TOKEN_KEY_BYTES } from "./signature.js";

/** The endpoint, appended to the collector URL's own path like UPLOAD_PATH (see `handshakeUrl`). */
export const HANDSHAKE_PATH = "/v1/handshake";
export const HANDSHAKE_METHOD = "POST";
/** First line of the signed text; differs from the batch scheme's so neither signature fits the other. */
export const HANDSHAKE_SIGNATURE_VERSION = "spanless-handshake-v1";
/** Header carrying the handshake's random nonce (the other headers are the batch envelope's). */
export const HANDSHAKE_NONCE_HEADER = "x-spanless-nonce";
export const HANDSHAKE_NONCE_BYTES = 16;

const LABEL = new RegExp(`^[A-Za-z0-9._-]{1,${PUSH_TOKEN_LABEL_MAX_LENGTH}}$`);
const SENSOR_ID = new RegExp(`^[A-Za-z0-9._-]{1,${SENSOR_ID_MAX_LENGTH}}$`);
const NONCE = new RegExp(`^[0-9a-f]{${HANDSHAKE_NONCE_BYTES * 2}}$`);
const SIGNATURE = /^[0-9a-f]{64}$/;
const UNSIGNED = /^(?:0|[1-9]\d{0,15})$/;
const MAX_UNIX_SECONDS = 253_402_300_799;

/** What a handshake says about itself; every field is signed. */
export interface HandshakeMeta {
  label: string;
  /** When the request was signed, unix seconds (the same window as a batch). */
  timestamp: number;
  /** 32 lowercase hex characters, fresh per request: two handshakes never sign the same text. */
  nonce: string;
  sensorId: string;
}

export const handshakeMetaSchema = z.object({
  label: z.string().regex(LABEL, `must be 1-${PUSH_TOKEN_LABEL_MAX_LENGTH} of A-Za-z0-9._-`),
  timestamp: z.number().int().min(0).max(MAX_UNIX_SECONDS),
  nonce: z.string().regex(NONCE, `must be ${HANDSHAKE_NONCE_BYTES * 2} lowercase hex characters`),
  sensorId: z.string().regex(SENSOR_ID, `must be 1-${SENSOR_ID_MAX_LENGTH} of A-Za-z0-9._-`),
});

function checkHandshakeMeta(meta: HandshakeMeta): void {
  const result = handshakeMetaSchema.safeParse(meta);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new BatchFieldError(String(issue.path[0] ?? "meta"), issue.message);
  }
}

export function newHandshakeNonce(): string {
  return randomBytes(HANDSHAKE_NONCE_BYTES).toString("hex");
}

/** `<collectorUrl's path>/v1/handshake`, as batchUrl does for batches. */
export function handshakeUrl(collectorUrl: string): string {
  const url = new URL(collectorUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${HANDSHAKE_PATH}`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

export function handshakeCanonicalString(meta: HandshakeMeta): string {
  return [
    HANDSHAKE_SIGNATURE_VERSION,
    HANDSHAKE_METHOD,
    HANDSHAKE_PATH,
    meta.label,
    String(meta.timestamp),
    meta.nonce,
    meta.sensorId,
  ].join("\n");
}

/** Lowercase hex HMAC-SHA256(key, handshakeCanonicalString(meta)); `key` is deriveTokenKey(secret). */
export function signHandshake(key: Uint8Array, meta: HandshakeMeta): string {
  if (key.length !== TOKEN_KEY_BYTES) {
    throw new BatchFieldError("key", `must be the ${TOKEN_KEY_BYTES}-byte key from deriveTokenKey`);
  }
  checkHandshakeMeta(meta);
  return createHmac("sha256", key).update(handshakeCanonicalString(meta), "utf8").digest("hex");
}

/** Every header of a signed handshake (no body: `content-length: 0`). */
export function handshakeHeaders(meta: HandshakeMeta, signature: string): Record<string, string> {
  checkHandshakeMeta(meta);
  if (!SIGNATURE.test(signature))
    throw new BatchFieldError("signature", "must be 64 lowercase hex characters");
  return {
    [HEADER.label]: meta.label,
    [HEADER.timestamp]: String(meta.timestamp),
    [HANDSHAKE_NONCE_HEADER]: meta.nonce,
    [HEADER.sensor]: meta.sensorId,
    [HEADER.signature]: signature,
  };
}

function single(headers: Record<string, string | string[] | undefined>, name: string): string {
  const value = headers[name];
  if (Array.isArray(value)) throw new BatchHeaderError(name, "appears more than once");
  if (value === undefined || value === "") throw new BatchHeaderError(name, "is missing");
  return value;
}

function matching(
  headers: Record<string, string | string[] | undefined>,
  name: string,
  pattern: RegExp,
  rule: string,
): string {
  const value = single(headers, name);
  if (!pattern.test(value)) throw new BatchHeaderError(name, `is malformed: ${rule}`);
  return value;
}

/** Reads a handshake's headers (Node's IncomingHttpHeaders); BatchHeaderError names a bad one, never its value. */
export function parseHandshakeHeaders(headers: Record<string, string | string[] | undefined>): {
  meta: HandshakeMeta;
  signature: string;
} {
  const timestamp = Number(
    matching(headers, HEADER.timestamp, UNSIGNED, "must be a decimal number without sign or leading zeros"),
  );
  if (timestamp > MAX_UNIX_SECONDS) throw new BatchHeaderError(HEADER.timestamp, "is out of range");
  return {
    meta: {
      label: matching(headers, HEADER.label, LABEL, `1-${PUSH_TOKEN_LABEL_MAX_LENGTH} of A-Za-z0-9._-`),
      timestamp,
      nonce: matching(
        headers,
        HANDSHAKE_NONCE_HEADER,
        NONCE,
        `${HANDSHAKE_NONCE_BYTES * 2} lowercase hex characters`,
      ),
      sensorId: matching(headers, HEADER.sensor, SENSOR_ID, `1-${SENSOR_ID_MAX_LENGTH} of A-Za-z0-9._-`),
    },
    signature: matching(headers, HEADER.signature, SIGNATURE, "64 lowercase hex characters"),
  };
}

export type HandshakeVerdict =
  | { ok: true }
  | { ok: false; reason: "bad-signature" | "stale-timestamp"; message: string };

/** Signature first (constant time), then the timestamp window, as verifyBatch. */
export function verifyHandshake(input: {
  key: Uint8Array;
  meta: HandshakeMeta;
  signature: string;
  now: number;
}): HandshakeVerdict {
  const expected = Buffer.from(signHandshake(input.key, input.meta), "hex");
  const given = Buffer.from(input.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: "bad-signature", message: "signature does not match the label's key" };
  }
  if (Math.abs(input.now - input.meta.timestamp) > TIMESTAMP_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: "stale-timestamp",
      message: `timestamp is ${input.now - input.meta.timestamp} s from the collector's clock (window ±${TIMESTAMP_WINDOW_SECONDS} s)`,
    };
  }
  return { ok: true };
}
