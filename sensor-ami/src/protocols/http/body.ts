// Length and MIME type of one message body. Like Zeek, a gzip/deflate Content-Encoding is
// undone before measuring and sniffing — within fixed bounds, beyond which raw figures are kept.

import { constants, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import { MAX_COMPRESSED_BODY_BYTES, MAX_DECODED_BODY_BYTES, MIME_SNIFF_BYTES } from "./limits.js";
import { sniffMimeType } from "./mime.js";

export type ContentCoding = "gzip" | "deflate";

/** The coding we can undo, from a Content-Encoding header value (only a single coding). */
export function contentCoding(value: string): ContentCoding | undefined {
  const v = value.trim().toLowerCase();
  if (v === "gzip" || v === "x-gzip") return "gzip";
  if (v === "deflate") return "deflate";
  return undefined;
}

export interface BodySummary {
  /** Entity length: decoded when the coding could be undone, else as transferred (de-chunked). */
  length: number;
  mimeType?: string;
  /** Why a coded body was measured raw, for a weird. */
  decodeProblem?: string;
}

// Truncated streams (a gap, a cut connection) still yield what was decodable.
const LENIENT = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: MAX_DECODED_BODY_BYTES };

function decode(coding: ContentCoding, data: Buffer): Buffer {
  if (coding === "gzip") return gunzipSync(data, LENIENT);
  try {
    return inflateSync(data, LENIENT);
  } catch {
    // Some servers send raw DEFLATE without the zlib wrapper RFC 9110 asks for.
    return inflateRawSync(data, LENIENT);
  }
}

export class MessageBody {
  private rawLength = 0;
  private readonly head = new Uint8Array(MIME_SNIFF_BYTES);
  private headFilled = 0;
  private coded: Uint8Array[] | undefined;
  private tooLarge = false;

  constructor(private readonly coding: ContentCoding | undefined) {
    if (coding) this.coded = [];
  }

  get transferred(): number {
    return this.rawLength;
  }

  add(bytes: Uint8Array): void {
    this.rawLength += bytes.length;
    if (this.headFilled < MIME_SNIFF_BYTES) {
      const take = Math.min(bytes.length, MIME_SNIFF_BYTES - this.headFilled);
      this.head.set(bytes.subarray(0, take), this.headFilled);
      this.headFilled += take;
    }
    if (!this.coded) return;
    if (this.rawLength > MAX_COMPRESSED_BODY_BYTES) {
      this.coded = undefined;
      this.tooLarge = true;
      return;
    }
    // A copy: the delivery's buffer is reused (Buffer#slice would only be a view).
    this.coded.push(new Uint8Array(bytes));
  }

  finish(): BodySummary {
    const rawHead = this.head.subarray(0, this.headFilled);
    const raw: BodySummary = { length: this.rawLength, mimeType: sniffMimeType(rawHead) };
    if (this.rawLength === 0) return { length: 0 };
    if (this.tooLarge) {
      return {
        ...raw,
        decodeProblem: `${this.coding} body over ${MAX_COMPRESSED_BODY_BYTES} bytes not decoded`,
      };
    }
    if (!this.coded || !this.coding) return raw;
    try {
      const decoded = decode(this.coding, Buffer.concat(this.coded));
      return { length: decoded.length, mimeType: sniffMimeType(decoded.subarray(0, MIME_SNIFF_BYTES)) };
    } catch (error) {
      return { ...raw, decodeProblem: `${this.coding} body not decodable: ${(error as Error).message}` };
    } finally {
      this.coded = undefined;
    }
  }
}
