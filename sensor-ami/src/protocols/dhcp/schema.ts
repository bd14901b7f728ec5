// TSV columns of dhcp.log, in Zeek's order. A transaction spans several connections, so the
// record names them in `uids` and carries no uid, id.* or vni (the store writes it as it is).

import type { Schema } from "../../logs/schema.js";

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
