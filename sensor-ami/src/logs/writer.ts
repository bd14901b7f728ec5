// Zeek-style log files: one file per log path (conn.log, weird.log, dns.log, …), as JSON lines
// (Zeek's `LogAscii::use_json=T` shape: field names as keys, unset fields omitted) or as Zeek
// TSV with the #separator/#fields/#types header. Output is buffered and written synchronously so
// the per-record cost is a string append.

import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { HEX_OCTETS } from "../text/bytes.js";
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

interface OpenLog {
  fd: number;
  chunks: string[];
  pending: number;
  fields: string[] | null;
  types: FieldType[] | null;
  records: number;
}

export class FileLogWriter implements LogSink {
  private readonly logs = new Map<string, OpenLog>();
  readonly counts = new Map<string, number>();

  /**
   * @param schemas TSV columns per log path; a log without one gets the first record's fields, with
   * types guessed from their values
   */
  constructor(
    readonly dir: string,
    readonly format: LogFormat = "json",
    private readonly schemas: LogSchemas = {},
  ) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new LogWriteError(`cannot create output directory ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  write(path: string, record: LogRecordObject): void {
    let log = this.logs.get(path);
    if (!log) log = this.open(path, record);
    const line = this.format === "json" ? `${JSON.stringify(record)}\n` : this.tsvLine(log, record);
    log.chunks.push(line);
    log.pending += line.length;
    log.records++;
    this.counts.set(path, log.records);
    if (log.pending >= LOG_FLUSH_BYTES) this.flushLog(path, log);
  }

  private open(path: string, first: LogRecordObject): OpenLog {
    const file = join(this.dir, `${path}.log`);
    let fd: number;
    try {
      fd = openSync(file, "w");
    } catch (err) {
      throw new LogWriteError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
    }
    const log: OpenLog = { fd, chunks: [], pending: 0, fields: null, types: null, records: 0 };
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
        `#open\t${zeekTime(new Date())}`,
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

  private flushLog(path: string, log: OpenLog): void {
    if (log.chunks.length === 0) return;
    const data = log.chunks.join("");
    log.chunks = [];
    log.pending = 0;
    try {
      writeSync(log.fd, data);
    } catch (err) {
      throw new LogWriteError(`cannot write ${join(this.dir, `${path}.log`)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Ensures a log file exists even when it has no records (so consumers can rely on it). */
  touch(path: string): void {
    if (!this.logs.has(path)) {
      const log = this.open(path, {});
      this.counts.set(path, 0);
      void log;
    }
  }

  close(): void {
    for (const [path, log] of this.logs) {
      if (this.format === "tsv") log.chunks.push(`#close\t${zeekTime(new Date())}\n`);
      this.flushLog(path, log);
      closeSync(log.fd);
    }
    this.logs.clear();
  }
}

function zeekTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
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
