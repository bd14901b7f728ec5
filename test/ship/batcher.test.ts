// Batcher: log chunks become gzip batches per log type, cut at the size limit or the age limit
// (whichever first), each with its own random ID, stored one at a time in order; chunks larger than a
// batch are split at line ends; nothing is lost on flush; a store that fails is reported as a drop.

import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { LogChunk } from "../../sensor-ami/src/logs/json-lines.js";
import { type Batch, type BatchDrop, Batcher, splitLines } from "../../sensor-ami/src/ship/batcher.js";

function chunk(path: string, from: number, n: number): LogChunk {
  let text = "";
  for (let i = from; i < from + n; i++) text += `${JSON.stringify({ path, seq: i })}\n`;
  return { path, text, records: n };
}

function seqs(batch: Batch): number[] {
  return gunzipSync(batch.body)
    .toString("utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

function collect(options: Partial<ConstructorParameters<typeof Batcher>[0]> = {}) {
  const batches: Batch[] = [];
  const drops: BatchDrop[] = [];
  const batcher = new Batcher({
    onBatch: async (b) => {
      batches.push(b);
    },
    onDrop: (d) => drops.push(d),
    ...options,
  });
  return { batcher, batches, drops };
}

describe("Batcher", () => {
  it("keeps one batch per log type and cuts each on flush, with distinct 32-hex IDs", async () => {
    // Prepare
    const { batcher, batches } = collect();

    // Act
    batcher.accept([chunk("conn", 0, 3), chunk("dns", 0, 2)]);
    batcher.accept([chunk("conn", 3, 2)]);
    await batcher.flush();

    // Assess
    expect(batches.map((b) => [b.log, b.records])).toEqual([
      ["conn", 5],
      ["dns", 2],
    ]);
    expect(seqs(batches[0]!)).toEqual([0, 1, 2, 3, 4]);
    for (const b of batches) expect(b.id).toMatch(/^[0-9a-f]{32}$/);
    expect(batches[0]!.id).not.toBe(batches[1]!.id);
    expect(batches[0]!.rawBytes).toBe(Buffer.byteLength(chunk("conn", 0, 5).text));
    expect(batcher.pendingBytes).toBe(0);
  });

  it("cuts a batch before it would pass the size limit", async () => {
    // Prepare
    // Three-digit numbers: every chunk of 10 records has the same size.
    const one = Buffer.byteLength(chunk("conn", 100, 10).text);
    const { batcher, batches } = collect({ maxBytes: one * 2 + 5 });

    // Act
    for (let i = 0; i < 5; i++) batcher.accept([chunk("conn", 100 + i * 10, 10)]);
    await batcher.flush();

    // Assess
    expect(batches.map((b) => b.records)).toEqual([20, 20, 10]);
    expect(batches.flatMap(seqs)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    for (const b of batches) expect(b.rawBytes).toBeLessThanOrEqual(one * 2 + 5);
  });

  it("cuts a batch when it has been open for the age limit", async () => {
    // Prepare
    const { batcher, batches } = collect({ maxAgeMs: 150 });
    const started = performance.now();

    // Act
    batcher.accept([chunk("conn", 0, 1)]);
    while (batches.length === 0 && performance.now() - started < 5000)
      await new Promise((r) => setTimeout(r, 10));

    // Assess
    expect(batches).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("splits a chunk larger than a batch at line ends", async () => {
    // Prepare
    const big = chunk("conn", 0, 100);
    const { batcher, batches } = collect({ maxBytes: 300 });

    // Act
    batcher.accept([big]);
    await batcher.flush();

    // Assess
    expect(batches.length).toBeGreaterThan(5);
    expect(batches.flatMap(seqs)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const b of batches) expect(b.rawBytes).toBeLessThanOrEqual(300);
  });

  it("splitLines keeps a line longer than the limit whole", () => {
    // Prepare
    const text = `a\n${"b".repeat(20)}\nc\n`;

    // Act
    const pieces = splitLines(text, 5);

    // Assess
    expect(pieces.map((p) => [p.text, p.records])).toEqual([
      ["a\n", 1],
      [`${"b".repeat(20)}\n`, 1],
      ["c\n", 1],
    ]);
  });

  it("stores batches one at a time, in the order they were cut", async () => {
    // Prepare
    let storing = 0;
    let most = 0;
    const order: string[] = [];
    const batcher = new Batcher({
      maxBytes: 50,
      onBatch: async (b) => {
        storing++;
        most = Math.max(most, storing);
        await new Promise((r) => setTimeout(r, 5));
        order.push(seqs(b).join(","));
        storing--;
      },
    });

    // Act
    for (let i = 0; i < 10; i++) batcher.accept([chunk("conn", i, 1)]);
    await batcher.flush();

    // Assess
    expect(most).toBe(1);
    expect(order.join(",").split(",").map(Number)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it("reports a log name the envelope refuses, and a store that fails, as drops", async () => {
    // Prepare
    const { batcher, batches, drops } = collect({
      onBatch: async () => {
        throw new Error("disk on fire");
      },
    });

    // Act
    batcher.accept([chunk("Bad-Name", 0, 2), chunk("conn", 0, 3)]);
    await batcher.flush();

    // Assess
    expect(batches).toEqual([]);
    expect(drops.map((d) => [d.reason, d.log, d.records])).toEqual([
      ["bad-log-name", "Bad-Name", 2],
      ["store-failed", "conn", 3],
    ]);
    expect(drops[1]!.error?.message).toBe("disk on fire");
    expect(batcher.pendingBytes).toBe(0);
  });

  it("drops the oldest waiting batches when the compress queue is full", async () => {
    // Prepare
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const stored: number[] = [];
    const drops: BatchDrop[] = [];
    const batcher = new Batcher({
      maxBytes: 1,
      maxQueueBytes: 100,
      onBatch: async (b) => {
        await gate;
        stored.push(seqs(b)[0]!);
      },
      onDrop: (d) => drops.push(d),
    });

    // Act: every chunk is its own batch (~25 bytes); the first is being stored, the queue holds ~4.
    for (let i = 0; i < 10; i++) batcher.accept([chunk("conn", i, 1)]);
    release();
    await batcher.flush();

    // Assess
    expect(drops.every((d) => d.reason === "compress-queue-full")).toBe(true);
    expect(drops.length + stored.length).toBe(10);
    expect(stored[0]).toBe(0);
    expect(stored.at(-1)).toBe(9);
    expect(drops.length).toBeGreaterThan(0);
  });
});
