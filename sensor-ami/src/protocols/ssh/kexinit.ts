// SSH_MSG_KEXINIT (RFC 4253 §7.1): the algorithm name-lists each side offers, and the
// negotiation rule that picks the first client algorithm the server also supports.

// The module binding, not the global: global `Buffer` is an accessor property, a getter call per use.
import { Buffer } from "node:buffer";
import { hash } from "node:crypto";

export interface KexInit {
  kex: string[];
  hostKey: string[];
  cipherClientToServer: string[];
  cipherServerToClient: string[];
  macClientToServer: string[];
  macServerToClient: string[];
  compressionClientToServer: string[];
  compressionServerToClient: string[];
}

class SshFormatError extends Error {
  override readonly name = "SshFormatError";
}

/** Reads RFC 4251 §5 `string` and `name-list` values from a packet payload. */
export class PayloadReader {
  private pos: number;

  constructor(
    private readonly payload: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }

  skip(length: number): void {
    if (this.pos + length > this.payload.length) throw new SshFormatError("payload shorter than its fields");
    this.pos += length;
  }

  bytes(): Uint8Array {
    if (this.pos + 4 > this.payload.length) throw new SshFormatError("string length beyond payload");
    const view = new DataView(this.payload.buffer, this.payload.byteOffset, this.payload.byteLength);
    const length = view.getUint32(this.pos);
    const start = this.pos + 4;
    if (start + length > this.payload.length)
      throw new SshFormatError(`string of ${length} bytes beyond payload`);
    this.pos = start + length;
    return this.payload.subarray(start, start + length);
  }

  nameList(): string[] {
    const raw = this.bytes();
    if (raw.length === 0) return [];
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("latin1").split(",");
  }
}

/** Parses a KEXINIT payload (starting at the message type byte 20). */
export function parseKexInit(payload: Uint8Array): KexInit {
  const reader = new PayloadReader(payload, 1);
  reader.skip(16); // cookie
  return {
    kex: reader.nameList(),
    hostKey: reader.nameList(),
    cipherClientToServer: reader.nameList(),
    cipherServerToClient: reader.nameList(),
    macClientToServer: reader.nameList(),
    macServerToClient: reader.nameList(),
    compressionClientToServer: reader.nameList(),
    compressionServerToClient: reader.nameList(),
  };
}

/** What Zeek logs when the two sides share no algorithm. */
const NEGOTIATION_FAILED = "Algorithm negotiation failed";

/** RFC 4253 §7.1: the first algorithm on the client's list that is also on the server's. */
export function negotiate(client: readonly string[], server: readonly string[]): string {
  return client.find((name) => server.includes(name)) ?? NEGOTIATION_FAILED;
}

/** Both directions' choice; when they differ, both are shown, as Zeek does. */
export function negotiateBothWays(
  c2s: [readonly string[], readonly string[]],
  s2c: [readonly string[], readonly string[]],
): string {
  const toServer = negotiate(...c2s);
  const toClient = negotiate(...s2c);
  return toServer === toClient ? toServer : `To server: ${toServer}, to client: ${toClient}`;
}

export interface Hassh {
  algorithms: string;
  hash: string;
}

/**
 * Salesforce's HASSH: MD5 of "kex;ciphers;macs;compression" from one KEXINIT — the client's
 * client-to-server lists for `hassh`, the server's server-to-client lists for `hasshServer`.
 */
export function hassh(kexinit: KexInit, fromServer: boolean): Hassh {
  const lists = fromServer
    ? [
        kexinit.kex,
        kexinit.cipherServerToClient,
        kexinit.macServerToClient,
        kexinit.compressionServerToClient,
      ]
    : [
        kexinit.kex,
        kexinit.cipherClientToServer,
        kexinit.macClientToServer,
        kexinit.compressionClientToServer,
      ];
  const algorithms = lists.map((l) => l.join(",")).join(";");
  // One-shot hashing (Node >= 20.12); the names are latin1 text, hashed byte for byte.
  return { algorithms, hash: hash("md5", Buffer.from(algorithms, "latin1"), "hex") };
}

/** OpenSSH-style host key fingerprint: "SHA256:" + unpadded base64 of the key blob's SHA-256. */
export function hostKeyFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${hash("sha256", keyBlob, "base64").replace(/=+$/, "")}`;
}
