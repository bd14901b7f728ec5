// SSLv2 framing, only as far as the hellos (draft-hickman-netscape-ssl-00; RFC 5246 Appendix E.2
// for SSLv2-compatible ClientHellos sent by TLS clients). An SSLv2 record has a 2-byte header with
// the top bit set and a 15-bit length; SSLv2 cipher specs are 24-bit values with their own names.

import { TlsParseError } from "./errors.js";

const SSLV2_CLIENT_HELLO = 1;
const SSLV2_SERVER_HELLO = 4;
/** SERVER-HELLO fixed part: type, session_id_hit, certificate_type, version, three lengths. */
const SSLV2_SERVER_HELLO_HEADER_BYTES = 11;

/** SSLv2 cipher-kind names (draft-hickman-netscape-ssl-00, Appendix C) in Zeek's spelling. */
export const SSLV2_CIPHER_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x010080, "SSLv20_CK_RC4_128_WITH_MD5"],
  [0x020080, "SSLv20_CK_RC4_128_EXPORT40_WITH_MD5"],
  [0x030080, "SSLv20_CK_RC2_128_CBC_WITH_MD5"],
  [0x040080, "SSLv20_CK_RC2_128_CBC_EXPORT40_WITH_MD5"],
  [0x050080, "SSLv20_CK_IDEA_128_CBC_WITH_MD5"],
  [0x060040, "SSLv20_CK_DES_64_CBC_WITH_MD5"],
  [0x0700c0, "SSLv20_CK_DES_192_EDE3_CBC_WITH_MD5"],
]);

interface SslV2ServerHello {
  readonly version: number;
  /** The first cipher spec the server lists (what the session will use). */
  readonly cipherSpec: number | undefined;
}

export function parseSslV2ServerHello(body: Uint8Array): SslV2ServerHello | TlsParseError {
  if (body.length < SSLV2_SERVER_HELLO_HEADER_BYTES) {
    return new TlsParseError(
      `SSLv2 SERVER-HELLO truncated: ${body.length} of ${SSLV2_SERVER_HELLO_HEADER_BYTES} header bytes`,
    );
  }
  const version = (body[3] << 8) | body[4];
  const certificateLength = (body[5] << 8) | body[6];
  const cipherSpecsLength = (body[7] << 8) | body[8];
  const specOffset = SSLV2_SERVER_HELLO_HEADER_BYTES + certificateLength;
  const hasSpec = cipherSpecsLength >= 3 && specOffset + 3 <= body.length;
  const cipherSpec = hasSpec
    ? (body[specOffset] << 16) | (body[specOffset + 1] << 8) | body[specOffset + 2]
    : undefined;
  return { version, cipherSpec };
}

export type SslV2Message = { kind: "client-hello" | "server-hello"; body: Uint8Array };

/**
 * Recognises an SSLv2 hello at the very start of one direction, buffering (at most one SSLv2
 * record) until it is complete. Afterwards it is transparent: push() returns its input.
 */
export class SslV2Detector {
  private decided = false;
  /** A started SSLv2 record: sized to the whole record once its 2-byte header is known. */
  private buffer: Uint8Array | undefined;
  private buffered = 0;

  constructor(private readonly isOrig: boolean) {}

  /**
   * Returns the bytes for the TLS record layer (undefined while an SSLv2 record is incomplete)
   * and reports a complete SSLv2 hello through `onHello` first.
   */
  push(bytes: Uint8Array, onHello: (message: SslV2Message) => void): Uint8Array | undefined {
    if (this.decided) return bytes;
    let input = bytes;
    if (this.buffer !== undefined) {
      if (this.buffered >= 2 && this.buffer.length === 2 + this.recordLength(this.buffer)) {
        // Header known: append in place (linear however small the segments are).
        const take = Math.min(bytes.length, this.buffer.length - this.buffered);
        this.buffer.set(bytes.subarray(0, take), this.buffered);
        this.buffered += take;
        if (this.buffered < this.buffer.length) return undefined;
        input = new Uint8Array(this.buffer.length + bytes.length - take);
        input.set(this.buffer);
        input.set(bytes.subarray(take), this.buffer.length);
      } else {
        input = new Uint8Array(this.buffered + bytes.length);
        input.set(this.buffer.subarray(0, this.buffered));
        input.set(bytes, this.buffered);
      }
      this.buffer = undefined;
      this.buffered = 0;
    }
    if (!(input[0] & 0x80)) return this.decide(input);
    if (input.length < 3) return this.wait(input, input.length);
    const expected = this.isOrig ? SSLV2_CLIENT_HELLO : SSLV2_SERVER_HELLO;
    if (input[2] !== expected) return this.decide(input);
    const length = this.recordLength(input);
    if (input.length < 2 + length) return this.wait(input, 2 + length);
    onHello({ kind: this.isOrig ? "client-hello" : "server-hello", body: input.subarray(2, 2 + length) });
    return this.decide(input.subarray(2 + length));
  }

  private recordLength(header: Uint8Array): number {
    return ((header[0] & 0x7f) << 8) | header[1];
  }

  private decide(rest: Uint8Array): Uint8Array {
    this.decided = true;
    return rest;
  }

  private wait(input: Uint8Array, capacity: number): undefined {
    // Copy: the input may be a view of the engine's reused buffer. At most one SSLv2 record.
    this.buffer = new Uint8Array(Math.max(capacity, input.length));
    this.buffer.set(input);
    this.buffered = input.length;
    return undefined;
  }
}
