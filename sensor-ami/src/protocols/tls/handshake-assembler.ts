// Handshake message reassembly across records (RFC 5246 §6.2.1: "multiple client messages of the
// same ContentType MAY be coalesced into a single TLSPlaintext record, or a single message MAY be
// fragmented across several records"). One instance per direction.

/** Handshake header: msg_type (1) + 24-bit length. */
const HANDSHAKE_HEADER_BYTES = 4;
/**
 * Largest handshake message we reassemble. A certificate chain is the biggest message in practice
 * (tens of KiB). A larger message is not buffered: its type is reported, its bytes are skipped as
 * they arrive, and parsing resumes with the next message (memory stays bounded).
 */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 128 * 1024;

export interface HandshakeMessage {
  readonly type: number;
  /** The message body, a view valid only during the callback. */
  readonly body: Uint8Array;
  /** The whole message including its 4-byte header (what parseClientHello accepts). */
  readonly message: Uint8Array;
}

/** Largest TLS record fragment (RFC 5246 §6.2.3), the most one push() can append. */
const MAX_FRAGMENT_BYTES = 16384 + 2048;
const MAX_PENDING_BYTES = HANDSHAKE_HEADER_BYTES + MAX_HANDSHAKE_MESSAGE_BYTES + MAX_FRAGMENT_BYTES;

export interface HandshakeSink {
  message(message: HandshakeMessage): void;
  /** A message over MAX_HANDSHAKE_MESSAGE_BYTES starts; its body will be skipped. */
  oversized(type: number, length: number): void;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The message handed to the sink: one instance per assembler, rewritten for every message. Its
 * views are made when read (most message types are only counted, never looked into).
 */
class CurrentMessage implements HandshakeMessage {
  type = 0;
  private bytes: Uint8Array = NO_BYTES;
  private start = 0;
  private end = 0;

  set(bytes: Uint8Array, start: number, end: number): void {
    this.type = bytes[start];
    this.bytes = bytes;
    this.start = start;
    this.end = end;
  }

  /** Drop the reference to the caller's bytes once the sink returned. */
  clear(): void {
    this.bytes = NO_BYTES;
    this.start = 0;
    this.end = 0;
  }

  get message(): Uint8Array {
    return this.bytes.subarray(this.start, this.end);
  }

  get body(): Uint8Array {
    return this.bytes.subarray(this.start + HANDSHAKE_HEADER_BYTES, this.end);
  }
}

export class HandshakeAssembler {
  private readonly current = new CurrentMessage();
  private pending: Uint8Array | undefined;
  private pendingLength = 0;
  /** Body bytes of an oversized message still to be discarded. */
  private skipRemaining = 0;

  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /** Add one handshake record's fragment and hand every complete message to the sink. */
  push(fragment: Uint8Array, sink: HandshakeSink): void {
    if (this.skipRemaining > 0) {
      const skipped = Math.min(this.skipRemaining, fragment.length);
      this.skipRemaining -= skipped;
      fragment = fragment.subarray(skipped);
      if (fragment.length === 0) return;
    }
    let input = fragment;
    if (this.pendingLength > 0) {
      // Append into a doubling buffer, so a message sent in many tiny records costs linear time.
      this.reserve(this.pendingLength + fragment.length);
      this.pending!.set(fragment, this.pendingLength);
      this.pendingLength += fragment.length;
      input = this.pending!.subarray(0, this.pendingLength);
    }
    let offset = 0;
    while (input.length - offset >= HANDSHAKE_HEADER_BYTES) {
      const length = (input[offset + 1] << 16) | (input[offset + 2] << 8) | input[offset + 3];
      if (length > MAX_HANDSHAKE_MESSAGE_BYTES) {
        sink.oversized(input[offset], length);
        const available = input.length - offset - HANDSHAKE_HEADER_BYTES;
        if (available < length) {
          this.skipRemaining = length - available;
          offset = input.length;
          break;
        }
        offset += HANDSHAKE_HEADER_BYTES + length;
        continue;
      }
      const end = offset + HANDSHAKE_HEADER_BYTES + length;
      if (end > input.length) break;
      this.current.set(input, offset, end);
      sink.message(this.current);
      this.current.clear();
      offset = end;
    }
    const leftover = input.length - offset;
    if (leftover === 0) {
      // Release the buffer: most connections never need it again, and it may be large.
      this.pending = undefined;
      this.pendingLength = 0;
    } else if (input === fragment) {
      // Copy: `fragment` may be a view of the engine's reused buffer.
      this.pending = fragment.slice(offset);
      this.pendingLength = leftover;
    } else {
      this.pending!.copyWithin(0, offset, offset + leftover);
      this.pendingLength = leftover;
    }
  }

  private reserve(capacity: number): void {
    const current = this.pending!;
    if (current.length >= capacity) return;
    // Doubling keeps appends linear; the ceiling keeps the bound exact: one incomplete message of at
    // most MAX_HANDSHAKE_MESSAGE_BYTES plus the record fragment being appended.
    const grown = new Uint8Array(Math.max(capacity, Math.min(current.length * 2, MAX_PENDING_BYTES)));
    grown.set(current.subarray(0, this.pendingLength));
    this.pending = grown;
  }

  reset(): void {
    this.pending = undefined;
    this.pendingLength = 0;
    this.skipRemaining = 0;
  }
}
