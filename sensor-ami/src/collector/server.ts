// The collector's HTTPS endpoint: POST /v1/batches, verified with contracts/upload, stored once. A refused
// request gets a generic answer; the reason goes to the collector's own log (JSON lines), never to the
// client, which could otherwise probe which labels exist or how far off its clock is.

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import {
  BatchHeaderError,
  type BatchMeta,
  bodySha256,
  HANDSHAKE_METHOD,
  HANDSHAKE_PATH,
  MAX_BATCH_BODY_BYTES,
  parseBatchHeaders,
  parseHandshakeHeaders,
  type RejectReason,
  storageKey,
  UPLOAD_METHOD,
  UPLOAD_PATH,
  verifyBatch,
  verifyHandshake,
} from "../../../contracts/upload/index.js";
import { BodyTooLargeError, checkJsonLines, readBody } from "./body.js";
import { DUPLICATE_LOG, DUPLICATE_SOURCE_LOG, markerBatch } from "./conn-dup.js";
import { type ConnView, connView, type DuplicateIndex } from "./duplicates.js";
import { BatchBodyError, SinkWriteError } from "./errors.js";
import type { BatchLedger } from "./ledger.js";
import type { BatchSink } from "./sinks.js";
import type { TokenStore } from "./tokens.js";

/** Answers 200 while the collector runs: for load balancers and the sensor's connectivity check. */
export const HEALTH_PATH = "/v1/health";

export interface CollectorLimits {
  /** Compressed body limit (413 beyond). */
  maxBodyBytes: number;
  /** Bodies held in memory at once, all requests together; beyond it a request is a 503 with Retry-After. */
  maxInflightBodyBytes: number;
  /** Open sockets at once; the kernel queues, then refuses, the rest. */
  maxConnections: number;
  /** A client must send its headers within this. */
  headersTimeoutMs: number;
  /** A client must send its whole request within this: a slow-drip body is cut off. */
  requestTimeoutMs: number;
  /** An idle keep-alive socket is closed after this. */
  keepAliveTimeoutMs: number;
  /** After an early refusal the client may still be sending; it gets this long to read the answer. */
  drainGraceMs: number;
}

export const DEFAULT_LIMITS: CollectorLimits = {
  maxBodyBytes: MAX_BATCH_BODY_BYTES,
  maxInflightBodyBytes: 16 * MAX_BATCH_BODY_BYTES,
  maxConnections: 256,
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  drainGraceMs: 2_000,
};
/** The longest Node waits before it notices a request or headers timeout. */
const CHECK_INTERVAL_MS = 1_000;
/** Seconds a 503 asks the client to wait (the sensor honours Retry-After). */
const RETRY_AFTER_SECONDS = 5;

export type CollectorLogEntry = Record<string, unknown> & { event: string };
export type CollectorLog = (entry: CollectorLogEntry) => void;

export interface CollectorServerOptions {
  tls: { cert: string; key: string };
  tokens: TokenStore;
  sink: BatchSink;
  ledger: BatchLedger;
  /** Conn records of recent batches, to mark a connection another sensor logged too; absent: no marking. */
  duplicates?: DuplicateIndex;
  log: CollectorLog;
  /** Unix seconds; the tests move it. */
  now?: () => number;
  limits?: Partial<CollectorLimits>;
}

const GENERIC: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  404: "not found",
  405: "method not allowed",
  411: "length required",
  413: "payload too large",
  503: "unavailable",
};

interface Outcome {
  status: number;
  reason?: RejectReason;
  detail?: string;
  duplicate?: boolean;
  key?: string;
  /** Records of the batch marked as duplicates of another sensor's, and where their markers went. */
  marked?: { records: number; key: string };
}

export function createCollectorServer(options: CollectorServerOptions): Server {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  let inflight = 0;

  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      // A TLS handshake that never finishes holds a socket like slow headers do.
      handshakeTimeout: limits.headersTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (30 s by default), so it bounds how late they bite.
      connectionsCheckingInterval: Math.min(CHECK_INTERVAL_MS, limits.headersTimeoutMs / 2),
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        options.log({
          event: "request-failed",
          level: "error",
          error: String(error),
          remote: req.socket.remoteAddress,
        });
        if (!res.headersSent) answer(req, res, { status: 503 }, false);
        else res.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;

  function answer(req: IncomingMessage, res: ServerResponse, outcome: Outcome, bodyRead: boolean): void {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (outcome.status === 503) headers["retry-after"] = String(RETRY_AFTER_SECONDS);
    if (outcome.status === 405) headers.allow = UPLOAD_METHOD;
    if (!bodyRead) {
      // The client may still be sending: let it finish into the void for a moment so it reads this answer
      // (closing on unread data would reset the connection under it), then close.
      headers.connection = "close";
      req.resume();
      res.once("finish", () => setTimeout(() => req.socket.destroy(), limits.drainGraceMs).unref());
    }
    const body =
      outcome.status === 200
        ? outcome.duplicate === undefined
          ? { ok: true }
          : { ok: true, duplicate: outcome.duplicate }
        : { error: GENERIC[outcome.status] ?? "error" };
    res.writeHead(outcome.status, headers).end(`${JSON.stringify(body)}\n`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "").split("?")[0];
    if (path === HEALTH_PATH && req.method === "GET") return answer(req, res, { status: 200 }, true);
    if (path === HANDSHAKE_PATH) return handshake(req, res);
    if (path !== UPLOAD_PATH) return answer(req, res, { status: 404 }, false);
    if (req.method !== UPLOAD_METHOD) return answer(req, res, { status: 405 }, false);

    const started = Date.now();
    let meta: BatchMeta | undefined;
    const finish = (outcome: Outcome, bodyRead: boolean, bytes?: number) => {
      options.log({
        event:
          outcome.status === 200
            ? outcome.duplicate
              ? "batch-duplicate"
              : "batch-stored"
            : "batch-rejected",
        level: outcome.status === 200 ? "info" : "warn",
        status: outcome.status,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        remote: req.socket.remoteAddress,
        ...(meta
          ? {
              label: meta.label,
              sensor: meta.sensorId,
              batch: meta.batchId,
              log: meta.log,
              records: meta.records,
            }
          : {}),
        ...(bytes !== undefined ? { bytes } : {}),
        ...(outcome.key ? { key: outcome.key } : {}),
        ...(outcome.marked ? { conn_dup: outcome.marked.records, conn_dup_key: outcome.marked.key } : {}),
        ms: Date.now() - started,
      });
      answer(req, res, outcome, bodyRead);
    };

    let signature: string;
    try {
      ({ meta, signature } = parseBatchHeaders(req.headers));
    } catch (error) {
      if (!(error instanceof BatchHeaderError)) throw error;
      return finish({ status: 400, reason: error.reason, detail: error.message }, false);
    }
    if (meta.log === DUPLICATE_LOG) {
      // The collector writes these itself; a sensor's would sit beside them and could hide others' records.
      return finish(
        { status: 400, reason: "malformed-header", detail: `log ${DUPLICATE_LOG} is reserved` },
        false,
      );
    }
    const lengthHeader = req.headers["content-length"];
    if (lengthHeader === undefined || !/^\d{1,12}$/.test(lengthHeader)) {
      // A length known up front lets the collector refuse an oversize body and budget memory before reading.
      return finish({ status: 411, reason: "length-required" }, false);
    }
    const length = Number(lengthHeader);
    if (length > limits.maxBodyBytes) {
      return finish(
        { status: 413, reason: "body-too-large", detail: `${length} > ${limits.maxBodyBytes} bytes` },
        false,
      );
    }
    const token = options.tokens.lookup(meta.label);
    if (token.state !== "active") {
      return finish(
        { status: 401, reason: token.state === "unknown" ? "unknown-label" : "revoked-label" },
        false,
      );
    }
    if (inflight + length > limits.maxInflightBodyBytes) {
      return finish({ status: 503, reason: "busy", detail: `${inflight} body bytes in flight` }, false);
    }
    inflight += length;
    try {
      let body: Buffer;
      try {
        body = await readBody(req, length, limits.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError)
          return finish({ status: 413, reason: "body-too-large" }, false);
        if (error instanceof BatchBodyError) {
          options.log({
            event: "batch-aborted",
            level: "warn",
            detail: error.message,
            remote: req.socket.remoteAddress,
          });
          return;
        }
        throw error;
      }
      const verdict = verifyBatch({ key: token.key, meta, signature, body, now: now() });
      if (!verdict.ok)
        return finish({ status: 401, reason: verdict.reason, detail: verdict.message }, true, length);
      const batch = meta;
      const outcome = await options.ledger.exclusive(batch.batchId, () => store(batch, body));
      finish(outcome, true, length);
    } finally {
      inflight -= length;
    }
  }

  /**
   * POST /v1/handshake (contracts/upload/handshake.ts): a signed request without a body, answered 200
   * when the label is active and the signature and timestamp check out, 401 otherwise (the reason in
   * the log only, as for batches). Nothing is stored.
   */
  function handshake(req: IncomingMessage, res: ServerResponse): void {
    // 405's allow header names UPLOAD_METHOD, which is the handshake's method too (POST).
    if (req.method !== HANDSHAKE_METHOD) {
      answer(req, res, { status: 405 }, false);
      return;
    }
    const done = (outcome: Outcome, label?: string, sensor?: string) => {
      options.log({
        event: outcome.status === 200 ? "handshake" : "handshake-rejected",
        level: outcome.status === 200 ? "info" : "warn",
        status: outcome.status,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        remote: req.socket.remoteAddress,
        ...(label ? { label } : {}),
        ...(sensor ? { sensor } : {}),
      });
      // A handshake has no body; anything sent is not read (the answer closes the connection).
      answer(req, res, outcome, req.headers["content-length"] === "0");
    };
    let parsed: ReturnType<typeof parseHandshakeHeaders>;
    try {
      parsed = parseHandshakeHeaders(req.headers);
    } catch (error) {
      if (!(error instanceof BatchHeaderError)) throw error;
      done({ status: 400, reason: error.reason, detail: error.message });
      return;
    }
    const { meta, signature } = parsed;
    const token = options.tokens.lookup(meta.label);
    if (token.state !== "active") {
      const reason = token.state === "unknown" ? "unknown-label" : "revoked-label";
      done({ status: 401, reason }, meta.label, meta.sensorId);
      return;
    }
    const verdict = verifyHandshake({ key: token.key, meta, signature, now: now() });
    if (verdict.ok) done({ status: 200 }, meta.label, meta.sensorId);
    else done({ status: 401, reason: verdict.reason, detail: verdict.message }, meta.label, meta.sensorId);
  }

  async function store(meta: BatchMeta, body: Buffer): Promise<Outcome> {
    const sha256 = bodySha256(body);
    const seen = await options.ledger.get(meta.batchId);
    if (seen) {
      return seen.sha256 === sha256
        ? { status: 200, duplicate: true, key: seen.key }
        : { status: 401, reason: "batch-replayed-with-different-body", key: seen.key };
    }
    const index = meta.log === DUPLICATE_SOURCE_LOG ? options.duplicates : undefined;
    const views: ConnView[] = [];
    try {
      await checkJsonLines(
        body,
        meta.records,
        index &&
          ((record) => {
            const view = connView(record);
            if (view) views.push(view);
          }),
      );
    } catch (error) {
      if (!(error instanceof BatchBodyError)) throw error;
      return { status: 400, reason: "malformed-body", detail: error.message };
    }
    const key = storageKey({ log: meta.log, ts: meta.created, sensor: meta.sensorId, batch: meta.batchId });
    // Matched and admitted before the first await, so batches stored at the same time see each other in order.
    const admission = index?.admit(meta.sensorId, views);
    const marker = admission && markerBatch(meta, admission.duplicates);
    try {
      await options.sink.put(key, body);
      // Before the ledger marker: a failure here is a retry of the whole batch, which rewrites both keys.
      if (marker) await options.sink.put(marker.key, marker.body);
      await options.ledger.record(meta.batchId, { sha256, key, storedAt: new Date().toISOString() });
    } catch (error) {
      // Not stored: its records must not make another sensor's copy look like a duplicate of nothing.
      admission?.revert();
      if (!(error instanceof SinkWriteError) && !(error as NodeJS.ErrnoException).code) throw error;
      // Not stored (or not recorded): the sensor keeps the batch and retries; a retry rewrites the same key.
      return {
        status: 503,
        reason: "sink-failed",
        detail: `${(error as Error).message}: ${String((error as Error).cause ?? "")}`,
      };
    }
    return {
      status: 200,
      duplicate: false,
      key,
      ...(marker ? { marked: { records: marker.records, key: marker.key } } : {}),
    };
  }

  return server;
}
