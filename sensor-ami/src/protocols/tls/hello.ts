// ClientHello / ServerHello parsers (RFC 5246 §7.4.1, RFC 8446 §4.1, RFC 6347 §4.2 for DTLS).
//
// Shared with the QUIC analyzer (its CRYPTO frames carry the same ClientHello). Both parsers take
// either the handshake *message* (msg_type + 24-bit length + body) or the bare *body*, return the
// parsed hello or a TlsParseError (never throw), and keep GREASE values: fingerprint functions drop
// them where their specs say so. Byte fields are views into the input: copy them to keep them.

import { latin1Text } from "../../text/bytes.js";
import { ByteReader, type FieldName } from "./byte-reader.js";
import { TlsParseError } from "./errors.js";

export const HANDSHAKE_CLIENT_HELLO = 1;
export const HANDSHAKE_SERVER_HELLO = 2;

/** TLS ExtensionType values (IANA) the hello parser reads, exported as one table. */
export const EXT_SERVER_NAME = 0x0000;
export const EXT_SUPPORTED_GROUPS = 0x000a;
export const EXT_EC_POINT_FORMATS = 0x000b;
export const EXT_SIGNATURE_ALGORITHMS = 0x000d;
export const EXT_ALPN = 0x0010;
export const EXT_SESSION_TICKET = 0x0023;
export const EXT_PRE_SHARED_KEY = 0x0029;
export const EXT_SUPPORTED_VERSIONS = 0x002b;
export const EXT_KEY_SHARE = 0x0033;
/** key_share's code point in TLS 1.3 drafts up to 22 (draft 23 moved it to 0x0033). */
export const EXT_KEY_SHARE_DRAFT = 0x0028;

/** SHA-256("HelloRetryRequest"): the ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from(
  Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex"),
);

export interface TlsExtension {
  readonly type: number;
  readonly data: Uint8Array;
}

export interface ClientHello {
  /** legacy_version of the hello body (0x0303 for TLS 1.2 and 1.3 clients; 0x0002 for SSLv2 hellos). */
  readonly version: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  /** Cipher suites in wire order, GREASE included. 24-bit values for SSLv2-compatible hellos. */
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: readonly number[];
  /** Extensions in wire order, GREASE included; empty when the hello has no extensions block. */
  readonly extensions: readonly TlsExtension[];
  /** host_name entries of the server_name extension. */
  readonly serverNames: readonly string[];
  /** ALPN protocol names, one character per byte (latin1), in wire order. */
  readonly alpn: readonly string[];
  readonly supportedVersions: readonly number[];
  readonly supportedGroups: readonly number[];
  readonly ecPointFormats: readonly number[];
  readonly signatureAlgorithms: readonly number[];
  /** Groups of the key_share entries the client sent (TLS 1.3). */
  readonly keyShareGroups: readonly number[];
  /** The hello came in an SSLv2-compatible record (RFC 5246 Appendix E.2). */
  readonly sslv2: boolean;
  /** DTLS hello (legacy_version 0xfeXX or DTLS1_BAD_VER 0x0100): it carries a cookie. */
  readonly dtls: boolean;
  /** Extensions whose inner structure did not parse (the hello itself did): a weird, not a failure. */
  readonly malformedExtensions: readonly number[];
}

export interface ServerHello {
  /** legacy_version; a TLS 1.3 draft number (0x7fNN) for drafts up to 21. */
  readonly version: number;
  readonly random: Uint8Array;
  /** Empty for a draft ServerHello with version 0x7fNN: that layout has no session ID. */
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  /** 0 for a draft ServerHello with version 0x7fNN: that layout has no compression method. */
  readonly compressionMethod: number;
  readonly extensions: readonly TlsExtension[];
  /** supported_versions extension value (TLS 1.3 servers put 0x0304 here and 0x0303 in `version`). */
  readonly selectedVersion: number | undefined;
  /** key_share group (TLS 1.3; a HelloRetryRequest names only the group). */
  readonly keyShareGroup: number | undefined;
  /** The ALPN protocol the server selected. */
  readonly alpn: string | undefined;
  /** ServerHello.random is the HelloRetryRequest marker (RFC 8446 §4.1.3). */
  readonly helloRetryRequest: boolean;
  readonly malformedExtensions: readonly number[];
}

/** The negotiated version: supported_versions when present (TLS 1.3), else the legacy field. */
export function negotiatedVersion(hello: ServerHello): number {
  return hello.selectedVersion ?? hello.version;
}

/**
 * "extension 0x<type>" (with an optional prefix and suffix), built only if an error message needs
 * it: a hello has a dozen or more extensions and almost never a malformed one.
 */
class ExtensionName {
  constructor(
    private readonly prefix: string,
    private readonly type: number,
    private readonly suffix: string,
  ) {}

  toString(): string {
    return `${this.prefix}extension 0x${this.type.toString(16)}${this.suffix}`;
  }
}

/** DTLS1_BAD_VER: the pre-RFC 4347 DTLS version OpenSSL (and Cisco AnyConnect) still speak. */
const DTLS_BAD_VERSION = 0x0100;

/** Which form parseClientHello/parseServerHello get: decided from the first byte unless told. */
type HelloForm = "auto" | "message" | "body";

function isDtlsVersion(version: number): boolean {
  return version >> 8 === 0xfe || version === DTLS_BAD_VERSION;
}

/** Strip an optional handshake header of `expectedType`, returning a reader over the body. */
function bodyReader(bytes: Uint8Array, expectedType: number, what: string, form: HelloForm): ByteReader {
  if (form === "body") return new ByteReader(bytes, what);
  const looksLikeBody = bytes.length > 0 && (bytes[0] === 0x03 || bytes[0] === 0xfe || bytes[0] === 0x7f);
  if (form === "auto" && looksLikeBody) return new ByteReader(bytes, what);
  if (bytes.length === 0) throw new TlsParseError(`${what} is empty`);
  if (bytes[0] !== expectedType) {
    throw new TlsParseError(
      `${what}: expected handshake type ${expectedType} or a body starting with a version byte, got 0x${bytes[0].toString(16)}`,
    );
  }
  const outer = new ByteReader(bytes, what);
  outer.u8("msg_type");
  return outer.vector(3, `${what} body`);
}

/**
 * An extension as a window into the hello's bytes: `data` is made when read (most extensions are
 * only listed), and reader() reads it without making it.
 */
class ExtensionView implements TlsExtension {
  // ECMAScript-private: the extension's only own property stays `type`, as with the plain objects.
  readonly #bytes: Uint8Array;
  readonly #start: number;
  readonly #end: number;

  constructor(
    readonly type: number,
    bytes: Uint8Array,
    start: number,
    end: number,
  ) {
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }

  get data(): Uint8Array {
    return this.#bytes.subarray(this.#start, this.#end);
  }

  reader(what: FieldName): ByteReader {
    return new ByteReader(this.#bytes, what, undefined, this.#start, this.#end);
  }
}

/** `typeField` names the type field in errors: "ClientHello extension type" or the ServerHello's. */
function parseExtensionBlock(reader: ByteReader, typeField: string): ExtensionView[] {
  const extensions: ExtensionView[] = [];
  // The extensions block is optional (absent in SSLv3/early TLS hellos).
  if (reader.remaining === 0) return extensions;
  const block = reader.vector(2, "extensions");
  const bytes = block.source;
  while (block.remaining > 0) {
    const at = block.sourceOffset;
    // Fast path, read inline (one call per extension, not five): a whole extension is in the block.
    if (block.remaining >= 4) {
      const length = (bytes[at + 2] << 8) | bytes[at + 3];
      if (block.remaining - 4 >= length) {
        block.skip(4 + length, "");
        extensions.push(new ExtensionView((bytes[at] << 8) | bytes[at + 1], bytes, at + 4, at + 4 + length));
        continue;
      }
    }
    // A truncated extension: the named reads say exactly what is missing (and throw).
    const type = block.u16(typeField);
    const length = block.remaining >= 2 ? block.u16("") : block.u16(new ExtensionName("", type, " length"));
    const start = block.sourceOffset;
    if (block.remaining >= length) block.skip(length, "");
    else block.skip(length, new ExtensionName("", type, " data"));
    extensions.push(new ExtensionView(type, bytes, start, start + length));
  }
  return extensions;
}

interface ClientExtensionFields {
  serverNames: string[];
  alpn: string[];
  supportedVersions: number[];
  supportedGroups: number[];
  ecPointFormats: number[];
  signatureAlgorithms: number[];
  keyShareGroups: number[];
  malformedExtensions: number[];
}

/** Extensions decodeClientExtension reads; the others are only listed. */
function isDecodedClientExtension(type: number): boolean {
  return (
    type === EXT_SERVER_NAME ||
    type === EXT_ALPN ||
    type === EXT_SUPPORTED_VERSIONS ||
    type === EXT_SUPPORTED_GROUPS ||
    type === EXT_EC_POINT_FORMATS ||
    type === EXT_SIGNATURE_ALGORITHMS ||
    type === EXT_KEY_SHARE
  );
}

/** `values` appended to `list` (the list itself when it was empty: one allocation less). */
function appended(list: number[], values: number[]): number[] {
  if (list.length === 0) return values;
  for (let i = 0; i < values.length; i++) list.push(values[i]);
  return list;
}

function decodeClientExtension(ext: ExtensionView, out: ClientExtensionFields): void {
  const r = ext.reader(new ExtensionName("", ext.type, ""));
  switch (ext.type) {
    case EXT_SERVER_NAME: {
      const list = r.vector(2, "server_name_list");
      while (list.remaining > 0) {
        const nameType = list.u8("name_type");
        const name = list.vector(2, "host_name").rest();
        if (nameType === 0) out.serverNames.push(latin1Text(name));
      }
      break;
    }
    case EXT_ALPN: {
      const list = r.vector(2, "protocol_name_list");
      while (list.remaining > 0) out.alpn.push(latin1Text(list.vector(1, "protocol_name").rest()));
      break;
    }
    case EXT_SUPPORTED_VERSIONS:
      out.supportedVersions = appended(out.supportedVersions, r.vector(1, "versions").u16List("version"));
      break;
    case EXT_SUPPORTED_GROUPS:
      out.supportedGroups = appended(
        out.supportedGroups,
        r.vector(2, "named_group_list").u16List("named_group"),
      );
      break;
    case EXT_EC_POINT_FORMATS: {
      const list = r.vector(1, "ec_point_format_list");
      while (list.remaining > 0) out.ecPointFormats.push(list.u8("ec_point_format"));
      break;
    }
    case EXT_SIGNATURE_ALGORITHMS:
      out.signatureAlgorithms = appended(
        out.signatureAlgorithms,
        r.vector(2, "supported_signature_algorithms").u16List("signature_scheme"),
      );
      break;
    case EXT_KEY_SHARE: {
      const list = r.vector(2, "client_shares");
      while (list.remaining > 0) {
        out.keyShareGroups.push(list.u16("group"));
        list.skip(list.u16("key_exchange"), "key_exchange");
      }
      break;
    }
    default:
      return;
  }
}

function decodeClientExtensions(extensions: ExtensionView[]): ClientExtensionFields {
  const out: ClientExtensionFields = {
    serverNames: [],
    alpn: [],
    supportedVersions: [],
    supportedGroups: [],
    ecPointFormats: [],
    signatureAlgorithms: [],
    keyShareGroups: [],
    malformedExtensions: [],
  };
  for (const ext of extensions) {
    if (!isDecodedClientExtension(ext.type)) continue;
    try {
      decodeClientExtension(ext, out);
    } catch (error) {
      if (!(error instanceof TlsParseError)) throw error;
      out.malformedExtensions.push(ext.type);
    }
  }
  return out;
}

/**
 * Parse a TLS or DTLS ClientHello.
 *
 * @param bytes either the handshake message (0x01, 24-bit length, body — as found in TLS handshake
 *   records after reassembly and in QUIC CRYPTO frames) or the bare body (starting with the 2-byte
 *   legacy_version; DTLS callers pass the body after the 12-byte DTLS handshake header). The two are
 *   told apart by the first byte (0x01 vs a version major of 0x03/0xfe/0x7f); pass `form` to say
 *   which it is when that is ambiguous (a DTLS1_BAD_VER 0x0100 body starts with 0x01). Bytes after
 *   the message's declared length are ignored.
 * @returns the ClientHello, or a TlsParseError saying which field was truncated or malformed.
 */
export function parseClientHello(bytes: Uint8Array, form: HelloForm = "auto"): ClientHello | TlsParseError {
  try {
    const r = bodyReader(bytes, HANDSHAKE_CLIENT_HELLO, "ClientHello", form);
    const version = r.u16("legacy_version");
    const dtls = isDtlsVersion(version);
    const random = r.bytesView(32, "random");
    const sessionId = r.vector(1, "legacy_session_id").rest();
    if (sessionId.length > 32)
      throw new TlsParseError(`ClientHello session_id is ${sessionId.length} bytes (max 32)`);
    if (dtls) r.vector(1, "cookie");
    const suites = r.vector(2, "cipher_suites");
    if (suites.remaining % 2 !== 0) throw new TlsParseError("ClientHello cipher_suites length is odd");
    const cipherSuites = suites.u16List("cipher_suite");
    const compression = r.vector(1, "legacy_compression_methods");
    const compressionMethods: number[] = [];
    while (compression.remaining > 0) compressionMethods.push(compression.u8("compression_method"));
    const extensions = parseExtensionBlock(r, "ClientHello extension type");
    const decoded = decodeClientExtensions(extensions);
    return {
      version,
      random,
      sessionId,
      cipherSuites,
      compressionMethods,
      extensions,
      serverNames: decoded.serverNames,
      alpn: decoded.alpn,
      supportedVersions: decoded.supportedVersions,
      supportedGroups: decoded.supportedGroups,
      ecPointFormats: decoded.ecPointFormats,
      signatureAlgorithms: decoded.signatureAlgorithms,
      keyShareGroups: decoded.keyShareGroups,
      malformedExtensions: decoded.malformedExtensions,
      sslv2: false,
      dtls,
    };
  } catch (error) {
    return asParseError(error, "ClientHello");
  }
}

/**
 * Parse an SSLv2-compatible ClientHello (RFC 5246 Appendix E.2): the record body after the 2-byte
 * SSLv2 record header, starting with msg_type 1. Cipher specs are 24-bit values.
 */
export function parseSslV2ClientHello(body: Uint8Array): ClientHello | TlsParseError {
  try {
    const r = new ByteReader(body, "SSLv2 ClientHello");
    const msgType = r.u8("msg_type");
    if (msgType !== HANDSHAKE_CLIENT_HELLO)
      throw new TlsParseError(`SSLv2 record msg_type ${msgType} is not client_hello`);
    const version = r.u16("version");
    const cipherSpecLength = r.u16("cipher_spec_length");
    const sessionIdLength = r.u16("session_id_length");
    const challengeLength = r.u16("challenge_length");
    if (cipherSpecLength % 3 !== 0)
      throw new TlsParseError("SSLv2 ClientHello cipher_spec_length is not a multiple of 3");
    const specs = new ByteReader(r.bytesView(cipherSpecLength, "cipher_specs"), "SSLv2 cipher_specs");
    const cipherSuites: number[] = [];
    while (specs.remaining > 0) cipherSuites.push(specs.u24("cipher_spec"));
    const sessionId = r.bytesView(sessionIdLength, "session_id");
    const random = r.bytesView(challengeLength, "challenge");
    return {
      version,
      random,
      sessionId,
      cipherSuites,
      compressionMethods: [],
      extensions: [],
      serverNames: [],
      alpn: [],
      supportedVersions: [],
      supportedGroups: [],
      ecPointFormats: [],
      signatureAlgorithms: [],
      keyShareGroups: [],
      sslv2: true,
      dtls: false,
      malformedExtensions: [],
    };
  } catch (error) {
    return asParseError(error, "SSLv2 ClientHello");
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Parse a TLS or DTLS ServerHello (including a TLS 1.3 HelloRetryRequest, which shares its type).
 * Accepts the handshake message or the bare body, like parseClientHello.
 */
export function parseServerHello(bytes: Uint8Array, form: HelloForm = "auto"): ServerHello | TlsParseError {
  try {
    const r = bodyReader(bytes, HANDSHAKE_SERVER_HELLO, "ServerHello", form);
    const version = r.u16("legacy_version");
    const random = r.bytesView(32, "random");
    const draft = isDraftServerHelloVersion(version);
    // Drafts 18–21 (and earlier): random, cipher_suite, extensions — no session ID, no compression.
    const sessionId = draft ? random.subarray(0, 0) : r.vector(1, "legacy_session_id").rest();
    const cipherSuite = r.u16("cipher_suite");
    const compressionMethod = draft ? 0 : r.u8("legacy_compression_method");
    const extensions = parseExtensionBlock(r, "ServerHello extension type");
    let selectedVersion: number | undefined;
    let keyShareGroup: number | undefined;
    let draftKeyShareGroup: number | undefined;
    let alpn: string | undefined;
    const malformedExtensions: number[] = [];
    for (const ext of extensions) {
      try {
        if (
          ext.type !== EXT_SUPPORTED_VERSIONS &&
          ext.type !== EXT_KEY_SHARE &&
          ext.type !== EXT_KEY_SHARE_DRAFT &&
          ext.type !== EXT_ALPN
        )
          continue;
        const er = ext.reader(new ExtensionName("ServerHello ", ext.type, ""));
        if (ext.type === EXT_SUPPORTED_VERSIONS) selectedVersion = er.u16("selected_version");
        else if (ext.type === EXT_KEY_SHARE) keyShareGroup = er.u16("group");
        // Code point 40 is the key share of drafts up to 22 (IANA keeps it reserved for that), as
        // Zeek's EXT_KEY_SHARE_OLD; the final code point wins if a hello carries both.
        else if (ext.type === EXT_KEY_SHARE_DRAFT) draftKeyShareGroup = er.u16("group");
        else if (ext.type === EXT_ALPN) {
          const list = er.vector(2, "protocol_name_list");
          if (list.remaining > 0) alpn = latin1Text(list.vector(1, "protocol_name").rest());
        }
      } catch (error) {
        if (!(error instanceof TlsParseError)) throw error;
        malformedExtensions.push(ext.type);
      }
    }
    return {
      version,
      random,
      sessionId,
      cipherSuite,
      compressionMethod,
      extensions,
      selectedVersion,
      keyShareGroup: keyShareGroup ?? draftKeyShareGroup,
      alpn,
      helloRetryRequest: sameBytes(random, HELLO_RETRY_REQUEST_RANDOM),
      malformedExtensions,
    };
  } catch (error) {
    return asParseError(error, "ServerHello");
  }
}

/**
 * A TLS 1.3 draft (0x7fNN) in the ServerHello's version field. Drafts up to 21 put the draft version
 * there and dropped legacy_session_id_echo and legacy_compression_method; from draft 22 on the field
 * says 0x0303 and the draft is in supported_versions, with the RFC 8446 layout. Zeek parses every
 * 0x7fXX ServerHello with the short layout (its ServerHello13), and so do we.
 */
function isDraftServerHelloVersion(version: number): boolean {
  return version >> 8 === 0x7f;
}

function asParseError(error: unknown, what: string): TlsParseError {
  if (error instanceof TlsParseError) return error;
  return new TlsParseError(`${what}: unexpected parser failure`, { cause: error });
}
