// Reassembly of one direction's Initial CRYPTO stream (RFC 9000 §19.6) into the first TLS handshake
// message. CRYPTO frames carry (offset, bytes) and may arrive split over several packets and
// datagrams, out of order or duplicated. Memory is bounded by the largest valid message.

/** RFC 8446 §5.1: a handshake message we accept is at most 2^14 + 256 bytes (Zeek's bound too). */
export const MAX_HANDSHAKE_MESSAGE_LENGTH = 2 ** 14 + 256;
/** First buffer size: a ClientHello with a post-quantum key share still fits without growing. */
const INITIAL_CAPACITY = 2048;
const HANDSHAKE_HEADER_LENGTH = 4;
/** Distinct byte ranges kept before we give up: reordering beyond this is an attack, not loss. */
export const MAX_RANGES = 64;

type CryptoStreamResult = "pending" | "complete" | "overflow" | "too_many_fragments" | "conflicting_data";

export class CryptoStreamAssembler {
  private buffer: Uint8Array | undefined;
  /** Sorted, non-overlapping [start, end) ranges received so far. */
  private readonly ranges: number[] = [];
  private messageLength = 0;
  private state: CryptoStreamResult = "pending";

  get result(): CryptoStreamResult {
    return this.state;
  }

  /** Number of contiguous bytes from offset 0. */
  get contiguousLength(): number {
    return this.ranges.length > 0 && this.ranges[0] === 0 ? this.ranges[1] : 0;
  }

  /** The complete handshake message (type, 24-bit length, body) once `result` is "complete". */
  message(): Uint8Array | undefined {
    return this.state === "complete" ? this.buffer?.subarray(0, this.messageLength) : undefined;
  }

  /** Drop the buffer once the message has been consumed; the result stays. */
  release(): void {
    this.buffer = undefined;
    this.ranges.length = 0;
  }

  /**
   * Add one CRYPTO frame's data. Returns the stream's state afterwards. Until the 4-byte handshake
   * header has arrived, fragments anywhere below the maximal message length are kept (Zeek stops at
   * 2000 buffered bytes, which loses large hellos whose tail arrives first).
   */
  add(offset: number, data: Uint8Array): CryptoStreamResult {
    if (this.state !== "pending" || data.length === 0) return this.state;
    const limit = this.messageLength > 0 ? this.messageLength : MAX_HANDSHAKE_MESSAGE_LENGTH;
    // Past a known message end: a later handshake message, not ours. Past the maximum: invalid.
    if (offset >= limit) return this.messageLength > 0 ? this.state : this.fail("overflow");
    const end = Math.min(offset + data.length, limit);
    const slice = data.subarray(0, end - offset);
    const buffer = this.ensureCapacity(end);
    if (this.overlapsDifferently(buffer, offset, slice)) return this.fail("conflicting_data");
    buffer.set(slice, offset);
    if (!this.insertRange(offset, end)) return this.fail("too_many_fragments");
    return this.checkComplete();
  }

  private fail(result: CryptoStreamResult): CryptoStreamResult {
    this.state = result;
    this.buffer = undefined;
    return this.state;
  }

  /** Grow geometrically up to the maximal message length; `end` never exceeds it. */
  private ensureCapacity(end: number): Uint8Array {
    const have = this.buffer?.length ?? 0;
    if (this.buffer !== undefined && have >= end) return this.buffer;
    const grown = new Uint8Array(
      Math.min(MAX_HANDSHAKE_MESSAGE_LENGTH, Math.max(end, INITIAL_CAPACITY, have * 2)),
    );
    if (this.buffer !== undefined) grown.set(this.buffer);
    this.buffer = grown;
    return grown;
  }

  /** Retransmitted CRYPTO data must repeat what we have; different bytes mean forgery or a bug. */
  private overlapsDifferently(buffer: Uint8Array, offset: number, slice: Uint8Array): boolean {
    const end = offset + slice.length;
    for (let r = 0; r < this.ranges.length; r += 2) {
      const from = Math.max(offset, this.ranges[r]);
      const to = Math.min(end, this.ranges[r + 1]);
      for (let i = from; i < to; i++) if (buffer[i] !== slice[i - offset]) return true;
    }
    return false;
  }

  private insertRange(start: number, end: number): boolean {
    const ranges = this.ranges;
    const count = ranges.length;
    // Fast paths, no allocation: the first range, or data in order that starts inside or right at
    // the end of the last range (earlier ranges all end before the last one starts).
    if (count === 0) {
      ranges.push(start, end);
      return true;
    }
    if (start >= ranges[count - 2] && start <= ranges[count - 1]) {
      if (end > ranges[count - 1]) ranges[count - 1] = end;
      return true;
    }
    const merged: number[] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (let r = 0; r < this.ranges.length; r += 2) {
      const rs = this.ranges[r];
      const re = this.ranges[r + 1];
      if (re < s) merged.push(rs, re);
      else if (rs > e) {
        if (!placed) {
          merged.push(s, e);
          placed = true;
        }
        merged.push(rs, re);
      } else {
        s = Math.min(s, rs);
        e = Math.max(e, re);
      }
    }
    if (!placed) merged.push(s, e);
    if (merged.length / 2 > MAX_RANGES) return false;
    this.ranges.length = 0;
    this.ranges.push(...merged);
    return true;
  }

  private checkComplete(): CryptoStreamResult {
    const contiguous = this.contiguousLength;
    if (this.messageLength === 0 && contiguous >= HANDSHAKE_HEADER_LENGTH && this.buffer) {
      const b = this.buffer;
      const length = HANDSHAKE_HEADER_LENGTH + ((b[1] << 16) | (b[2] << 8) | b[3]);
      if (length > MAX_HANDSHAKE_MESSAGE_LENGTH) return this.fail("overflow");
      this.messageLength = length;
      // Anything already buffered beyond the message is not ours to keep.
      for (let r = 0; r < this.ranges.length; r += 2) {
        if (this.ranges[r] >= length) {
          this.ranges.length = r;
          break;
        }
        if (this.ranges[r + 1] > length) this.ranges[r + 1] = length;
      }
    }
    if (this.messageLength > 0 && contiguous >= this.messageLength) this.state = "complete";
    return this.state;
  }
}
