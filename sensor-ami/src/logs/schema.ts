// The vocabulary of log schemas: field order and Zeek types of a log, used for the TSV header (JSON
// output follows the same order because records are built in it). Each log's schema lives with the
// code that builds its records (engine/conn-record.ts, engine/weird-log.ts, protocols/*/schema.ts).

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

/** The columns of Zeek's connection id block, which most logs carry after `ts` (engine/conn-id.ts). */
export const CONN_ID_FIELDS: Schema = [
  ["uid", "string"],
  ["id.orig_h", "addr"],
  ["id.orig_p", "port"],
  ["id.resp_h", "addr"],
  ["id.resp_p", "port"],
];

/** Schemas by log path ("conn", "dns", …). */
export type LogSchemas = Readonly<Record<string, Schema>>;
