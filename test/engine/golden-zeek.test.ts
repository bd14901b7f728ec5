// Golden test: for every corpus capture with a Zeek btest baseline conn.log, the engine's
// connections must be the same set, and conn_state / history / packet and byte counts must agree
// for at least 95 % of them. Every disagreement is printed with its reason; legitimate ones are
// in golden-allowlist.ts.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable, runCapture } from "../support/corpus.js";
import { readZeekLog } from "../support/zeek-log.js";
import { ALLOWED_DIFFERENCES, FOREIGN_BASELINES, TEST_ENGINE_OVERRIDES } from "./golden-allowlist.js";

const COMPARED_FIELDS = [
  "conn_state",
  "history",
  "orig_pkts",
  "resp_pkts",
  "orig_ip_bytes",
  "resp_ip_bytes",
  "orig_bytes",
  "resp_bytes",
  "missed_bytes",
  "community_id",
] as const;
const ID_FIELDS = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"] as const;
/** Columns of zeek-cut output in baselines that carry no header line. */
const HEADERLESS_CUT_FIELDS: Record<string, string[]> = {
  "scripts.policy.protocols.conn.community-id-logging": [
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "community_id",
  ],
};
export const AGREEMENT_BAR = 0.95;

interface Baseline {
  capture: string;
  test: string;
  file: string;
}

function baselines(): Baseline[] {
  const out: Baseline[] = [];
  const zeekDir = join(CORPUS_DIR, "zeek");
  for (const d of readdirSync(zeekDir)) {
    if (!d.endsWith(".zeek")) continue;
    const capture = `zeek/${d.replace(/\.zeek$/, "")}`;
    for (const test of readdirSync(join(zeekDir, d))) {
      for (const f of readdirSync(join(zeekDir, d, test))) {
        if (!/^conn(-[\w-]+)?\.log(\.cut)?$/.test(f) || FOREIGN_BASELINES[`${test}/${f}`]) continue;
        out.push({ capture, test, file: join(zeekDir, d, test, f) });
      }
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

function zeekValue(v: string | undefined): string | undefined {
  if (v === undefined || v === "-" || v === "(empty)") return undefined;
  return v;
}

function ourValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v ? "T" : "F";
  return String(v);
}

function readHeaderlessAware(b: Baseline) {
  const text = readFileSync(b.file, "utf8");
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("###"));
  if (text.includes("#fields")) return readZeekLog(b.file);
  const fallback = HEADERLESS_CUT_FIELDS[b.test];
  if (fallback) return readZeekLog(b.file, fallback);
  // zeek-cut -m style: the first line names the columns.
  const names = lines[0].split("\t");
  const rows = lines.slice(1).map((l) => {
    const cols = l.split("\t");
    const r: Record<string, string> = {};
    names.forEach((n, i) => {
      r[n] = cols[i] ?? "-";
    });
    return r;
  });
  return { fields: names, rows };
}

interface Disagreement {
  test: string;
  conn: string;
  field: string;
  zeek: string | undefined;
  ours: string | undefined;
  allowed?: string;
}

describe.skipIf(!corpusAvailable())("conn.log against Zeek btest baselines", () => {
  const all = corpusAvailable() ? baselines() : [];
  const usedAllowances = new Set<AllowedDifference>();
  type AllowedDifference = (typeof ALLOWED_DIFFERENCES)[number];
  let compared = 0;
  let agreeing = 0;
  const disagreements: Disagreement[] = [];

  for (const b of all) {
    it(`${b.capture} :: ${b.test}/${b.file.split("/").pop()}`, () => {
      // Prepare
      const zeek = readHeaderlessAware(b);
      const checksumsOff = readFileSync(join(b.file, "..", "COMMAND.txt"), "utf8").includes(" -C ");
      const engine = {
        ...(TEST_ENGINE_OVERRIDES[b.test] ?? {}),
        // Zeek verifies checksums unless run with -C; mirror exactly that (no auto mode here).
        verifyChecksums: !checksumsOff,
      };
      // Act
      const run = runCapture(b.capture, { engine });
      const ours = run.logs.get("conn") ?? [];
      // Assess
      const idFields = ID_FIELDS.filter((f) => zeek.fields.includes(f));
      const fields = COMPARED_FIELDS.filter((f) => zeek.fields.includes(f));
      const keyOf = (r: Record<string, unknown>) => idFields.map((f) => ourValue(r[f]) ?? "-").join("|");
      const label = (r: Record<string, unknown>) =>
        `${r["id.orig_h"] ?? "?"}:${r["id.orig_p"] ?? "?"} > ${r["id.resp_h"] ?? "?"}:${r["id.resp_p"] ?? "?"} ${r.proto ?? ""}`.trim();
      const unused = [...ours];
      const missing: string[] = [];
      for (const z of zeek.rows) {
        let i: number;
        if (idFields.length > 0) {
          i = unused.findIndex((o) => keyOf(o) === keyOf(z));
        } else {
          // Baselines without addresses (zeek-cut of uid/history only): match on the compared fields.
          i = unused.findIndex((o) => fields.every((f) => ourValue(o[f]) === zeekValue(z[f])));
          if (i < 0) i = 0 < unused.length ? 0 : -1;
        }
        if (i < 0) {
          missing.push(label(z));
          continue;
        }
        const o = unused.splice(i, 1)[0];
        compared++;
        let ok = true;
        for (const f of fields) {
          const zv = zeekValue(z[f]);
          const ov = ourValue(o[f]);
          if (zv === ov) continue;
          const conn = label(z);
          const allow = ALLOWED_DIFFERENCES.find(
            (a) => a.test === b.test && (a.conn === "*" || a.conn === conn) && a.field === f,
          );
          if (allow) usedAllowances.add(allow);
          else ok = false;
          disagreements.push({ test: b.test, conn, field: f, zeek: zv, ours: ov, allowed: allow?.reason });
        }
        if (ok) agreeing++;
      }
      for (const d of disagreements.filter((x) => x.test === b.test)) {
        console.log(
          `${b.capture} ${b.test}: ${d.conn} ${d.field}: zeek=${d.zeek ?? "-"} spanless=${d.ours ?? "-"}${d.allowed ? ` (allowed: ${d.allowed})` : ""}`,
        );
      }
      // The connection sets must match: nothing Zeek logged is missing, nothing extra (when the
      // baseline has addresses to compare; zeek-cut files of uid/history only are count-matched).
      expect(missing, `connections Zeek logged that Spanless did not (${b.test})`).toEqual([]);
      expect(unused.map(label), `connections Spanless logged that Zeek did not (${b.test})`).toEqual([]);
    });
  }

  it("agrees with Zeek on at least 95 % of connections overall, and every allow-list entry is still needed", () => {
    const ratio = compared === 0 ? 0 : agreeing / compared;
    console.log(`golden conn.log agreement: ${agreeing}/${compared} = ${(ratio * 100).toFixed(1)} %`);
    expect(compared).toBeGreaterThan(0);
    expect(ratio).toBeGreaterThanOrEqual(AGREEMENT_BAR);
    const stale = ALLOWED_DIFFERENCES.filter((a) => !usedAllowances.has(a));
    expect(
      stale.map((s) => `${s.test} ${s.conn} ${s.field}`),
      "allow-list entries that no longer match",
    ).toEqual([]);
  });
});
