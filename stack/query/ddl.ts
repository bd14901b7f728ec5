// Reads the collector's generated Athena DDL (sensor-ami/src/collector/athena/<log>.sql, written by
// tools/athena-ddl.mjs and checked by test/collector/athena.test.ts) into Glue table definitions, so the
// stack's tables have exactly the collector's columns, SerDe and partition projection, and a new log or
// field reaches the stack by regenerating the DDL. Only the shape that generator writes is accepted.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ATHENA_DDL_DIR = join("sensor-ami", "src", "collector", "athena");
export const LOCATION_PLACEHOLDER = "__LOCATION__";

export interface GlueTableDefinition {
  /** The log (`conn`), from the file name. */
  log: string;
  /** `spanless_<log>`. */
  table: string;
  columns: { name: string; type: string }[];
  partitionKeys: { name: string; type: string }[];
  serde: string;
  serdeParameters: Record<string, string>;
  inputFormat: string;
  outputFormat: string;
  /** Relative to the records location: `<log>/`. */
  locationSuffix: string;
  /** TBLPROPERTIES, with `__LOCATION__` still in storage.location.template. */
  properties: Record<string, string>;
}

export class AthenaDdlError extends Error {
  override readonly name = "AthenaDdlError";
}

function section(sql: string, file: string, start: RegExp, end: RegExp): string {
  const s = start.exec(sql);
  if (!s)
    throw new AthenaDdlError(`${file}: no ${start} section; regenerate it with node tools/athena-ddl.mjs`);
  const rest = sql.slice(s.index + s[0].length);
  const e = end.exec(rest);
  if (!e) throw new AthenaDdlError(`${file}: ${start} section is not closed by ${end}`);
  return rest.slice(0, e.index);
}

function columnList(body: string): { name: string; type: string }[] {
  return body
    .split("\n")
    .map((l) => l.trim().replace(/,$/, ""))
    .filter((l) => l !== "")
    .map((l) => {
      const m = /^`([a-z0-9_]+)`\s+(.+)$/.exec(l);
      if (!m) throw new AthenaDdlError(`column line "${l}" is not \`name\` type`);
      return { name: m[1], type: m[2] };
    });
}

function keyValues(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of body.split("\n")) {
    const m = /^\s*'([^']+)'\s*=\s*'([^']*)',?\s*$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export function parseAthenaDdl(log: string, sql: string, file = `${log}.sql`): GlueTableDefinition {
  const table = /CREATE EXTERNAL TABLE IF NOT EXISTS `([a-z0-9_]+)` \(/.exec(sql)?.[1];
  if (table !== `spanless_${log}`)
    throw new AthenaDdlError(`${file}: expected table spanless_${log}, found ${table}`);
  const columns = columnList(section(sql, file, /CREATE EXTERNAL TABLE[^\n]*\(\n/, /\n\)\nPARTITIONED BY/));
  const partitionKeys = columnList(section(sql, file, /PARTITIONED BY \(\n/, /\n\)\n/));
  const serde = /ROW FORMAT SERDE '([^']+)'/.exec(sql)?.[1];
  const inputFormat = /STORED AS INPUTFORMAT '([^']+)'/.exec(sql)?.[1];
  const outputFormat = /OUTPUTFORMAT '([^']+)'/.exec(sql)?.[1];
  const location = /LOCATION '([^']+)'/.exec(sql)?.[1];
  if (!serde || !inputFormat || !outputFormat || !location?.startsWith(`${LOCATION_PLACEHOLDER}/`)) {
    throw new AthenaDdlError(`${file}: SERDE, INPUTFORMAT, OUTPUTFORMAT or LOCATION missing`);
  }
  return {
    log,
    table,
    columns,
    partitionKeys,
    serde,
    serdeParameters: keyValues(section(sql, file, /WITH SERDEPROPERTIES \(\n/, /\n\)\n/)),
    inputFormat,
    outputFormat,
    locationSuffix: location.slice(LOCATION_PLACEHOLDER.length + 1),
    properties: keyValues(section(sql, file, /TBLPROPERTIES \(\n/, /\n\);/)),
  };
}

/** Every table, sorted by log name, from the committed DDL under `root`. */
export function collectorTables(root = process.cwd()): GlueTableDefinition[] {
  const dir = join(root, ATHENA_DDL_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => parseAthenaDdl(f.slice(0, -".sql".length), readFileSync(join(dir, f), "utf8"), join(dir, f)));
}
