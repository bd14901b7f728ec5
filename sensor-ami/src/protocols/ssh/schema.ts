// TSV columns of the logs this analyzer writes, in Zeek's order (see protocols/log-schema.ts).

import type { Schema } from "../../logs/schema.js";
import { protocolLogSchema } from "../log-schema.js";

/** ssh.log: Zeek's base-script columns, then the HASSH fingerprints. */
export const SSH_SCHEMA: Schema = protocolLogSchema([
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
]);
