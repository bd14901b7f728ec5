// Which batches are stored, by batch id, and with which body: what makes "at least once" from the sensor
// "exactly once" in storage. One small marker file per batch (written after the batch itself, so a crash
// between the two only means the retry stores the same bytes at the same key again) keeps it durable
// without a database and lets two collectors share nothing but a directory.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./files.js";

const markerSchema = z.object({ sha256: z.string(), key: z.string(), storedAt: z.string() });
export type BatchMarker = z.infer<typeof markerSchema>;

export class BatchLedger {
  /** Requests for one batch id run one at a time: two concurrent retries must not both store. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  private path(batchId: string): string {
    // Fan out by the first byte so no directory grows past a few thousand entries a day per sensor.
    return join(this.dir, batchId.slice(0, 2), `${batchId}.json`);
  }

  async get(batchId: string): Promise<BatchMarker | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(batchId), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return markerSchema.parse(JSON.parse(text));
  }

  async record(batchId: string, marker: BatchMarker): Promise<void> {
    await writeFileAtomic(this.path(batchId), Buffer.from(`${JSON.stringify(marker)}\n`));
  }

  /** Runs `work` with no other `exclusive` call for the same batch id in flight. */
  async exclusive<T>(batchId: string, work: () => Promise<T>): Promise<T> {
    const before = this.busy.get(batchId) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.busy.set(batchId, settled);
    try {
      return await run;
    } finally {
      if (this.busy.get(batchId) === settled) this.busy.delete(batchId);
    }
  }
}
