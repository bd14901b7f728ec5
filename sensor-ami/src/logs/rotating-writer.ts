// The live sensor's log files: chunks of whole JSON lines (from JsonLinesSink, usually posted by
// the packet workers) appended to `<dir>/<path>.log`, rotated the way Zeek rotates them.
//
// - Rotation: every `intervalSeconds` aligned to the wall clock (3600: at the top of each hour,
//   UTC epoch alignment), and early when a file would exceed `maxBytes`. The closed file is renamed
//   `<path>.<open>-<close>.log` (Zeek's `%Y-%m-%d-%H-%M-%S`, UTC; `-1`, `-2`… appended when the
//   name is taken) and gzipped in the background to `<name>.log.gz`: written as `.gz.tmp`,
//   fsynced, renamed, and only then the `.log` is removed. A failed gzip leaves the `.log`.
// - A file is opened when its log first has something to write (an idle log leaves no empty
//   files), so its open time is when its first line of the interval was written.
// - Every write is checked (short writes continued; ENOSPC, EFBIG… stop it). A failed write never
//   throws into the caller: the file is cut back to its last whole line, closed, and the unwritten
//   lines wait in a bounded backlog, retried on the next append and on every tick; what does not
//   fit in the backlog is dropped and counted. status() says all of it, for the health endpoint.
// - Startup: `<path>.log` files left by a previous run are rotated first (named by their birth
//   and modification times, a torn last line cut off), rotated files whose gzip did not finish are
//   gzipped, and `.gz.tmp` leftovers removed.

import {
  closeSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { open as openAsync, rename as renameAsync, unlink as unlinkAsync } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { writeFailureReason, zeekTime } from "./format.js";
import type { LogChunk } from "./json-lines.js";
import { makeOutputDir } from "./output-dir.js";
import { type LogClock, LogWriteError, wallClock } from "./writer.js";

export interface RotatingLogWriterOptions {
  /** The log directory (created with its parents if missing). */
  dir: string;
  /** Time rotation period in seconds, aligned to the epoch (UTC); 0 turns it off. Default 3600. */
  intervalSeconds?: number;
  /** A file is rotated before it would grow past this many bytes; 0 turns it off. Default 1 GiB. */
  maxBytes?: number;
  /** Unwritten bytes kept while writes fail; beyond it chunks are dropped and counted. Default 64 MiB. */
  maxBacklogBytes?: number;
  /** Gzip rotated files (default true); false leaves them as `.log`. */
  compress?: boolean;
  /** zlib level for rotated files (default 6, zlib's default). */
  gzipLevel?: number;
  /** Seconds since the epoch (default: the wall clock). */
  clock?: LogClock;
  /**
   * Milliseconds between the writer's own ticks (rotation due? backlog to retry?); 0: no timer,
   * the caller calls tick(). Default 1000. The timer is unref'd.
   */
  tickMs?: number;
  /**
   * Problems as they happen: a write failing (once per log until it succeeds again), records
   * dropped, a rotation or gzip failing, a startup leftover that could not be recovered.
   */
  onError?: (err: LogWriteError) => void;
  /** A rotated file is final (gzipped, or left as `.log` because gzip failed or is off). */
  onRotated?: (file: RotatedLog) => void;
}

/** A closed log file: what a shipper needs to know about it. */
export interface RotatedLog {
  path: string;
  /** Its final name: `…log.gz`, or `…log` when not compressed. */
  file: string;
  /** Seconds since the epoch, as in the name. */
  open: number;
  close: number;
  /** Uncompressed bytes and records (records: null for a previous run's leftover). */
  bytes: number;
  records: number | null;
  compressed: boolean;
}

export interface RotatingWriterStatus {
  /** Every log's last write succeeded and nothing is waiting in the backlog. */
  writable: boolean;
  /** Why not writable: the latest write failure, naming the file. */
  error?: string;
  /** The latest rotation (rename) failure, while rotation keeps failing. */
  rotationError?: string;
  rotatedFiles: number;
  pendingGzip: number;
  gzipFailures: number;
  droppedRecords: number;
  backlogBytes: number;
  backlogRecords: number;
  /** Records written to files since the writer was made. */
  writtenRecords: number;
}

const DEFAULTS = {
  intervalSeconds: 3600,
  maxBytes: 1024 ** 3,
  maxBacklogBytes: 64 * 1024 ** 2,
  gzipLevel: 6,
  tickMs: 1000,
};

/** Queued text of one log: whole lines, oldest first. */
interface Piece {
  data: Buffer;
  records: number;
}

interface Log {
  path: string;
  /** `<dir>/<path>.log` */
  file: string;
  fd: number | null;
  /** When the current file was opened (seconds), and when it is due for time rotation. */
  opened: number;
  due: number;
  /** The current file's (dev, ino), to tell after reopen() whether it is still our file. */
  dev: number;
  ino: number;
  /** Bytes in the current file (whole lines) and records in it (null: unknown). */
  bytes: number;
  records: number | null;
  queue: Piece[];
  /** The last write/open failure, while it lasts. */
  error: string | undefined;
  /** A failed write could not be cut back: cut the file to this size when it is reopened. */
  cutTo: number | undefined;
}

export class RotatingLogWriter {
  readonly dir: string;
  private readonly intervalSeconds: number;
  private readonly maxBytes: number;
  private readonly maxBacklogBytes: number;
  private readonly compress: boolean;
  private readonly gzipLevel: number;
  private readonly clock: LogClock;
  private readonly onError: ((err: LogWriteError) => void) | undefined;
  private readonly onRotated: ((file: RotatedLog) => void) | undefined;
  private readonly logs = new Map<string, Log>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastError: string | undefined;
  private rotationError: string | undefined;
  private backlogBytes = 0;
  private backlogRecords = 0;
  private droppedRecords = 0;
  private writtenRecords = 0;
  private rotatedFiles = 0;
  private pendingGzip = 0;
  private gzipFailures = 0;
  private gzipChain: Promise<void> = Promise.resolve();

  /** Creates the directory (a LogWriteError if it cannot) and recovers a previous run's files. */
  constructor(options: RotatingLogWriterOptions) {
    this.dir = options.dir;
    this.intervalSeconds = options.intervalSeconds ?? DEFAULTS.intervalSeconds;
    this.maxBytes =
      options.maxBytes === 0 ? Number.POSITIVE_INFINITY : (options.maxBytes ?? DEFAULTS.maxBytes);
    this.maxBacklogBytes = options.maxBacklogBytes ?? DEFAULTS.maxBacklogBytes;
    this.compress = options.compress ?? true;
    this.gzipLevel = options.gzipLevel ?? DEFAULTS.gzipLevel;
    this.clock = options.clock ?? wallClock;
    this.onError = options.onError;
    this.onRotated = options.onRotated;
    if (!(this.intervalSeconds >= 0)) throw new RangeError(`intervalSeconds must be >= 0`);
    try {
      makeOutputDir(this.dir);
    } catch (err) {
      throw new LogWriteError(`cannot create log directory ${this.dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.recover();
    const tickMs = options.tickMs ?? DEFAULTS.tickMs;
    if (tickMs > 0) {
      this.timer = setInterval(() => this.tick(), tickMs);
      this.timer.unref();
    }
  }

  /** Appends whole-line chunks (JsonLinesSink's flush). Never throws for I/O: see status(). */
  append(chunks: readonly LogChunk[]): void {
    if (this.closed) {
      for (const c of chunks) this.drop(c.records, `the writer is closed`);
      return;
    }
    const now = this.clock();
    this.rotateDue(now);
    for (const c of chunks) {
      if (c.text.length === 0) continue;
      if (!PATH.test(c.path)) {
        this.drop(c.records, `not a log path: ${JSON.stringify(c.path)}`);
        continue;
      }
      const log = this.log(c.path);
      this.enqueue(log, { data: Buffer.from(c.text, "utf8"), records: c.records });
      this.pump(log, now);
    }
  }

  /** Rotates what is due and retries the backlog (the writer's own timer calls it too). */
  tick(): void {
    if (this.closed) return;
    const now = this.clock();
    this.rotateDue(now);
    for (const log of this.logs.values()) if (log.queue.length > 0) this.pump(log, now);
  }

  /** Rotates every open log now (e.g. before shipping at shutdown). Gzip runs in the background. */
  rotateNow(): void {
    const now = this.clock();
    for (const log of this.logs.values()) this.rotate(log, now);
  }

  /**
   * SIGHUP: closes every current file without rotating; the next line opens `<path>.log` again
   * (a new file if an external logrotate renamed the old one away).
   */
  reopen(): void {
    for (const log of this.logs.values()) {
      if (log.fd === null) continue;
      this.closeFd(log);
    }
  }

  /** Resolves when every queued gzip has finished (succeeded or failed). */
  async idle(): Promise<void> {
    let chain: Promise<void>;
    do {
      chain = this.gzipChain;
      await chain;
    } while (chain !== this.gzipChain);
  }

  /**
   * Writes what it can of the backlog, closes every file (rotating them only with `rotate`), waits
   * for pending gzips; a backlog that still cannot be written is counted as dropped.
   */
  async close(options: { rotate?: boolean } = {}): Promise<RotatingWriterStatus> {
    if (!this.closed) {
      if (this.timer !== undefined) clearInterval(this.timer);
      this.timer = undefined;
      const now = this.clock();
      for (const log of this.logs.values()) if (log.queue.length > 0) this.pump(log, now);
      if (options.rotate) this.rotateNow();
      this.closed = true;
      for (const log of this.logs.values()) {
        if (log.fd !== null) this.closeFd(log);
        for (const piece of log.queue) this.drop(piece.records, `${log.file} was not writable at close`);
        log.queue = [];
      }
      this.backlogBytes = 0;
      this.backlogRecords = 0;
    }
    await this.idle();
    return this.status();
  }

  status(): RotatingWriterStatus {
    let writable = this.backlogBytes === 0;
    for (const log of this.logs.values()) if (log.error !== undefined) writable = false;
    const s: RotatingWriterStatus = {
      writable,
      rotatedFiles: this.rotatedFiles,
      pendingGzip: this.pendingGzip,
      gzipFailures: this.gzipFailures,
      droppedRecords: this.droppedRecords,
      backlogBytes: this.backlogBytes,
      backlogRecords: this.backlogRecords,
      writtenRecords: this.writtenRecords,
    };
    if (!writable && this.lastError !== undefined) s.error = this.lastError;
    if (this.rotationError !== undefined) s.rotationError = this.rotationError;
    return s;
  }

  // ---- writing ----

  private log(path: string): Log {
    let log = this.logs.get(path);
    if (log === undefined) {
      log = {
        path,
        file: join(this.dir, `${path}.log`),
        fd: null,
        opened: 0,
        due: Number.POSITIVE_INFINITY,
        dev: -1,
        ino: -1,
        bytes: 0,
        records: 0,
        queue: [],
        error: undefined,
        cutTo: undefined,
      };
      this.logs.set(path, log);
    }
    return log;
  }

  /**
   * Queues a piece. When this log already has text waiting (it cannot be written) and the backlog
   * is full, the piece is dropped instead: the backlog is bounded by maxBacklogBytes plus one piece
   * per log.
   */
  private enqueue(log: Log, piece: Piece): void {
    if (log.queue.length > 0 && this.backlogBytes + piece.data.length > this.maxBacklogBytes) {
      this.drop(piece.records, `the backlog of unwritten logs is full (${this.maxBacklogBytes} bytes)`);
      return;
    }
    log.queue.push(piece);
    this.backlogBytes += piece.data.length;
    this.backlogRecords += piece.records;
  }

  private drop(records: number, why: string): void {
    const first = this.droppedRecords === 0;
    this.droppedRecords += records;
    if (first) this.report(new LogWriteError(`log records dropped: ${why}`));
  }

  /** Writes the log's queue in order until it is empty or a write fails. */
  private pump(log: Log, now: number): void {
    while (log.queue.length > 0) {
      if (log.fd === null && !this.openLog(log, now)) return;
      if (now >= log.due && log.bytes > 0 && this.rotate(log, now)) continue;
      const piece = log.queue[0];
      // Whole lines that fit under maxBytes; into an empty file at least one line.
      let n = piece.data.length;
      if (log.bytes + n > this.maxBytes) {
        const room = this.maxBytes - log.bytes;
        n = room > 0 ? piece.data.lastIndexOf(10, room - 1) + 1 : 0;
        if (n === 0 && log.bytes > 0) {
          if (this.rotate(log, now)) continue;
          n = piece.data.length; // cannot rotate: keep writing rather than lose lines
        } else if (n === 0) {
          n = piece.data.indexOf(10) + 1 || piece.data.length;
        }
      }
      const part = n === piece.data.length ? piece.data : piece.data.subarray(0, n);
      const partRecords = part === piece.data ? piece.records : countLines(part);
      const done = this.writeAll(log, part);
      if (done < part.length) {
        // Keep the unwritten tail from its first whole line on; the file was cut back to there.
        const kept = done > 0 ? part.lastIndexOf(10, done - 1) + 1 : 0;
        const written = part.subarray(0, kept);
        this.consumed(log, piece, kept, written === part ? partRecords : countLines(written));
        return;
      }
      this.consumed(log, piece, n, partRecords);
    }
  }

  /** The first `n` bytes (`records` lines) of the queue's head piece are in the file. */
  private consumed(log: Log, piece: Piece, n: number, records: number): void {
    if (n === 0) return;
    log.bytes += n;
    if (log.records !== null) log.records += records;
    this.writtenRecords += records;
    this.backlogBytes -= n;
    this.backlogRecords -= records;
    if (n === piece.data.length) log.queue.shift();
    else {
      piece.data = piece.data.subarray(n);
      piece.records -= records;
    }
  }

  /** Writes `data`; returns how many bytes are in the file (all, or up to the failure). */
  private writeAll(log: Log, data: Buffer): number {
    const fd = log.fd as number;
    let done = 0;
    while (done < data.length) {
      let n: number;
      try {
        n = writeSync(fd, data, done, data.length - done);
      } catch (err) {
        this.writeFailed(log, data, done, err as NodeJS.ErrnoException);
        return done;
      }
      // write(2) returning 0 for a regular file means it cannot take more: ENOSPC by another name.
      if (n === 0) {
        this.writeFailed(log, data, done, undefined);
        return done;
      }
      done += n;
    }
    if (log.error !== undefined) log.error = undefined;
    return done;
  }

  /** Cuts the file back to its last whole line, closes it (the retry reopens it) and says why. */
  private writeFailed(log: Log, data: Buffer, done: number, err: NodeJS.ErrnoException | undefined): void {
    const kept = log.bytes + (done > 0 ? data.lastIndexOf(10, done - 1) + 1 : 0);
    let cut = "";
    if (done > 0) {
      try {
        ftruncateSync(log.fd as number, kept);
      } catch (terr) {
        cut = `; it could not be cut back to its last whole record yet: ${(terr as Error).message}`;
        log.cutTo = kept;
      }
    }
    this.closeFd(log, true);
    this.fail(log, `cannot write ${log.file}: ${writeFailureReason(err)}${cut}`, err);
  }

  private fail(log: Log, message: string, cause: unknown): void {
    const changed = log.error !== message;
    log.error = message;
    this.lastError = message;
    if (changed) this.report(new LogWriteError(message, { cause }));
  }

  private openLog(log: Log, now: number): boolean {
    let fd: number;
    try {
      fd = openSync(log.file, "a");
    } catch (err) {
      // The directory was removed (or replaced): make it again once, then give up until the retry.
      let e = err as NodeJS.ErrnoException;
      if (e.code === "ENOENT") {
        try {
          makeOutputDir(this.dir);
          fd = openSync(log.file, "a");
        } catch (err2) {
          e = err2 as NodeJS.ErrnoException;
          this.fail(log, `cannot open ${log.file}: ${e.message}`, e);
          return false;
        }
      } else {
        this.fail(log, `cannot open ${log.file}: ${e.message}`, e);
        return false;
      }
    }
    let st: Stats;
    try {
      st = fstatSync(fd);
    } catch (err) {
      closeSync(fd);
      this.fail(log, `cannot open ${log.file}: ${(err as Error).message}`, err);
      return false;
    }
    // Still the file we had open before reopen() or a failed write: it keeps its open time.
    const same = st.dev === log.dev && st.ino === log.ino;
    if (same && log.cutTo !== undefined && st.size > log.cutTo) {
      try {
        ftruncateSync(fd, log.cutTo);
        st = fstatSync(fd);
      } catch (err) {
        closeSync(fd);
        this.fail(
          log,
          `cannot cut ${log.file} back to its last whole record: ${(err as Error).message}`,
          err,
        );
        return false;
      }
    }
    log.cutTo = undefined;
    if (!same) {
      log.opened = now;
      log.records = st.size === 0 ? 0 : null;
    }
    log.fd = fd;
    log.dev = st.dev;
    log.ino = st.ino;
    log.bytes = st.size;
    log.due = this.dueAfter(log.opened);
    return true;
  }

  private closeFd(log: Log, quiet = false): void {
    const fd = log.fd;
    log.fd = null;
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch (err) {
      if (!quiet) this.fail(log, `cannot close ${log.file}: ${(err as Error).message}`, err);
    }
  }

  // ---- rotation ----

  private dueAfter(opened: number): number {
    if (this.intervalSeconds === 0) return Number.POSITIVE_INFINITY;
    return (Math.floor(opened / this.intervalSeconds) + 1) * this.intervalSeconds;
  }

  private rotateDue(now: number): void {
    for (const log of this.logs.values()) if (log.dev !== -1 && now >= log.due) this.rotate(log, now);
  }

  /**
   * Closes the log's current file under its rotated name and queues its gzip; an empty one is just
   * removed. False if it could not be renamed (it stays current and is retried on the next tick).
   * A file closed by reopen() or a failed write is rotated too while `<path>.log` is still it.
   */
  private rotate(log: Log, now: number): boolean {
    if (log.dev === -1) return true;
    if (!this.stillOurs(log)) {
      // Renamed away by an external rotator (without SIGHUP): theirs now; end it without a rename.
      this.closeFd(log);
      log.dev = log.ino = -1;
      log.bytes = 0;
      log.records = 0;
      log.due = Number.POSITIVE_INFINITY;
      return true;
    }
    if (log.bytes === 0) {
      this.closeFd(log);
      try {
        unlinkSync(log.file);
      } catch {
        // Someone else's business now (or already gone).
      }
      log.dev = log.ino = -1;
      return true;
    }
    let target: string;
    try {
      target = this.archiveName(log.path, log.opened, now);
      renameSync(log.file, target);
    } catch (err) {
      const message = `cannot rotate ${log.file}: ${(err as Error).message}`;
      if (this.rotationError !== message) this.report(new LogWriteError(message, { cause: err }));
      this.rotationError = message;
      return false;
    }
    this.rotationError = undefined;
    this.closeFd(log);
    const rotated: RotatedLog = {
      path: log.path,
      file: target,
      open: log.opened,
      close: now,
      bytes: log.bytes,
      records: log.records,
      compressed: false,
    };
    log.dev = log.ino = -1;
    log.bytes = 0;
    log.records = 0;
    log.due = Number.POSITIVE_INFINITY;
    this.rotatedFiles++;
    this.finish(rotated);
    return true;
  }

  /** `<path>.log` is still the file we last had open (not renamed away by an external rotator). */
  private stillOurs(log: Log): boolean {
    try {
      const st = statSync(log.file);
      return st.dev === log.dev && st.ino === log.ino;
    } catch {
      return false;
    }
  }

  /** `<dir>/<path>.<open>-<close>.log`, with `-1`, `-2`… when that name (or its .gz) is taken. */
  private archiveName(path: string, open: number, close: number): string {
    const base = `${path}.${zeekTime(open)}-${zeekTime(close)}`;
    for (let i = 0; ; i++) {
      const name = join(this.dir, `${i === 0 ? base : `${base}-${i}`}.log`);
      if (!exists(name) && !exists(`${name}.gz`)) return name;
    }
  }

  /** Gzips a rotated file in the background (one at a time), then reports it. */
  private finish(rotated: RotatedLog): void {
    if (!this.compress) {
      this.rotatedReport(rotated);
      return;
    }
    this.pendingGzip++;
    this.gzipChain = this.gzipChain.then(async () => {
      let final = rotated;
      try {
        await this.gzip(rotated.file);
        final = { ...rotated, file: `${rotated.file}.gz`, compressed: true };
      } catch (err) {
        this.gzipFailures++;
        this.report(
          new LogWriteError(`cannot gzip ${rotated.file} (left uncompressed): ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
      this.pendingGzip--;
      this.rotatedReport(final);
    });
  }

  private rotatedReport(rotated: RotatedLog): void {
    if (this.onRotated === undefined) return;
    try {
      this.onRotated(rotated);
    } catch {
      // A listener's failure must not reach the packet path nor count as a failed gzip.
    }
  }

  /** `file` → `file.gz` (via `file.gz.tmp`, fsynced, renamed), then `file` removed. */
  private async gzip(file: string): Promise<void> {
    const tmp = `${file}.gz.tmp`;
    try {
      // `flush: true` fsyncs the output before it is closed (and fails the pipeline if that fails).
      await pipeline(
        createReadStream(file),
        createGzip({ level: this.gzipLevel }),
        createWriteStream(tmp, { flush: true }),
      );
      await renameAsync(tmp, `${file}.gz`);
    } catch (err) {
      await unlinkAsync(tmp).catch(() => undefined);
      throw err;
    }
    await syncDir(this.dir);
    await unlinkAsync(file);
  }

  private report(err: LogWriteError): void {
    if (this.onError === undefined) return;
    try {
      this.onError(err);
    } catch {
      // A reporter's failure must not reach the packet path either.
    }
  }

  // ---- startup ----

  /** A previous run's files: current logs rotated, unfinished gzips redone, temporaries removed. */
  private recover(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      throw new LogWriteError(`cannot read log directory ${this.dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const present = new Set(names);
    for (const name of names) {
      const file = join(this.dir, name);
      try {
        if (name.endsWith(".log.gz.tmp")) {
          unlinkSync(file);
        } else if (ROTATED.test(name)) {
          // Rotated but not gzipped: a .gz beside it is complete (renamed only after fsync).
          if (present.has(`${name}.gz`)) unlinkSync(file);
          else this.recoverRotated(file, name);
        } else if (CURRENT.test(name)) {
          this.recoverCurrent(file, name);
        }
      } catch (err) {
        this.report(
          new LogWriteError(`cannot recover ${file} from a previous run: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    }
  }

  private recoverRotated(file: string, name: string): void {
    const m = ROTATED.exec(name) as RegExpExecArray;
    const st = statSync(file);
    this.finish({
      path: m[1],
      file,
      open: parseZeekTime(m[2]),
      close: parseZeekTime(m[3]),
      bytes: st.size,
      records: null,
      compressed: false,
    });
  }

  private recoverCurrent(file: string, name: string): void {
    const path = name.slice(0, -".log".length);
    const st = statSync(file);
    if (!st.isFile()) return;
    const size = cutToLastLine(file, st.size);
    if (size === 0) {
      unlinkSync(file);
      return;
    }
    // Its open time is unknown: its birth time where the file system keeps one, else its mtime.
    const close = st.mtimeMs / 1000;
    const born = st.birthtimeMs / 1000;
    const open = born > 0 && born <= close ? born : close;
    const target = this.archiveName(path, open, close);
    renameSync(file, target);
    this.rotatedFiles++;
    this.finish({ path, file: target, open, close, bytes: size, records: null, compressed: false });
  }
}

const PATH = /^[A-Za-z0-9_-]+$/;
const CURRENT = /^[A-Za-z0-9_-]+\.log$/;
const TIME = "(\\d{4}-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d\\d)";
const ROTATED = new RegExp(`^([A-Za-z0-9_-]+)\\.${TIME}-${TIME}(?:-\\d+)?\\.log$`);

function parseZeekTime(s: string): number {
  const [y, mo, d, h, mi, se] = s.split("-").map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function countLines(data: Buffer): number {
  let n = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++;
  return n;
}

/** Truncates a torn last line (a crash mid-write); returns the size kept. */
function cutToLastLine(file: string, size: number): number {
  if (size === 0) return 0;
  const fd = openSync(file, "r+");
  try {
    const block = Buffer.allocUnsafe(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - block.length);
      const n = readSync(fd, block, 0, end - start, start);
      const nl = block.subarray(0, n).lastIndexOf(10);
      if (nl !== -1) {
        const keep = start + nl + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return keep;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    return 0;
  } finally {
    closeSync(fd);
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable before the source is removed; best effort (not every FS allows it).
  try {
    const fh = await openAsync(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // ignore
  }
}
