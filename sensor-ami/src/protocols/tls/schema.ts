// TSV columns of the logs this analyzer writes, in Zeek's order (see protocols/log-schema.ts).

import type { Schema } from "../../logs/schema.js";
import { protocolLogSchema } from "../log-schema.js";

/** ssl.log: Zeek's base-script columns, then the JA3/JA3S/JA4 fingerprints. */
export const SSL_SCHEMA: Schema = protocolLogSchema([
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
]);

/** x509.log: Zeek's columns, with the connection fields Zeek's x509.log does not have (its
 * certificates are files): an analyst can join on `uid` without files.log. */
export const X509_SCHEMA: Schema = protocolLogSchema([
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
]);
