// The short whole-path fuzz run of the suite: mutated real captures through the capture reader,
// the decoders, fragment reassembly, the connection table and TCP reassembly (with the analyzers
// behind them), one target each; no exception may escape and no input may hang. `npm run fuzz`
// is the long run (1,000,000 inputs per target).
import { describe, expect, it } from "vitest";
import { collectCaptureSeeds, fuzzPath, PATH_TARGETS } from "../../sensor-ami/fuzz/whole-path.js";
import { CORPUS_DIR, corpusAvailable } from "../support/corpus.js";

const SHORT_RUNS = 150;

describe.skipIf(!corpusAvailable())("short whole-path fuzz run", () => {
  const seeds = corpusAvailable() ? collectCaptureSeeds(CORPUS_DIR) : [];

  it("has seeds for every target: real captures, some with fragments, some with TCP", () => {
    expect(seeds.length).toBeGreaterThan(50);
    expect(seeds.filter((s) => s.hasFragments).length).toBeGreaterThanOrEqual(3);
    expect(seeds.filter((s) => s.hasTcp).length).toBeGreaterThan(20);
  });

  for (const target of PATH_TARGETS) {
    it(`${target}: ${SHORT_RUNS} mutated real captures without exceptions or hangs`, () => {
      // Act
      const r = fuzzPath(target, seeds, SHORT_RUNS, 20261124);
      // Assess
      expect(r.failures, JSON.stringify(r.failures)).toEqual([]);
      expect(r.exceptions).toBe(0);
      expect(r.hangs).toBe(0);
      expect(r.inputs).toBe(SHORT_RUNS);
    });
  }
});
