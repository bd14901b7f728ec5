// The columns of a protocol log: the host stamps every analyzer record with ts, uid and the
// connection's id block first and `vni` last (inspect/inspector.ts writeLog), around the
// analyzer's own fields.

import { CONN_ID_FIELDS, type Schema } from "../logs/schema.js";

/** ts, uid and id.*, then `fields` (the analyzer's, in Zeek's order), then the tunnel's vni. */
export function protocolLogSchema(fields: Schema): Schema {
  return [["ts", "time"], ...CONN_ID_FIELDS, ...fields, ["vni", "count"]];
}
