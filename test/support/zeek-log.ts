// Reads Zeek TSV logs (btest baselines, including zeek-cut outputs without headers) into records.
import { readFileSync } from "node:fs";

export interface ZeekLog {
  fields: string[];
  rows: Record<string, string>[];
}

/** Parses a Zeek ASCII log; `fallbackFields` names the columns of headerless zeek-cut output. */
export function readZeekLog(path: string, fallbackFields?: string[]): ZeekLog {
  const text = readFileSync(path, "utf8");
  let fields: string[] | undefined;
  const rows: Record<string, string>[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#fields")) {
      fields = line.split("\t").slice(1);
      continue;
    }
    if (line.startsWith("#") || line.trim() === "") continue;
    const cols = line.split("\t");
    const names = fields ?? fallbackFields;
    if (!names) continue;
    const row: Record<string, string> = {};
    names.forEach((f, i) => {
      row[f] = cols[i] ?? "-";
    });
    rows.push(row);
  }
  return { fields: fields ?? fallbackFields ?? [], rows };
}
