// The worker side of the live sensor's logs: records become Zeek JSON lines where they are made
// (the packet-processing worker), collected per log path into chunks of whole lines, and handed on
// as strings (the main thread owns the files: RotatingLogWriter). The line is exactly what
// FileLogWriter's JSON mode writes for the same record (both call `jsonLine`).

import { jsonLine } from "./format.js";
import type { LogRecordObject, LogSink } from "./writer.js";

/** Whole lines of one log, and how many records they hold. */
export interface LogChunk {
  path: string;
  /** One or more complete lines, each ending in "\n". */
  text: string;
  records: number;
}

export interface JsonLinesSinkOptions {
  /**
   * Receives full chunks: one when a log's pending text reaches `chunkBytes`, and every non-empty
   * one on drain(). Called synchronously from write()/drain(); must not call back into the sink.
   */
  flush: (chunks: LogChunk[]) => void;
  /** Pending text per log before it is flushed on its own (UTF-16 code units; default 256 KiB). */
  chunkBytes?: number;
  /**
   * Called with each record before it is serialized, e.g. to add the mirror source or VNI. It may
   * change the record in place (fields it adds come last in the line); it is the caller's object.
   */
  enrich?: (path: string, record: LogRecordObject) => void;
}

interface Pending {
  text: string;
  records: number;
}

export const DEFAULT_CHUNK_BYTES = 256 * 1024;

export class JsonLinesSink implements LogSink {
  /** Records written per log path since the sink was made (flushed or not). */
  readonly counts = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private readonly flushChunks: (chunks: LogChunk[]) => void;
  private readonly chunkBytes: number;
  private readonly enrich: ((path: string, record: LogRecordObject) => void) | undefined;
  private pendingLength = 0;

  constructor(options: JsonLinesSinkOptions) {
    this.flushChunks = options.flush;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.enrich = options.enrich;
    if (!(this.chunkBytes > 0)) throw new RangeError(`chunkBytes must be positive, not ${this.chunkBytes}`);
  }

  write(path: string, record: LogRecordObject): void {
    if (this.enrich !== undefined) this.enrich(path, record);
    const line = jsonLine(record);
    let p = this.pending.get(path);
    if (p === undefined) {
      p = { text: "", records: 0 };
      this.pending.set(path, p);
    }
    // String concatenation builds a rope: appending is O(1), flattened once when posted.
    p.text += line;
    p.records++;
    this.pendingLength += line.length;
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
    if (p.text.length >= this.chunkBytes) {
      const chunk = this.take(path, p);
      this.flushChunks([chunk]);
    }
  }

  /** Hands every pending line on (one flush call, nothing if there is nothing): on a timer and at shutdown. */
  drain(): void {
    const chunks: LogChunk[] = [];
    for (const [path, p] of this.pending) if (p.records > 0) chunks.push(this.take(path, p));
    if (chunks.length > 0) this.flushChunks(chunks);
  }

  /** Text not yet handed on (UTF-16 code units, roughly bytes for Zeek's mostly-ASCII logs). */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  private take(path: string, p: Pending): LogChunk {
    const chunk = { path, text: p.text, records: p.records };
    this.pendingLength -= p.text.length;
    p.text = "";
    p.records = 0;
    return chunk;
  }
}
