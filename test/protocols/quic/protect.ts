// Test support: apply Initial packet protection (RFC 9001 §5.3–5.4) the way a QUIC sender does, so
// tests can build valid encrypted Initials around chosen frames with the RFC's published keys.
import { createCipheriv } from "node:crypto";
import { nonceFor } from "../../../sensor-ami/src/protocols/quic/packet-protection.js";

export interface DirectionKeys {
  key: string;
  iv: string;
  hp: string;
}

const AEAD_TAG_LENGTH = 16;

/**
 * Build a protected long-header Initial. `prefix` is the header up to and excluding the Length
 * field (first byte with the packet-number length bits, version, CIDs, token); the Length is
 * encoded as a 2-byte varint and the packet number with 4 bytes.
 */
export function protectInitial(
  keys: DirectionKeys,
  prefix: Buffer,
  payload: Buffer,
  packetNumber: number,
): Buffer {
  const pnLength = 4;
  const length = pnLength + payload.length + AEAD_TAG_LENGTH;
  const header = Buffer.concat([
    prefix,
    Buffer.from([0x40 | (length >> 8), length & 0xff]),
    Buffer.alloc(pnLength),
  ]);
  header[0] = (header[0] & 0xfc) | (pnLength - 1);
  header.writeUInt32BE(packetNumber, header.length - pnLength);
  const cipher = createCipheriv(
    "aes-128-gcm",
    Buffer.from(keys.key, "hex"),
    nonceFor(Buffer.from(keys.iv, "hex"), packetNumber),
  );
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  const ecb = createCipheriv("aes-128-ecb", Buffer.from(keys.hp, "hex"), null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(ciphertext.subarray(0, 16));
  const protectedHeader = Buffer.from(header);
  protectedHeader[0] ^= mask[0] & 0x0f;
  const pnOffset = header.length - pnLength;
  for (let i = 0; i < pnLength; i++) protectedHeader[pnOffset + i] ^= mask[1 + i];
  return Buffer.concat([protectedHeader, ciphertext]);
}

/** Frames padded with PADDING to `size` bytes (clients pad Initials to fill 1200-byte datagrams). */
export function padded(frames: Buffer, size: number): Buffer {
  const payload = Buffer.alloc(Math.max(size, frames.length));
  frames.copy(payload);
  return payload;
}
