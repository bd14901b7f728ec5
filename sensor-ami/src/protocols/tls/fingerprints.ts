// TLS client/server fingerprints: JA3, JA3S (salesforce/ja3, BSD-3-Clause) and client JA4
// (FoxIO technical_details/JA4.md, BSD-3-Clause). JA4S and the other JA4+ methods are under the
// FoxIO License 1.1 (not permissive for monetisation) and are deliberately NOT implemented here.

import { hash } from "node:crypto";
import { HEX_OCTETS, hex16 } from "../../text/bytes.js";
import type { ClientHello, ServerHello, TlsExtension } from "./hello.js";
import { EXT_ALPN, EXT_SERVER_NAME, EXT_SUPPORTED_VERSIONS } from "./hello.js";
import { isGrease } from "./tables.js";

/** JA4's first character: TLS over TCP, QUIC, or DTLS. */
export type Ja4Transport = "t" | "q" | "d";

/** JA4 counts are two decimal digits. */
const JA4_MAX_COUNT = 99;
/** JA4 hashes are truncated to this many hex characters. */
const JA4_HASH_CHARS = 12;
const JA4_EMPTY_HASH = "0".repeat(JA4_HASH_CHARS);

const JA4_VERSION_CODES: ReadonlyMap<number, string> = new Map([
  [0x0304, "13"],
  [0x0303, "12"],
  [0x0302, "11"],
  [0x0301, "10"],
  [0x0300, "s3"],
  [0x0002, "s2"],
  [0xfeff, "d1"],
  [0xfefd, "d2"],
  [0xfefc, "d3"],
]);

// One-shot crypto.hash(): no Hash object per fingerprint. The hashed texts are ASCII, so its
// default UTF-8 encoding gives the same bytes as latin1. (A map from text to hash was tried: the
// lookup has to flatten and hash the freshly concatenated text, which costs more than MD5 itself.)
function md5Hex(text: string): string {
  return hash("md5", text, "hex");
}

function sha256Prefix(text: string): string {
  return hash("sha256", text, "hex").slice(0, JA4_HASH_CHARS);
}

function withoutGrease(values: readonly number[]): number[] {
  return values.filter((value) => !isGrease(value));
}

/** `values` without GREASE, in decimal, joined by "-" (a JA3 list), built without intermediate arrays. */
function ja3List(values: readonly number[]): string {
  let text = "";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (isGrease(value)) continue;
    text = text === "" ? String(value) : `${text}-${value}`;
  }
  return text;
}

/** Like ja3List, over the extension types. */
function ja3ExtensionList(extensions: readonly TlsExtension[]): string {
  let text = "";
  for (let i = 0; i < extensions.length; i++) {
    const type = extensions[i].type;
    if (isGrease(type)) continue;
    text = text === "" ? String(type) : `${text}-${type}`;
  }
  return text;
}

/**
 * The JA3 string: `SSLVersion,Ciphers,Extensions,EllipticCurves,EcPointFormats`, decimal values in
 * wire order joined by "-", GREASE values dropped from every list (the ja3 reference behaviour).
 * Returns undefined for SSLv2-compatible hellos, which JA3 does not define.
 */
export function ja3String(hello: ClientHello): string | undefined {
  if (hello.sslv2) return undefined;
  return `${hello.version},${ja3List(hello.cipherSuites)},${ja3ExtensionList(hello.extensions)},${ja3List(hello.supportedGroups)},${hello.ecPointFormats.join("-")}`;
}

/** JA3: MD5 of ja3String as 32 lower-case hex characters (undefined for SSLv2 hellos). */
export function ja3(hello: ClientHello): string | undefined {
  const text = ja3String(hello);
  return text === undefined ? undefined : md5Hex(text);
}

/** The JA3S string: `SSLVersion,Cipher,Extensions` from the ServerHello (legacy version field). */
export function ja3sString(hello: ServerHello): string {
  return `${hello.version},${hello.cipherSuite},${ja3ExtensionList(hello.extensions)}`;
}

/** JA3S: MD5 of ja3sString. */
export function ja3s(hello: ServerHello): string {
  return md5Hex(ja3sString(hello));
}

/** Comma-joined hex16 of `values` (already filtered and ordered). */
function hexList(values: ArrayLike<number>): string {
  let text = "";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const hex = hex16(value);
    text = i === 0 ? hex : `${text},${hex}`;
  }
  return text;
}

function twoDigits(count: number): string {
  return String(Math.min(count, JA4_MAX_COUNT)).padStart(2, "0");
}

function isAlphanumeric(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** First and last character of the first ALPN value; its hex form when either byte is not alphanumeric. */
function ja4AlpnCode(alpn: readonly string[]): string {
  const first = alpn[0];
  if (first === undefined || first.length === 0) return "00";
  const head = first.charCodeAt(0);
  const tail = first.charCodeAt(first.length - 1);
  if (isAlphanumeric(head) && isAlphanumeric(tail)) return first[0] + first[first.length - 1];
  // The first hex digit of the first byte and the last of the last byte (the text is latin1).
  return HEX_OCTETS[head & 0xff][0] + HEX_OCTETS[tail & 0xff][1];
}

function ja4Version(hello: ClientHello, hasSupportedVersions: boolean): string {
  let highest = -1;
  if (hasSupportedVersions) {
    for (let i = 0; i < hello.supportedVersions.length; i++) {
      const value = hello.supportedVersions[i];
      if (!isGrease(value) && value > highest) highest = value;
    }
  }
  return JA4_VERSION_CODES.get(highest >= 0 ? highest : hello.version) ?? "00";
}

/** All JA4 forms of one ClientHello (field names as in FoxIO's reference output). */
interface Ja4Forms {
  /** `a_b_c`, hashed, sorted: the fingerprint. */
  readonly ja4: string;
  /** JA4_r: sorted, unhashed. */
  readonly ja4_r: string;
  /** JA4_o: original (wire) order, hashed, SNI/ALPN kept in the extension list. */
  readonly ja4_o: string;
  /** JA4_ro: original order, unhashed. */
  readonly ja4_ro: string;
}

/**
 * Every JA4 form of a ClientHello. `transport` is "t" for TLS over TCP, "q" for QUIC, "d" for DTLS.
 * Returns undefined for SSLv2-compatible hellos (24-bit cipher specs have no JA4 encoding).
 */
export function ja4Forms(hello: ClientHello, transport: Ja4Transport): Ja4Forms | undefined {
  if (hello.sslv2) return undefined;
  const ciphers = withoutGrease(hello.cipherSuites).map(hex16);
  const extensionTypes = withoutGrease(hello.extensions.map((ext) => ext.type));
  const sni = extensionTypes.includes(EXT_SERVER_NAME) ? "d" : "i";
  const prefix = `${transport}${ja4Version(
    hello,
    hello.extensions.some((ext) => ext.type === EXT_SUPPORTED_VERSIONS),
  )}${sni}${twoDigits(ciphers.length)}${twoDigits(extensionTypes.length)}${ja4AlpnCode(hello.alpn)}`;
  const signatureAlgorithms = withoutGrease(hello.signatureAlgorithms).map(hex16).join(",");

  const sortedCiphers = [...ciphers].sort().join(",");
  const sortedExtensions = extensionTypes
    .filter((type) => type !== EXT_SERVER_NAME && type !== EXT_ALPN)
    .map(hex16)
    .sort()
    .join(",");
  const originalCiphers = ciphers.join(",");
  const originalExtensions = extensionTypes.map(hex16).join(",");

  const extensionPart = (list: string): string =>
    signatureAlgorithms ? `${list}_${signatureAlgorithms}` : list;
  const hashOrZero = (list: string, raw: string): string =>
    list === "" ? JA4_EMPTY_HASH : sha256Prefix(raw);

  return {
    ja4: `${prefix}_${hashOrZero(sortedCiphers, sortedCiphers)}_${hashOrZero(sortedExtensions, extensionPart(sortedExtensions))}`,
    ja4_r: `${prefix}_${sortedCiphers}_${extensionPart(sortedExtensions)}`,
    ja4_o: `${prefix}_${hashOrZero(originalCiphers, originalCiphers)}_${hashOrZero(originalExtensions, extensionPart(originalExtensions))}`,
    ja4_ro: `${prefix}_${originalCiphers}_${extensionPart(originalExtensions)}`,
  };
}

/** Reused sort buffers for ja4() (cipher suites, extension types), grown on demand. */
const sortScratch = [new Uint16Array(128), new Uint16Array(64)];

function scratch(which: 0 | 1, length: number): Uint16Array {
  if (sortScratch[which].length < length) sortScratch[which] = new Uint16Array(length);
  return sortScratch[which];
}

/** The fingerprints ssl.log keeps from a ClientHello (both undefined for SSLv2 hellos). */
interface ClientFingerprints {
  readonly ja3: string | undefined;
  readonly ja4: string | undefined;
}

const NO_FINGERPRINTS: ClientFingerprints = { ja3: undefined, ja4: undefined };

/**
 * JA4 (and, with `withJa3`, JA3) of a ClientHello in one pass over its lists: each cipher suite and
 * extension is looked at once for both. The GREASE test (isGrease) is written out in these loops:
 * they run for every hello, and before the JIT has inlined anything a call per value is what costs.
 * JA4 equals ja4Forms().ja4, computed alone (the other forms are not logged): numeric sorts of typed
 * arrays stand in for the string sorts (fixed-width lower-case hex sorts like the numbers).
 */
export function clientFingerprints(
  hello: ClientHello,
  transport: Ja4Transport,
  withJa3: boolean,
): ClientFingerprints {
  if (hello.sslv2) return NO_FINGERPRINTS;
  const suites = hello.cipherSuites;
  const ciphers = scratch(0, suites.length);
  let cipherCount = 0;
  let ja3Ciphers = "";
  for (let i = 0; i < suites.length; i++) {
    const suite = suites[i];
    if ((suite & 0x0f0f) === 0x0a0a && suite >> 8 === (suite & 0xff)) continue;
    if (withJa3) ja3Ciphers = cipherCount === 0 ? String(suite) : `${ja3Ciphers}-${suite}`;
    ciphers[cipherCount++] = suite;
  }
  const extensions = hello.extensions;
  const hashedExtensions = scratch(1, extensions.length);
  let hashedCount = 0;
  let extensionCount = 0;
  let ja3Extensions = "";
  let sni = "i";
  let hasSupportedVersions = false;
  for (let i = 0; i < extensions.length; i++) {
    const type = extensions[i].type;
    if ((type & 0x0f0f) === 0x0a0a && type >> 8 === (type & 0xff)) continue;
    if (withJa3) ja3Extensions = extensionCount === 0 ? String(type) : `${ja3Extensions}-${type}`;
    extensionCount++;
    if (type === EXT_SERVER_NAME) sni = "d";
    else if (type !== EXT_ALPN) hashedExtensions[hashedCount++] = type;
    if (type === EXT_SUPPORTED_VERSIONS) hasSupportedVersions = true;
  }
  const prefix = `${transport}${ja4Version(hello, hasSupportedVersions)}${sni}${twoDigits(cipherCount)}${twoDigits(extensionCount)}${ja4AlpnCode(hello.alpn)}`;
  const cipherText = hexList(ciphers.subarray(0, cipherCount).sort());
  const extensionText = hexList(hashedExtensions.subarray(0, hashedCount).sort());
  let extensionHash = JA4_EMPTY_HASH;
  if (extensionText !== "") {
    let signatureAlgorithms = "";
    const algorithms = hello.signatureAlgorithms;
    for (let i = 0; i < algorithms.length; i++) {
      const value = algorithms[i];
      if ((value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff)) continue;
      const hex = hex16(value);
      signatureAlgorithms = signatureAlgorithms === "" ? hex : `${signatureAlgorithms},${hex}`;
    }
    extensionHash = sha256Prefix(
      signatureAlgorithms === "" ? extensionText : `${extensionText}_${signatureAlgorithms}`,
    );
  }
  const ja4 = `${prefix}_${cipherText === "" ? JA4_EMPTY_HASH : sha256Prefix(cipherText)}_${extensionHash}`;
  const ja3 = withJa3
    ? md5Hex(
        `${hello.version},${ja3Ciphers},${ja3Extensions},${ja3List(hello.supportedGroups)},${hello.ecPointFormats.join("-")}`,
      )
    : undefined;
  return { ja3, ja4 };
}

/** The JA4 client fingerprint (`t13d1516h2_8daaf6152771_e5627efa2ab1`), or undefined for SSLv2 hellos. */
export function ja4(hello: ClientHello, transport: Ja4Transport): string | undefined {
  return clientFingerprints(hello, transport, false).ja4;
}

/** JA4's `b` part for a cipher list given as the spec's comma-joined hex string (test-vector helper). */
export function ja4HashOfList(list: string): string {
  return list === "" ? JA4_EMPTY_HASH : sha256Prefix(list);
}
