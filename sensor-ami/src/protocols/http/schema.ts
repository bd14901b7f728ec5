// TSV columns of the logs this analyzer writes, in Zeek's order (see protocols/log-schema.ts).

import type { Schema } from "../../logs/schema.js";
import { protocolLogSchema } from "../log-schema.js";

/** http.log: Zeek's base-script columns. */
export const HTTP_SCHEMA: Schema = protocolLogSchema([
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
]);
