// The tshark oracle: compares what our protocol logs say about each flow with what tshark 4.0
// dissected from the same capture (`<capture>.tshark.tsv` beside every corpus capture).
//
// Every tshark row that carries a compared field is one oracle row. It agrees when one of our log
// records on the same flow (unordered address/port pair, innermost addresses for tunnelled
// packets) has the same value. Rows are not matched one-to-one with records: tshark writes one
// row per frame (a DNS query and its response are two rows about one dns.log record).

import { existsSync, readFileSync } from "node:fs";

export type LogRecords = Map<string, Record<string, unknown>[]>;

/** One compared field: which tshark column, which rows, and which log field it must match. */
interface FieldSpec {
  name: string;
  column: string;
  /** Rows this field is compared on (e.g. only ClientHellos). */
  rowFilter: (row: Row) => boolean;
  log: string;
  /** Log fields whose values count (e.g. status_code and info_code for 1xx responses). */
  logFields: readonly string[];
  /** tshark aggregates several occurrences with ","; split them into separate expectations. */
  split: boolean;
  /** Applied to both sides: the semantics of the log (Zeek's) where they differ from tshark's. */
  normalise?: (value: string) => string;
}

type Row = Record<string, string>;

const hasType = (row: Row, t: string) => (row["tls.handshake.type"] ?? "").split(",").includes(t);
const isQuic = (row: Row) => (row["quic.version"] ?? "") !== "";
/** Zeek's http.log covers HTTP over TCP; tshark also dissects SSDP/HTTPU over UDP. */
const isTcp = (row: Row) => (row["tcp.srcport"] ?? "") !== "";
/** DNS names compare case-insensitively (RFC 4343); Zeek logs them lower-cased. */
const lower = (v: string) => v.toLowerCase();
/** Zeek's http.log `host` drops the port of the Host header ("split_string1(value, /:/)[0]"). */
const hostWithoutPort = (v: string) => (v.startsWith("[") ? v.replace(/\]:\d+$/, "]") : v.split(":")[0]);

export const FIELDS: readonly FieldSpec[] = [
  {
    name: "dns.query",
    column: "dns.qry.name",
    rowFilter: () => true,
    log: "dns",
    logFields: ["query"],
    split: true,
    normalise: lower,
  },
  {
    name: "dns.qtype",
    column: "dns.qry.type",
    rowFilter: () => true,
    log: "dns",
    logFields: ["qtype"],
    split: true,
  },
  {
    name: "http.method",
    column: "http.request.method",
    rowFilter: isTcp,
    log: "http",
    logFields: ["method"],
    split: false,
  },
  {
    name: "http.host",
    column: "http.host",
    rowFilter: isTcp,
    log: "http",
    logFields: ["host"],
    split: false,
    normalise: hostWithoutPort,
  },
  {
    name: "http.uri",
    column: "http.request.uri",
    rowFilter: isTcp,
    log: "http",
    logFields: ["uri"],
    split: false,
  },
  {
    name: "http.status",
    column: "http.response.code",
    rowFilter: isTcp,
    log: "http",
    logFields: ["status_code", "info_code"],
    split: false,
  },
  {
    name: "tls.sni",
    column: "tls.handshake.extensions_server_name",
    rowFilter: (r) => hasType(r, "1") && !isQuic(r),
    log: "ssl",
    logFields: ["server_name"],
    split: false,
  },
  {
    name: "tls.alpn",
    column: "tls.handshake.extensions_alpn_str",
    rowFilter: (r) => hasType(r, "2") && !isQuic(r),
    log: "ssl",
    logFields: ["next_protocol"],
    split: false,
  },
  {
    name: "tls.ja3",
    column: "tls.handshake.ja3",
    rowFilter: (r) => hasType(r, "1") && !isQuic(r),
    log: "ssl",
    logFields: ["ja3"],
    split: false,
  },
  {
    name: "tls.ja3s",
    column: "tls.handshake.ja3s",
    rowFilter: (r) => hasType(r, "2") && !isQuic(r),
    log: "ssl",
    logFields: ["ja3s"],
    split: false,
  },
  {
    name: "quic.sni",
    column: "tls.handshake.extensions_server_name",
    rowFilter: (r) => hasType(r, "1") && isQuic(r),
    log: "quic",
    logFields: ["server_name"],
    split: false,
  },
];

export interface Disagreement {
  capture: string;
  frame: string;
  field: string;
  expected: string;
  /** Our values for this field on the same flow. */
  ours: string[];
  /** Our records of that log on the flow (0: the flow has none). */
  records: number;
  /** Why the engine is right and tshark is not, when that has been established. */
  reason?: string;
}

export interface FieldTally {
  total: number;
  agree: number;
  /** Disagreements with a documented reason why the engine (following Zeek) is right. */
  explained: number;
}

export interface OracleReport {
  captures: number;
  fields: Map<string, FieldTally>;
  disagreements: Disagreement[];
}

/** Disagreements examined by hand, keyed `capture|frame|field`: why the engine is right. */
export const EXPLAINED: ReadonlyMap<string, string> = new Map<string, string>([
  [
    "arkime/gre-erspan-vxlan.pcap|4|http.uri",
    'The request line is "GET /Hello Arkime HTTP/1.0". Zeek\'s HTTP analyzer takes the URI up to the ' +
      'whitespace before "HTTP/" (a space inside the URI is kept); tshark stops at the first space.',
  ],
]);

/** A rule that recognises a whole class of disagreements where the engine follows Zeek. */
interface Explainer {
  fields: readonly string[];
  explain(
    row: Row,
    d: Disagreement,
    flowRecords: readonly Record<string, unknown>[],
    flowRows: readonly Row[],
  ): string | undefined;
}

const EXPLAINERS: readonly Explainer[] = [
  {
    fields: ["dns.query", "dns.qtype"],
    explain: (row, d, records) => {
      const field = d.field === "dns.query" ? "query" : "qtype";
      const isReply = (row["dns.flags.response"] ?? "").split(",").includes("1");
      if (!isReply || records.length === 0 || records.some((r) => r[field] !== undefined)) return undefined;
      return (
        "a reply whose query was not seen: Zeek's dns.log takes `query` only from the reply's answer " +
        "records (none parsed here) and never sets qtype from a reply (zeek/dns53.pcap baseline: qtype unset)"
      );
    },
  },
  {
    fields: ["tls.ja3"],
    explain: (row, _d, records, flowRows) => {
      const earlier = flowRows.filter(
        (r) => Number(r["frame.number"]) < Number(row["frame.number"]) && hasType(r, "1") && !isQuic(r),
      );
      if (earlier.length === 0) return undefined;
      const firstJa3 = earlier[0]["tls.handshake.ja3"];
      if (!records.some((r) => r.ja3 === firstJa3)) return undefined;
      return (
        "second ClientHello of the connection (after a HelloRetryRequest): ssl.log has one record per " +
        "connection and fingerprints the first ClientHello, whose JA3 agrees with tshark's"
      );
    },
  },
  {
    fields: ["dns.query"],
    explain: (_row, d) =>
      d.expected.startsWith("<") && d.expected.endsWith(">")
        ? `tshark's placeholder ${d.expected}, not a name from the packet`
        : undefined,
  },
];

function parseTsv(text: string): Row[] {
  const lines = text.split("\n").filter((l) => l !== "");
  if (lines.length === 0) return [];
  const header = lines[0].split("\t");
  return lines.slice(1).map((line) => {
    const cells = line.split("\t");
    const row: Row = {};
    header.forEach((h, i) => {
      row[h] = cells[i] ?? "";
    });
    return row;
  });
}

const last = (v: string | undefined) => {
  if (v === undefined || v === "") return "";
  const parts = v.split(",");
  return parts[parts.length - 1];
};

function flowKey(a: string, ap: string | number, b: string, bp: string | number): string {
  const x = `${a}|${ap}`;
  const y = `${b}|${bp}`;
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

/** Flow keys a tshark row may belong to (IPv4 and IPv6 innermost pairs when both are present). */
function rowFlowKeys(row: Row): string[] {
  const tcp = row["tcp.srcport"] !== "";
  const sp = last(tcp ? row["tcp.srcport"] : row["udp.srcport"]);
  const dp = last(tcp ? row["tcp.dstport"] : row["udp.dstport"]);
  const keys: string[] = [];
  if (row["ip.src"]) keys.push(flowKey(last(row["ip.src"]), sp, last(row["ip.dst"]), dp));
  if (row["ipv6.src"]) keys.push(flowKey(last(row["ipv6.src"]), sp, last(row["ipv6.dst"]), dp));
  return keys;
}

function valuesOf(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

function recordKey(rec: Record<string, unknown>): string {
  return flowKey(
    String(rec["id.orig_h"]),
    String(rec["id.orig_p"]),
    String(rec["id.resp_h"]),
    String(rec["id.resp_p"]),
  );
}

/** log → flow key → records. */
function indexLogs(logs: LogRecords): Map<string, Map<string, Record<string, unknown>[]>> {
  const index = new Map<string, Map<string, Record<string, unknown>[]>>();
  for (const [log, records] of logs) {
    const byFlow = new Map<string, Record<string, unknown>[]>();
    for (const rec of records) {
      const key = recordKey(rec);
      const list = byFlow.get(key);
      if (list === undefined) byFlow.set(key, [rec]);
      else list.push(rec);
    }
    index.set(log, byFlow);
  }
  return index;
}

/** Compares one capture's logs with its tshark rows, adding to `report`. */
export function compareCapture(
  report: OracleReport,
  capture: string,
  tsvPath: string,
  logs: LogRecords,
): void {
  if (!existsSync(tsvPath)) return;
  report.captures++;
  const rows = parseTsv(readFileSync(tsvPath, "utf8"));
  const index = indexLogs(logs);
  const rowsByFlow = new Map<string, Row[]>();
  for (const row of rows) {
    for (const k of rowFlowKeys(row)) {
      const list = rowsByFlow.get(k);
      if (list === undefined) rowsByFlow.set(k, [row]);
      else list.push(row);
    }
  }
  for (const row of rows) {
    const keys = rowFlowKeys(row);
    for (const spec of FIELDS) {
      const raw = row[spec.column] ?? "";
      if (raw === "" || !spec.rowFilter(row)) continue;
      const norm = spec.normalise ?? ((v: string) => v);
      const expectedValues = [...new Set((spec.split ? raw.split(",") : [raw]).map(norm))];
      const records = keys.flatMap((k) => index.get(spec.log)?.get(k) ?? []);
      const ours = new Set<string>();
      for (const rec of records)
        for (const f of spec.logFields) for (const v of valuesOf(rec[f])) ours.add(norm(v));
      let tally = report.fields.get(spec.name);
      if (tally === undefined) {
        tally = { total: 0, agree: 0, explained: 0 };
        report.fields.set(spec.name, tally);
      }
      for (const expected of expectedValues) {
        tally.total++;
        if (ours.has(expected)) {
          tally.agree++;
          continue;
        }
        const d: Disagreement = {
          capture,
          frame: row["frame.number"],
          field: spec.name,
          expected,
          ours: [...ours],
          records: records.length,
        };
        const flowRows = keys.flatMap((k) => rowsByFlow.get(k) ?? []);
        const reason =
          EXPLAINED.get(`${capture}|${d.frame}|${spec.name}`) ??
          EXPLAINERS.filter((e) => e.fields.includes(spec.name))
            .map((e) => e.explain(row, d, records, flowRows))
            .find((r) => r !== undefined);
        if (reason !== undefined) {
          d.reason = reason;
          tally.explained++;
        }
        report.disagreements.push(d);
      }
    }
  }
}

export function newReport(): OracleReport {
  return { captures: 0, fields: new Map(), disagreements: [] };
}

/** The human-readable report: per-field agreement, then every disagreement. */
export function formatReport(report: OracleReport): string {
  const lines = [
    `tshark oracle over ${report.captures} captures (agree = same value on the same flow; ` +
      "+explained = disagreements where the engine follows Zeek, reason below)",
  ];
  for (const spec of FIELDS) {
    const t = report.fields.get(spec.name);
    if (t === undefined) continue;
    const raw = t.total === 0 ? 100 : (100 * t.agree) / t.total;
    const adj = t.total === 0 ? 100 : (100 * (t.agree + t.explained)) / t.total;
    lines.push(
      `  ${spec.name.padEnd(12)} ${String(t.agree).padStart(6)} / ${String(t.total).padEnd(6)} ` +
        `${raw.toFixed(2).padStart(6)} %   +explained ${String(t.explained).padStart(4)} → ${adj.toFixed(2)} %`,
    );
  }
  const unexplained = report.disagreements.filter((d) => d.reason === undefined);
  lines.push(
    `  disagreements: ${report.disagreements.length} (${unexplained.length} without a documented reason)`,
  );
  for (const d of report.disagreements) {
    const ours =
      d.records === 0
        ? "(no record on this flow)"
        : d.ours.length === 0
          ? `(field unset in ${d.records} record(s))`
          : JSON.stringify(d.ours.slice(0, 4));
    lines.push(
      `    ${d.capture} frame ${d.frame} ${d.field}: tshark ${JSON.stringify(d.expected)}, ours ${ours}`,
    );
    if (d.reason) lines.push(`      reason: ${d.reason}`);
  }
  return lines.join("\n");
}

/** Share of the oracle's values we agree with, optionally counting documented disagreements. */
export function agreement(t: FieldTally, countExplained: boolean): number {
  if (t.total === 0) return 1;
  return (t.agree + (countExplained ? t.explained : 0)) / t.total;
}

/** Agreement of all compared fields together. */
export function overallAgreement(report: OracleReport, countExplained: boolean): number {
  const sum: FieldTally = { total: 0, agree: 0, explained: 0 };
  for (const t of report.fields.values()) {
    sum.total += t.total;
    sum.agree += t.agree;
    sum.explained += t.explained;
  }
  return agreement(sum, countExplained);
}
