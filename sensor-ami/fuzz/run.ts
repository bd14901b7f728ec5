// `npm run fuzz [-- --runs N] [-- --only dns] [-- --seed S]`: 1,000,000 mutated inputs per
// analyzer and per whole-path target (path/reader, path/decoders, path/fragments, path/conn-table,
// path/tcp-reassembly: whole-path.ts) by default; `--only path` runs the whole-path targets only,
// `--only path/fragments` one of them. Exits non-zero on any exception escaping or any hang.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { collectSeeds, type FuzzReport, fuzzAll, HANG_MS } from "./fuzz.js";
import { collectCaptureSeeds, fuzzPath, PATH_TARGETS } from "./whole-path.js";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000000" },
    seed: { type: "string", default: "1" },
    only: { type: "string" },
    corpus: { type: "string" },
  },
});
const corpus = values.corpus ?? resolve(here, "..", "..", "..", "..", "shared", "corpus");
const only = values.only;
/** Whole-path inputs per target per round (seeded anew each round). */
const PATH_SLICE = 10_000;
const runs = Number(values.runs);
const t0 = performance.now();
let bad = 0;

function print(r: FuzzReport): void {
  console.log(
    `${r.parser.padEnd(22)} ${String(r.inputs).padStart(9)} inputs from ${String(r.seeds).padStart(5)} seeds in ${r.seconds.toFixed(1).padStart(6)} s  exceptions ${r.exceptions}  hangs(>${HANG_MS} ms) ${r.hangs}  slowest ${r.maxMs.toFixed(1)} ms  heap peak ${r.heapPeakMb.toFixed(0)} MB`,
  );
  for (const f of r.failures) console.log(`    run ${f.run}: ${f.error}\n    input ${f.inputHex}`);
  bad += r.exceptions + r.hangs;
}

if (!only?.startsWith("path")) {
  const seeds = collectSeeds(corpus);
  console.log(
    `seeds from ${corpus}: ${seeds.tcp.length} TCP stream directions, ${seeds.udp.length} UDP payloads (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  for (const r of fuzzAll(seeds, runs, Number(values.seed), only)) print(r);
}
const targets = PATH_TARGETS.filter(
  (t) => !only || t.startsWith(only) || (only === "path" && t.startsWith("path/")),
);
if (targets.length > 0) {
  const captures = collectCaptureSeeds(corpus);
  console.log(`whole-path seeds: ${captures.length} captures from ${corpus}`);
  // Round-robin in slices, each slice with its own seed, so every target advances at the same
  // pace and a long run shows its progress (a stopped run still reports counts for all of them).
  const totals = new Map<string, FuzzReport>();
  for (let done = 0, round = 0; done < runs; round++) {
    const slice = Math.min(PATH_SLICE, runs - done);
    for (const [i, t] of targets.entries()) {
      const r = fuzzPath(t, captures, slice, Number(values.seed) + round * 1000 + i);
      const sum = totals.get(t);
      if (sum === undefined) {
        totals.set(t, r);
        continue;
      }
      sum.inputs += r.inputs;
      sum.exceptions += r.exceptions;
      sum.hangs += r.hangs;
      sum.maxMs = Math.max(sum.maxMs, r.maxMs);
      sum.seconds += r.seconds;
      sum.heapPeakMb = Math.max(sum.heapPeakMb, r.heapPeakMb);
      for (const f of r.failures) if (sum.failures.length < 5) sum.failures.push({ ...f, run: done + f.run });
    }
    done += slice;
    if (done < runs) {
      const line = [...totals.values()].map(
        (r) => `${r.parser} ${r.inputs} (${r.exceptions} exc, ${r.hangs} hangs)`,
      );
      console.log(`  progress: ${line.join(", ")}`);
    }
  }
  for (const r of totals.values()) print(r);
}
process.exitCode = bad === 0 ? 0 : 1;
