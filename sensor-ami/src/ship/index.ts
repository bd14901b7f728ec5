// The Shipper: what the live sensor wires to send its logs to a collector. Log chunks go into the
// batcher (per log type, gzip), every batch into the disk spool before anything is sent, and the
// uploader sends the spool's batches with the push-token signature, removing each only once the
// collector has it. Problems are counted in status() (health, metrics) and told in single log lines,
// never with the token's secret or the proxy's password.

import { readFileSync } from "node:fs";
import { deriveTokenKey, parsePushToken, SENSOR_ID_MAX_LENGTH } from "../../../contracts/upload/index.js";
import type { LogChunk } from "../logs/json-lines.js";
import { type BatchDrop, Batcher } from "./batcher.js";
import { redactUrl, ShipConfigError } from "./errors.js";
import { sendHandshake } from "./handshake.js";
import { Spool, type SpoolEvent } from "./spool.js";
import { Transport } from "./transport.js";
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  type Connectivity,
  UPLOAD_CONCURRENCY,
  Uploader,
  type UploaderEvent,
} from "./uploader.js";

export { BATCH_MAX_AGE_MS, BATCH_MAX_BYTES } from "./batcher.js";
export { ShipConfigError, SpoolCorruptError, SpoolError, UploadError } from "./errors.js";
export { type HandshakeOutcome, sendHandshake } from "./handshake.js";
export { Transport } from "./transport.js";

/** Drops are told at most once per this interval (with the count since the last line); the counters are exact. */
export const DROP_LOG_INTERVAL_MS = 60_000;

export interface ShipperOptions {
  /** The spool directory (created if missing; `rejected/` and `corrupt/` inside it). */
  dir: string;
  /** `https://host[:port][/prefix]`; batches are POSTed to `<collectorUrl>/v1/batches`. */
  collectorUrl: string;
  /** `label:secret`. Only the label and a key derived from the secret are kept. */
  pushToken: string;
  /** `none` (any case) or `http(s)://[user:pass@]host:port`: HTTPS goes through a CONNECT tunnel. */
  proxy?: string | undefined;
  /** PEM file of a CA trusted besides Node's bundled roots. */
  caFile?: string | undefined;
  sensorId: string;
  /** Bound of the spool's files, in bytes. */
  spoolMaxBytes: number;
  /** One line per notable event (stderr in the CLI, as the daemon's own log). */
  log?: (line: string) => void;
  /** Events that belong in weird.log too (`spool_file_corrupt`): name and detail. */
  weird?: (name: string, addl: string) => void;
  /** Tuning (the defaults are the named constants of batcher.ts and uploader.ts; tests shorten them). */
  batchMaxBytes?: number;
  batchMaxAgeMs?: number;
  concurrency?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  retryAfterMaxMs?: number;
  /** A request with no progress for this long is abandoned and retried (default REQUEST_IDLE_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /**
   * Prove the push token to the collector at start (POST /v1/handshake), retried with backoff until
   * accepted: a new sensor has nothing to upload until mirrored traffic reaches it, so without this
   * nobody would know the token works. The live sensor turns it on; default off.
   */
  handshake?: boolean;
}

/** What health and metrics show of shipping. */
export interface ShipperStatus {
  collectorConnectivity: Connectivity;
  /** Milliseconds since the epoch of the latest accepted batch; null before the first. */
  lastUploadAt: number | null;
  lastError: string | null;
  spoolBacklogBytes: number;
  spoolBacklogBatches: number;
  spoolBacklogRecords: number;
  /** Batches given up on: the spool full (oldest dropped), or lost before reaching it (see droppedRecords). */
  dropped: number;
  droppedRecords: number;
  /** Batches the collector refused for good (moved to `rejected/`). */
  rejected: number;
  rejectedRecords: number;
  /** Spool files found torn or damaged (moved to `corrupt/`): the weird `spool_file_corrupt`. */
  corrupt: number;
  uploadedBatches: number;
  uploadedBytes: number;
  uploadedRecords: number;
  /** Upload attempts that failed and were retried (network, TLS, proxy, 5xx, 429…). */
  failedAttempts: number;
  /** JSON lines in memory, not yet in the spool. */
  pendingBytes: number;
  /** When the next upload attempt may start while backing off (ms since the epoch), else null. */
  retryAt: number | null;
  /** When the collector first accepted the handshake (ms since the epoch); null before, or when off. */
  lastHandshakeAt: number | null;
  /** Why the latest handshake failed (no secret in it); null once accepted, or before the first try. */
  handshakeError: string | null;
}

export interface CloseResult {
  /** Batches (and their records) left in the spool for the next start. */
  leftBatches: number;
  leftRecords: number;
}

const LOG_NAME_IN_LINE = "ship";

export class Shipper {
  private readonly spool: Spool;
  private readonly transport: Transport;
  private readonly uploader: Uploader;
  private readonly batcher: Batcher;
  private readonly log: (line: string) => void;
  private readonly weird: (name: string, addl: string) => void;
  private readonly lost = { batches: 0, records: 0 };
  private closing: Promise<CloseResult> | undefined;
  private handshakeAt: number | null = null;
  private handshakeError: string | null = null;
  private readonly handshakeStop = new AbortController();
  private handshaking: Promise<void> | undefined;
  /** Drops not yet told, per reason, and when that reason was last told. */
  private readonly drops = new Map<
    string,
    { batches: number; records: number; toldAt: number; detail: string }
  >();

  /**
   * Checks the options (ShipConfigError naming the field, never its value), opens the spool and scans
   * what a previous run left (SpoolError if the directory is unusable), and starts uploading.
   */
  constructor(options: ShipperOptions) {
    this.log = options.log ?? (() => {});
    this.weird = options.weird ?? (() => {});
    const collectorUrl = checkCollectorUrl(options.collectorUrl);
    const proxy = parseProxy(options.proxy);
    const ca = options.caFile === undefined ? undefined : readCa(options.caFile);
    if (!new RegExp(`^[A-Za-z0-9._-]{1,${SENSOR_ID_MAX_LENGTH}}$`).test(options.sensorId)) {
      throw new ShipConfigError("sensorId", `must be 1-${SENSOR_ID_MAX_LENGTH} of A-Za-z0-9._-`);
    }
    let token: { label: string; key: Buffer };
    try {
      const { label, secret } = parsePushToken(options.pushToken);
      token = { label, key: deriveTokenKey(secret) };
    } catch (error) {
      throw new ShipConfigError("pushToken", `is unusable: ${(error as Error).message}`, { cause: error });
    }
    if (!(options.spoolMaxBytes > 0))
      throw new ShipConfigError("spoolMaxBytes", "must be a positive number of bytes");

    this.spool = new Spool({
      dir: options.dir,
      maxBytes: options.spoolMaxBytes,
      onEvent: (e) => this.onSpool(e),
    });
    const concurrency = options.concurrency;
    this.transport = new Transport({
      proxy,
      ca,
      maxSockets: concurrency ?? UPLOAD_CONCURRENCY,
      idleTimeoutMs: options.requestTimeoutMs,
    });
    this.uploader = new Uploader({
      spool: this.spool,
      transport: this.transport,
      collectorUrl: collectorUrl.toString(),
      key: token.key,
      label: token.label,
      sensorId: options.sensorId,
      concurrency,
      backoffBaseMs: options.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs,
      retryAfterMaxMs: options.retryAfterMaxMs,
      onEvent: (e) => this.onUpload(e, collectorUrl.host),
    });
    this.batcher = new Batcher({
      onBatch: (batch) => this.spool.put(batch),
      onDrop: (drop) => this.onBatchDrop(drop),
      maxBytes: options.batchMaxBytes,
      maxAgeMs: options.batchMaxAgeMs,
    });
    const backlog = this.spool.status();
    const via = proxy === undefined ? "" : ` through proxy ${redactUrl(proxy)}`;
    this.log(
      `${LOG_NAME_IN_LINE}: uploading to ${collectorUrl.host}${via} as ${options.sensorId} (label ${token.label}); ` +
        `spool ${options.dir} holds ${backlog.backlogBatches} batches (${backlog.backlogBytes} bytes) from before`,
    );
    this.uploader.start();
    if (options.handshake === true) {
      this.handshaking = this.handshakeLoop(
        collectorUrl.toString(),
        token,
        options.sensorId,
        options.backoffBaseMs ?? BACKOFF_BASE_MS,
        options.backoffMaxMs ?? BACKOFF_MAX_MS,
      );
    }
  }

  /** Handshakes until the collector accepts one (or says it has no such endpoint), backing off between. */
  private async handshakeLoop(
    collectorUrl: string,
    token: { label: string; key: Buffer },
    sensorId: string,
    baseMs: number,
    maxMs: number,
  ): Promise<void> {
    const signal = this.handshakeStop.signal;
    let lastDetail = "";
    for (let failures = 0; !signal.aborted; failures++) {
      const outcome = await sendHandshake({
        transport: this.transport,
        collectorUrl,
        label: token.label,
        key: token.key,
        sensorId,
        signal,
      });
      if (signal.aborted) return;
      if (outcome.kind === "accepted") {
        this.handshakeAt = Date.now();
        this.handshakeError = null;
        this.log(`${LOG_NAME_IN_LINE}: the collector accepted the push token (label ${token.label})`);
        return;
      }
      this.handshakeError = outcome.detail;
      if (outcome.kind === "unsupported") {
        this.log(`warning: ${LOG_NAME_IN_LINE}: ${outcome.detail}`);
        return;
      }
      // The same failure is told once, not at every retry.
      if (outcome.detail !== lastDetail)
        this.log(`warning: ${LOG_NAME_IN_LINE}: ${outcome.detail} (retrying with backoff)`);
      lastDetail = outcome.detail;
      const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 30));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.random() * ceiling);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Takes whole JSON lines of logs (JsonLinesSink's chunks). Never throws or waits. */
  accept(chunks: readonly LogChunk[]): void {
    if (this.closing !== undefined) {
      for (const c of chunks) this.countLost(1, c.records);
      return;
    }
    this.batcher.accept(chunks);
  }

  status(): ShipperStatus {
    const spool = this.spool.status();
    const upload = this.uploader.status();
    return {
      collectorConnectivity: upload.collectorConnectivity,
      lastUploadAt: upload.lastUploadAt,
      lastError: upload.lastError,
      spoolBacklogBytes: spool.backlogBytes,
      spoolBacklogBatches: spool.backlogBatches,
      spoolBacklogRecords: spool.backlogRecords,
      dropped: spool.droppedBatches + this.lost.batches,
      droppedRecords: spool.droppedRecords + this.lost.records,
      rejected: spool.rejectedBatches,
      rejectedRecords: spool.rejectedRecords,
      corrupt: spool.corruptFiles,
      uploadedBatches: upload.uploadedBatches,
      uploadedBytes: upload.uploadedBytes,
      uploadedRecords: upload.uploadedRecords,
      failedAttempts: upload.failedAttempts,
      pendingBytes: this.batcher.pendingBytes,
      retryAt: upload.retryAt,
      lastHandshakeAt: this.handshakeAt,
      handshakeError: this.handshakeError,
    };
  }

  /**
   * Cuts every open batch and writes it to the spool (always, however short `flushWithinMs`), then keeps
   * uploading until the spool is empty or `flushWithinMs` has passed, then stops: requests still running
   * are aborted and their batches, like every other unsent one, wait in the spool for the next start.
   */
  close(options: { flushWithinMs?: number } = {}): Promise<CloseResult> {
    this.closing ??= this.shutdown(options.flushWithinMs ?? 0);
    return this.closing;
  }

  private async shutdown(flushWithinMs: number): Promise<CloseResult> {
    const deadline = Date.now() + flushWithinMs;
    this.handshakeStop.abort();
    await this.handshaking;
    await this.batcher.close();
    if (flushWithinMs > 0) await this.uploader.drained(deadline);
    await this.uploader.stop();
    this.transport.close();
    for (const reason of this.drops.keys()) this.tellDrops(reason, true);
    // The caller tells what is left (CloseResult), in its own stop summary.
    const left = this.spool.status();
    return { leftBatches: left.backlogBatches, leftRecords: left.backlogRecords };
  }

  private onSpool(event: SpoolEvent): void {
    switch (event.type) {
      case "dropped":
        this.noteDrop(
          event.reason,
          event.records,
          event.reason === "spool-full"
            ? "the oldest, to make room in the full spool: the collector is not taking batches fast enough"
            : `larger than the whole spool (${event.bytes} bytes)`,
        );
        return;
      case "corrupt":
        this.log(
          `warning: ${LOG_NAME_IN_LINE}: spool_file_corrupt: ${event.error.message}; moved aside, not sent`,
        );
        this.weird("spool_file_corrupt", `${event.error.message}; moved to corrupt/, not sent`);
        return;
      case "rejected":
        this.log(
          `warning: ${LOG_NAME_IN_LINE}: batch ${event.id} (${event.log}, ${event.records} records) refused for good` +
            `${event.status > 0 ? ` (${event.status})` : ""}: ${event.detail}; moved to rejected/`,
        );
        return;
      case "temp-removed":
        this.log(
          `${LOG_NAME_IN_LINE}: removed ${event.file}, a batch the previous run had not finished writing`,
        );
        return;
      case "error":
        this.log(`warning: ${LOG_NAME_IN_LINE}: ${event.error.message}`);
        return;
    }
  }

  private onBatchDrop(drop: BatchDrop): void {
    this.countLost(1, drop.records);
    const detail = `${drop.log} records never reached the spool${drop.error === undefined ? "" : `: ${drop.error.message}`}`;
    this.noteDrop(drop.reason, drop.records, detail);
  }

  private countLost(batches: number, records: number): void {
    this.lost.batches += batches;
    this.lost.records += records;
  }

  /**
   * Drops are counted exactly in status(); the log gets a line for the first of a reason at once, then
   * at most one per DROP_LOG_INTERVAL_MS with the count since (a full spool or a dead disk would
   * otherwise write a line per batch).
   */
  private noteDrop(reason: string, records: number, detail: string): void {
    const d = this.drops.get(reason) ?? { batches: 0, records: 0, toldAt: Number.NEGATIVE_INFINITY, detail };
    d.batches++;
    d.records += records;
    d.detail = detail;
    this.drops.set(reason, d);
    this.tellDrops(reason, false);
  }

  private tellDrops(reason: string, force: boolean): void {
    const d = this.drops.get(reason);
    if (d === undefined || d.batches === 0) return;
    if (!force && Date.now() - d.toldAt < DROP_LOG_INTERVAL_MS) return;
    this.log(
      `warning: ${LOG_NAME_IN_LINE}: dropped ${d.batches} batches (${d.records} records), ${reason}: ${d.detail}`,
    );
    d.batches = 0;
    d.records = 0;
    d.toldAt = Date.now();
  }

  private onUpload(event: UploaderEvent, host: string): void {
    if (event.type !== "connectivity") return;
    if (event.connectivity === "ok") this.log(`${LOG_NAME_IN_LINE}: uploads to ${host} succeed`);
    else if (event.why === "retry" && event.error !== null) {
      this.log(
        `warning: ${LOG_NAME_IN_LINE}: ${event.error} (retrying with backoff; the batches wait in the spool)`,
      );
    }
  }
}

function checkCollectorUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new ShipConfigError("collectorUrl", "is not an absolute URL", { cause: error });
  }
  if (url.protocol !== "https:") throw new ShipConfigError("collectorUrl", "must be https://");
  if (url.username !== "" || url.password !== "") {
    throw new ShipConfigError("collectorUrl", "must not contain credentials (the push token authenticates)");
  }
  return url;
}

function parseProxy(value: string | undefined): URL | undefined {
  if (value === undefined || value.trim().toLowerCase() === "none") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a password: neither the message nor a cause (URL errors keep their input) carries it.
    throw new ShipConfigError("proxy", 'is neither "none" nor an absolute URL');
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ShipConfigError("proxy", "must be http://[user:pass@]host:port or https://…");
  }
  return url;
}

function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new ShipConfigError("caFile", `cannot be read (${file}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ShipConfigError("caFile", `holds no PEM certificate (${file})`);
  }
  return pem;
}
