// `spanless demo [<capture>] --out <dir>`: the whole data path on this machine (collector, sensor,
// replay: real processes, sockets and TLS), then a summary. Keep the invocation stable: scripts use it.

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DemoError, runDemo } from "../daemon/demo/run-demo.js";

export const DEMO_USAGE = `usage: spanless demo [<capture>] --out <dir>

Runs the whole data path on this machine with no AWS account: a collector on loopback with a fresh
push token and a self-signed certificate, spanless sensor uploading to it, and the capture (the
bundled sample by default) replayed into the sensor as AWS Traffic Mirroring sends it. Waits until
the collector has every record, stops everything and prints a summary. <dir> then holds what the
collector stored: <log>/dt=YYYY-MM-DD/hour=HH/sensor=demo/<batch>.json.gz (and its state in .collector/).
`;

/** The bundled sample: beside the checkout's sensor-ami/, or the bundle's samples/. */
function defaultCapture(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of [
    "../../../../sensor-ami/samples/demo.pcap",
    "../../samples/demo.pcap",
    "../samples/demo.pcap",
  ]) {
    const p = resolve(here, rel);
    if (existsSync(p)) return p;
  }
  return join(process.cwd(), "sensor-ami", "samples", "demo.pcap");
}

export async function runDemoCommand(argv: string[]): Promise<number> {
  let values: { out?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (err) {
    process.stderr.write(`spanless demo: ${(err as Error).message}\n\n${DEMO_USAGE}`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  if (values.out === undefined || positionals.length > 1) {
    process.stderr.write(
      `spanless demo: ${values.out === undefined ? "missing --out <dir>" : "at most one capture"}\n\n${DEMO_USAGE}`,
    );
    return 64;
  }
  const capture = positionals[0] ?? defaultCapture();
  if (!existsSync(capture)) {
    process.stderr.write(`spanless demo: ${capture}: no such capture\n`);
    return 65;
  }
  const log = (line: string) => process.stderr.write(`spanless demo: ${line}\n`);
  try {
    const r = await runDemo({ capture, out: values.out, launcher: process.argv[1], log });
    const total = [...r.records.values()].reduce((a, b) => a + b, 0);
    const lines = [...r.records]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `  ${k.padEnd(8)} ${v}`);
    const ratio = r.wireBytes > 0 ? ((r.storedBytes / r.wireBytes) * 100).toFixed(2) : "n/a";
    process.stdout.write(
      `spanless demo: ${capture}\n` +
        `packets replayed: ${r.frames} (${r.wireBytes} bytes of mirrored traffic)\n` +
        `records stored by the collector: ${total}\n${lines.join("\n")}\n` +
        `upload batches: ${r.batches}, ${r.storedBytes} bytes stored (gzip) = ${ratio} % of the traffic\n` +
        `drops: kernel ${r.kernelDrops}, queue ${r.queueDrops}${r.spooledLeft ? ", some batches left in the spool (not uploaded)" : ""}\n` +
        `stored in ${values.out}\n`,
    );
    return r.kernelDrops + r.queueDrops > 0 || r.spooledLeft ? 1 : 0;
  } catch (err) {
    if (err instanceof DemoError) {
      log(err.message);
      return 1;
    }
    throw err;
  }
}
