// One engine worker's share of the PCAP ring: the decapsulated frames it analyses, appended to
// rolling classic-pcap files in its own folder (`<pcapDir>/w<worker>/`), oldest closed files
// deleted first when the share is full.
//
// It runs in the packet path, so: records are gathered in one buffer and written with one
// write(2) per ~1 MiB (never per packet); every write is checked; a refused write is counted and
// reported through `counters()`, never thrown, and writing stops (analysis goes on) until
// RETRY_SECONDS later, when a new file is tried. Synchronous writes are deliberate: the worker owns
// its thread, a 1 MiB write into the page cache costs well under a millisecond, and the buffer is
// reused at once.

import * as nodeFs from "node:fs";
import { join } from "node:path";
import {
  PCAP_GLOBAL_HEADER_BYTES,
  PCAP_RECORD_HEADER_BYTES,
  PCAP_SNAPLEN,
  toMicros,
  writeGlobalHeader,
  writeRecordHeader,
} from "./format.js";
import {
  closedName,
  openName,
  parseClosedName,
  parseOpenName,
  UPLOADED_SUFFIX,
  uploadedMarker,
} from "./names.js";

const MIB = 1024 * 1024;
/** Records are gathered up to this size before one write(2). */
export const DEFAULT_BUFFER_BYTES = MIB;
/** A file is closed at this size… */
export const DEFAULT_ROTATE_BYTES = 64 * MIB;
/** …or when its first packet is this old (so closed files, which are uploaded, trail by a minute at most). */
export const DEFAULT_ROTATE_SECONDS = 60;
/** After the disk refused a write, pcap writing pauses this long before a new file is tried. */
export const RETRY_SECONDS = 10;
/**
 * A file may use at most this share of the worker's bound, so that deleting every older file always
 * makes room for the one being written (the bound holds at file granularity).
 */
const MAX_FILE_SHARE = 1 / 4;

/** The file operations the ring uses: node:fs by default, replaceable to test failing disks. */
export type PcapFs = Pick<
  typeof nodeFs,
  | "openSync"
  | "writeSync"
  | "closeSync"
  | "renameSync"
  | "unlinkSync"
  | "mkdirSync"
  | "readdirSync"
  | "statSync"
  | "existsSync"
>;

export interface ClosedPcap {
  /** Absolute (or as given) path of the closed file. */
  path: string;
  name: string;
  worker: number;
  bytes: number;
  startMicros: number;
  endMicros: number;
}

export interface PcapRingOptions {
  /** This worker's folder (`<pcapDir>/w<worker>`), created if missing. */
  dir: string;
  worker: number;
  /** This worker's share of pcapMaxGB, bytes: closed and open files together stay under it. */
  maxBytes: number;
  rotateBytes?: number;
  rotateSeconds?: number;
  bufferBytes?: number;
  /** Told about every closed file (the worker forwards it to the main thread's uploader). */
  onClosed?: (file: ClosedPcap) => void;
  fs?: PcapFs;
}

export interface PcapCounters {
  /** Frames written (into the buffer that goes to the file). */
  packets: number;
  /** Frames not written because the disk refused an earlier write (writing paused). */
  droppedPackets: number;
  /** Refused writes, opens, closes, renames or deletes. */
  writeErrors: number;
  lastError: string | null;
  /** Bytes the ring holds on disk now (closed files and the open one), and its bound. */
  diskBytes: number;
  maxBytes: number;
  closedFiles: number;
  /** Closed files deleted to keep the bound. */
  deletedFiles: number;
}

interface OpenFile {
  fd: number;
  path: string;
  startMicros: number;
  endMicros: number;
  /** Bytes already written to the file (not counting the buffer). */
  written: number;
}

export class PcapRing {
  private readonly fs: PcapFs;
  private readonly rotateBytes: number;
  private readonly rotateMicros: number;
  private readonly buf: Buffer;
  private used = 0;
  private file: OpenFile | undefined;
  /** Closed files, oldest first. */
  private readonly closed: ClosedPcap[] = [];
  private closedBytes = 0;
  private seq = 0;
  /** While set, the disk refused a write: nothing is written before this time (µs). */
  private pausedUntilMicros = 0;
  private readonly c: PcapCounters;

  constructor(private readonly o: PcapRingOptions) {
    this.fs = o.fs ?? nodeFs;
    this.rotateBytes = Math.max(
      PCAP_GLOBAL_HEADER_BYTES + PCAP_RECORD_HEADER_BYTES + PCAP_SNAPLEN,
      Math.min(o.rotateBytes ?? DEFAULT_ROTATE_BYTES, Math.floor(o.maxBytes * MAX_FILE_SHARE)),
    );
    this.rotateMicros = (o.rotateSeconds ?? DEFAULT_ROTATE_SECONDS) * 1_000_000;
    this.buf = Buffer.allocUnsafe(
      Math.max(
        o.bufferBytes ?? DEFAULT_BUFFER_BYTES,
        PCAP_GLOBAL_HEADER_BYTES + PCAP_RECORD_HEADER_BYTES + PCAP_SNAPLEN,
      ),
    );
    this.c = {
      packets: 0,
      droppedPackets: 0,
      writeErrors: 0,
      lastError: null,
      diskBytes: 0,
      maxBytes: o.maxBytes,
      closedFiles: 0,
      deletedFiles: 0,
    };
    this.adoptExisting();
  }

  /** Appends the frame `bytes[start, end)` received at `ts` seconds, `origLen` bytes on the wire. */
  write(bytes: Uint8Array, start: number, end: number, ts: number, origLen: number): void {
    const micros = toMicros(ts);
    if (micros < this.pausedUntilMicros) {
      this.c.droppedPackets++;
      return;
    }
    const incl = Math.min(end - start, PCAP_SNAPLEN);
    if (incl <= 0) return;
    const record = PCAP_RECORD_HEADER_BYTES + incl;
    let f = this.file;
    if (
      f !== undefined &&
      (f.written + this.used + record > this.rotateBytes || micros - f.startMicros >= this.rotateMicros)
    ) {
      this.close();
      f = undefined;
    }
    if (f === undefined) {
      f = this.open(micros);
      if (f === undefined) {
        this.c.droppedPackets++;
        return;
      }
    }
    if (this.used + record > this.buf.length && !this.flush()) {
      this.c.droppedPackets++;
      return;
    }
    let at = this.used;
    at += writeRecordHeader(this.buf, at, ts, incl, Math.max(origLen, incl));
    this.buf.set(bytes.subarray(start, start + incl), at);
    this.used = at + incl;
    f.endMicros = Math.max(f.endMicros, micros);
    this.c.packets++;
  }

  /** Time passes without packets: a file whose first packet is rotateSeconds old is closed. */
  tick(nowSeconds: number): void {
    const f = this.file;
    if (f !== undefined && toMicros(nowSeconds) - f.startMicros >= this.rotateMicros) this.close();
  }

  /** Closes the open file (end of input). */
  finish(): void {
    if (this.file !== undefined) this.close();
  }

  counters(): PcapCounters {
    const open = this.file === undefined ? 0 : this.file.written + this.used;
    return { ...this.c, diskBytes: this.closedBytes + open, closedFiles: this.closed.length };
  }

  /** Closed files still on disk, oldest first (tests and the snapshot). */
  files(): readonly ClosedPcap[] {
    return this.closed;
  }

  private open(micros: number): OpenFile | undefined {
    const path = join(this.o.dir, openName(micros, ++this.seq));
    try {
      this.fs.mkdirSync(this.o.dir, { recursive: true });
      const fd = this.fs.openSync(path, "w");
      this.file = { fd, path, startMicros: micros, endMicros: micros, written: 0 };
    } catch (err) {
      this.refused(`cannot open ${path}`, err, micros);
      return undefined;
    }
    this.used = writeGlobalHeader(this.buf, 0);
    return this.file;
  }

  /** Writes the buffer out; false (counted, writing paused, the file closed) when the disk refuses. */
  private flush(): boolean {
    const f = this.file;
    if (f === undefined || this.used === 0) return true;
    let done = 0;
    try {
      // write(2) may take less than asked (a full disk, a signal): the rest goes in the next call.
      while (done < this.used) {
        const n = this.fs.writeSync(f.fd, this.buf, done, this.used - done);
        if (n <= 0) throw new Error(`write returned ${n}`);
        done += n;
      }
    } catch (err) {
      f.written += done;
      this.used = 0;
      this.refused(`cannot write ${f.path}`, err, f.endMicros);
      return false;
    }
    f.written += done;
    this.used = 0;
    this.keepBound();
    return true;
  }

  /** Flushes, closes and renames the open file to its closed name; tells onClosed. */
  private close(): void {
    const f = this.file;
    if (f === undefined) return;
    if (!this.flush()) return; // refused() has closed it
    this.file = undefined;
    try {
      this.fs.closeSync(f.fd);
    } catch (err) {
      this.count(`cannot close ${f.path}`, err);
    }
    this.settle(f);
  }

  /** Gives a file that holds data its closed name and adds it to the ring (a torn one is kept too). */
  private settle(f: OpenFile): void {
    if (f.written <= PCAP_GLOBAL_HEADER_BYTES) {
      this.remove(f.path);
      return;
    }
    let end = f.endMicros;
    // Two files of one worker with the same start and end (a burst within one microsecond, split by
    // size) would collide: the later one's end is moved on by a microsecond, widening its range.
    let name = closedName({ startMicros: f.startMicros, endMicros: end, worker: this.o.worker });
    while (this.fs.existsSync(join(this.o.dir, name)))
      name = closedName({ startMicros: f.startMicros, endMicros: ++end, worker: this.o.worker });
    const path = join(this.o.dir, name);
    try {
      this.fs.renameSync(f.path, path);
    } catch (err) {
      this.count(`cannot rename ${f.path}`, err);
      return;
    }
    const closed: ClosedPcap = {
      path,
      name,
      worker: this.o.worker,
      bytes: f.written,
      startMicros: f.startMicros,
      endMicros: end,
    };
    this.closed.push(closed);
    this.closedBytes += closed.bytes;
    this.keepBound();
    this.o.onClosed?.(closed);
  }

  /** Deletes the oldest closed files while the ring holds more than its bound. */
  private keepBound(): void {
    const open = this.file === undefined ? 0 : this.file.written + this.used;
    while (this.closed.length > 0 && this.closedBytes + open > this.o.maxBytes) {
      const oldest = this.closed.shift() as ClosedPcap;
      this.closedBytes -= oldest.bytes;
      this.remove(oldest.path);
      // The upload marker goes with its file (zero bytes, but a stale one would outlive the name).
      this.remove(uploadedMarker(oldest.path));
      this.c.deletedFiles++;
    }
  }

  private remove(path: string): void {
    try {
      this.fs.unlinkSync(path);
    } catch (err) {
      // Already gone (an operator cleaned up) is what deleting wanted; anything else is reported.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.count(`cannot delete ${path}`, err);
    }
  }

  /** The disk refused: count it, keep what reached the file, pause writing. */
  private refused(what: string, err: unknown, atMicros: number): void {
    this.count(what, err);
    this.pausedUntilMicros = atMicros + RETRY_SECONDS * 1_000_000;
    const f = this.file;
    this.file = undefined;
    this.used = 0;
    if (f === undefined) return;
    try {
      this.fs.closeSync(f.fd);
    } catch {
      // The write already failed and was counted; the descriptor is gone either way.
    }
    this.settle(f);
  }

  private count(what: string, err: unknown): void {
    this.c.writeErrors++;
    this.c.lastError = `${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }

  /**
   * A restart finds the previous run's files: closed ones count against the bound (and are deleted
   * first, being oldest); one left open by a crash is closed under its modification time.
   */
  private adoptExisting(): void {
    let names: string[];
    try {
      names = this.fs.readdirSync(this.o.dir);
    } catch {
      return; // not there yet: made at the first packet
    }
    for (const name of names) {
      const start = parseOpenName(name);
      if (start === undefined) continue;
      const path = join(this.o.dir, name);
      try {
        const st = this.fs.statSync(path);
        const end = Math.max(start, Math.round(st.mtimeMs * 1000));
        this.settle({ fd: -1, path, startMicros: start, endMicros: end, written: st.size });
      } catch (err) {
        this.count(`cannot adopt ${path}`, err);
      }
    }
    const known = new Set(this.closed.map((f) => f.name));
    for (const name of names) {
      const n = parseClosedName(name);
      if (n === undefined || known.has(name)) continue;
      const path = join(this.o.dir, name);
      try {
        const bytes = this.fs.statSync(path).size;
        this.closed.push({ path, name, bytes, ...n });
        this.closedBytes += bytes;
      } catch (err) {
        this.count(`cannot adopt ${path}`, err);
      }
    }
    this.closed.sort((a, b) => a.startMicros - b.startMicros || a.endMicros - b.endMicros);
    // A marker whose file is gone (deleted by the bound while its upload finished) is dropped.
    const present = new Set(names);
    for (const name of names)
      if (name.endsWith(UPLOADED_SUFFIX) && !present.has(name.slice(0, -UPLOADED_SUFFIX.length)))
        this.remove(join(this.o.dir, name));
    this.keepBound();
  }
}
