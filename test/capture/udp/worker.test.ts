// The addon polls on the libuv loop of the thread that started it: a worker thread receives on its
// own loop, and a worker that exits without close() (its environment torn down) leaves the
// process healthy.

import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { loadNativeAddon } from "../../../sensor-ami/src/capture/udp/native.js";
import { requireAddon, sendDatagrams } from "./support.js";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const addon = require(workerData.path);
const M = addon.MAX_BATCH_DATAGRAMS, S = addon.DATAGRAM_SLOT_BYTES;
const batch = { data: Buffer.alloc(M * S), count: 0, offsets: new Uint32Array(M), lengths: new Uint32Array(M),
  wireLengths: new Uint32Array(M), timestamps: new Float64Array(M), srcAddrs: new Uint32Array(M * 4),
  srcFamilies: new Uint8Array(M), srcPorts: new Uint16Array(M) };
const s = addon.open("127.0.0.1", 0, 0, false);
addon.start(s.handle, batch, new Float64Array(3), (n) => {
  parentPort.postMessage({ got: n, first: batch.data.subarray(0, batch.lengths[0]).toString() });
  if (workerData.exitWithoutClose) process.exit(0);
  addon.close(s.handle);
});
parentPort.postMessage({ port: s.port });
`;

function runWorker(
  path: string,
  exitWithoutClose: boolean,
): Promise<{ got: number; first: string; code: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { path, exitWithoutClose } });
    let result: { got: number; first: string } | undefined;
    worker.on("message", (m: { port?: number; got?: number; first?: string }) => {
      if (m.port !== undefined)
        sendDatagrams("127.0.0.1", m.port, [Buffer.from("hello worker")]).catch(reject);
      else result = { got: m.got!, first: m.first! };
    });
    worker.on("error", reject);
    worker.on("exit", (code) =>
      result ? resolve({ ...result, code }) : reject(new Error(`worker exited ${code} first`)),
    );
  });
}

describe("the addon in a worker thread", () => {
  it.each([
    ["closes and ends", false],
    ["exits without close", true],
  ])("receives on the worker's own loop, then %s", async (_name, exitWithoutClose) => {
    // Prepare
    requireAddon();
    const load = loadNativeAddon({});
    if (load.addon === undefined) throw new Error(load.reason);

    // Act
    const r = await runWorker(load.path, exitWithoutClose);

    // Assess
    expect(r).toEqual({ got: 1, first: "hello worker", code: 0 });
  });
});
