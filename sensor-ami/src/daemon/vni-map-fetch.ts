// Brings the VNI map from S3 (`vniMapS3`) to the file the sensor reads (`vniMap`). The mirror-on-launch
// reconciler publishes the map to `s3://<records bucket>/spanless/vni-map.json` after every pass; this
// fetcher, on the main thread and off the packet path, asks for it every `intervalMs` with the ETag it
// last saw (If-None-Match), so an unchanged map costs a 304 and no body. A new object is checked with
// contracts/vni-map's parseVniMap before it is written, and written atomically (temporary file in the
// same directory, fsync, rename): the sensor's file watcher (sensor.ts loadVniMap) then sees one whole
// new file, never half of one. Any failure (no object yet, access denied, S3 unreachable, an invalid
// map, a refused write) is kept as the status's `error`, which the health report's `vni_map` line
// shows as a WARNING with the bucket, key and the AWS error; the last good file stays where it is.
// Nothing here throws into the sensor.
//
// The S3 client is imported on the first fetch (`await import()`), as the PCAP uploader does, so a
// sensor without vniMapS3, and `spanless analyze`, never load the AWS SDK (test/tools/bundle.test.ts).

import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseVniMap, type VniMap } from "../../../contracts/vni-map/index.js";
import { type S3Client, type S3Module, sensorS3Client } from "../aws/s3.js";
import type { VniMapFetchSnapshot } from "./snapshot.js";

/** How often the object is asked for when the caller does not say. */
export const DEFAULT_VNI_MAP_FETCH_INTERVAL_MS = 60_000;
/** One fetch, retries included, gives up after this long (a black-holed route must not stall the loop). */
const FETCH_TIMEOUT_MS = 30_000;
const S3_OBJECT_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*[^/])$/;

export interface VniMapFetcherOptions {
  /** `s3://bucket/key`. */
  url: string;
  /** The local copy: the sensor's `vniMap` file. */
  file: string;
  /** An S3-compatible endpoint (tests: moto_server); absent: AWS's, from the default chain. */
  endpoint?: string;
  intervalMs?: number;
  log: (line: string) => void;
  /** Called after a new map was written to `file` (the sensor reloads it at once). */
  onWritten?: (map: VniMap) => void;
}

/** What /status shows under `vniMap.s3`. */
export type VniMapFetchStatus = VniMapFetchSnapshot;

/** `s3://bucket/key` as bucket and key, or undefined when it is not one object's URL. */
export function parseS3ObjectUrl(url: string): { bucket: string; key: string } | undefined {
  const m = S3_OBJECT_URL.exec(url);
  return m === null ? undefined : { bucket: m[1] as string, key: m[2] as string };
}

export class VniMapFetcher {
  private readonly bucket: string;
  private readonly key: string;
  private readonly intervalMs: number;
  private readonly st: Omit<VniMapFetchStatus, "error">;
  /** The request failed (S3's answer or the network): cleared by the next answer. */
  private fetchError: string | null = null;
  /** The object S3 holds is unusable (invalid, or could not be written): cleared by the next usable one. */
  private objectError: string | null = null;
  private s3: { module: S3Module; client: S3Client } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private abort: AbortController | undefined;

  constructor(private readonly o: VniMapFetcherOptions) {
    const location = parseS3ObjectUrl(o.url);
    if (location === undefined) throw new Error(`vniMapS3 "${o.url}" must be s3://<bucket>/<key>`);
    this.bucket = location.bucket;
    this.key = location.key;
    this.intervalMs = o.intervalMs ?? DEFAULT_VNI_MAP_FETCH_INTERVAL_MS;
    this.st = {
      url: o.url,
      bucket: this.bucket,
      key: this.key,
      intervalSeconds: this.intervalMs / 1000,
      lastCheckAt: null,
      lastWrittenAt: null,
      etag: null,
      fetches: 0,
      notModified: 0,
      written: 0,
      failures: 0,
    };
  }

  /** Fetches now, then every interval (the first fetch runs in the background). */
  start(): void {
    void this.fetchNow();
  }

  /**
   * Fetches now (SIGHUP, tests); a fetch already running is followed by one more. Resolves when the
   * fetch is done; never rejects.
   */
  fetchNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    clearTimeout(this.timer);
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (!this.closed) {
        this.timer = setTimeout(() => void this.fetchNow(), this.intervalMs);
        this.timer.unref();
      }
    });
    return this.running;
  }

  status(): VniMapFetchStatus {
    return { ...this.st, error: this.fetchError ?? this.objectError };
  }

  /** Stops the loop and cuts off a request in flight. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort?.abort();
    await this.running?.catch(() => undefined);
    this.s3?.client.destroy();
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.fetchOnce();
    } while (this.again && !this.closed);
  }

  private async fetchOnce(): Promise<void> {
    const where = `s3://${this.bucket}/${this.key}`;
    this.st.fetches++;
    let answer: { notModified: true } | { notModified: false; body: string; etag: string | null };
    try {
      answer = await this.get();
    } catch (err) {
      if (this.closed) return;
      this.st.failures++;
      this.setFetchError(`${where}: ${describeS3Error(err)}`);
      return;
    }
    this.st.lastCheckAt = Date.now() / 1000;
    this.fetchError = null;
    if (answer.notModified) {
      this.st.notModified++;
      return;
    }
    this.st.etag = answer.etag;
    let map: VniMap;
    try {
      map = parseVniMap(answer.body);
    } catch (err) {
      this.st.failures++;
      this.setObjectError(
        `${where} is not a valid VNI map (${(err as Error).message}); the last good map stays in use`,
      );
      return;
    }
    try {
      const written = await this.writeIfChanged(answer.body);
      this.objectError = null;
      if (!written) return;
      this.st.written++;
      this.st.lastWrittenAt = Date.now() / 1000;
      this.o.onWritten?.(map);
    } catch (err) {
      this.st.failures++;
      // Asked for again next time: the write may succeed then.
      this.st.etag = null;
      this.setObjectError(
        `cannot write ${this.o.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the last good map stays in use`,
      );
    }
  }

  /** A conditional GET: 304 when the object still has the ETag the file holds. */
  private async get(): Promise<
    { notModified: true } | { notModified: false; body: string; etag: string | null }
  > {
    if (this.s3 === undefined) {
      this.s3 = await sensorS3Client({
        maxAttempts: 2,
        ...(this.o.endpoint === undefined ? {} : { endpoint: this.o.endpoint }),
      });
    }
    const { module, client } = this.s3;
    this.abort = new AbortController();
    const timer = setTimeout(() => this.abort?.abort(), FETCH_TIMEOUT_MS);
    try {
      const r = await client.send(
        new module.GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          ...(this.st.etag === null ? {} : { IfNoneMatch: this.st.etag }),
        }),
        { abortSignal: this.abort.signal },
      );
      const body = (await r.Body?.transformToString("utf8")) ?? "";
      return { notModified: false, body, etag: r.ETag ?? null };
    } catch (err) {
      if (httpStatus(err) === 304) return { notModified: true };
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes the text atomically unless the file already holds exactly it (a restart: no reload). */
  private async writeIfChanged(text: string): Promise<boolean> {
    const existing = await readFile(this.o.file, "utf8").catch(() => undefined);
    if (existing === text) return false;
    const dir = dirname(this.o.file);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(this.o.file)}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      const fh = await open(temp, "wx", 0o640);
      try {
        await fh.writeFile(text, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, this.o.file);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    // The rename is durable once the directory is: a crash right after keeps the new file.
    const d = await open(dir, "r").catch(() => undefined);
    await d?.sync().catch(() => undefined);
    await d?.close();
    return true;
  }

  private setFetchError(error: string): void {
    if (this.fetchError !== error) this.o.log(`warning: VNI map not fetched: ${error}`);
    this.fetchError = error;
  }

  private setObjectError(error: string): void {
    if (this.objectError !== error) this.o.log(`warning: VNI map not updated: ${error}`);
    this.objectError = error;
  }
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/**
 * The AWS error with what it most likely means here. The sensor role may read only this object (no
 * s3:ListBucket), so S3 answers a missing object with AccessDenied as well as NoSuchKey.
 */
export function describeS3Error(err: unknown): string {
  const e = err as Error & { Code?: string };
  const name = e.name === "Error" && e.Code !== undefined ? e.Code : e.name;
  const status = httpStatus(err);
  const detail = `${name}${status === undefined ? "" : ` (HTTP ${status})`}: ${e.message}`;
  if (name === "NoSuchKey" || (status === 404 && name !== "NoSuchBucket"))
    return `${detail}: the object does not exist yet; the mirror-on-launch reconciler publishes it after its first pass (it runs on a schedule), until then records carry no instance enrichment`;
  if (name === "NoSuchBucket") return `${detail}: the bucket does not exist; check vniMapS3`;
  if (name === "AccessDenied" || status === 403)
    return `${detail}: the instance role may lack s3:GetObject on this object (or kms:Decrypt of the bucket's key through S3), or the object does not exist yet (without s3:ListBucket S3 answers a missing object with AccessDenied)`;
  if (name === "AbortError" || name === "TimeoutError")
    return `${detail}: no answer from S3 within ${FETCH_TIMEOUT_MS / 1000} s; check the route to S3 (NAT gateway or S3 endpoint)`;
  return detail;
}
