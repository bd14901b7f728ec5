// TLS record framing for one direction of a TCP stream (RFC 5246 §6.2, RFC 8446 §5.1).
//
// Records may straddle TCP segments in any way (a 5-byte header split 2+3, a 16 KiB record over a
// dozen segments): a partial record is copied into a per-direction buffer that never holds more
// than one record (MAX_TLS_RECORD_BYTES + header), so memory is bounded whatever the peer sends.
// Complete records that lie inside one chunk are handed out as views without copying. Once the sink
// needs only headers (encrypted records), split records are skipped rather than copied.

export const RECORD_HEADER_BYTES = 5;
/** Largest TLSCiphertext fragment a peer may send: 2^14 plus 2048 bytes of expansion (RFC 5246 §6.2.3). */
export const MAX_TLS_RECORD_BYTES = 16384 + 2048;

export const CONTENT_CHANGE_CIPHER_SPEC = 20;
export const CONTENT_ALERT = 21;
export const CONTENT_HANDSHAKE = 22;
export const CONTENT_APPLICATION_DATA = 23;
export const CONTENT_HEARTBEAT = 24;

export interface TlsRecord {
  readonly contentType: number;
  readonly version: number;
  /** View valid only during the callback. */
  readonly fragment: Uint8Array;
}

/** Why framing stopped: the analyzer turns these into weirds/violations. */
export type FramingProblem =
  | { kind: "bad-header"; contentType: number; version: number }
  | { kind: "record-too-long"; length: number };

interface RecordSink {
  /** Return false to stop framing (the analyzer is done with this direction). */
  record(record: TlsRecord): boolean;
  problem(problem: FramingProblem): void;
}

function plausibleHeader(contentType: number, major: number): boolean {
  return contentType >= CONTENT_CHANGE_CIPHER_SPEC && contentType <= CONTENT_HEARTBEAT && major === 3;
}

const NO_FRAGMENT = new Uint8Array(0);

/** The record handed to the sink: one instance per framer, rewritten for every record. */
class MutableRecord implements TlsRecord {
  contentType = 0;
  version = 0;
  fragment: Uint8Array = NO_FRAGMENT;
}

export class RecordFramer {
  /** Holds at most one partial record (header + fragment). */
  private partial: Uint8Array | undefined;
  private partialLength = 0;
  /** Fragment bytes of a header-only record still to be skipped (see skipFragments). */
  private skipRemaining = 0;
  private skippedContentType = 0;
  private skippedVersion = 0;
  private stopped = false;
  private readonly current = new MutableRecord();
  /**
   * Set once the sink needs only record headers (the direction is encrypted): records are then
   * delivered with an empty fragment, and one split across pushes is skipped instead of copied
   * (delivered when its last byte arrives).
   */
  skipFragments = false;

  constructor(private readonly sink: RecordSink) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.partial = undefined;
    this.partialLength = 0;
    this.skipRemaining = 0;
  }

  /** Bytes buffered waiting for the rest of a record (for tests of the memory bound). */
  get bufferedBytes(): number {
    return this.partialLength;
  }

  push(bytes: Uint8Array): void {
    let offset = 0;
    if (this.skipRemaining > 0) {
      offset = Math.min(this.skipRemaining, bytes.length);
      this.skipRemaining -= offset;
      if (this.skipRemaining > 0) return;
      this.emit(this.skippedContentType, this.skippedVersion, NO_FRAGMENT);
    } else if (this.partialLength > 0) offset = this.completePartial(bytes);
    while (!this.stopped && offset < bytes.length) {
      const available = bytes.length - offset;
      if (available < RECORD_HEADER_BYTES) {
        this.keepPartial(bytes.subarray(offset));
        return;
      }
      const length = this.checkHeader(bytes, offset);
      if (length < 0) return;
      if (available < RECORD_HEADER_BYTES + length) {
        if (this.skipFragments) this.startSkipping(bytes, offset, RECORD_HEADER_BYTES + length - available);
        else this.keepPartial(bytes.subarray(offset));
        return;
      }
      const fragmentStart = offset + RECORD_HEADER_BYTES;
      this.emit(
        bytes[offset],
        (bytes[offset + 1] << 8) | bytes[offset + 2],
        this.skipFragments ? NO_FRAGMENT : bytes.subarray(fragmentStart, fragmentStart + length),
      );
      offset = fragmentStart + length;
    }
  }

  /** Validate the header at `offset`; returns the fragment length, or -1 after stopping. */
  private checkHeader(bytes: Uint8Array, offset: number): number {
    const contentType = bytes[offset];
    const length = (bytes[offset + 3] << 8) | bytes[offset + 4];
    if (!plausibleHeader(contentType, bytes[offset + 1])) {
      const version = (bytes[offset + 1] << 8) | bytes[offset + 2];
      this.sink.problem({ kind: "bad-header", contentType, version });
      this.stop();
      return -1;
    }
    if (length > MAX_TLS_RECORD_BYTES) {
      this.sink.problem({ kind: "record-too-long", length });
      this.stop();
      return -1;
    }
    return length;
  }

  /** Remember the header at `offset`; `missing` more bytes complete the record. */
  private startSkipping(header: Uint8Array, offset: number, missing: number): void {
    this.skippedContentType = header[offset];
    this.skippedVersion = (header[offset + 1] << 8) | header[offset + 2];
    this.skipRemaining = missing;
  }

  /** Start a partial record with `bytes` (a header, complete and checked when 5 bytes or more). */
  private keepPartial(bytes: Uint8Array): void {
    this.reserve(
      bytes.length < RECORD_HEADER_BYTES
        ? RECORD_HEADER_BYTES
        : RECORD_HEADER_BYTES + ((bytes[3] << 8) | bytes[4]),
    );
    this.partial!.set(bytes, this.partialLength);
    this.partialLength += bytes.length;
  }

  /**
   * Make room for a partial record of `capacity` bytes. Sized to the record rather than to the
   * largest possible one: most split records are a few KiB, and zero-filling 18 KiB per
   * connection showed in profiles. Kept for the next split record of this direction.
   */
  private reserve(capacity: number): void {
    const current = this.partial;
    if (current !== undefined && current.length >= capacity) return;
    const grown = new Uint8Array(capacity);
    if (current !== undefined && this.partialLength > 0) grown.set(current.subarray(0, this.partialLength));
    this.partial = grown;
  }

  /** Fill the partial record from `bytes`; returns how many bytes of `bytes` were consumed. */
  private completePartial(bytes: Uint8Array): number {
    const partial = this.partial!;
    let consumed = 0;
    if (this.partialLength < RECORD_HEADER_BYTES) {
      consumed = Math.min(RECORD_HEADER_BYTES - this.partialLength, bytes.length);
      partial.set(bytes.subarray(0, consumed), this.partialLength);
      this.partialLength += consumed;
      if (this.partialLength < RECORD_HEADER_BYTES) return consumed;
    }
    const length = this.checkHeader(partial, 0);
    if (length < 0) return bytes.length;
    const wanted = RECORD_HEADER_BYTES + length - this.partialLength;
    const take = Math.min(wanted, bytes.length - consumed);
    if (this.skipFragments) {
      // Only the header matters now: drop the fragment bytes instead of copying them.
      this.partialLength = 0;
      consumed += take;
      if (take < wanted) this.startSkipping(partial, 0, wanted - take);
      else this.emit(partial[0], (partial[1] << 8) | partial[2], NO_FRAGMENT);
      return consumed;
    }
    this.reserve(RECORD_HEADER_BYTES + length);
    this.partial!.set(bytes.subarray(consumed, consumed + take), this.partialLength);
    this.partialLength += take;
    consumed += take;
    if (this.partialLength === RECORD_HEADER_BYTES + length) {
      this.partialLength = 0;
      const record = this.partial!;
      this.emit(
        record[0],
        (record[1] << 8) | record[2],
        record.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + length),
      );
    }
    return consumed;
  }

  private emit(contentType: number, version: number, fragment: Uint8Array): void {
    const record = this.current;
    record.contentType = contentType;
    record.version = version;
    record.fragment = fragment;
    const keepGoing = this.sink.record(record);
    record.fragment = NO_FRAGMENT; // do not keep the caller's bytes alive
    if (!keepGoing) this.stop();
  }
}
