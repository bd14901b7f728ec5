// `npm run bench:flood [-- --packets N] [-- --memory-budget MB] [-- --max-connections N] [-- --heap-mb MB]`:
// peak RSS of the engine under a SYN flood of N distinct connections (default 1,000,000), generated
// in memory, and what each live connection costs. Without --memory-budget the engine sizes its
// budget from the machine, as `spanless analyze` does. The budget bounds live state; RSS also holds
// garbage (finished connections, their records) that V8 collects lazily up to its heap limit, so
// --heap-mb (V8's --max-old-space-size) shows RSS under a heap limit that matches the budget.

import { parseArgs } from "node:util";
import { mb, runFlood } from "./flood-spawn.js";

const { values } = parseArgs({
  options: {
    packets: { type: "string", default: "1000000" },
    "memory-budget": { type: "string" },
    "max-connections": { type: "string" },
    "heap-mb": { type: "string" },
  },
});
const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
const r = runFlood(
  "syn",
  Number(values.packets),
  num(values["memory-budget"]),
  num(values["max-connections"]),
  num(values["heap-mb"]),
);
console.log(`SYN flood: ${r.packets.toLocaleString("en-US")} SYNs from distinct sources`);
console.log(`  memory budget   ${mb(r.memoryBudgetBytes)} (connections may use 3/4 of it)`);
console.log(
  `  live at peak    ${r.liveConnections.toLocaleString("en-US")} connections, ${r.evictions.toLocaleString("en-US")} evicted`,
);
console.log(`  peak RSS        ${mb(r.peakRssBytes)} (${mb(r.baselineRssBytes)} before the flood)`);
console.log(
  `  per connection  ${r.bytesPerConnection} bytes of heap + array buffers, ${r.rssBytesPerConnection} bytes of RSS growth`,
);
console.log(`  CPU             ${r.nsCpuPerPacket} ns per packet (${r.cpuSeconds.toFixed(2)} s)`);
console.log(`  weirds          ${JSON.stringify(r.weirds)}`);
console.log(JSON.stringify(r));
