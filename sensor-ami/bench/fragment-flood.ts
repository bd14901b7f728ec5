// `node dist/sensor-ami/bench/fragment-flood.js [--packets N]`: CPU per packet of a flood of
// never-completed IP fragments against a SYN flood of as many packets (default 1,000,000 each),
// each in its own process, and what the fragment flood leaves in weird.log.

import { parseArgs } from "node:util";
import { mb, runFlood } from "./flood-spawn.js";

const { values } = parseArgs({ options: { packets: { type: "string", default: "1000000" } } });
const packets = Number(values.packets);
const syn = runFlood("syn", packets);
const frag = runFlood("fragment", packets);
for (const r of [syn, frag]) {
  console.log(
    `${r.kind.padEnd(9)} ${r.packets.toLocaleString("en-US")} packets: ${String(r.nsCpuPerPacket).padStart(6)} ns CPU/packet, peak RSS ${mb(r.peakRssBytes)}, weird records ${r.records}, weirds ${JSON.stringify(r.weirds)}`,
  );
}
console.log(`fragment / SYN CPU per packet: ${(frag.nsCpuPerPacket / syn.nsCpuPerPacket).toFixed(2)}x`);
