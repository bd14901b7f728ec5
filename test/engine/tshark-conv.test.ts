// Second oracle: tshark's TCP/UDP conversation tables (`<name>.conv.txt` beside every capture).
// tshark keys a conversation by its address/port pair for the whole file, so Spanless' connections
// are summed per pair (ignoring VNI, as tshark does) and compared on total frames. Checksums are
// not verified here because tshark counts every frame.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CORPUS_DIR, corpusAvailable, corpusCaptures, runCapture } from "../support/corpus.js";

/** Share of tshark conversations whose frame totals Spanless must reproduce exactly. */
const CONV_AGREEMENT_BAR = 0.95;

interface Conv {
  proto: "tcp" | "udp";
  a: string;
  b: string;
  frames: number;
}

function splitEndpoint(s: string): [string, string] {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), s.slice(i + 1)];
}

export function parseConv(text: string): Conv[] {
  const out: Conv[] = [];
  let proto: "tcp" | "udp" | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("TCP Conversations")) proto = "tcp";
    else if (line.startsWith("UDP Conversations")) proto = "udp";
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(\d+)\s/.exec(line);
    if (m && proto) out.push({ proto, a: m[1], b: m[2], frames: Number(m[5]) });
  }
  return out;
}

function pairKey(proto: string, a: string, b: string): string {
  return [proto, ...[a, b].sort()].join(" ");
}

describe.skipIf(!corpusAvailable())("connection packet counts against tshark conversations", () => {
  let total = 0;
  let agree = 0;
  const report: string[] = [];
  const captures = corpusAvailable() ? corpusCaptures() : [];

  for (const cap of captures) {
    const convFile = join(CORPUS_DIR, `${cap}.conv.txt`);
    if (!existsSync(convFile)) continue;
    it(cap, () => {
      // Prepare
      const convs = parseConv(readFileSync(convFile, "utf8"));
      // Act
      const run = runCapture(cap, { engine: { verifyChecksums: false } });
      // Assess
      const ours = new Map<string, number>();
      for (const c of run.logs.get("conn") ?? []) {
        if (c.proto !== "tcp" && c.proto !== "udp") continue;
        const a = `${c["id.orig_h"]}:${c["id.orig_p"]}`;
        const b = `${c["id.resp_h"]}:${c["id.resp_p"]}`;
        const k = pairKey(String(c.proto), a, b);
        ours.set(k, (ours.get(k) ?? 0) + Number(c.orig_pkts) + Number(c.resp_pkts));
      }
      for (const cv of convs) {
        const [ah, ap] = splitEndpoint(cv.a);
        const [bh, bp] = splitEndpoint(cv.b);
        const k = pairKey(cv.proto, `${ah}:${ap}`, `${bh}:${bp}`);
        total++;
        const mine = ours.get(k);
        if (mine === cv.frames) agree++;
        else
          report.push(
            `${cap}: ${cv.proto} ${cv.a} <-> ${cv.b}: tshark ${cv.frames} frames, spanless ${mine ?? "no connection"}`,
          );
      }
      expect(run.result.stats.packets).toBeGreaterThanOrEqual(0);
    });
  }

  it(`reproduces at least ${CONV_AGREEMENT_BAR * 100} % of tshark's conversations exactly`, () => {
    for (const line of report) console.log(line);
    const ratio = total === 0 ? 0 : agree / total;
    console.log(`tshark conversation agreement: ${agree}/${total} = ${(ratio * 100).toFixed(1)} %`);
    expect(total).toBeGreaterThan(0);
    expect(ratio).toBeGreaterThanOrEqual(CONV_AGREEMENT_BAR);
  });
});
