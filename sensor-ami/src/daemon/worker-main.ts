// The thread around one EngineWorker: reads its ring in slices, lets its event loop run between
// them (VNI map updates, timers), reports counters and hands log lines to the main thread every
// reportIntervalMs, and at stop finishes every connection before saying it is done.

import { parentPort, workerData } from "node:worker_threads";
import { EngineWorker } from "./engine-worker.js";
import { RingReader, RingRecord } from "./ring.js";
import type { FromWorker, ToWorker, WorkerInit } from "./worker-protocol.js";

/** Datagrams handled before the worker lets its event loop run. */
const SLICE = 2048;

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error("worker-main.js runs only as a worker thread");
const post = (m: FromWorker) => port.postMessage(m);

const worker = new EngineWorker(
  init,
  (chunks) => post({ type: "logs", chunks }),
  (file) => post({ type: "pcap-closed", file }),
);
port.on("message", (m: ToWorker) => {
  if (m.type === "vni-map") worker.setVniMap(m.map);
});

async function run(): Promise<void> {
  const reader = new RingReader(init.ring);
  const rec = new RingRecord();
  const bytes = reader.bytes;
  let nextReport = 0;
  for (;;) {
    const seen = reader.sequence;
    let n = 0;
    while (n < SLICE && reader.next(rec)) {
      n++;
      worker.handle(bytes, rec);
    }
    if (n > 0) reader.release();
    const now = Date.now();
    if (now >= nextReport) {
      worker.tick(now / 1000);
      post({ type: "counters", counters: worker.counters() });
      nextReport = now + init.reportIntervalMs;
    }
    if (n === SLICE) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else if (n === 0) {
      if (reader.stopRequested) {
        // The writer stops only after its last commit: once empty now, the ring stays empty.
        if (reader.empty()) break;
        continue;
      }
      await reader.wait(seen, init.reportIntervalMs);
    }
  }
  worker.finish();
  post({ type: "finished", counters: worker.counters() });
}

// An error escapes to the main thread's "error" event, which stops the sensor: a worker that died
// silently would leave its share of the traffic unanalysed while /healthcheck said 200.
await run();
