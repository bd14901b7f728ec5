// Types of tools/athena-ddl.mjs for the tests that import it.
import type { Schema } from "../sensor-ami/src/logs/schema.js";

export const ATHENA_DIR: string;
export const LOCATION_PLACEHOLDER: string;
export const PROJECTION_START: string;
export const ENRICHMENT_COLUMNS: ReadonlyArray<readonly [string, string]>;
export function hiveColumn(field: string): string;
export function tableColumns(schema: Schema): { field: string; column: string; type: string }[];
export function athenaTable(log: string, schema: Schema): string;
export function athenaFiles(schemas: Readonly<Record<string, Schema>>): { file: string; text: string }[];
