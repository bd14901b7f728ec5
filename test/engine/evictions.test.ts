// The summary's evictions and the connection_table_full weirds agree (README, --max-connections):
// every eviction is one weird about the evicted connection, sampled in weird.log like decoder weirds.

import { describe, expect, it } from "vitest";
import { corpusAvailable, runCapture } from "../support/corpus.js";

describe.skipIf(!corpusAvailable())("connection table evictions", () => {
  it("counts one connection_table_full weird per evicted connection and names it in weird.log", () => {
    // Prepare / Act: PcapPlusPlus' many-protocols.pcap (258 connections) through a 128-connection
    // table, which evicts two connections (1/64 of the table) per round.
    const run = runCapture("pcapplusplus/many-protocols.pcap", { engine: { maxConnections: 128 } });
    // Assess
    const evictions = run.result.stats.evictions;
    expect(evictions).toBeGreaterThan(25);
    expect(run.result.weirds.get("connection_table_full")).toBe(evictions);
    const logged = (run.logs.get("weird") ?? []).filter((w) => w.name === "connection_table_full");
    // Sampled as decoder weirds are: the first 25, then one in 1,000.
    expect(logged).toHaveLength(Math.min(evictions, 25) + Math.floor(evictions / 1000));
    const uids = new Set((run.logs.get("conn") ?? []).map((c) => c.uid));
    for (const w of logged) {
      expect(uids.has(w.uid)).toBe(true);
      expect(w["id.orig_h"]).toBeTypeOf("string");
    }
  });

  it("logs no connection_table_full weird when nothing is evicted", () => {
    const run = runCapture("pcapplusplus/many-protocols.pcap");
    expect(run.result.stats.evictions).toBe(0);
    expect(run.result.weirds.has("connection_table_full")).toBe(false);
  });
});
