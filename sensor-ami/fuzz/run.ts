// `npm run fuzz [-- --runs N] [-- --only dns] [-- --seed S]`: 1,000,000 mutated inputs per
// analyzer by default. Exits non-zero on any exception escaping an analyzer or any hang.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { collectSeeds, fuzzAll, HANG_MS } from "./fuzz.js";

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
const t0 = performance.now();
const seeds = collectSeeds(corpus);
console.log(
  `seeds from ${corpus}: ${seeds.tcp.length} TCP stream directions, ${seeds.udp.length} UDP payloads (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
const reports = fuzzAll(seeds, Number(values.runs), Number(values.seed), values.only);
let bad = 0;
for (const r of reports) {
  console.log(
    `${r.parser.padEnd(22)} ${String(r.inputs).padStart(9)} inputs from ${String(r.seeds).padStart(5)} seeds in ${r.seconds.toFixed(1).padStart(6)} s  exceptions ${r.exceptions}  hangs(>${HANG_MS} ms) ${r.hangs}  slowest ${r.maxMs.toFixed(1)} ms  heap peak ${r.heapPeakMb.toFixed(0)} MB`,
  );
  for (const f of r.failures) console.log(`    run ${f.run}: ${f.error}\n    input ${f.inputHex}`);
  bad += r.exceptions + r.hangs;
}
process.exitCode = bad === 0 ? 0 : 1;
