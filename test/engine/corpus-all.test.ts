// Every capture of the public corpus goes through the engine without an exception escaping,
// and every packet is accounted for (tracked, non-IP, held fragment, or counted as a weird).
import { describe, expect, it } from "vitest";
import { corpusAvailable, corpusCaptures, runCapture } from "../support/corpus.js";

describe.skipIf(!corpusAvailable())("the whole public corpus", () => {
  for (const cap of corpusAvailable() ? corpusCaptures() : []) {
    it(`processes ${cap}`, () => {
      // Act
      const run = runCapture(cap, { engine: { verifyChecksums: "auto" } });
      // Assess
      const s = run.result.stats;
      expect(s.packets).toBeGreaterThan(0);
      const weirds = [...run.result.weirds.values()].reduce((a, b) => a + b, 0);
      // A packet is tracked, non-IP, part of a fragment train, or reported: never silently gone.
      expect(s.tracked + s.nonIp + weirds + s.fragmentPackets).toBeGreaterThanOrEqual(s.packets);
      for (const c of run.logs.get("conn") ?? []) {
        expect(c.uid).toMatch(/^C[0-9A-Za-z]{17}$/);
        expect(typeof c.conn_state).toBe("string");
      }
    });
  }
});
