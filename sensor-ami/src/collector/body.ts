// The request body: read it without letting a client claim unbounded memory, then check that it is what
// its headers say (gzip of that many JSON lines) before anything is stored. The check streams: memory is
// bounded by one record, not by the inflated batch.
import type { IncomingMessage } from "node:http";
import { createGunzip } from "node:zlib";
import { MAX_BATCH_DECOMPRESSED_BYTES } from "../../../contracts/upload/index.js";
import { BatchBodyError } from "./errors.js";

/** One Zeek record far exceeds nothing the analyzers write; a longer line is refused, not buffered. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/** Reads exactly `length` bytes (the request's content-length); more, or a different count, is an error. */
export function readBody(req: IncomingMessage, length: number, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (length > limit) {
      reject(new BodyTooLargeError(`body of ${length} bytes exceeds ${limit}`));
      return;
    }
    const body = Buffer.allocUnsafe(length);
    let at = 0;
    req.on("data", (chunk: Buffer) => {
      if (at + chunk.length > length) {
        req.destroy();
        reject(new BodyTooLargeError("body longer than its content-length"));
        return;
      }
      chunk.copy(body, at);
      at += chunk.length;
    });
    req.once("end", () =>
      at === length ? resolve(body) : reject(new BatchBodyError(`body ended after ${at} of ${length} bytes`)),
    );
    // A socket cut by the request timeout or the client closes the request without "end": the promise must
    // settle all the same, or the bytes it reserved of the in-flight budget would never be released.
    req.once("error", (cause) => reject(new BatchBodyError("the body was cut off", { cause })));
    req.once("close", () =>
      reject(new BatchBodyError(`the body was cut off after ${at} of ${length} bytes`)),
    );
  });
}

/**
 * Inflates `body` and checks every line is a JSON object and there are exactly `records` of them (the last
 * line may lack its newline). Throws BatchBodyError saying what is wrong. `onRecord` sees each record as it is
 * parsed (the duplicate index reads conn records here rather than inflating the batch a second time); what it
 * saw counts only once the promise resolves.
 */
export async function checkJsonLines(
  body: Uint8Array,
  records: number,
  onRecord?: (record: Record<string, unknown>) => void,
): Promise<void> {
  const gunzip = createGunzip();
  let inflated = 0;
  let count = 0;
  let partial: Buffer[] = [];
  let partialLength = 0;
  const line = (bytes: Buffer) => {
    if (bytes.length === 0) throw new BatchBodyError(`record ${count + 1} is an empty line`);
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString("utf8"));
    } catch (cause) {
      throw new BatchBodyError(`record ${count + 1} is not JSON`, { cause });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new BatchBodyError(`record ${count + 1} is not a JSON object`);
    }
    count++;
    if (count > records) throw new BatchBodyError(`more records than the ${records} its header says`);
    onRecord?.(value as Record<string, unknown>);
  };
  const done = new Promise<void>((resolve, reject) => {
    gunzip.on("data", (chunk: Buffer) => {
      try {
        inflated += chunk.length;
        if (inflated > MAX_BATCH_DECOMPRESSED_BYTES) {
          throw new BatchBodyError(`inflates beyond ${MAX_BATCH_DECOMPRESSED_BYTES} bytes`);
        }
        let start = 0;
        for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
          const piece = chunk.subarray(start, nl);
          line(partialLength > 0 ? Buffer.concat([...partial, piece]) : piece);
          partial = [];
          partialLength = 0;
          start = nl + 1;
        }
        if (start < chunk.length) {
          partial.push(chunk.subarray(start));
          partialLength += chunk.length - start;
          if (partialLength > MAX_RECORD_BYTES) {
            throw new BatchBodyError(`record ${count + 1} is longer than ${MAX_RECORD_BYTES} bytes`);
          }
        }
      } catch (error) {
        gunzip.destroy();
        reject(error);
      }
    });
    gunzip.once("end", () => {
      try {
        if (partialLength > 0) line(Buffer.concat(partial));
        if (count !== records) throw new BatchBodyError(`holds ${count} records, its header says ${records}`);
        resolve();
      } catch (error) {
        reject(error);
      }
    });
    gunzip.once("error", (cause) => reject(new BatchBodyError("is not valid gzip", { cause })));
  });
  gunzip.end(body);
  await done;
}
