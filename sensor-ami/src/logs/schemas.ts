// Field order and Zeek types of each log, used for the TSV header (JSON output follows the same
// order because records are built in it). Protocol logs register theirs here as they land.

export type FieldType =
  | "time"
  | "string"
  | "addr"
  | "port"
  | "enum"
  | "interval"
  | "count"
  | "int"
  | "double"
  | "bool"
  | "set[string]"
  | "set[enum]"
  | "vector[string]"
  | "vector[interval]"
  | "vector[count]"
  | "set[addr]"
  | "vector[addr]";

export type Schema = ReadonlyArray<readonly [string, FieldType]>;

export const CONN_ID_FIELDS: Schema = [
  ["uid", "string"],
  ["id.orig_h", "addr"],
  ["id.orig_p", "port"],
  ["id.resp_h", "addr"],
  ["id.resp_p", "port"],
];

export const CONN_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["proto", "enum"],
  ["service", "string"],
  ["duration", "interval"],
  ["orig_bytes", "count"],
  ["resp_bytes", "count"],
  ["conn_state", "string"],
  ["local_orig", "bool"],
  ["local_resp", "bool"],
  ["missed_bytes", "count"],
  ["history", "string"],
  ["orig_pkts", "count"],
  ["orig_ip_bytes", "count"],
  ["resp_pkts", "count"],
  ["resp_ip_bytes", "count"],
  ["tunnel_parents", "set[string]"],
  ["ip_proto", "count"],
  ["community_id", "string"],
  ["vni", "count"],
  ["vlan", "int"],
];

export const WEIRD_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["name", "string"],
  ["addl", "string"],
  ["notice", "bool"],
  ["peer", "string"],
  ["source", "string"],
  ["packet", "count"],
  ["vni", "count"],
];

// Protocol logs: Zeek's default field lists (base scripts, as in the corpus's Zeek baselines), then
// the fields Spanless adds (fingerprints from the JA3/JA4/HASSH packages' conventions, vni). x509.log
// also carries the connection fields, which Zeek's x509.log does not (its certificates are files).

/** Fields the engine stamps on every protocol record after the analyzer's own. */
const TUNNEL_FIELDS: Schema = [["vni", "count"]];

export const DNS_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["proto", "enum"],
  ["trans_id", "count"],
  ["rtt", "interval"],
  ["query", "string"],
  ["qclass", "count"],
  ["qclass_name", "string"],
  ["qtype", "count"],
  ["qtype_name", "string"],
  ["rcode", "count"],
  ["rcode_name", "string"],
  ["AA", "bool"],
  ["TC", "bool"],
  ["RD", "bool"],
  ["RA", "bool"],
  ["Z", "count"],
  ["answers", "vector[string]"],
  ["TTLs", "vector[interval]"],
  ["rejected", "bool"],
  ["opcode", "count"],
  ["opcode_name", "string"],
  ...TUNNEL_FIELDS,
];

export const HTTP_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["trans_depth", "count"],
  ["method", "string"],
  ["host", "string"],
  ["uri", "string"],
  ["referrer", "string"],
  ["version", "string"],
  ["user_agent", "string"],
  ["origin", "string"],
  ["request_body_len", "count"],
  ["response_body_len", "count"],
  ["status_code", "count"],
  ["status_msg", "string"],
  ["info_code", "count"],
  ["info_msg", "string"],
  ["tags", "set[enum]"],
  ["username", "string"],
  ["password", "string"],
  ["proxied", "set[string]"],
  ["orig_fuids", "vector[string]"],
  ["orig_filenames", "vector[string]"],
  ["orig_mime_types", "vector[string]"],
  ["resp_fuids", "vector[string]"],
  ["resp_filenames", "vector[string]"],
  ["resp_mime_types", "vector[string]"],
  ...TUNNEL_FIELDS,
];

export const SSL_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["version", "string"],
  ["cipher", "string"],
  ["curve", "string"],
  ["server_name", "string"],
  ["resumed", "bool"],
  ["last_alert", "string"],
  ["next_protocol", "string"],
  ["established", "bool"],
  ["ssl_history", "string"],
  ["cert_chain_fps", "vector[string]"],
  ["client_cert_chain_fps", "vector[string]"],
  ["subject", "string"],
  ["issuer", "string"],
  ["client_subject", "string"],
  ["client_issuer", "string"],
  ["sni_matches_cert", "bool"],
  ["ja3", "string"],
  ["ja3s", "string"],
  ["ja4", "string"],
  ...TUNNEL_FIELDS,
];

export const X509_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["fingerprint", "string"],
  ["certificate.version", "count"],
  ["certificate.serial", "string"],
  ["certificate.subject", "string"],
  ["certificate.issuer", "string"],
  ["certificate.not_valid_before", "time"],
  ["certificate.not_valid_after", "time"],
  ["certificate.key_alg", "string"],
  ["certificate.sig_alg", "string"],
  ["certificate.key_type", "string"],
  ["certificate.key_length", "count"],
  ["certificate.exponent", "string"],
  ["certificate.curve", "string"],
  ["san.dns", "vector[string]"],
  ["san.uri", "vector[string]"],
  ["san.email", "vector[string]"],
  ["san.ip", "vector[addr]"],
  ["basic_constraints.ca", "bool"],
  ["basic_constraints.path_len", "count"],
  ["host_cert", "bool"],
  ["client_cert", "bool"],
  ...TUNNEL_FIELDS,
];

export const SSH_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["version", "count"],
  ["auth_success", "bool"],
  ["auth_attempts", "count"],
  ["direction", "enum"],
  ["client", "string"],
  ["server", "string"],
  ["cipher_alg", "string"],
  ["mac_alg", "string"],
  ["compression_alg", "string"],
  ["kex_alg", "string"],
  ["host_key_alg", "string"],
  ["host_key_fingerprint", "string"],
  ["hasshVersion", "string"],
  ["hassh", "string"],
  ["hasshAlgorithms", "string"],
  ["hasshServer", "string"],
  ["hasshServerAlgorithms", "string"],
  ...TUNNEL_FIELDS,
];

export const DHCP_SCHEMA: Schema = [
  ["ts", "time"],
  ["uids", "set[string]"],
  ["client_addr", "addr"],
  ["server_addr", "addr"],
  ["mac", "string"],
  ["host_name", "string"],
  ["client_fqdn", "string"],
  ["domain", "string"],
  ["requested_addr", "addr"],
  ["assigned_addr", "addr"],
  ["lease_time", "interval"],
  ["client_message", "string"],
  ["server_message", "string"],
  ["msg_types", "vector[string]"],
  ["duration", "interval"],
];

export const QUIC_SCHEMA: Schema = [
  ["ts", "time"],
  ...CONN_ID_FIELDS,
  ["version", "string"],
  ["client_initial_dcid", "string"],
  ["client_scid", "string"],
  ["server_scid", "string"],
  ["server_name", "string"],
  ["client_protocol", "string"],
  ["history", "string"],
  ["ja4", "string"],
  ...TUNNEL_FIELDS,
];

export const LOG_SCHEMAS: Record<string, Schema> = {
  conn: CONN_SCHEMA,
  weird: WEIRD_SCHEMA,
  dns: DNS_SCHEMA,
  http: HTTP_SCHEMA,
  ssl: SSL_SCHEMA,
  x509: X509_SCHEMA,
  ssh: SSH_SCHEMA,
  dhcp: DHCP_SCHEMA,
  quic: QUIC_SCHEMA,
};

export function registerSchema(path: string, schema: Schema): void {
  LOG_SCHEMAS[path] = schema;
}
