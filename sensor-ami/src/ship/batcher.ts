// Cuts the live sensor's log chunks into upload batches: one batch per log type, closed when it holds
// BATCH_MAX_BYTES of JSON lines or has been open BATCH_MAX_AGE_MS, whichever comes first, then gzipped
// (zlib on libuv's thread pool, so the event loop that receives packets never waits for it) and handed
// to `onBatch` (the spool) one at a time, in the order they were cut.
//
// A batch gets its random ID when it is cut, before it is compressed or stored: that ID is the
// collector's idempotency key, written into the spool file and sent unchanged by every retry, also
// after a restart.
//
// Memory is bounded: batches cut but not yet compressed and stored wait in a queue of at most
// COMPRESS_QUEUE_MAX_BYTES; when the disk is slower than the logs, the oldest waiting batch is
// dropped and counted (the same rule as the spool's).

import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { LOG_NAME_MAX_LENGTH, MAX_BATCH_RECORDS, newBatchId } from "../../../contracts/upload/index.js";
import type { LogChunk } from "../logs/json-lines.js";

/** JSON lines per batch before it is closed (uncompressed): gzip makes ~0.4 MiB of it, one quick POST. */
export const BATCH_MAX_BYTES = 4 * 1024 * 1024;
/** How long a batch stays open: the delay a quiet log's records see before they leave the sensor. */
export const BATCH_MAX_AGE_MS = 10_000;
/** Uncompressed batches waiting for gzip and the spool; beyond it the oldest is dropped. */
export const COMPRESS_QUEUE_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Measured on 4 MiB of synthetic conn.log JSON (random addresses, UIDs, counts: harder to compress than
 * real logs), best of 7 on a loaded 2-core machine: level 6 (zlib's default) 73 MB/s for 4.79x, level 5
 * 108 MB/s for 4.72x, level 3 141 MB/s for 4.37x. Level 5 gives up 1.5 % of the ratio for 1.5x the speed:
 * at level 6 this machine could not keep up with 30 MB/s of logs (the compress queue overflowed).
 */
export const GZIP_LEVEL = 5;

const gzip = promisify(gzipCallback);
// The envelope's rule for a log type (contracts/upload): checked when a chunk arrives, so a log the
// collector would refuse is reported once instead of failing every upload of it.
const LOG_NAME = new RegExp(`^[a-z0-9_]{1,${LOG_NAME_MAX_LENGTH}}$`);

/** One upload batch: gzip of whole JSON lines of one log. */
export interface Batch {
  /** 32 lowercase hex characters: the idempotency key. */
  id: string;
  log: string;
  records: number;
  /** When the batch was cut, milliseconds since the epoch (the envelope's `created`, in seconds). */
  createdAt: number;
  /** Bytes of JSON lines before compression. */
  rawBytes: number;
  /** The gzip body, exactly as it is stored and sent. */
  body: Buffer;
}

/** Records the batcher could not keep, and why. */
export interface BatchDrop {
  log: string;
  records: number;
  bytes: number;
  reason: "compress-queue-full" | "compress-failed" | "bad-log-name" | "store-failed";
  error?: Error;
}

export interface BatcherOptions {
  /** Stores a finished batch (the spool). Awaited: one batch at a time, in the order they were cut. */
  onBatch: (batch: Batch) => Promise<void>;
  /** Records given up on, with the reason: the caller counts and logs them. */
  onDrop?: (drop: BatchDrop) => void;
  maxBytes?: number;
  maxAgeMs?: number;
  maxQueueBytes?: number;
  gzipLevel?: number;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
}

interface OpenBatch {
  log: string;
  /** Each chunk encoded as it arrives, so cutting a batch costs a copy, not a 4 MiB encode on the packet path. */
  parts: Buffer[];
  bytes: number;
  records: number;
  timer: NodeJS.Timeout | undefined;
}

interface CutBatch {
  id: string;
  log: string;
  parts: Buffer[];
  bytes: number;
  records: number;
  createdAt: number;
}

export class Batcher {
  private readonly open = new Map<string, OpenBatch>();
  private readonly queue: CutBatch[] = [];
  private queueBytes = 0;
  private openBytes = 0;
  /** The running compress-and-store loop, if any. */
  private draining: Promise<void> | undefined;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly maxQueueBytes: number;
  private readonly gzipLevel: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: BatcherOptions) {
    this.maxBytes = options.maxBytes ?? BATCH_MAX_BYTES;
    this.maxAgeMs = options.maxAgeMs ?? BATCH_MAX_AGE_MS;
    this.maxQueueBytes = options.maxQueueBytes ?? COMPRESS_QUEUE_MAX_BYTES;
    this.gzipLevel = options.gzipLevel ?? GZIP_LEVEL;
    this.now = options.now ?? Date.now;
    if (!(this.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${this.maxBytes}`);
    if (!(this.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be positive, not ${this.maxAgeMs}`);
  }

  /** Takes whole lines of logs. Never throws and never waits: the packet path calls it. */
  accept(chunks: readonly LogChunk[]): void {
    for (const chunk of chunks) {
      if (chunk.records <= 0 || chunk.text.length === 0) continue;
      if (!LOG_NAME.test(chunk.path)) {
        this.drop({
          log: chunk.path,
          records: chunk.records,
          bytes: chunk.text.length,
          reason: "bad-log-name",
        });
        continue;
      }
      const data = Buffer.from(chunk.text, "utf8");
      if (data.length > this.maxBytes) {
        // A chunk bigger than a batch (a large drain) is cut at line ends; a single line longer than a
        // batch travels alone rather than being split inside a record.
        for (const piece of splitLines(chunk.text, this.maxBytes)) {
          this.append(chunk.path, { data: Buffer.from(piece.text, "utf8"), records: piece.records });
        }
      } else {
        this.append(chunk.path, { data, records: chunk.records });
      }
    }
  }

  /** Cuts every open batch and resolves once all of them are compressed and stored. */
  async flush(): Promise<void> {
    for (const batch of [...this.open.values()]) this.cut(batch);
    while (this.draining !== undefined) await this.draining;
  }

  /** flush(), then no more timers; later chunks are still taken but only a flush() cuts them. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Bytes of JSON lines held in memory: open batches and those waiting to be compressed and stored. */
  get pendingBytes(): number {
    return this.openBytes + this.queueBytes;
  }

  private append(log: string, piece: { data: Buffer; records: number }): void {
    const bytes = piece.data.length;
    let batch = this.open.get(log);
    if (batch !== undefined && batch.bytes + bytes > this.maxBytes) {
      this.cut(batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { log, parts: [], bytes: 0, records: 0, timer: undefined };
      this.open.set(log, batch);
      if (!this.closed) {
        const opened = batch;
        opened.timer = setTimeout(() => this.cut(opened), this.maxAgeMs);
        opened.timer.unref();
      }
    }
    batch.parts.push(piece.data);
    batch.bytes += bytes;
    batch.records += piece.records;
    this.openBytes += bytes;
    // The envelope caps records per batch; tiny records could reach it before the byte limit.
    if (batch.bytes >= this.maxBytes || batch.records >= MAX_BATCH_RECORDS) this.cut(batch);
  }

  private cut(batch: OpenBatch): void {
    if (this.open.get(batch.log) !== batch) return; // already cut (timer raced a size cut)
    this.open.delete(batch.log);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    this.openBytes -= batch.bytes;
    this.queue.push({
      id: newBatchId(),
      log: batch.log,
      parts: batch.parts,
      bytes: batch.bytes,
      records: batch.records,
      createdAt: this.now(),
    });
    this.queueBytes += batch.bytes;
    while (this.queueBytes > this.maxQueueBytes && this.queue.length > 1) {
      const oldest = this.queue.shift()!;
      this.queueBytes -= oldest.bytes;
      this.drop({
        log: oldest.log,
        records: oldest.records,
        bytes: oldest.bytes,
        reason: "compress-queue-full",
      });
    }
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** One batch at a time: bounded CPU for gzip (the engines need the cores) and order kept. */
  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const cut = next;
      let body: Buffer;
      try {
        const raw = cut.parts.length === 1 ? cut.parts[0]! : Buffer.concat(cut.parts, cut.bytes);
        body = await gzip(raw, { level: this.gzipLevel });
      } catch (error) {
        this.queueBytes -= cut.bytes;
        this.drop({ ...dropOf(cut), reason: "compress-failed", error: error as Error });
        continue;
      }
      const batch: Batch = {
        id: cut.id,
        log: cut.log,
        records: cut.records,
        createdAt: cut.createdAt,
        rawBytes: cut.bytes,
        body,
      };
      try {
        await this.options.onBatch(batch);
      } catch (error) {
        this.drop({ ...dropOf(cut), reason: "store-failed", error: error as Error });
      } finally {
        this.queueBytes -= cut.bytes;
      }
    }
  }

  private drop(drop: BatchDrop): void {
    this.options.onDrop?.(drop);
  }
}

const dropOf = (cut: CutBatch) => ({ log: cut.log, records: cut.records, bytes: cut.bytes });

interface Piece {
  text: string;
  bytes: number;
  records: number;
}

/** Whole lines of `text` in pieces of at most `maxBytes` UTF-8 bytes (a longer line is a piece alone). */
export function splitLines(text: string, maxBytes: number): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let bytes = 0;
  let records = 0;
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\n", at);
    const lineEnd = end === -1 ? text.length : end + 1;
    const lineBytes = Buffer.byteLength(text.slice(at, lineEnd));
    if (records > 0 && bytes + lineBytes > maxBytes) {
      pieces.push({ text: text.slice(start, at), bytes, records });
      start = at;
      bytes = 0;
      records = 0;
    }
    bytes += lineBytes;
    records++;
    at = lineEnd;
  }
  if (records > 0) pieces.push({ text: text.slice(start), bytes, records });
  return pieces;
}
