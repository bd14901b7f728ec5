// The disk spool: every batch is stored here BEFORE it is sent, and its file is removed only after
// the collector answered 2xx, so a collector outage or a crash between storing and sending loses
// nothing that reached the spool.
//
// - A file per batch, `<seq>-<batch id>.batch` (spool-file.ts): written as `.tmp`, fsynced, renamed,
//   and the directory fsynced, so after a power cut a name ending in `.batch` is a whole file or a
//   torn one the checksums catch, never a half-written one that passes.
// - Order: the sequence number, continued across restarts; the oldest pending batch is sent first.
// - Bounded: the files' bytes never exceed `maxBytes`. Only when a new batch does not fit are the
//   OLDEST pending batches dropped (those being sent at that moment are left alone: their request
//   may succeed), counted and reported through `onEvent`.
// - Damage: at start every header is checked (magic, version, CRC, file length); a body's CRC when it
//   is read to be sent. A file that fails is moved to `corrupt/` (the last CORRUPT_KEEP_FILES kept
//   for a look, older ones deleted) and reported; it never stops the sensor.
// - Refused batches (the collector's 400/401/413) are moved to `rejected/`, bounded to a quarter of
//   `maxBytes` (oldest deleted), so an operator can see what was refused and why, and resend it.

import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Batch } from "./batcher.js";
import { SpoolCorruptError, SpoolError } from "./errors.js";
import {
  checkedBody,
  decodeHeader,
  encodeHeader,
  SPOOL_HEADER_MAX_BYTES,
  type SpoolHeader,
} from "./spool-file.js";

/** Damaged files kept in `corrupt/` for a look; older ones are deleted. */
export const CORRUPT_KEEP_FILES = 16;
/** `rejected/` holds at most this share of `maxBytes`; the oldest refused batches are deleted beyond it. */
export const REJECTED_SHARE = 0.25;

const BATCH_FILE = /^(\d{12})-([0-9a-f]{32})\.batch$/;
const TEMP_SUFFIX = ".tmp";
const SEQ_DIGITS = 12;

/** A batch in the spool. */
export interface SpoolEntry extends Omit<SpoolHeader, "headerBytes" | "bodyCrc"> {
  seq: number;
  /** File name inside the spool directory. */
  name: string;
  /** Header and body: what it counts against `maxBytes`. */
  fileBytes: number;
  /** Taken by the uploader and not yet acknowledged, released or rejected. */
  sending: boolean;
}

/** Something the sensor should count and log. Every event names the batch or file, never a secret. */
export type SpoolEvent =
  | {
      type: "dropped";
      reason: "spool-full" | "larger-than-spool";
      id: string;
      log: string;
      records: number;
      bytes: number;
    }
  | { type: "corrupt"; file: string; problem: string; error: SpoolCorruptError }
  | { type: "rejected"; id: string; log: string; records: number; status: number; detail: string }
  | { type: "temp-removed"; file: string }
  | { type: "error"; error: SpoolError };

export interface SpoolOptions {
  dir: string;
  /** The spool's bound: bytes of batch files (headers included). */
  maxBytes: number;
  onEvent?: (event: SpoolEvent) => void;
}

export interface SpoolStatus {
  backlogBytes: number;
  backlogBatches: number;
  backlogRecords: number;
  droppedBatches: number;
  droppedRecords: number;
  corruptFiles: number;
  rejectedBatches: number;
  rejectedRecords: number;
  /** Removing or moving a file failed (the latest such error is also reported as an event). */
  fileErrors: number;
}

interface SideFile {
  name: string;
  bytes: number;
}

export class Spool {
  readonly dir: string;
  readonly rejectedDir: string;
  readonly corruptDir: string;
  private readonly maxBytes: number;
  private readonly rejectedMaxBytes: number;
  private readonly onEvent: (event: SpoolEvent) => void;
  /** Pending batches, oldest first. */
  private readonly entries: SpoolEntry[] = [];
  private bytes = 0;
  private records = 0;
  private nextSeq = 1;
  private readonly rejectedFiles: SideFile[] = [];
  private readonly corruptFiles: string[] = [];
  private readonly waiters: (() => void)[] = [];
  private readonly counters = {
    droppedBatches: 0,
    droppedRecords: 0,
    corruptFiles: 0,
    rejectedBatches: 0,
    rejectedRecords: 0,
    fileErrors: 0,
  };

  /** Opens (creates) the spool and scans what a previous run left: synchronous, at start only. */
  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.rejectedDir = join(this.dir, "rejected");
    this.corruptDir = join(this.dir, "corrupt");
    this.maxBytes = options.maxBytes;
    this.rejectedMaxBytes = Math.floor(options.maxBytes * REJECTED_SHARE);
    this.onEvent = options.onEvent ?? (() => {});
    if (!(this.maxBytes > 0)) throw new RangeError(`spool maxBytes must be positive, not ${this.maxBytes}`);
    try {
      for (const d of [this.dir, this.rejectedDir, this.corruptDir])
        mkdirSync(d, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new SpoolError(`cannot create the spool directory ${this.dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.scan();
  }

  status(): SpoolStatus {
    return {
      backlogBytes: this.bytes,
      backlogBatches: this.entries.length,
      backlogRecords: this.records,
      ...this.counters,
    };
  }

  /** Pending batches, oldest first (a copy). */
  pending(): SpoolEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /**
   * Stores `batch` durably (resolves once it is on disk), first dropping the oldest batches not being
   * sent if it would not fit. Rejects with SpoolError when the file cannot be written; the batch is then
   * not in the spool.
   */
  async put(batch: Batch): Promise<void> {
    const header = encodeHeader(batch);
    const fileBytes = header.length + batch.body.length;
    if (fileBytes > this.maxBytes) {
      this.emitDrop("larger-than-spool", batch.id, batch.log, batch.records, fileBytes);
      return;
    }
    this.makeRoom(fileBytes);
    if (this.bytes + fileBytes > this.maxBytes) {
      // Everything left is being sent right now: the new batch is the one that does not fit.
      this.emitDrop("spool-full", batch.id, batch.log, batch.records, fileBytes);
      return;
    }
    const seq = this.nextSeq++;
    const name = `${String(seq).padStart(SEQ_DIGITS, "0")}-${batch.id}.batch`;
    const entry: SpoolEntry = {
      seq,
      name,
      id: batch.id,
      log: batch.log,
      records: batch.records,
      createdAt: batch.createdAt,
      rawBytes: batch.rawBytes,
      bodyBytes: batch.body.length,
      fileBytes,
      sending: false,
    };
    // Counted before the write so that a concurrent put sees the space as taken.
    this.bytes += fileBytes;
    try {
      await this.writeDurably(name, header, batch.body);
    } catch (error) {
      this.bytes -= fileBytes;
      throw new SpoolError(
        `cannot store batch ${batch.id} (${batch.log}) in ${this.dir}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    this.entries.push(entry);
    this.records += entry.records;
    this.wake();
  }

  /** The oldest batch not being sent, now marked as being sent; undefined when there is none. */
  take(): SpoolEntry | undefined {
    const entry = this.entries.find((e) => !e.sending);
    if (entry !== undefined) entry.sending = true;
    return entry;
  }

  /** A taken batch goes back to the queue (its send failed and will be retried). */
  release(entry: SpoolEntry): void {
    entry.sending = false;
    if (this.entries.includes(entry)) this.wake();
  }

  /**
   * The body of a taken batch, checked against its CRC. A file that fails the check (or has vanished) is
   * taken out of the spool, moved to `corrupt/` and reported; the result is then undefined.
   */
  async read(entry: SpoolEntry): Promise<Buffer | undefined> {
    const path = join(this.dir, entry.name);
    let file: Buffer;
    try {
      file = await readFile(path);
    } catch (error) {
      this.forget(entry);
      this.emitCorrupt(entry.name, `cannot be read: ${(error as Error).message}`, error);
      return undefined;
    }
    const header = decodeHeader(file);
    const body = typeof header === "string" ? header : checkedBody(file, header);
    if (typeof body === "string") {
      this.forget(entry);
      this.emitCorrupt(entry.name, body);
      await this.moveAside(entry.name);
      return undefined;
    }
    return body;
  }

  /** The collector has the batch (2xx): its file is removed. */
  async ack(entry: SpoolEntry): Promise<void> {
    this.forget(entry);
    await this.removeFile(join(this.dir, entry.name));
  }

  /** The collector refused the batch for good: moved to `rejected/` and reported with the status. */
  async reject(entry: SpoolEntry, status: number, detail: string): Promise<void> {
    this.forget(entry);
    this.counters.rejectedBatches++;
    this.counters.rejectedRecords += entry.records;
    this.onEvent({ type: "rejected", id: entry.id, log: entry.log, records: entry.records, status, detail });
    try {
      await rename(join(this.dir, entry.name), join(this.rejectedDir, entry.name));
    } catch (error) {
      this.fileError(`cannot move ${entry.name} to ${this.rejectedDir}`, error);
      await this.removeFile(join(this.dir, entry.name));
      return;
    }
    this.rejectedFiles.push({ name: entry.name, bytes: entry.fileBytes });
    let total = this.rejectedFiles.reduce((sum, f) => sum + f.bytes, 0);
    while (total > this.rejectedMaxBytes && this.rejectedFiles.length > 0) {
      const oldest = this.rejectedFiles.shift()!;
      total -= oldest.bytes;
      await this.removeFile(join(this.rejectedDir, oldest.name));
    }
  }

  /** Resolves when a batch may be ready to take (one was stored or released), or on `signal`. */
  whenReady(signal?: AbortSignal): Promise<void> {
    if (this.entries.some((e) => !e.sending) || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private forget(entry: SpoolEntry): void {
    const at = this.entries.indexOf(entry);
    if (at === -1) return;
    this.entries.splice(at, 1);
    this.bytes -= entry.fileBytes;
    this.records -= entry.records;
  }

  private makeRoom(fileBytes: number): void {
    for (let i = 0; i < this.entries.length && this.bytes + fileBytes > this.maxBytes; ) {
      const entry = this.entries[i]!;
      if (entry.sending) {
        i++;
        continue;
      }
      this.forget(entry);
      this.emitDrop("spool-full", entry.id, entry.log, entry.records, entry.fileBytes);
      // The space is counted free now; the unlink follows (a failure is reported, and the file found
      // again at the next start).
      void this.removeFile(join(this.dir, entry.name));
    }
  }

  private emitDrop(
    reason: "spool-full" | "larger-than-spool",
    id: string,
    log: string,
    records: number,
    bytes: number,
  ) {
    this.counters.droppedBatches++;
    this.counters.droppedRecords += records;
    this.onEvent({ type: "dropped", reason, id, log, records, bytes });
  }

  private emitCorrupt(file: string, problem: string, cause?: unknown): void {
    this.counters.corruptFiles++;
    const error = new SpoolCorruptError(join(this.dir, file), problem, { cause });
    this.onEvent({ type: "corrupt", file: join(this.dir, file), problem, error });
  }

  private fileError(what: string, error: unknown): void {
    this.counters.fileErrors++;
    this.onEvent({
      type: "error",
      error: new SpoolError(`${what}: ${(error as Error).message}`, { cause: error }),
    });
  }

  private async removeFile(path: string): Promise<void> {
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.fileError(`cannot remove ${path}`, error);
    }
  }

  /** tmp, write, fsync, rename, fsync of the directory: the rename is durable only with the last step. */
  private async writeDurably(name: string, header: Buffer, body: Buffer): Promise<void> {
    const temp = join(this.dir, name + TEMP_SUFFIX);
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writev([header, body]);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw error;
    }
    await handle.close();
    await rename(temp, join(this.dir, name));
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private async moveAside(name: string): Promise<void> {
    try {
      await rename(join(this.dir, name), join(this.corruptDir, name));
      this.corruptFiles.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.fileError(`cannot move ${name} aside`, error);
      await this.removeFile(join(this.dir, name));
    }
    while (this.corruptFiles.length > CORRUPT_KEEP_FILES) {
      await this.removeFile(join(this.corruptDir, this.corruptFiles.shift()!));
    }
  }

  /** What a previous run left: temp files removed, every header checked, the oldest dropped if over the bound. */
  private scan(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      throw new SpoolError(`cannot list the spool ${this.dir}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const found: SpoolEntry[] = [];
    for (const name of names) {
      if (name.endsWith(TEMP_SUFFIX)) {
        // A batch whose write the previous run did not finish: it never was in the spool.
        this.removeSync(join(this.dir, name));
        this.onEvent({ type: "temp-removed", file: join(this.dir, name) });
        continue;
      }
      const match = BATCH_FILE.exec(name);
      if (match === null) continue;
      const entry = this.scanFile(name, Number(match[1]), match[2]!);
      if (entry !== undefined) found.push(entry);
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const entry of found) {
      this.entries.push(entry);
      this.bytes += entry.fileBytes;
      this.records += entry.records;
      this.nextSeq = Math.max(this.nextSeq, entry.seq + 1);
    }
    // A spool made smaller since the last run keeps its newest batches.
    this.makeRoom(0);
    this.scanSide();
  }

  private scanFile(name: string, seq: number, id: string): SpoolEntry | undefined {
    const path = join(this.dir, name);
    let header: SpoolHeader | string;
    let size: number;
    try {
      const fd = openSync(path, "r");
      try {
        size = statSync(path).size;
        const bytes = Buffer.alloc(Math.min(size, SPOOL_HEADER_MAX_BYTES));
        const got = readSync(fd, bytes, 0, bytes.length, 0);
        header = decodeHeader(bytes.subarray(0, got));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      this.emitCorrupt(name, `cannot be read: ${(error as Error).message}`, error);
      return undefined;
    }
    let problem: string | undefined;
    if (typeof header === "string") problem = header;
    else if (header.id !== id) problem = "has a header naming another batch";
    else if (size !== header.headerBytes + header.bodyBytes) {
      problem = `is ${size} bytes, its header says ${header.headerBytes + header.bodyBytes}`;
    }
    if (problem !== undefined || typeof header === "string") {
      this.emitCorrupt(name, problem ?? "is unreadable");
      this.moveAsideSync(name);
      return undefined;
    }
    const { headerBytes: _h, bodyCrc: _c, ...meta } = header;
    return { ...meta, seq, name, fileBytes: size, sending: false };
  }

  private moveAsideSync(name: string): void {
    try {
      renameSync(join(this.dir, name), join(this.corruptDir, name));
    } catch (error) {
      this.fileError(`cannot move ${name} aside`, error);
      this.removeSync(join(this.dir, name));
    }
  }

  /** The side folders' contents, so their bounds hold across restarts. */
  private scanSide(): void {
    try {
      for (const name of readdirSync(this.rejectedDir).sort()) {
        this.rejectedFiles.push({ name, bytes: statSync(join(this.rejectedDir, name)).size });
      }
      this.corruptFiles.push(...readdirSync(this.corruptDir).sort());
      while (this.corruptFiles.length > CORRUPT_KEEP_FILES) {
        this.removeSync(join(this.corruptDir, this.corruptFiles.shift()!));
      }
    } catch (error) {
      this.fileError(`cannot list ${this.rejectedDir} or ${this.corruptDir}`, error);
    }
  }

  private removeSync(path: string): void {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.fileError(`cannot remove ${path}`, error);
    }
  }
}
