// Zeek-style log files: one file per log path (conn.log, weird.log, dns.log, …), as JSON lines
// (Zeek's `LogAscii::use_json=T` shape: field names as keys, unset fields omitted) or as Zeek
// TSV with the #separator/#fields/#types header. Output is buffered and written synchronously so
// the per-record cost is a string append.
//
// A log file only ever holds whole records: every write(2) is checked, a short write is
// continued, and when the file cannot grow (EFBIG from `ulimit -f`, ENOSPC, EIO…) it is cut back
// to its last complete line and the run fails with a LogWriteError naming the file and the reason.

import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { HEX_OCTETS } from "../text/bytes.js";
import { jsonLine, writeFailureReason, zeekTime } from "./format.js";
import { makeOutputDir } from "./output-dir.js";
import type { FieldType, LogSchemas } from "./schema.js";

export type LogFormat = "json" | "tsv";
export type LogRecordObject = Record<string, unknown>;

export interface LogSink {
  write(path: string, record: LogRecordObject): void;
}

/** Buffered bytes per log file before a write(2). */
const LOG_FLUSH_BYTES = 1 << 20;

export class LogWriteError extends Error {
  override name = "LogWriteError";
}

/** Seconds since the epoch: when a log was opened or closed (TSV #open/#close). */
export type LogClock = () => number;

/** The wall clock, Zeek's default for #open/#close. */
export const wallClock: LogClock = () => Date.now() / 1000;

interface OpenLog {
  fd: number;
  file: string;
  /** Bytes in the file, always whole lines. */
  written: number;
  /** A write failed: the file was cut back to its last whole line and takes no more records. */
  failed: boolean;
  chunks: string[];
  pending: number;
  fields: string[] | null;
  types: FieldType[] | null;
  records: number;
}

export class FileLogWriter implements LogSink {
  private readonly logs = new Map<string, OpenLog>();
  readonly counts = new Map<string, number>();
  /** When close() ran, by the writer's clock (the TSV #close time); NaN before. */
  closedAt = Number.NaN;
  /** A write already failed and was thrown: close() flushes the other logs but throws no second error. */
  private failure: LogWriteError | undefined;

  /**
   * @param schemas TSV columns per log path; a log without one gets the first record's fields, with
   * types guessed from their values
   * @param clock the time written as TSV #open/#close (the wall clock unless the caller wants
   * reproducible files, e.g. the capture's own time)
   */
  constructor(
    readonly dir: string,
    readonly format: LogFormat = "json",
    private readonly schemas: LogSchemas = {},
    private readonly clock: LogClock = wallClock,
  ) {
    try {
      makeOutputDir(dir);
    } catch (err) {
      throw new LogWriteError(`cannot create output directory ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  write(path: string, record: LogRecordObject): void {
    let log = this.logs.get(path);
    if (!log) log = this.open(path, record);
    const line = this.format === "json" ? jsonLine(record) : this.tsvLine(log, record);
    log.chunks.push(line);
    log.pending += line.length;
    log.records++;
    this.counts.set(path, log.records);
    if (log.pending >= LOG_FLUSH_BYTES) this.flushLog(log);
  }

  private open(path: string, first: LogRecordObject): OpenLog {
    const file = join(this.dir, `${path}.log`);
    let fd: number;
    try {
      fd = openSync(file, "w");
    } catch (err) {
      throw new LogWriteError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
    const log: OpenLog = {
      fd,
      file,
      written: 0,
      failed: false,
      chunks: [],
      pending: 0,
      fields: null,
      types: null,
      records: 0,
    };
    if (this.format === "tsv") {
      const schema = this.schemas[path];
      const fields = schema ? schema.map((f) => f[0]) : Object.keys(first);
      const types = schema ? schema.map((f) => f[1]) : fields.map((f) => guessType(first[f]));
      log.fields = fields;
      log.types = types;
      const header = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        `#path\t${path}`,
        `#open\t${zeekTime(this.clock())}`,
        `#fields\t${fields.join("\t")}`,
        `#types\t${types.join("\t")}`,
      ].join("\n");
      log.chunks.push(`${header}\n`);
    }
    this.logs.set(path, log);
    return log;
  }

  private tsvLine(log: OpenLog, r: LogRecordObject): string {
    const fields = log.fields as string[];
    const types = log.types as FieldType[];
    let s = "";
    for (let i = 0; i < fields.length; i++) {
      if (i > 0) s += "\t";
      s += tsvValue(r[fields[i]], types[i]);
    }
    return `${s}\n`;
  }

  private flushLog(log: OpenLog): void {
    if (log.chunks.length === 0 || log.failed) return;
    // Bytes, not a string: a short write's remainder is then a byte offset (UTF-8 is multi-byte).
    const data = Buffer.from(log.chunks.join(""), "utf8");
    log.chunks = [];
    log.pending = 0;
    let done = 0;
    while (done < data.length) {
      let n: number;
      try {
        n = writeSync(log.fd, data, done, data.length - done);
      } catch (err) {
        throw this.fail(log, data, done, err as NodeJS.ErrnoException);
      }
      // write(2) returning 0 for a regular file means it cannot take more: ENOSPC by another name.
      if (n === 0) throw this.fail(log, data, done, undefined);
      done += n;
    }
    log.written += data.length;
  }

  /** Cuts `log` back to its last whole line after `done` bytes of `data` went in, and says why. */
  private fail(
    log: OpenLog,
    data: Buffer,
    done: number,
    err: NodeJS.ErrnoException | undefined,
  ): LogWriteError {
    log.failed = true;
    // (lastIndexOf's offset must not be -1: a negative offset counts from the end.)
    const kept = log.written + (done > 0 ? data.lastIndexOf(10, done - 1) + 1 : 0);
    let cut = `it ends at its last whole record (${kept} bytes)`;
    try {
      if (done > 0) ftruncateSync(log.fd, kept);
    } catch (terr) {
      cut = `and it could not be cut back to its last whole record: ${(terr as Error).message}`;
    }
    const error = new LogWriteError(`cannot write ${log.file}: ${writeFailureReason(err)}; ${cut}`, {
      cause: err,
    });
    this.failure ??= error;
    return error;
  }

  /** Ensures a log file exists even when it has no records (so consumers can rely on it). */
  touch(path: string): void {
    if (!this.logs.has(path)) {
      const log = this.open(path, {});
      this.counts.set(path, 0);
      void log;
    }
  }

  /**
   * Flushes and closes every log, even when one fails; then throws the first failure, unless a
   * write already threw one (the caller is handling it).
   */
  close(): void {
    this.closedAt = this.clock();
    const thrown = this.failure;
    let first: unknown;
    for (const log of this.logs.values()) {
      if (this.format === "tsv") log.chunks.push(`#close\t${zeekTime(this.closedAt)}\n`);
      try {
        this.flushLog(log);
      } catch (err) {
        first ??= err;
      }
      try {
        closeSync(log.fd);
      } catch (err) {
        first ??= new LogWriteError(`cannot close ${log.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    this.logs.clear();
    if (first !== undefined && thrown === undefined) throw first;
  }
}

function guessType(v: unknown): FieldType {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "count" : "double";
  if (Array.isArray(v)) return "vector[string]";
  return "string";
}

function escapeTsv(s: string): string {
  // Zeek escapes the separator and non-printable bytes as \xHH.
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13 || c < 32 || c === 0x5c) out += `\\x${HEX_OCTETS[c]}`;
    else out += s[i];
  }
  return out;
}

function tsvValue(v: unknown, type: FieldType): string {
  if (v === undefined || v === null) return "-";
  if (type === "time" || type === "interval") return (v as number).toFixed(6);
  if (typeof v === "boolean") return v ? "T" : "F";
  if (Array.isArray(v)) {
    if (v.length === 0) return "(empty)";
    return v
      .map((x) => (typeof x === "number" && type.includes("interval") ? x.toFixed(6) : escapeTsv(String(x))))
      .join(",");
  }
  if (typeof v === "number") return type === "double" ? String(v) : String(v);
  const s = String(v);
  return s === "" ? "(empty)" : escapeTsv(s);
}
