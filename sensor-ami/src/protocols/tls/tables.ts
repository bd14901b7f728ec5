// Names Zeek uses in ssl.log for protocol versions, named groups (curves) and alerts. Kept as data:
// a new value is one line. Lookups for unknown codes fall back to Zeek's `unknown-<n>` spelling.

import { CIPHER_SUITE_NAMES } from "./cipher-suites.js";

/** Record/handshake protocol versions as Zeek's `SSL::version_strings` spells them. */
const VERSION_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x0002, "SSLv2"],
  [0x0300, "SSLv3"],
  [0x0301, "TLSv10"],
  [0x0302, "TLSv11"],
  [0x0303, "TLSv12"],
  [0x0304, "TLSv13"],
  [0xfeff, "DTLSv10"],
  [0xfefd, "DTLSv12"],
  [0xfefc, "DTLSv13"],
]);

/**
 * Named groups (TLS "supported groups", formerly elliptic curves). Generated from Wireshark 4.0.17's
 * value strings (field tls.handshake.extensions_supported_group), plus the hybrid post-quantum groups
 * that browsers ship today (IANA registry entries 0x11eb–0x11ed and the Kyber draft codepoints).
 */
const GROUP_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0x0001, "sect163k1"],
  [0x0002, "sect163r1"],
  [0x0003, "sect163r2"],
  [0x0004, "sect193r1"],
  [0x0005, "sect193r2"],
  [0x0006, "sect233k1"],
  [0x0007, "sect233r1"],
  [0x0008, "sect239k1"],
  [0x0009, "sect283k1"],
  [0x000a, "sect283r1"],
  [0x000b, "sect409k1"],
  [0x000c, "sect409r1"],
  [0x000d, "sect571k1"],
  [0x000e, "sect571r1"],
  [0x000f, "secp160k1"],
  [0x0010, "secp160r1"],
  [0x0011, "secp160r2"],
  [0x0012, "secp192k1"],
  [0x0013, "secp192r1"],
  [0x0014, "secp224k1"],
  [0x0015, "secp224r1"],
  [0x0016, "secp256k1"],
  [0x0017, "secp256r1"],
  [0x0018, "secp384r1"],
  [0x0019, "secp521r1"],
  [0x001a, "brainpoolP256r1"],
  [0x001b, "brainpoolP384r1"],
  [0x001c, "brainpoolP512r1"],
  [0x001d, "x25519"],
  [0x001e, "x448"],
  [0x0029, "curveSM2"],
  [0x0100, "ffdhe2048"],
  [0x0101, "ffdhe3072"],
  [0x0102, "ffdhe4096"],
  [0x0103, "ffdhe6144"],
  [0x0104, "ffdhe8192"],
  [0x0200, "frodo640aes"],
  [0x2f00, "p256_frodo640aes"],
  [0x0201, "frodo640shake"],
  [0x2f01, "p256_frodo640shake"],
  [0x0202, "frodo976aes"],
  [0x2f02, "p384_frodo976aes"],
  [0x0203, "frodo976shake"],
  [0x2f03, "p384_frodo976shake"],
  [0x0204, "frodo1344aes"],
  [0x2f04, "p521_frodo1344aes"],
  [0x0205, "frodo1344shake"],
  [0x2f05, "p521_frodo1344shake"],
  [0x023a, "kyber512"],
  [0x2f3a, "p256_kyber512"],
  [0x023c, "kyber768"],
  [0x2f3c, "p384_kyber768"],
  [0x023d, "kyber1024"],
  [0x2f3d, "p521_kyber1024"],
  [0x0214, "ntru_hps2048509"],
  [0x2f14, "p256_ntru_hps2048509"],
  [0x0215, "ntru_hps2048677"],
  [0x2f15, "p384_ntru_hps2048677"],
  [0x0216, "ntru_hps4096821"],
  [0x2f16, "p521_ntru_hps4096821"],
  [0x0245, "ntru_hps40961229"],
  [0x2f45, "p521_ntru_hps40961229"],
  [0x0217, "ntru_hrss701"],
  [0x2f17, "p384_ntru_hrss701"],
  [0x0246, "ntru_hrss1373"],
  [0x2f46, "p521_ntru_hrss1373"],
  [0x0218, "lightsaber"],
  [0x2f18, "p256_lightsaber"],
  [0x0219, "saber"],
  [0x2f19, "p384_saber"],
  [0x021a, "firesaber"],
  [0x2f1a, "p521_firesaber"],
  [0x021b, "sidhp434"],
  [0x2f1b, "p256_sidhp434"],
  [0x021c, "sidhp503"],
  [0x2f1c, "p256_sidhp503"],
  [0x021d, "sidhp610"],
  [0x2f1d, "p384_sidhp610"],
  [0x021e, "sidhp751"],
  [0x2f1e, "p521_sidhp751"],
  [0x021f, "sikep434"],
  [0x2f1f, "p256_sikep434"],
  [0x0220, "sikep503"],
  [0x2f20, "p256_sikep503"],
  [0x0221, "sikep610"],
  [0x2f21, "p384_sikep610"],
  [0x0222, "sikep751"],
  [0x2f22, "p521_sikep751"],
  [0x0238, "bikel1"],
  [0x2f38, "p256_bikel1"],
  [0x023b, "bikel3"],
  [0x2f3b, "p384_bikel3"],
  [0x023e, "kyber90s512"],
  [0x2f3e, "p256_kyber90s512"],
  [0x023f, "kyber90s768"],
  [0x2f3f, "p384_kyber90s768"],
  [0x0240, "kyber90s1024"],
  [0x2f40, "p521_kyber90s1024"],
  [0x022c, "hqc128"],
  [0x2f2c, "p256_hqc128"],
  [0x022d, "hqc192"],
  [0x2f2d, "p384_hqc192"],
  [0x022e, "hqc256"],
  [0x2f2e, "p521_hqc256"],
  [0x022f, "ntrulpr653"],
  [0x2f2f, "p256_ntrulpr653"],
  [0x0230, "ntrulpr761"],
  [0x2f43, "p256_ntrulpr761"],
  [0x0231, "ntrulpr857"],
  [0x2f31, "p384_ntrulpr857"],
  [0x0241, "ntrulpr1277"],
  [0x2f41, "p521_ntrulpr1277"],
  [0x0232, "sntrup653"],
  [0x2f32, "p256_sntrup653"],
  [0x0233, "sntrup761"],
  [0x2f44, "p256_sntrup761"],
  [0x0234, "sntrup857"],
  [0x2f34, "p384_sntrup857"],
  [0x0242, "sntrup1277"],
  [0x2f42, "p521_sntrup1277"],
  [0xff01, "arbitrary_explicit_prime_curves"],
  [0xff02, "arbitrary_explicit_char2_curves"],
  [0x11eb, "SecP256r1MLKEM768"],
  [0x11ec, "X25519MLKEM768"],
  [0x11ed, "SecP384r1MLKEM1024"],
  [0x6399, "X25519Kyber768Draft00"],
  [0x639a, "SecP256r1Kyber768Draft00"],
]);

/** Alert descriptions (RFC 8446 §6 and predecessors) in Zeek's `SSL::alert_descriptions` spelling. */
const ALERT_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0, "close_notify"],
  [10, "unexpected_message"],
  [20, "bad_record_mac"],
  [21, "decryption_failed"],
  [22, "record_overflow"],
  [30, "decompression_failure"],
  [40, "handshake_failure"],
  [41, "no_certificate"],
  [42, "bad_certificate"],
  [43, "unsupported_certificate"],
  [44, "certificate_revoked"],
  [45, "certificate_expired"],
  [46, "certificate_unknown"],
  [47, "illegal_parameter"],
  [48, "unknown_ca"],
  [49, "access_denied"],
  [50, "decode_error"],
  [51, "decrypt_error"],
  [60, "export_restriction"],
  [70, "protocol_version"],
  [71, "insufficient_security"],
  [80, "internal_error"],
  [86, "inappropriate_fallback"],
  [90, "user_canceled"],
  [100, "no_renegotiation"],
  [109, "missing_extension"],
  [110, "unsupported_extension"],
  [111, "certificate_unobtainable"],
  [112, "unrecognized_name"],
  [113, "bad_certificate_status_response"],
  [114, "bad_certificate_hash_value"],
  [115, "unknown_psk_identity"],
  [116, "certificate_required"],
  [120, "no_application_protocol"],
  [121, "ech_required"],
]);

/**
 * ssl_history letters per handshake message type (Zeek base/protocols/ssl/main.zeek); the client's
 * letters are upper case, the server's lower case. Types missing here log as "z" (unassigned).
 */
export const HANDSHAKE_HISTORY_LETTERS: ReadonlyMap<number, string> = new Map<number, string>([
  [0, "h"], // hello_request
  [1, "c"], // client_hello
  [2, "s"], // server_hello (a HelloRetryRequest is logged as "j" instead)
  [3, "v"], // hello_verify_request
  [4, "t"], // new_session_ticket
  [5, "e"], // end_of_early_data
  [6, "j"], // hello_retry_request (TLS 1.3 drafts)
  [8, "o"], // encrypted_extensions
  [11, "x"], // certificate
  [12, "k"], // server_key_exchange
  [13, "r"], // certificate_request
  [14, "n"], // server_hello_done
  [15, "y"], // certificate_verify
  [16, "g"], // client_key_exchange
  [20, "f"], // finished
  [21, "w"], // certificate_url
  [22, "u"], // certificate_status
  [23, "a"], // supplemental_data
  [24, "p"], // key_update
  [254, "m"], // message_hash
]);

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal. Fingerprints ignore them. */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/** Zeek's SSL::version_strings default: `i/0xFF == 0x7F` (integer division) marks a TLS 1.3 draft. */
const ZEEK_DRAFT_DIVISOR = 0xff;
const ZEEK_DRAFT_MARK = 0x7f;

/**
 * Zeek's version string: table entry, TLS 1.3 draft numbers, else `unknown-<n>`. Drafts use Zeek's
 * own arithmetic (`TLSv13-draft` + `i % 0x7F` when `i / 0xFF == 0x7F`), which gives the draft
 * number for every real draft (0x7f0e → draft14, 0x7f12 → draft18) and Zeek's spelling at the edges.
 */
export function versionName(version: number): string {
  const known = VERSION_NAMES.get(version);
  if (known !== undefined) return known;
  if (Math.floor(version / ZEEK_DRAFT_DIVISOR) === ZEEK_DRAFT_MARK)
    return `TLSv13-draft${version % ZEEK_DRAFT_MARK}`;
  return `unknown-${version}`;
}

export function cipherName(cipher: number): string {
  return CIPHER_SUITE_NAMES.get(cipher) ?? `unknown-${cipher}`;
}

export function groupName(group: number): string {
  return GROUP_NAMES.get(group) ?? `unknown-${group}`;
}

export function alertName(description: number): string {
  return ALERT_NAMES.get(description) ?? `unknown-${description}`;
}
