// X.509 certificate fields for x509.log and ssl.log (RFC 5280 §4.1), read with the minimal DER
// reader. Names are rendered like OpenSSL's RFC 2253 printing, which is what Zeek logs
// (e.g. "CN=*.taleo.net,OU=Web,O=Taleo Inc.,C=US": most specific RDN first).

import { hash } from "node:crypto";
import { HEX_OCTETS_UPPER, hex, hexUpper, latin1Text } from "../../text/bytes.js";
import { formatIPv4, formatIPv6 } from "../../text/ip.js";
import { BoundedCache } from "./bounded-cache.js";
import {
  DerReader,
  oidArcs,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_SET,
} from "./der.js";
import { DerParseError } from "./errors.js";

/** Context-specific constructed tags inside TBSCertificate. */
const TAG_EXPLICIT_VERSION = 0xa0;
const TAG_EXPLICIT_EXTENSIONS = 0xa3;
/** GeneralName choices (implicit, primitive) in subjectAltName. */
const SAN_EMAIL = 0x81;
const SAN_DNS = 0x82;
const SAN_URI = 0x86;
const SAN_IP = 0x87;

const OID_SUBJECT_ALT_NAME: readonly number[] = [2, 5, 29, 17];
const OID_BASIC_CONSTRAINTS: readonly number[] = [2, 5, 29, 19];

/** Attribute short names as OpenSSL prints them. */
const NAME_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ["2.5.4.3", "CN"],
  ["2.5.4.4", "SN"],
  ["2.5.4.5", "serialNumber"],
  ["2.5.4.6", "C"],
  ["2.5.4.7", "L"],
  ["2.5.4.8", "ST"],
  ["2.5.4.9", "street"],
  ["2.5.4.10", "O"],
  ["2.5.4.11", "OU"],
  ["2.5.4.12", "title"],
  ["2.5.4.13", "description"],
  ["2.5.4.16", "postalAddress"],
  ["2.5.4.18", "postOfficeBox"],
  ["2.5.4.20", "telephoneNumber"],
  ["2.5.4.41", "name"],
  ["2.5.4.45", "x500UniqueIdentifier"],
  ["2.5.4.51", "houseIdentifier"],
  ["2.5.4.72", "role"],
  ["1.2.840.113549.1.9.2", "unstructuredName"],
  ["2.5.4.15", "businessCategory"],
  ["2.5.4.17", "postalCode"],
  ["2.5.4.42", "GN"],
  ["2.5.4.43", "initials"],
  ["2.5.4.44", "generationQualifier"],
  ["2.5.4.46", "dnQualifier"],
  ["2.5.4.65", "pseudonym"],
  ["2.5.4.97", "organizationIdentifier"],
  ["1.2.840.113549.1.9.1", "emailAddress"],
  ["0.9.2342.19200300.100.1.1", "UID"],
  ["0.9.2342.19200300.100.1.25", "DC"],
  ["1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"],
  ["1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"],
  ["1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"],
]);

/** NAME_ATTRIBUTES' 2.5.4.N labels by N: most name attributes, recognised without their OID text. */
const X520_LABELS: ReadonlyMap<number, string> = new Map(
  [...NAME_ATTRIBUTES]
    .filter(([oid]) => /^2\.5\.4\.\d+$/.test(oid))
    .map(([oid, label]) => [Number(oid.slice("2.5.4.".length)), label]),
);

/** Arcs of the OID being looked at (oidArcs() output; one certificate is parsed at a time). */
const oidScratch: number[] = [];

/** Whether oidArcs() put exactly `arcs` (`count` of them) into oidScratch. */
function isOid(count: number, arcs: readonly number[]): boolean {
  if (count !== arcs.length) return false;
  for (let i = 0; i < count; i++) if (oidScratch[i] !== arcs[i]) return false;
  return true;
}

/** Algorithm names as OpenSSL's long/short names (what Zeek logs in key_alg / sig_alg). */
const ALGORITHM_NAMES: ReadonlyMap<string, string> = new Map([
  ["1.2.840.113549.1.1.1", "rsaEncryption"],
  ["1.2.840.113549.1.1.2", "md2WithRSAEncryption"],
  ["1.2.840.113549.1.1.4", "md5WithRSAEncryption"],
  ["1.2.840.113549.1.1.5", "sha1WithRSAEncryption"],
  ["1.2.840.113549.1.1.10", "rsassaPss"],
  ["1.2.840.113549.1.1.11", "sha256WithRSAEncryption"],
  ["1.2.840.113549.1.1.12", "sha384WithRSAEncryption"],
  ["1.2.840.113549.1.1.13", "sha512WithRSAEncryption"],
  ["1.2.840.113549.1.1.14", "sha224WithRSAEncryption"],
  ["1.2.840.10040.4.1", "dsaEncryption"],
  ["1.2.840.10040.4.3", "dsaWithSHA1"],
  ["2.16.840.1.101.3.4.3.2", "dsa_with_SHA256"],
  ["1.2.840.10045.2.1", "id-ecPublicKey"],
  ["1.2.840.10045.4.1", "ecdsa-with-SHA1"],
  ["1.2.840.10045.4.3.2", "ecdsa-with-SHA256"],
  ["1.2.840.10045.4.3.3", "ecdsa-with-SHA384"],
  ["1.2.840.10045.4.3.4", "ecdsa-with-SHA512"],
  ["1.3.101.110", "X25519"],
  ["1.3.101.111", "X448"],
  ["1.3.101.112", "ED25519"],
  ["1.3.101.113", "ED448"],
]);

/** Named curves of EC public keys: OpenSSL short name and field size in bits. */
const EC_CURVES: ReadonlyMap<string, { name: string; bits: number }> = new Map([
  ["1.2.840.10045.3.1.7", { name: "prime256v1", bits: 256 }],
  ["1.2.840.10045.3.1.1", { name: "prime192v1", bits: 192 }],
  ["1.3.132.0.33", { name: "secp224r1", bits: 224 }],
  ["1.3.132.0.34", { name: "secp384r1", bits: 384 }],
  ["1.3.132.0.35", { name: "secp521r1", bits: 521 }],
  ["1.3.36.3.3.2.8.1.1.7", { name: "brainpoolP256r1", bits: 256 }],
  ["1.3.36.3.3.2.8.1.1.11", { name: "brainpoolP384r1", bits: 384 }],
  ["1.3.36.3.3.2.8.1.1.13", { name: "brainpoolP512r1", bits: 512 }],
]);

export interface X509Info {
  /** SHA-256 of the DER certificate, lower-case hex (Zeek's x509 `fingerprint` and ssl `cert_chain_fps`). */
  readonly fingerprint: string;
  readonly version: number;
  /** Serial number, upper-case hex without leading zero bytes (OpenSSL BN_bn2hex style). */
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  readonly notValidBefore: number;
  readonly notValidAfter: number;
  readonly keyAlg: string;
  readonly sigAlg: string;
  readonly keyType: "rsa" | "dsa" | "ecdsa" | undefined;
  readonly keyLength: number | undefined;
  readonly exponent: string | undefined;
  readonly curve: string | undefined;
  readonly sanDns: readonly string[];
  readonly sanUri: readonly string[];
  readonly sanEmail: readonly string[];
  readonly sanIp: readonly string[];
  /** Present only when the certificate has a basicConstraints extension. */
  readonly basicConstraintsCa: boolean | undefined;
  readonly basicConstraintsPathLen: number | undefined;
}

/** Bit length of the unsigned big-endian INTEGER element `r` read last. */
function integerBits(r: DerReader): number {
  const bytes = r.bytes;
  const end = r.valueEnd;
  let start = r.valueStart;
  while (start < end - 1 && bytes[start] === 0) start++;
  if (start >= end) return 0;
  return (end - start - 1) * 8 + (32 - Math.clz32(bytes[start]));
}

/** Integers up to this many bytes fit a double exactly (2^48 < 2^53): no BigInt needed. */
const MAX_EXACT_INTEGER_BYTES = 6;

/** Decimal text of the INTEGER element `r` read last, its bytes taken as unsigned. */
function integerDecimal(r: DerReader): string {
  const bytes = r.bytes;
  if (r.valueEnd - r.valueStart <= MAX_EXACT_INTEGER_BYTES) {
    let small = 0;
    for (let i = r.valueStart; i < r.valueEnd; i++) small = small * 256 + bytes[i];
    return String(small);
  }
  let n = 0n;
  for (let i = r.valueStart; i < r.valueEnd; i++) n = (n << 8n) | BigInt(bytes[i]);
  return n.toString();
}

function algorithmName(oid: string): string {
  return ALGORITHM_NAMES.get(oid) ?? oid;
}

/**
 * Anything escapeRfc2253 would change: a special character anywhere, "#"/" " first, " " last, a
 * control character, or anything outside ASCII.
 */
const NEEDS_RFC2253_ESCAPE = /[,+"\\<>;\x00-\x1f\x7f-\uffff]|^[# ]| $/;
const RFC2253_SPECIALS = ',+"\\<>;';

function escapedByte(byte: number): string {
  return `\\${HEX_OCTETS_UPPER[byte]}`;
}

/** The UTF-8 bytes of one code point, each as OpenSSL's "\XX" escape. */
function escapedUtf8(code: number): string {
  if (code < 0x800) return escapedByte(0xc0 | (code >> 6)) + escapedByte(0x80 | (code & 0x3f));
  if (code < 0x10000) {
    return (
      escapedByte(0xe0 | (code >> 12)) +
      escapedByte(0x80 | ((code >> 6) & 0x3f)) +
      escapedByte(0x80 | (code & 0x3f))
    );
  }
  return (
    escapedByte(0xf0 | (code >> 18)) +
    escapedByte(0x80 | ((code >> 12) & 0x3f)) +
    escapedByte(0x80 | ((code >> 6) & 0x3f)) +
    escapedByte(0x80 | (code & 0x3f))
  );
}

/**
 * An attribute value as OpenSSL's X509_NAME_print_ex(XN_FLAG_RFC2253) prints it, which is what
 * Zeek logs: RFC 2253 §2.4 specials escaped with a backslash ("#" or " " first, " " last too),
 * and, because the flags include ESC_CTRL, ESC_MSB and UTF8_CONVERT, control characters and every
 * byte of the UTF-8 form of a non-ASCII character as "\XX" (upper-case hex): "Müller" is
 * "M\C3\BCller", whatever string type (UTF8String, BMPString, T61String…) carried it.
 */
export function escapeRfc2253(value: string): string {
  // Fast path (one native regex test): most values need no escaping at all.
  if (!NEEDS_RFC2253_ESCAPE.test(value)) return value;
  let out = "";
  const last = value.length - 1;
  for (let i = 0; i < value.length; i++) {
    let code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i < last) {
      const low = value.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code < 0x20 || code === 0x7f) out += escapedByte(code);
    else if (code >= 0x80) out += escapedUtf8(code);
    else {
      const ch = value[i];
      const special =
        RFC2253_SPECIALS.includes(ch) ||
        (i === 0 && (ch === "#" || ch === " ")) ||
        (i === last && ch === " ");
      out += special ? `\\${ch}` : ch;
    }
  }
  return out;
}

/** Render a Name (SEQUENCE OF RDN) in RFC 2253 order: last RDN first, multi-valued RDNs joined by "+". */
function formatName(name: DerReader): string {
  let text = "";
  let first = true;
  while (!name.done) {
    const set = name.enter(TAG_SET, "RelativeDistinguishedName");
    let rdn = "";
    let firstPart = true;
    while (!set.done) {
      const attribute = set.enter(TAG_SEQUENCE, "AttributeTypeAndValue");
      attribute.next(TAG_OID);
      const arcs = oidArcs(attribute.bytes, attribute.valueStart, attribute.valueEnd, oidScratch);
      let label =
        arcs === 4 && oidScratch[0] === 2 && oidScratch[1] === 5 && oidScratch[2] === 4
          ? X520_LABELS.get(oidScratch[3])
          : undefined;
      // Other attributes: by their text, which an unknown one is also printed with.
      const oid = label === undefined ? attribute.oid() : "";
      label ??= NAME_ATTRIBUTES.get(oid);
      attribute.next();
      const part = label
        ? `${label}=${escapeRfc2253(attribute.text())}`
        : `${oid}=#${hex(attribute.bytes, attribute.valueStart, attribute.valueEnd)}`;
      rdn = firstPart ? part : `${rdn}+${part}`;
      firstPart = false;
    }
    // Most specific (last) RDN first.
    text = first ? rdn : `${rdn},${text}`;
    first = false;
  }
  return text;
}

/**
 * A SAN iPAddress as Zeek prints its addr. Zeek skips other lengths (weird x509_san_ip_length);
 * they are kept here as hex.
 */
function sanIp(r: DerReader): string {
  const length = r.valueEnd - r.valueStart;
  if (length === 4) return formatIPv4(r.bytes, r.valueStart);
  if (length === 16) return formatIPv6(r.bytes, r.valueStart);
  return hex(r.bytes, r.valueStart, r.valueEnd);
}

interface PublicKeyFields {
  keyAlg: string;
  keyType: X509Info["keyType"];
  keyLength: number | undefined;
  exponent: string | undefined;
  curve: string | undefined;
}

function parsePublicKey(spki: DerReader): PublicKeyFields {
  const algorithm = spki.enter(TAG_SEQUENCE, "SubjectPublicKeyInfo.algorithm");
  algorithm.next(TAG_OID);
  const algorithmOid = algorithm.oid();
  // The optional parameters are left as the element `algorithm` read last.
  const hasParameters = !algorithm.done;
  if (hasParameters) algorithm.next();
  spki.next(TAG_BIT_STRING);
  // Skip the unused-bits octet.
  const keyStart = Math.min(spki.valueStart + 1, spki.valueEnd);
  const fields: PublicKeyFields = {
    keyAlg: algorithmName(algorithmOid),
    keyType: undefined,
    keyLength: undefined,
    exponent: undefined,
    curve: undefined,
  };
  if (algorithmOid === "1.2.840.113549.1.1.1") {
    const rsa = new DerReader(spki.bytes, "RSAPublicKey", keyStart, spki.valueEnd).enter(
      TAG_SEQUENCE,
      "RSAPublicKey",
    );
    fields.keyType = "rsa";
    rsa.next(TAG_INTEGER);
    fields.keyLength = integerBits(rsa);
    rsa.next(TAG_INTEGER);
    fields.exponent = integerDecimal(rsa);
  } else if (algorithmOid === "1.2.840.10045.2.1") {
    fields.keyType = "ecdsa";
    if (hasParameters && algorithm.tag === TAG_OID) {
      const curve = EC_CURVES.get(algorithm.oid());
      fields.curve = curve?.name;
      fields.keyLength = curve?.bits;
    }
  } else if (algorithmOid === "1.2.840.10040.4.1") {
    fields.keyType = "dsa";
    if (hasParameters && algorithm.tag === TAG_SEQUENCE) {
      const parameters = algorithm.contents("Dss-Parms");
      parameters.next(TAG_INTEGER);
      fields.keyLength = integerBits(parameters);
    }
  }
  return fields;
}

interface ExtensionFields {
  sanDns: string[];
  sanUri: string[];
  sanEmail: string[];
  sanIp: string[];
  basicConstraintsCa: boolean | undefined;
  basicConstraintsPathLen: number | undefined;
}

function parseExtensions(list: DerReader, out: ExtensionFields): void {
  while (!list.done) {
    const extension = list.enter(TAG_SEQUENCE, "Extension");
    extension.next(TAG_OID);
    const arcs = oidArcs(extension.bytes, extension.valueStart, extension.valueEnd, oidScratch);
    if (extension.peekTag() === TAG_BOOLEAN) extension.next(TAG_BOOLEAN);
    extension.next(TAG_OCTET_STRING);
    if (isOid(arcs, OID_SUBJECT_ALT_NAME)) {
      const names = extension.contents("subjectAltName").enter(TAG_SEQUENCE, "GeneralNames");
      while (!names.done) {
        names.next();
        const tag = names.tag;
        if (tag === SAN_DNS) out.sanDns.push(latin1Text(names.value()));
        else if (tag === SAN_URI) out.sanUri.push(latin1Text(names.value()));
        else if (tag === SAN_EMAIL) out.sanEmail.push(latin1Text(names.value()));
        else if (tag === SAN_IP) out.sanIp.push(sanIp(names));
      }
    } else if (isOid(arcs, OID_BASIC_CONSTRAINTS)) {
      const constraints = extension.contents("basicConstraints").enter(TAG_SEQUENCE, "BasicConstraints");
      out.basicConstraintsCa = false;
      if (constraints.peekTag() === TAG_BOOLEAN) {
        constraints.next(TAG_BOOLEAN);
        // An empty BOOLEAN reads as true, as the byte-view code this replaces did (undefined !== 0).
        out.basicConstraintsCa =
          constraints.valueEnd === constraints.valueStart || constraints.bytes[constraints.valueStart] !== 0;
      }
      if (constraints.peekTag() === TAG_INTEGER) {
        constraints.next(TAG_INTEGER);
        out.basicConstraintsPathLen = Number(integerDecimal(constraints));
      }
    }
  }
}

/**
 * Parsed certificates kept, by SHA-256 fingerprint (Zeek caches parsed X.509 certificates the same
 * way): servers send the same chain to every client, so a repeated certificate costs one hash.
 */
const CERTIFICATE_CACHE_ENTRIES = 4096;
const certificateCache = new BoundedCache<X509Info>(CERTIFICATE_CACHE_ENTRIES);

/**
 * Parse a DER certificate; a DerParseError names the structure that was malformed. The result is
 * shared with every later caller that passes the same bytes: treat it as immutable.
 */
export function parseCertificate(der: Uint8Array): X509Info | DerParseError {
  const fingerprint = hash("sha256", der, "hex");
  const cached = certificateCache.get(fingerprint);
  if (cached !== undefined) return cached;
  const parsed = parseUncached(der, fingerprint);
  if (parsed instanceof DerParseError) return parsed;
  // Shared by every connection (and log record) that carries this certificate: make that safe.
  Object.freeze(parsed.sanDns);
  Object.freeze(parsed.sanUri);
  Object.freeze(parsed.sanEmail);
  Object.freeze(parsed.sanIp);
  certificateCache.set(fingerprint, Object.freeze(parsed));
  return parsed;
}

function parseUncached(der: Uint8Array, fingerprint: string): X509Info | DerParseError {
  try {
    const certificate = new DerReader(der, "Certificate").enter(TAG_SEQUENCE, "Certificate");
    const tbs = certificate.enter(TAG_SEQUENCE, "TBSCertificate");
    let version = 1;
    if (tbs.peekTag() === TAG_EXPLICIT_VERSION) {
      tbs.next();
      const explicit = tbs.contents("version");
      explicit.next(TAG_INTEGER);
      version = Number(integerDecimal(explicit)) + 1;
    }
    tbs.next(TAG_INTEGER);
    let serialStart = tbs.valueStart;
    while (serialStart < tbs.valueEnd - 1 && der[serialStart] === 0) serialStart++;
    const serial = hexUpper(der, serialStart, tbs.valueEnd);
    tbs.next(TAG_SEQUENCE); // signature AlgorithmIdentifier (repeated after the TBS)
    const issuer = formatName(tbs.enter(TAG_SEQUENCE, "issuer"));
    const validity = tbs.enter(TAG_SEQUENCE, "validity");
    validity.next();
    const notValidBefore = validity.time();
    validity.next();
    const notValidAfter = validity.time();
    const subject = formatName(tbs.enter(TAG_SEQUENCE, "subject"));
    const publicKey = parsePublicKey(tbs.enter(TAG_SEQUENCE, "SubjectPublicKeyInfo"));
    const extensions: ExtensionFields = {
      sanDns: [],
      sanUri: [],
      sanEmail: [],
      sanIp: [],
      basicConstraintsCa: undefined,
      basicConstraintsPathLen: undefined,
    };
    while (!tbs.done) {
      tbs.next();
      if (tbs.tag === TAG_EXPLICIT_EXTENSIONS) {
        parseExtensions(tbs.contents("extensions").enter(TAG_SEQUENCE, "Extensions"), extensions);
      }
    }
    const signatureAlgorithm = certificate.enter(TAG_SEQUENCE, "signatureAlgorithm");
    signatureAlgorithm.next(TAG_OID);
    const sigAlg = algorithmName(signatureAlgorithm.oid());
    return {
      fingerprint,
      version,
      serial,
      subject,
      issuer,
      notValidBefore,
      notValidAfter,
      sigAlg,
      keyAlg: publicKey.keyAlg,
      keyType: publicKey.keyType,
      keyLength: publicKey.keyLength,
      exponent: publicKey.exponent,
      curve: publicKey.curve,
      sanDns: extensions.sanDns,
      sanUri: extensions.sanUri,
      sanEmail: extensions.sanEmail,
      sanIp: extensions.sanIp,
      basicConstraintsCa: extensions.basicConstraintsCa,
      basicConstraintsPathLen: extensions.basicConstraintsPathLen,
    };
  } catch (error) {
    if (error instanceof DerParseError) return error;
    return new DerParseError("certificate: unexpected parser failure", { cause: error });
  }
}

/** Zeek's `sni_matches_cert`: the SNI equals a SAN DNS name (or the CN without SANs), one-label wildcards allowed. */
export function hostMatchesCertificate(host: string, certificate: X509Info): boolean {
  const wanted = host.toLowerCase();
  const cn = /(?:^|,)CN=([^,]*)/.exec(certificate.subject)?.[1];
  const names = certificate.sanDns.length > 0 ? certificate.sanDns : cn ? [cn] : [];
  return names.some((pattern) => {
    const name = pattern.toLowerCase();
    if (name === wanted) return true;
    if (!name.startsWith("*.")) return false;
    const dot = wanted.indexOf(".");
    return dot > 0 && wanted.slice(dot) === name.slice(1);
  });
}
