// Removing Initial packet protection (RFC 9001 §5.3–5.4): header protection with an AES-128-ECB
// mask over a ciphertext sample, then AES-128-GCM over the payload with the unprotected header as
// associated data. Everything here allocates, so it only runs for packets we actually decrypt.
//
// Keys are handed to node:crypto as KeyObjects, made once per direction: given a Buffer, every
// createCipheriv/createDecipheriv first asks whether it is a KeyObject by catching a thrown
// TypeError (Node 24's isKeyObject), which costs about ten times the cipher's own setup (11 µs
// against 1 µs per cipher on Node 24.21).
import {
  type Cipheriv,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
} from "node:crypto";
import { QuicDecryptError } from "./errors.js";
import type { InitialKeys } from "./initial-keys.js";
import { HP_SAMPLE_LENGTH, HP_SAMPLE_OFFSET, type LongHeader } from "./long-header.js";

const AEAD_TAG_LENGTH = 16;

interface DecryptedPacket {
  /** Full packet number, reconstructed against the largest one seen in this direction. */
  readonly packetNumber: number;
  /** The plaintext frames. */
  readonly payload: Buffer;
}

/** One direction's Initial keys plus the reusable ECB cipher that computes header-protection masks. */
export class InitialOpener {
  private readonly hpCipher: Cipheriv;
  /** The AES-128-GCM payload key, as the KeyObject every packet's decipher is made from. */
  private readonly key: KeyObject;
  private readonly iv: Buffer;
  private largestPacketNumber = -1;

  constructor(keys: InitialKeys) {
    this.key = createSecretKey(keys.key);
    this.iv = keys.iv;
    // ECB over whole 16-byte blocks without padding is stateless, so one cipher serves every packet.
    this.hpCipher = createCipheriv("aes-128-ecb", createSecretKey(keys.hp), null);
    this.hpCipher.setAutoPadding(false);
  }

  /** Decrypt the Initial packet described by `header`; throws QuicDecryptError when it fails. */
  open(bytes: Uint8Array, header: LongHeader): DecryptedPacket {
    const { start, pnOffset, end } = header;
    if (pnOffset + HP_SAMPLE_OFFSET + HP_SAMPLE_LENGTH > end) {
      throw new QuicDecryptError("packet too short for a header-protection sample");
    }
    const sampleStart = pnOffset + HP_SAMPLE_OFFSET;
    const mask = this.hpCipher.update(bytes.subarray(sampleStart, sampleStart + HP_SAMPLE_LENGTH));
    const first = bytes[start] ^ (mask[0] & 0x0f);
    const pnLength = (first & 0x03) + 1;
    const headerLength = pnOffset + pnLength - start;
    // Copy the header: the datagram buffer belongs to the engine and must not be modified.
    const aad = Buffer.from(bytes.subarray(start, start + headerLength));
    aad[0] = first;
    let truncated = 0;
    for (let i = 0; i < pnLength; i++) {
      const b = bytes[pnOffset + i] ^ mask[1 + i];
      aad[pnOffset - start + i] = b;
      truncated = truncated * 256 + b;
    }
    const packetNumber = decodePacketNumber(this.largestPacketNumber, truncated, pnLength * 8);
    const ciphertextStart = pnOffset + pnLength;
    if (end - ciphertextStart < AEAD_TAG_LENGTH) {
      throw new QuicDecryptError("packet shorter than the AEAD tag");
    }
    try {
      const decipher = createDecipheriv("aes-128-gcm", this.key, nonceFor(this.iv, packetNumber));
      decipher.setAAD(aad);
      decipher.setAuthTag(bytes.subarray(end - AEAD_TAG_LENGTH, end));
      const head = decipher.update(bytes.subarray(ciphertextStart, end - AEAD_TAG_LENGTH));
      const tail = decipher.final();
      const payload = tail.length === 0 ? head : Buffer.concat([head, tail]);
      if (packetNumber > this.largestPacketNumber) this.largestPacketNumber = packetNumber;
      return { packetNumber, payload };
    } catch (error) {
      throw new QuicDecryptError(`AEAD authentication failed for packet number ${packetNumber}`, {
        cause: error,
      });
    }
  }
}

/** RFC 9000 Appendix A.3: the packet number closest to the next expected one. */
export function decodePacketNumber(largest: number, truncated: number, bits: number): number {
  const expected = largest + 1;
  const window = 2 ** bits;
  const halfWindow = window / 2;
  const candidate = Math.floor(expected / window) * window + truncated;
  if (candidate <= expected - halfWindow && candidate < 2 ** 62 - window) return candidate + window;
  if (candidate > expected + halfWindow && candidate >= window) return candidate - window;
  return candidate;
}

/** RFC 9001 §5.3: the IV XORed with the packet number, left-padded to the IV length. */
export function nonceFor(iv: Uint8Array, packetNumber: number): Buffer {
  const nonce = Buffer.from(iv);
  let pn = packetNumber;
  for (let i = nonce.length - 1; i >= 0 && pn > 0; i--) {
    nonce[i] ^= pn % 256;
    pn = Math.floor(pn / 256);
  }
  return nonce;
}
