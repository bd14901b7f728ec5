// A minimal sensor for collector tests: makes a signed batch with contracts/upload and POSTs it over real
// HTTPS, trusting the collector's self-signed certificate as its CA.
import { request } from "node:https";
import { gzipSync } from "node:zlib";
import {
  type BatchMeta,
  batchHeaders,
  deriveTokenKey,
  newBatchId,
  parsePushToken,
  signBatch,
  UPLOAD_PATH,
} from "../../../contracts/upload/index.js";
import type { CollectorLogEntry } from "../../../sensor-ami/src/collector/index.js";

export interface Batch {
  meta: BatchMeta;
  body: Buffer;
  headers: Record<string, string>;
}

/** Zeek-like JSON lines of `log`, gzipped. */
export function records(log: string, n: number, tag = "a"): Buffer {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ ts: 1_795_000_000 + i, uid: `C${tag}${i}`, log }),
  );
  return gzipSync(`${lines.join("\n")}\n`);
}

export function signedBatch(
  token: string,
  over: Partial<BatchMeta> & { body?: Buffer; now?: number } = {},
): Batch {
  const { label, secret } = parsePushToken(token);
  const now = over.now ?? Math.floor(Date.now() / 1000);
  const records_ = over.records ?? 3;
  const meta: BatchMeta = {
    label,
    timestamp: now,
    created: now,
    batchId: newBatchId(),
    sensorId: "sensor-1",
    log: "conn",
    records: records_,
    ...Object.fromEntries(Object.entries(over).filter(([k]) => k !== "body" && k !== "now")),
  };
  const body = over.body ?? records(meta.log, meta.records);
  return { meta, body, headers: batchHeaders(meta, signBatch(deriveTokenKey(secret), meta, body)) };
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** POSTs `body` with `headers`; resolves with the answer even when the collector stops reading early. */
export function post(
  url: string,
  ca: string,
  headers: Record<string, string | number>,
  body: Buffer,
  path = UPLOAD_PATH,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method: "POST", ca, headers: { "content-length": body.length, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export const send = (url: string, ca: string, batch: Batch) => post(url, ca, batch.headers, batch.body);

/** A log sink that keeps entries for assertions. */
export function memoryLog(): { entries: CollectorLogEntry[]; log: (e: CollectorLogEntry) => void } {
  const entries: CollectorLogEntry[] = [];
  return { entries, log: (e) => entries.push(e) };
}
