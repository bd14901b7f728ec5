// TSV columns of the logs this analyzer writes, in Zeek's order (see protocols/log-schema.ts).

import type { Schema } from "../../logs/schema.js";
import { protocolLogSchema } from "../log-schema.js";

/** quic.log: Zeek's base-script columns, then the JA4 fingerprint. */
export const QUIC_SCHEMA: Schema = protocolLogSchema([
  ["version", "string"],
  ["client_initial_dcid", "string"],
  ["client_scid", "string"],
  ["server_scid", "string"],
  ["server_name", "string"],
  ["client_protocol", "string"],
  ["history", "string"],
  ["ja4", "string"],
]);
