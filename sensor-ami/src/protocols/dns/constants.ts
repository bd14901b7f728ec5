// DNS wire constants, parser limits and Zeek's display names (scripts/base/protocols/dns/consts.zeek).

/** Fixed DNS header size (RFC 1035 §4.1.1). */
export const DNS_HEADER_LENGTH = 12;
/** Longest label allowed outside NetBIOS (RFC 1035 §2.3.4); NBNS uses longer encoded labels. */
export const MAX_LABEL_LENGTH = 63;
/** Zeek keeps names in a 512-byte buffer; longer decompressed names are cut with a weird. */
export const MAX_NAME_BUFFER = 512;
/** Zeek reports DNS_NAME_too_long from this length on (RFC 1035 limit). */
export const NAME_TOO_LONG = 255;
/**
 * Compression pointers must point strictly backwards (as Zeek requires), which already bounds the
 * walk; this cap is a second guard so a crafted message can never make a name walk quadratic.
 */
export const MAX_COMPRESSION_POINTERS = 64;
/** Zeek's dns_max_queries: more questions than this is treated as non-DNS traffic. */
export const MAX_QUESTIONS = 25;
/** Zeek's DNS::max_pending_msgs and DNS::max_pending_query_ids. */
export const MAX_PENDING_PER_ID = 50;
export const MAX_PENDING_IDS = 50;
/** Largest DNS-over-TCP message (the 2-byte length prefix). */
export const MAX_TCP_MESSAGE = 65535;

export const DNS_PORTS = [53, 137, 5353, 5355] as const;

export const RR_TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  LOC: 29,
  NB: 32,
  SRV: 33,
  NAPTR: 35,
  A6: 38,
  OPT: 41,
  DS: 43,
  SSHFP: 44,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  TSIG: 250,
  CAA: 257,
  BINDS: 65534,
} as const;

/** Opcodes whose sessions Zeek tracks (query, notify, dynamic update), a bit each; others are not logged. */
export const TRACKED_OPCODE_BITS = (1 << 0) | (1 << 4) | (1 << 5);

const QUERY_TYPE_NAMES: Record<number, string> = {
  1: "A",
  2: "NS",
  3: "MD",
  4: "MF",
  5: "CNAME",
  6: "SOA",
  7: "MB",
  8: "MG",
  9: "MR",
  10: "NULL",
  11: "WKS",
  12: "PTR",
  13: "HINFO",
  14: "MINFO",
  15: "MX",
  16: "TXT",
  17: "RP",
  18: "AFSDB",
  19: "X25",
  20: "ISDN",
  21: "RT",
  22: "NSAP",
  23: "NSAP-PTR",
  24: "SIG",
  25: "KEY",
  26: "PX",
  27: "GPOS",
  28: "AAAA",
  29: "LOC",
  30: "NXT",
  31: "EID",
  32: "NIMLOC",
  33: "SRV",
  34: "ATMA",
  35: "NAPTR",
  36: "KX",
  37: "CERT",
  38: "A6",
  39: "DNAME",
  40: "SINK",
  41: "OPT",
  42: "APL",
  43: "DS",
  44: "SSHFP",
  45: "IPSECKEY",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  49: "DHCID",
  50: "NSEC3",
  51: "NSEC3PARAM",
  52: "TLSA",
  53: "SMIMEA",
  55: "HIP",
  56: "NINFO",
  57: "RKEY",
  58: "TALINK",
  59: "CDS",
  60: "CDNSKEY",
  61: "OPENPGPKEY",
  62: "CSYNC",
  63: "ZONEMD",
  64: "SVCB",
  65: "HTTPS",
  99: "SPF",
  100: "UINFO",
  101: "UID",
  102: "GID",
  103: "UNSPEC",
  104: "NID",
  105: "L32",
  106: "L64",
  107: "LP",
  108: "EUI48",
  109: "EUI64",
  249: "TKEY",
  250: "TSIG",
  251: "IXFR",
  252: "AXFR",
  253: "MAILB",
  254: "MAILA",
  255: "*",
  256: "URI",
  257: "CAA",
  32768: "TA",
  32769: "DLV",
  65281: "WINS",
  65282: "WINS-R",
  65422: "XPF",
  65521: "INTEGRITY",
};

const RCODE_NAMES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSet",
  9: "NOTAUTH",
  10: "NOTZONE",
  11: "unassigned-11",
  12: "unassigned-12",
  13: "unassigned-13",
  14: "unassigned-14",
  15: "unassigned-15",
};

const CLASS_NAMES: Record<number, string> = {
  1: "C_INTERNET",
  2: "C_CSNET",
  3: "C_CHAOS",
  4: "C_HESIOD",
  254: "C_NONE",
  255: "C_ANY",
};

const OPCODE_NAMES: Record<number, string> = {
  0: "query",
  1: "iquery",
  2: "server-status",
  4: "notify",
  5: "dynamic-update",
  6: "dso",
};

const NETBIOS_OPCODE_NAMES: Record<number, string> = {
  0: "netbios-query",
  5: "netbios-registration",
  6: "netbios-release",
  7: "netbios-wack",
  8: "netbios-refresh",
};

const SVC_PARAM_KEYS: Record<number, string> = {
  0: "mandatory",
  1: "alpn",
  2: "no-default-alpn",
  3: "port",
  4: "ipv4hint",
  5: "ech",
  6: "ipv6hint",
};

/**
 * Names for the codes below `size`, precomputed (fallback text included) into a packed array: one
 * indexed load per lookup instead of a sparse-object probe and a template string for misses.
 */
function denseNames(names: Record<number, string>, size: number, fallback: string): readonly string[] {
  return Array.from({ length: size }, (_, code) => names[code] ?? `${fallback}${code}`);
}

/** Query types seen in practice are all below 256; larger ones take the object lookup. */
const DENSE_QUERY_TYPES = 256;
const QUERY_TYPE_LIST = denseNames(QUERY_TYPE_NAMES, DENSE_QUERY_TYPES, "query-");
const RCODE_LIST = denseNames(RCODE_NAMES, 16, "rcode-");
const CLASS_LIST = denseNames(CLASS_NAMES, 256, "qclass-");
const OPCODE_LIST = denseNames(OPCODE_NAMES, 16, "opcode-");
const NETBIOS_OPCODE_LIST = denseNames(NETBIOS_OPCODE_NAMES, 16, "netbios-opcode-");

export function queryTypeName(qtype: number): string {
  if (qtype < DENSE_QUERY_TYPES) return QUERY_TYPE_LIST[qtype];
  return QUERY_TYPE_NAMES[qtype] ?? `query-${qtype}`;
}
export function rcodeName(rcode: number): string {
  return RCODE_LIST[rcode] ?? `rcode-${rcode}`;
}
export function className(qclass: number): string {
  if (qclass < CLASS_LIST.length) return CLASS_LIST[qclass];
  return CLASS_NAMES[qclass] ?? `qclass-${qclass}`;
}
export function opcodeName(opcode: number, netbios: boolean): string {
  if (netbios) return NETBIOS_OPCODE_LIST[opcode] ?? `netbios-opcode-${opcode}`;
  return OPCODE_LIST[opcode] ?? `opcode-${opcode}`;
}
export function svcParamKeyName(key: number): string {
  return SVC_PARAM_KEYS[key] ?? `key${key}`;
}
