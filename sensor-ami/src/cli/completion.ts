// The completion record: `summary.json`, written into the output directory as the very last step
// of a run, so a directory without it is a run that was killed or crashed (its logs hold whole
// lines, but not everything). A stale one is removed before the first log is opened, and the new
// one appears atomically (written to a temporary name, flushed, renamed), so a reader never sees
// a half-written record or one left over from an earlier run.

import { closeSync, fsyncSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { LogWriteError } from "../logs/writer.js";

export const COMPLETION_FILE = "summary.json";

/** Removes the completion record of an earlier run in `dir`, if any. */
export function clearCompletion(dir: string): void {
  const file = join(dir, COMPLETION_FILE);
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new LogWriteError(`cannot remove the earlier run's ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Writes `record` as `dir`/summary.json, atomically. */
export function writeCompletion(dir: string, record: object): void {
  const file = join(dir, COMPLETION_FILE);
  const tmp = join(dir, `.${COMPLETION_FILE}.${process.pid}.tmp`);
  const data = Buffer.from(`${JSON.stringify(record, null, 2)}\n`, "utf8");
  try {
    const fd = openSync(tmp, "w");
    try {
      let done = 0;
      while (done < data.length) {
        const n = writeSync(fd, data, done, data.length - done);
        if (n === 0) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
        done += n;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new LogWriteError(`cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}
