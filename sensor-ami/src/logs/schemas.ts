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

export const LOG_SCHEMAS: Record<string, Schema> = {
  conn: CONN_SCHEMA,
  weird: WEIRD_SCHEMA,
};

export function registerSchema(path: string, schema: Schema): void {
  LOG_SCHEMAS[path] = schema;
}
