// Initial packet-protection keys (RFC 9001 §5.2, RFC 9369 §3.3.2): derived from the version's public
// salt and the client's first Destination Connection ID, so any observer can compute them.
import { createHmac } from "node:crypto";
import type { QuicVersionInfo } from "./versions.js";

const SHA256_LENGTH = 32;
const AES128_KEY_LENGTH = 16;
const AEAD_IV_LENGTH = 12;

export interface InitialKeys {
  /** AES-128-GCM payload key. */
  readonly key: Buffer;
  /** AEAD IV, XORed with the packet number to form the nonce. */
  readonly iv: Buffer;
  /** AES-128 header-protection key. */
  readonly hp: Buffer;
}

export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return createHmac("sha256", salt).update(ikm).digest();
}

/**
 * TLS 1.3 HKDF-Expand-Label with an empty context (RFC 8446 §7.1). Every QUIC Initial output is at
 * most one SHA-256 block long, so HKDF-Expand is a single HMAC over `info || 0x01`.
 */
export function hkdfExpandLabel(secret: Uint8Array, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, "latin1");
  const info = Buffer.alloc(2 + 1 + fullLabel.length + 1 + 1);
  info.writeUInt16BE(length, 0);
  info[2] = fullLabel.length;
  fullLabel.copy(info, 3);
  info[3 + fullLabel.length] = 0; // empty context
  info[info.length - 1] = 1; // HKDF-Expand block counter
  return createHmac("sha256", secret).update(info).digest().subarray(0, length);
}

/** The client's or server's Initial secret (`client in` / `server in`). */
export function initialSecret(salt: Uint8Array, clientDcid: Uint8Array, fromClient: boolean): Buffer {
  const initial = hkdfExtract(salt, clientDcid);
  return hkdfExpandLabel(initial, fromClient ? "client in" : "server in", SHA256_LENGTH);
}

export function packetKeysFromSecret(
  secret: Uint8Array,
  labelPrefix: QuicVersionInfo["labelPrefix"],
): InitialKeys {
  return {
    key: hkdfExpandLabel(secret, `${labelPrefix} key`, AES128_KEY_LENGTH),
    iv: hkdfExpandLabel(secret, `${labelPrefix} iv`, AEAD_IV_LENGTH),
    hp: hkdfExpandLabel(secret, `${labelPrefix} hp`, AES128_KEY_LENGTH),
  };
}

/** Keys for one direction's Initial packets, or undefined when the version has no known salt. */
export function deriveInitialKeys(
  version: QuicVersionInfo,
  clientDcid: Uint8Array,
  fromClient: boolean,
): InitialKeys | undefined {
  if (version.salt === undefined) return undefined;
  return packetKeysFromSecret(initialSecret(version.salt, clientDcid, fromClient), version.labelPrefix);
}
