// TSV columns of the logs this analyzer writes, in Zeek's order (see protocols/log-schema.ts).

import type { Schema } from "../../logs/schema.js";
import { protocolLogSchema } from "../log-schema.js";

/** dns.log: Zeek's base-script columns. */
export const DNS_SCHEMA: Schema = protocolLogSchema([
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
]);
