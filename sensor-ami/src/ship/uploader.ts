// Sends the spool's batches to the collector, oldest first, UPLOAD_CONCURRENCY at a time, each signed
// with the push token's derived key (contracts/upload) and a fresh timestamp, with the batch's own ID,
// `created` time and body on every attempt, so a retry or a resend after a restart is recognised by
// the collector as the same batch and stored once.
//
// What an answer means for the batch:
// - 2xx: the collector has it; its spool file is removed.
// - 400, 401, 413: this request will not succeed by repeating it; the batch is moved to `rejected/`,
//   counted and logged with the status (the collector keeps the reason in its own log).
// - 429, 503 with `Retry-After`: nothing is sent until then (capped at RETRY_AFTER_MAX_MS).
// - anything else, and no answer at all: exponential backoff with full jitter (AWS's "Exponential
//   Backoff and Jitter": a random delay in [0, min(cap, base·2^n)]), so that sensors cut off together do
//   not come back in step. The pause is shared: the collector is down for every batch alike.

import { type BatchMeta, batchHeaders, batchUrl, signBatch } from "../../../contracts/upload/index.js";
import { UploadError } from "./errors.js";
import type { Spool, SpoolEntry } from "./spool.js";
import type { PostResult, Transport } from "./transport.js";

/** Requests in flight: two keep the link busy while one waits for its answer, and stay kind to a collector. */
export const UPLOAD_CONCURRENCY = 2;
/** Backoff after the first failure (the ceiling of its random delay); doubles per failure. */
export const BACKOFF_BASE_MS = 1_000;
/** The longest backoff ceiling: a collector back from an outage is found within a minute. */
export const BACKOFF_MAX_MS = 60_000;
/** A `Retry-After` longer than this is cut to it: a bad header must not silence a sensor for days. */
export const RETRY_AFTER_MAX_MS = 10 * 60_000;
/** The answers that will not change by sending the same batch again. */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 401, 413]);
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

export type Connectivity = "ok" | "failing" | "unknown";

export interface UploaderStatus {
  collectorConnectivity: Connectivity;
  /** Milliseconds since the epoch of the latest 2xx, null before the first. */
  lastUploadAt: number | null;
  /** The latest failure, null after a success. Never contains the secret. */
  lastError: string | null;
  uploadedBatches: number;
  /** Compressed bytes sent in accepted batches (the bytes on the wire, less HTTP and TLS). */
  uploadedBytes: number;
  uploadedRecords: number;
  /** Attempts that failed and will be retried. */
  failedAttempts: number;
  /** When the next attempt may start, milliseconds since the epoch; null when not backing off. */
  retryAt: number | null;
}

export type UploaderEvent =
  /** `why` "rejected": the spool's own event already told the batch's refusal. */
  | {
      type: "connectivity";
      connectivity: Connectivity;
      error: string | null;
      why: "uploaded" | "rejected" | "retry";
    }
  | { type: "uploaded"; id: string; log: string; records: number; bytes: number };

export interface UploaderOptions {
  spool: Spool;
  transport: Transport;
  collectorUrl: string;
  /** deriveTokenKey(secret): the only form of the secret the uploader holds. */
  key: Buffer;
  label: string;
  sensorId: string;
  concurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  retryAfterMaxMs?: number;
  onEvent?: (event: UploaderEvent) => void;
  now?: () => number;
  random?: () => number;
}

type Outcome =
  | { kind: "accepted" }
  | { kind: "rejected"; status: number; detail: string }
  | { kind: "retry"; error: string; retryAfterMs?: number };

export class Uploader {
  private readonly url: URL;
  private readonly stopping = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private failures = 0;
  private pausedUntil = 0;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly state: UploaderStatus = {
    collectorConnectivity: "unknown",
    lastUploadAt: null,
    lastError: null,
    uploadedBatches: 0,
    uploadedBytes: 0,
    uploadedRecords: 0,
    failedAttempts: 0,
    retryAt: null,
  };

  constructor(private readonly o: UploaderOptions) {
    this.url = new URL(batchUrl(o.collectorUrl));
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  start(): void {
    for (let i = 0; i < (this.o.concurrency ?? UPLOAD_CONCURRENCY); i++) this.loops.push(this.loop());
  }

  status(): UploaderStatus {
    return { ...this.state, retryAt: this.pausedUntil > this.now() ? this.pausedUntil : null };
  }

  /**
   * Resolves when the spool holds nothing (every batch uploaded or rejected), or at `deadline`
   * (milliseconds since the epoch), whichever comes first; true when the spool is empty.
   */
  async drained(deadline: number): Promise<boolean> {
    while (
      this.o.spool.status().backlogBatches > 0 &&
      this.now() < deadline &&
      !this.stopping.signal.aborted
    ) {
      await sleep(Math.min(50, deadline - this.now()), this.stopping.signal);
    }
    return this.o.spool.status().backlogBatches === 0;
  }

  /** Stops: requests in flight are aborted (their batches stay spooled), the loops end. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await this.waitOutPause(signal);
      if (signal.aborted) break;
      const entry = this.o.spool.take();
      if (entry === undefined) {
        await this.o.spool.whenReady(signal);
        continue;
      }
      try {
        if (!(await this.attempt(entry, signal))) break;
      } catch (error) {
        // Nothing above is meant to throw; if something does, the loop must not die with it (uploads
        // would stop for good): the batch waits in the spool and the failure counts as a retry.
        await this.settle(entry, 0, {
          kind: "retry",
          error: `upload failed unexpectedly: ${(error as Error).message}`,
        });
      }
    }
  }

  /** One batch: read, send, settle. False when stop() cut it off (the batch stays spooled). */
  private async attempt(entry: SpoolEntry, signal: AbortSignal): Promise<boolean> {
    const body = await this.o.spool.read(entry);
    if (body === undefined) return true; // damaged: moved aside and reported by the spool
    if (signal.aborted) {
      this.o.spool.release(entry);
      return false;
    }
    const outcome = await this.send(entry, body, signal);
    if (signal.aborted && outcome.kind === "retry") {
      // Cut off by stop(): not the collector's failure; the batch stays for the next start.
      this.o.spool.release(entry);
      return false;
    }
    await this.settle(entry, body.length, outcome);
    return true;
  }

  private async send(entry: SpoolEntry, body: Buffer, signal: AbortSignal): Promise<Outcome> {
    const meta: BatchMeta = {
      label: this.o.label,
      timestamp: Math.floor(this.now() / 1000),
      created: Math.floor(entry.createdAt / 1000),
      batchId: entry.id,
      sensorId: this.o.sensorId,
      log: entry.log,
      records: entry.records,
    };
    let headers: Record<string, string>;
    try {
      headers = batchHeaders(meta, signBatch(this.o.key, meta, body));
    } catch (error) {
      // A field the envelope refuses (a spool file from an older version?): it would never be accepted.
      return { kind: "rejected", status: 0, detail: (error as Error).message };
    }
    let result: PostResult;
    try {
      result = await this.o.transport.post(this.url, headers, body, signal);
    } catch (error) {
      const message =
        error instanceof UploadError ? error.message : `upload failed: ${(error as Error).message}`;
      return { kind: "retry", error: message };
    }
    const { status } = result;
    if (status >= 200 && status < 300) return { kind: "accepted" };
    const answer = `${this.url.host} answered ${status}${summary(result.body)}`;
    if (PERMANENT_STATUSES.has(status)) return { kind: "rejected", status, detail: answer };
    const retryAfterMs = RETRY_AFTER_STATUSES.has(status)
      ? parseRetryAfter(result.headers["retry-after"], this.now())
      : undefined;
    return retryAfterMs === undefined
      ? { kind: "retry", error: answer }
      : {
          kind: "retry",
          error: answer,
          retryAfterMs: Math.min(retryAfterMs, this.o.retryAfterMaxMs ?? RETRY_AFTER_MAX_MS),
        };
  }

  private async settle(entry: SpoolEntry, bytes: number, outcome: Outcome): Promise<void> {
    switch (outcome.kind) {
      case "accepted":
        // Counted before the file is gone, so that an empty spool never shows with the count behind.
        this.failures = 0;
        this.state.uploadedBatches++;
        this.state.uploadedBytes += bytes;
        this.state.uploadedRecords += entry.records;
        this.state.lastUploadAt = this.now();
        this.o.onEvent?.({ type: "uploaded", id: entry.id, log: entry.log, records: entry.records, bytes });
        this.setConnectivity("ok", null, "uploaded");
        await this.o.spool.ack(entry);
        return;
      case "rejected":
        await this.o.spool.reject(entry, outcome.status, outcome.detail);
        // The collector is reachable, but what it refuses is data not stored: health should say so.
        this.setConnectivity(
          "failing",
          `batch ${entry.id} (${entry.log}) rejected: ${outcome.detail}`,
          "rejected",
        );
        return;
      case "retry": {
        this.failures++;
        this.state.failedAttempts++;
        const ceiling = Math.min(
          this.o.backoffMaxMs ?? BACKOFF_MAX_MS,
          (this.o.backoffBaseMs ?? BACKOFF_BASE_MS) * 2 ** Math.min(this.failures - 1, 30),
        );
        const delay = outcome.retryAfterMs ?? this.random() * ceiling;
        this.pausedUntil = Math.max(this.pausedUntil, this.now() + delay);
        this.o.spool.release(entry);
        this.setConnectivity("failing", outcome.error, "retry");
        return;
      }
    }
  }

  private setConnectivity(
    connectivity: Connectivity,
    error: string | null,
    why: "uploaded" | "rejected" | "retry",
  ): void {
    const changed = connectivity !== this.state.collectorConnectivity || error !== this.state.lastError;
    this.state.collectorConnectivity = connectivity;
    this.state.lastError = error;
    if (changed) this.o.onEvent?.({ type: "connectivity", connectivity, error, why });
  }

  /** Sleeps until the shared pause is over (or stop). */
  private async waitOutPause(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && this.now() < this.pausedUntil)
      await sleep(this.pausedUntil - this.now(), signal);
  }
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // IMF-fixdate and RFC 850 dates end in "GMT" (asctime dates, which do not, are not taken): this
  // keeps Date.parse from reading "-5" or "soon" as some date.
  if (!text.endsWith("GMT")) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** ": <first line of the answer>" for the log, when there is one (printable ASCII, short). */
function summary(body: string): string {
  const line = body
    .split("\n")[0]!
    .replace(/[^\x20-\x7e]/g, "?")
    .trim()
    .slice(0, 120);
  return line === "" ? "" : `: ${line}`;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}
