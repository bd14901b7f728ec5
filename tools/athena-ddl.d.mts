// Types of tools/athena-ddl.mjs for the tests that import it.

/** A log's fields and Zeek types: an analyzer's `Schema`, or the collector's CONN_DUP_SCHEMA. */
type Fields = ReadonlyArray<readonly [string, string]>;

export const ATHENA_DIR: string;
export const LOCATION_PLACEHOLDER: string;
export const PROJECTION_START: string;
export const ENRICHMENT_COLUMNS: ReadonlyArray<readonly [string, string]>;
export function hiveColumn(field: string): string;
export function tableColumns(
  schema: Fields,
  enrich?: boolean,
): { field: string; column: string; type: string }[];
export function athenaTable(log: string, schema: Fields, collector?: boolean): string;
export function athenaFiles(
  schemas: Readonly<Record<string, Fields>>,
  collectorSchemas?: Readonly<Record<string, Fields>>,
): { file: string; text: string }[];
