// Initial packet-protection keys (RFC 9001 §5.2, RFC 9369 §3.3.2): derived from the version's public
// salt and the client's first Destination Connection ID, so any observer can compute them.
import { hash } from "node:crypto";
import type { QuicVersionInfo } from "./versions.js";

const SHA256_LENGTH = 32;
const SHA256_BLOCK_LENGTH = 64;
const AES128_KEY_LENGTH = 16;
const AEAD_IV_LENGTH = 12;
const HMAC_INNER_PAD = 0x36;
const HMAC_OUTER_PAD = 0x5c;

export interface InitialKeys {
  /** AES-128-GCM payload key. */
  readonly key: Buffer;
  /** AEAD IV, XORed with the packet number to form the nonce. */
  readonly iv: Buffer;
  /** AES-128 header-protection key. */
  readonly hp: Buffer;
}

/**
 * HMAC-SHA256 (RFC 2104) from two one-shot crypto.hash() calls: about half the cost of an Hmac
 * object (createHmac().update().digest()), and a QUIC connection needs nine of them.
 */
function hmacSha256(key: Uint8Array, message: Uint8Array): Buffer {
  const blockKey = key.length > SHA256_BLOCK_LENGTH ? hash("sha256", key, "buffer") : key;
  const inner = Buffer.allocUnsafe(SHA256_BLOCK_LENGTH + message.length);
  const outer = Buffer.allocUnsafe(SHA256_BLOCK_LENGTH + SHA256_LENGTH);
  for (let i = 0; i < SHA256_BLOCK_LENGTH; i++) {
    const byte = i < blockKey.length ? blockKey[i] : 0;
    inner[i] = byte ^ HMAC_INNER_PAD;
    outer[i] = byte ^ HMAC_OUTER_PAD;
  }
  inner.set(message, SHA256_BLOCK_LENGTH);
  outer.set(hash("sha256", inner, "buffer"), SHA256_BLOCK_LENGTH);
  return hash("sha256", outer, "buffer");
}

function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return hmacSha256(salt, ikm);
}

/** HKDF-Expand-Label `info || 0x01` inputs by label and length: a handful of constants. */
const expandInputs = new Map<string, Buffer>();

function expandInput(label: string, length: number): Buffer {
  const cacheKey = `${length} ${label}`;
  let info = expandInputs.get(cacheKey);
  if (info === undefined) {
    const fullLabel = Buffer.from(`tls13 ${label}`, "latin1");
    info = Buffer.alloc(2 + 1 + fullLabel.length + 1 + 1);
    info.writeUInt16BE(length, 0);
    info[2] = fullLabel.length;
    fullLabel.copy(info, 3);
    info[3 + fullLabel.length] = 0; // empty context
    info[info.length - 1] = 1; // HKDF-Expand block counter
    expandInputs.set(cacheKey, info);
  }
  return info;
}

/**
 * TLS 1.3 HKDF-Expand-Label with an empty context (RFC 8446 §7.1). Every QUIC Initial output is at
 * most one SHA-256 block long, so HKDF-Expand is a single HMAC over `info || 0x01`.
 */
function hkdfExpandLabel(secret: Uint8Array, label: string, length: number): Buffer {
  return hmacSha256(secret, expandInput(label, length)).subarray(0, length);
}

/**
 * HKDF-Extract of the version's salt and the client's DCID: shared by both directions' secrets, so
 * an analyzer computes it once per connection. Undefined when the version has no known salt.
 */
export function initialExtract(version: QuicVersionInfo, clientDcid: Uint8Array): Buffer | undefined {
  return version.salt === undefined ? undefined : hkdfExtract(version.salt, clientDcid);
}

/** The client's or server's Initial secret (`client in` / `server in`). */
export function initialSecret(salt: Uint8Array, clientDcid: Uint8Array, fromClient: boolean): Buffer {
  return secretFromExtract(hkdfExtract(salt, clientDcid), fromClient);
}

function secretFromExtract(extracted: Uint8Array, fromClient: boolean): Buffer {
  return hkdfExpandLabel(extracted, fromClient ? "client in" : "server in", SHA256_LENGTH);
}

function packetKeysFromSecret(secret: Uint8Array, labelPrefix: QuicVersionInfo["labelPrefix"]): InitialKeys {
  return {
    key: hkdfExpandLabel(secret, `${labelPrefix} key`, AES128_KEY_LENGTH),
    iv: hkdfExpandLabel(secret, `${labelPrefix} iv`, AEAD_IV_LENGTH),
    hp: hkdfExpandLabel(secret, `${labelPrefix} hp`, AES128_KEY_LENGTH),
  };
}

/** One direction's keys from initialExtract()'s output. */
export function keysFromExtract(
  version: QuicVersionInfo,
  extracted: Uint8Array,
  fromClient: boolean,
): InitialKeys {
  return packetKeysFromSecret(secretFromExtract(extracted, fromClient), version.labelPrefix);
}

/** Keys for one direction's Initial packets, or undefined when the version has no known salt. */
export function deriveInitialKeys(
  version: QuicVersionInfo,
  clientDcid: Uint8Array,
  fromClient: boolean,
): InitialKeys | undefined {
  const extracted = initialExtract(version, clientDcid);
  return extracted === undefined ? undefined : keysFromExtract(version, extracted, fromClient);
}
