// Length and MIME type of one message body. Like Zeek, a gzip/deflate Content-Encoding is
// undone before measuring and sniffing — within fixed bounds, beyond which raw figures are kept.

// The module binding, not the global: global `Buffer` is an accessor property, a getter call per use.
import { Buffer } from "node:buffer";
import { BodyInflater, type InflateOutcome } from "./inflate.js";
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

/**
 * Shared by every body: analysis is synchronous and a body is decoded in one call, so one set of
 * engines and one head buffer serve all connections. Truncated streams (a gap, a cut connection)
 * still yield what was decodable (Z_SYNC_FLUSH, as the one-shot calls were given).
 */
const decodedHead = new Uint8Array(MIME_SNIFF_BYTES);
const inflater = new BodyInflater(MAX_DECODED_BODY_BYTES, decodedHead);

function decode(coding: ContentCoding, data: Uint8Array): InflateOutcome {
  if (coding === "gzip") return inflater.run("gunzip", data);
  const wrapped = inflater.run("inflate", data);
  // Some servers send raw DEFLATE without the zlib wrapper RFC 9110 asks for.
  return wrapped.ok ? wrapped : inflater.run("inflate-raw", data);
}

/** First allocation for a coded body's bytes; it doubles as the body grows. */
const INITIAL_CODED_CAPACITY = 4096;

export class MessageBody {
  private rawLength = 0;
  private readonly head = new Uint8Array(MIME_SNIFF_BYTES);
  private headFilled = 0;
  /** Compressed bytes kept for decoding at the end (a copy: deliveries are reused buffers). */
  private coded: Uint8Array | undefined = undefined;
  private codedLength = 0;
  private tooLarge = false;

  constructor(private readonly coding: ContentCoding | undefined) {}

  get transferred(): number {
    return this.rawLength;
  }

  /** Adds body bytes bytes[start, end). */
  add(bytes: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.rawLength += length;
    if (this.headFilled < MIME_SNIFF_BYTES) {
      const take = Math.min(length, MIME_SNIFF_BYTES - this.headFilled);
      this.head.set(bytes.subarray(start, start + take), this.headFilled);
      this.headFilled += take;
    }
    if (!this.coding || this.tooLarge) return;
    if (this.rawLength > MAX_COMPRESSED_BODY_BYTES) {
      this.coded = undefined;
      this.tooLarge = true;
      return;
    }
    this.keepCoded(bytes.subarray(start, end));
  }

  private keepCoded(bytes: Uint8Array): void {
    const needed = this.codedLength + bytes.length;
    let coded = this.coded;
    if (!coded || coded.length < needed) {
      let capacity = coded ? coded.length * 2 : INITIAL_CODED_CAPACITY;
      while (capacity < needed) capacity *= 2;
      // Unzeroed: every byte up to codedLength is written before it is read.
      const grown: Uint8Array = Buffer.allocUnsafe(Math.min(capacity, MAX_COMPRESSED_BODY_BYTES));
      if (coded) grown.set(coded.subarray(0, this.codedLength));
      this.coded = coded = grown;
    }
    coded.set(bytes, this.codedLength);
    this.codedLength = needed;
  }

  finish(): BodySummary {
    if (this.rawLength === 0) return { length: 0 };
    if (this.tooLarge) {
      return this.raw(`${this.coding} body over ${MAX_COMPRESSED_BODY_BYTES} bytes not decoded`);
    }
    const coded = this.coded;
    if (!coded || !this.coding) return this.raw(undefined);
    this.coded = undefined;
    const outcome = decode(this.coding, coded.subarray(0, this.codedLength));
    if (!outcome.ok) return this.raw(`${this.coding} body not decodable: ${outcome.message}`);
    return { length: outcome.length, mimeType: sniffMimeType(decodedHead, inflater.headLength) };
  }

  /** Figures of the body as transferred. */
  private raw(decodeProblem: string | undefined): BodySummary {
    const mimeType = sniffMimeType(this.head, this.headFilled);
    return decodeProblem === undefined
      ? { length: this.rawLength, mimeType }
      : { length: this.rawLength, mimeType, decodeProblem };
  }
}
