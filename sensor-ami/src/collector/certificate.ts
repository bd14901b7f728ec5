// The collector's TLS identity. Given --tls-cert/--tls-key it uses those; otherwise it makes a
// self-signed ECDSA P-256 certificate at first start and keeps it in the store directory, so its
// fingerprint (printed at every start) stays the same and a sensor can pin it or take it as its CA.
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  bitString,
  boolean,
  explicit,
  implicit,
  objectIdentifier,
  octetString,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from "./der.js";
import { CertificateError } from "./errors.js";
import { writeFileAtomicSync } from "./files.js";

/** Ten years: the certificate is trusted by pinning, not by expiry; a new one means reconfiguring sensors. */
export const SELF_SIGNED_VALIDITY_DAYS = 3650;
/** Tolerates sensors whose clocks run behind the collector's. */
const NOT_BEFORE_SLACK_MS = 24 * 3600 * 1000;
export const CERT_FILE = "collector-cert.pem";
export const KEY_FILE = "collector-key.pem";
const COMMON_NAME = "spanless collector";

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  subjectKeyIdentifier: "2.5.29.14",
} as const;

export interface TlsIdentity {
  cert: string;
  key: string;
  /** SHA-256 of the certificate's DER, colon-separated upper-case hex (as `openssl x509 -fingerprint`). */
  fingerprint: string;
  /** Where it came from, for the start-up line. */
  source: "given" | "generated" | "kept";
  certPath: string;
}

/** IPv4 or IPv6 text → the 4 or 16 bytes subjectAltName's iPAddress holds. */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head, tail = ""] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const words = (s: string | undefined) => (s ? s.split(":") : []);
  let left = words(head);
  let right = tail === undefined ? [] : words(tail);
  // A trailing dotted quad (::ffff:10.0.0.1) is two words.
  const last = (right.length ? right : left).at(-1);
  if (last?.includes(".")) {
    const b = ipBytes(last);
    const quad = [((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)];
    if (right.length) right = [...right.slice(0, -1), ...quad];
    else left = [...left.slice(0, -1), ...quad];
  }
  const zeros = ip.includes("::") ? 8 - left.length - right.length : 0;
  const all = [...left, ...Array(zeros).fill("0"), ...right].map((w) => Number.parseInt(w, 16));
  const out = Buffer.alloc(16);
  for (const [i, w] of all.entries()) out.writeUInt16BE(w, i * 2);
  return out;
}

/** The names the certificate covers: loopback always, the listen host unless it is a wildcard, this host's name. */
export function certificateNames(listenHost: string): string[] {
  const names = new Set(["localhost", "127.0.0.1", "::1", hostname()]);
  if (listenHost !== "0.0.0.0" && listenHost !== "::" && listenHost !== "") names.add(listenHost);
  return [...names];
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** A self-signed X.509 v3 certificate (PEM) and its PKCS#8 key (PEM) for `names`. */
export function makeSelfSignedCertificate(names: string[], now = new Date()): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const name = sequence(set(sequence(objectIdentifier(OID.commonName), utf8String(COMMON_NAME))));
  const altNames = sequence(
    ...names.map((n) => (isIP(n) ? implicit(7, ipBytes(n)) : implicit(2, Buffer.from(n, "ascii")))),
  );
  // The public key's bits (after the SPKI's algorithm header) hashed, as RFC 5280 §4.2.1.2 method 1.
  const keyBits = spki.subarray(spki.length - 65);
  const extensions = sequence(
    // CA:TRUE so that a client can give this very certificate as its trust anchor (`ca`).
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    // digitalSignature (bit 0) for the TLS handshake, keyCertSign (bit 5) for signing itself.
    extension(OID.keyUsage, true, bitString(Buffer.from([0x84]), 2)),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(createHash("sha1").update(keyBits).digest())),
    extension(OID.subjectAltName, false, altNames),
  );
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive, and at most 16 bytes once encoded
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(
      time(new Date(now.getTime() - NOT_BEFORE_SLACK_MS)),
      time(new Date(now.getTime() + SELF_SIGNED_VALIDITY_DAYS * 24 * 3600 * 1000)),
    ),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, privateKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, algorithm, bitString(signature));
  const base64 = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}

function fingerprintOf(cert: string): string {
  try {
    return new X509Certificate(cert).fingerprint256;
  } catch (cause) {
    throw new CertificateError("the TLS certificate is not a PEM X.509 certificate", { cause });
  }
}

/** --tls-cert/--tls-key when given (both or neither); else the kept self-signed pair, made on first use. */
export function loadTlsIdentity(options: {
  certPath?: string;
  keyPath?: string;
  stateDir: string;
  listenHost: string;
}): TlsIdentity {
  if (options.certPath !== undefined || options.keyPath !== undefined) {
    if (options.certPath === undefined || options.keyPath === undefined) {
      throw new CertificateError(
        "give both --tls-cert and --tls-key, or neither for a self-signed certificate",
      );
    }
    let cert: string;
    let key: string;
    try {
      cert = readFileSync(options.certPath, "utf8");
      key = readFileSync(options.keyPath, "utf8");
    } catch (cause) {
      throw new CertificateError("cannot read --tls-cert or --tls-key", { cause });
    }
    return { cert, key, fingerprint: fingerprintOf(cert), source: "given", certPath: options.certPath };
  }
  const certPath = join(options.stateDir, CERT_FILE);
  const keyPath = join(options.stateDir, KEY_FILE);
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = readFileSync(certPath, "utf8");
    return {
      cert,
      key: readFileSync(keyPath, "utf8"),
      fingerprint: fingerprintOf(cert),
      source: "kept",
      certPath,
    };
  }
  try {
    mkdirSync(options.stateDir, { recursive: true });
    const made = makeSelfSignedCertificate(certificateNames(options.listenHost));
    // The key first: a certificate without its key would be kept and fail at the next start.
    writeFileAtomicSync(keyPath, made.key, 0o600);
    chmodSync(keyPath, 0o600);
    writeFileAtomicSync(certPath, made.cert, 0o644);
    return { ...made, fingerprint: fingerprintOf(made.cert), source: "generated", certPath };
  } catch (cause) {
    if (cause instanceof CertificateError) throw cause;
    throw new CertificateError(`cannot make a self-signed certificate in ${options.stateDir}`, { cause });
  }
}
