// The short fuzz run of the suite: every registered analyzer gets mutated real payloads through its
// public contract; no exception may escape and no input may hang. `npm run fuzz` is the long run.
import { describe, expect, it } from "vitest";
import { collectSeeds, fuzzAll } from "../../sensor-ami/fuzz/fuzz.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";

const SHORT_RUNS = 400;

describe.skipIf(!corpusAvailable())("short fuzz run over every analyzer", () => {
  it(`survives ${SHORT_RUNS} mutated real inputs per analyzer without exceptions or hangs`, () => {
    // Prepare
    const seeds = collectSeeds(CORPUS_DIR);
    // Act
    const reports = fuzzAll(seeds, SHORT_RUNS, 20261124);
    // Assess
    expect(seeds.tcp.length).toBeGreaterThan(100);
    expect(seeds.udp.length).toBeGreaterThan(100);
    expect(reports.length).toBeGreaterThanOrEqual(10);
    for (const r of reports) {
      expect(r.failures, `${r.parser}: ${JSON.stringify(r.failures)}`).toEqual([]);
      expect(r.hangs, r.parser).toBe(0);
      expect(r.inputs, r.parser).toBe(SHORT_RUNS);
    }
  });
});
