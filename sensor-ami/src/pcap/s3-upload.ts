// Uploads the ring's closed files to S3 under `<prefix>/pcap/sensor=<id>/dt=YYYY-MM-DD/<file>`,
// from the main thread: a worker says "file closed" (a `pcap-closed` message) and the file joins
// this queue. Retention is the bucket's lifecycle rule, not ours; and a file leaves the disk only by
// the ring's bound, never because it was uploaded (the local ring is what `pcap find` searches).
//
// An upload is recorded on disk: a zero-byte `<file>.uploaded` beside the file (the ring deletes it
// with its file). At start, `resume()` queues every closed file in the ring without one, oldest
// first: those still queued when the last run stopped, those whose upload was given up, and those
// a crash left open (the ring closes them at its start, and says so too: a file is queued once).
//
// The S3 client is imported on the first upload (`await import()`), so a sensor without pcapS3,
// and `spanless analyze`, never load the AWS SDK (test/tools/bundle.test.ts).

import { readdirSync } from "node:fs";
import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type S3Client, type S3Module, sensorS3Client } from "../aws/s3.js";
import { PcapConfigError, PcapUploadError } from "./errors.js";
import {
  type ClosedName,
  parseClosedName,
  parseS3Url,
  parseWorkerFolder,
  pcapObjectKey,
  type S3Location,
  uploadedMarker,
} from "./names.js";

/** Attempts per file before it is given up (counted, logged): with the backoff, about a minute. */
export const MAX_ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** Files waiting beyond this are dropped from the queue, oldest first (they stay on disk). */
const MAX_QUEUE = 10_000;

export interface PcapUploaderOptions {
  /** `s3://bucket[/prefix]`. */
  url: string;
  sensorId: string;
  /** An S3-compatible endpoint (tests: moto_server); absent: AWS's, from the default chain. */
  endpoint?: string;
  /** The ring's directory (`<pcapDir>`, holding `w<N>/`): what `resume()` scans. */
  dir?: string;
  log: (line: string) => void;
  /** Backoff before the n-th retry, ms (tests shorten it). */
  backoffMs?: (attempt: number) => number;
}

export interface PcapUploadStatus {
  uploaded: number;
  uploadedBytes: number;
  /** Files given up after MAX_ATTEMPTS, or dropped from a full queue. */
  failed: number;
  /** Files the ring deleted before their turn came (the upload was slower than the ring turned). */
  missed: number;
  pending: number;
  lastError: string | null;
}

interface Job {
  path: string;
  name: string;
}

export class PcapUploader {
  private readonly location: S3Location;
  private readonly queue: Job[] = [];
  /** Paths in the queue: a file said closed twice (resume() and the ring's start) is queued once. */
  private readonly queued = new Set<string>();
  private readonly st: PcapUploadStatus = {
    uploaded: 0,
    uploadedBytes: 0,
    failed: 0,
    missed: 0,
    pending: 0,
    lastError: null,
  };
  private s3: { module: S3Module; client: S3Client } | undefined;
  private running: Promise<void> | undefined;
  private closing = false;
  private wake: (() => void) | undefined;

  constructor(private readonly o: PcapUploaderOptions) {
    const location = parseS3Url(o.url);
    if (location === undefined) throw new PcapConfigError("pcapS3 must be s3://bucket[/prefix]");
    this.location = location;
  }

  /**
   * At start: queues, oldest first, every closed file under `dir` that has no upload marker (left
   * queued by the last stop, given up, or closed by a crash). Returns how many were queued.
   */
  resume(): number {
    if (this.o.dir === undefined) return 0;
    const found: (ClosedName & Job)[] = [];
    let folders: string[];
    try {
      folders = readdirSync(this.o.dir);
    } catch {
      return 0; // no ring yet
    }
    for (const folder of folders) {
      if (parseWorkerFolder(folder) === undefined) continue;
      const dir = join(this.o.dir, folder);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue; // not a folder
      }
      const present = new Set(names);
      for (const name of names) {
        const n = parseClosedName(name);
        if (n === undefined || present.has(uploadedMarker(name))) continue;
        found.push({ ...n, name, path: join(dir, name) });
      }
    }
    found.sort((a, b) => a.startMicros - b.startMicros || a.endMicros - b.endMicros || a.worker - b.worker);
    const before = this.queue.length;
    for (const f of found) this.closed({ path: f.path, name: f.name });
    return this.queue.length - before;
  }

  /** A worker closed a file: it joins the queue. */
  closed(file: Job): void {
    if (this.closing || this.queued.has(file.path)) return;
    this.queue.push(file);
    this.queued.add(file.path);
    if (this.queue.length > MAX_QUEUE) {
      const dropped = this.queue.shift() as Job;
      this.queued.delete(dropped.path);
      this.st.failed++;
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  status(): PcapUploadStatus {
    return { ...this.st, pending: this.queue.length };
  }

  /** The object key a closed file is stored under. */
  keyOf(name: string): string | undefined {
    return pcapObjectKey(this.location.prefix, this.o.sensorId, name);
  }

  /** Stops taking files; waits up to `flushWithinMs` for the queue to empty. Returns files left. */
  async close(options: { flushWithinMs: number }): Promise<number> {
    this.closing = true;
    const done = this.running ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, options.flushWithinMs)))]);
    clearTimeout(timer);
    const left = this.queue.length;
    this.queue.length = 0;
    this.queued.clear();
    this.wake?.();
    // An upload still in flight is cut off (closing makes it give up rather than retry).
    this.s3?.client.destroy();
    return left;
  }

  private async drain(): Promise<void> {
    for (let job = this.queue[0]; job !== undefined; job = this.queue[0]) {
      await this.upload(job);
      if (this.queue[0] === job) {
        this.queue.shift();
        this.queued.delete(job.path);
      }
    }
  }

  private async upload(job: Job): Promise<void> {
    const key = this.keyOf(job.name);
    if (key === undefined) return;
    if (await exists(uploadedMarker(job.path))) return; // S3 has it (an earlier run, or queued twice)
    for (let attempt = 1; ; attempt++) {
      let body: Buffer;
      try {
        body = await readFile(job.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") {
          this.st.missed++;
          return;
        }
        this.giveUp(job, key, err);
        return;
      }
      try {
        await this.put(key, body);
        this.st.uploaded++;
        this.st.uploadedBytes += body.length;
        await this.markUploaded(job);
        return;
      } catch (err) {
        this.st.lastError = `s3://${this.location.bucket}/${key}: ${(err as Error).message}`;
        if (attempt >= MAX_ATTEMPTS || this.closing) {
          this.giveUp(job, key, err);
          return;
        }
        await this.sleep((this.o.backoffMs ?? backoff)(attempt));
      }
    }
  }

  /**
   * Records the upload beside the file. Not written (a full disk): the next start uploads the file
   * again, to the same key with the same bytes, which costs a PUT and loses nothing. The ring may
   * have deleted the file meanwhile: its next start drops the stray marker.
   */
  private async markUploaded(job: Job): Promise<void> {
    try {
      await writeFile(uploadedMarker(job.path), "");
    } catch {
      // See above: a missing marker means one more upload, never a lost file.
    }
  }

  private giveUp(job: Job, key: string, err: unknown): void {
    this.st.failed++;
    const e = new PcapUploadError(`cannot upload ${job.path} to s3://${this.location.bucket}/${key}`, {
      cause: err,
    });
    this.st.lastError = `${e.message}: ${(err as Error).message}`;
    this.o.log(`warning: ${this.st.lastError} (it stays on disk until the ring deletes it)`);
  }

  private async put(key: string, body: Buffer): Promise<void> {
    if (this.s3 === undefined) {
      this.s3 = await sensorS3Client(this.o.endpoint === undefined ? {} : { endpoint: this.o.endpoint });
    }
    const { module, client } = this.s3;
    await client.send(
      new module.PutObjectCommand({
        Bucket: this.location.bucket,
        Key: key,
        Body: body,
        ContentType: "application/vnd.tcpdump.pcap",
      }),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Exponential backoff with jitter: about 1, 2, 4, 8, 16 s, at most 30. */
function backoff(attempt: number): number {
  const base = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
  return base / 2 + Math.random() * (base / 2);
}
