// Frames of a decrypted Initial packet (RFC 9000 §12.4, §19). Initial packets may only carry
// PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE; anything else ends the walk with a weird.
import { varintSize, varintValue } from "./varint.js";

const FRAME_PADDING = 0x00;
const FRAME_PING = 0x01;
const FRAME_ACK = 0x02;
const FRAME_ACK_ECN = 0x03;
const FRAME_CRYPTO = 0x06;
const FRAME_CONNECTION_CLOSE = 0x1c;
const FRAME_CONNECTION_CLOSE_APP = 0x1d;

/** Bound on ACK ranges walked in one frame: a real Initial ACK has a handful. */
const MAX_ACK_RANGES = 256;

export interface FrameHandler {
  crypto(offset: number, data: Uint8Array): void;
  /** `transport` is false for the application-level variant (0x1d). */
  connectionClose(errorCode: number, reason: Uint8Array, transport: boolean): void;
}

/** Zero bytes to compare padding against; Initials are padded to 1200+ bytes of datagram. */
const ZEROES = Buffer.alloc(2048);

/**
 * The offset of the first non-zero byte at or after `pos` (PADDING frames are single zero bytes).
 * A client Initial usually ends in ~1000 bytes of padding: one native comparison settles that
 * case instead of a JavaScript loop over every byte.
 */
function skipPadding(payload: Uint8Array, pos: number, n: number): number {
  if (n - pos <= ZEROES.length && ZEROES.compare(payload, pos, n, 0, n - pos) === 0) return n;
  let at = pos;
  while (at < n && payload[at] === 0) at++;
  return at;
}

type FrameProblem = "QUIC_truncated_frame" | "QUIC_unexpected_frame_type" | "QUIC_too_many_ack_ranges";

/** Walk all frames in `payload`; returns the first problem, or undefined when every frame parsed. */
export function walkInitialFrames(payload: Uint8Array, handler: FrameHandler): FrameProblem | undefined {
  let pos = 0;
  const n = payload.length;
  // Reads one varint at `pos`, advancing it; -1 when truncated.
  const next = (): number => {
    const size = varintSize(payload, pos);
    if (size === 0) return -1;
    const value = varintValue(payload, pos, size);
    pos += size;
    return value;
  };
  while (pos < n) {
    const type = payload[pos++];
    switch (type) {
      case FRAME_PADDING:
        pos = skipPadding(payload, pos, n);
        break;
      case FRAME_PING:
        break;
      case FRAME_ACK:
      case FRAME_ACK_ECN: {
        if (next() < 0 || next() < 0) return "QUIC_truncated_frame"; // largest acked, delay
        const rangeCount = next();
        if (rangeCount < 0 || next() < 0) return "QUIC_truncated_frame";
        if (rangeCount > MAX_ACK_RANGES) return "QUIC_too_many_ack_ranges";
        for (let i = 0; i < rangeCount * 2; i++) if (next() < 0) return "QUIC_truncated_frame";
        if (type === FRAME_ACK_ECN) {
          for (let i = 0; i < 3; i++) if (next() < 0) return "QUIC_truncated_frame";
        }
        break;
      }
      case FRAME_CRYPTO: {
        const offset = next();
        const length = next();
        if (offset < 0 || length < 0 || pos + length > n) return "QUIC_truncated_frame";
        handler.crypto(offset, payload.subarray(pos, pos + length));
        pos += length;
        break;
      }
      case FRAME_CONNECTION_CLOSE:
      case FRAME_CONNECTION_CLOSE_APP: {
        const errorCode = next();
        if (errorCode < 0) return "QUIC_truncated_frame";
        if (type === FRAME_CONNECTION_CLOSE && next() < 0) return "QUIC_truncated_frame";
        const reasonLength = next();
        if (reasonLength < 0 || pos + reasonLength > n) return "QUIC_truncated_frame";
        handler.connectionClose(
          errorCode,
          payload.subarray(pos, pos + reasonLength),
          type === FRAME_CONNECTION_CLOSE,
        );
        pos += reasonLength;
        break;
      }
      default:
        return "QUIC_unexpected_frame_type";
    }
  }
  return undefined;
}
