// Appends EMF documents to the metrics file, one JSON line each, for the CloudWatch agent to ship
// (on the AMI: /var/log/spanless/metrics.log; for local runs: metrics.log in the output directory).
//
// Every write is checked and none throws into the caller: metrics must never stop the sensor. A
// write that fails (full disk, permissions, a directory removed) is cut back to the file's last
// whole line, remembered in `lastError` and told to `onError` once per distinct failure; write()
// returns false so the caller can keep its previous snapshot and carry the counts into the next
// line (nothing lost from the sums). The file is opened for each write (once a minute) in append
// mode, so a logrotate that moves it away is followed without a signal.

import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeOutputDir } from "../../logs/output-dir.js";
import type { EmfDocument } from "./emf.js";

/** Where the AMI's sensor writes its metrics (the CloudWatch agent's configuration reads this path). */
export const DEFAULT_METRICS_PATH = "/var/log/spanless/metrics.log";

/** The metrics file's name in the output directory, for local runs. */
export const LOCAL_METRICS_FILE = "metrics.log";

/** The metrics file for a local run writing its logs to `outDir`. */
export function localMetricsPath(outDir: string): string {
  return join(outDir, LOCAL_METRICS_FILE);
}

export interface MetricsFileOptions {
  /** Told once per distinct failure (a message naming the file and the cause), and again after a recovery. */
  onError?: (message: string) => void;
}

export class MetricsFile {
  /** Lines written since construction. */
  lines = 0;
  /** Why the last write failed; undefined once a write succeeds. */
  lastError: string | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly options: MetricsFileOptions = {},
  ) {}

  /** Appends the documents, one line each, all or none; false (never a throw) when they could not be written. */
  write(docs: EmfDocument | readonly EmfDocument[]): boolean {
    if (this.closed) return false;
    const list: readonly EmfDocument[] = Array.isArray(docs) ? docs : [docs as EmfDocument];
    if (list.length === 0) return true;
    let text: string;
    try {
      text = list.map((d) => `${JSON.stringify(d)}\n`).join("");
    } catch (err) {
      return this.failed(`cannot encode metrics for ${this.path}: ${(err as Error).message}`);
    }
    try {
      appendWhole(this.path, Buffer.from(text, "utf8"));
    } catch (err) {
      return this.failed(`cannot write metrics to ${this.path}: ${describe(err)}`);
    }
    this.lines += list.length;
    this.lastError = undefined;
    return true;
  }

  /** Takes no more writes. Nothing stays open between writes, so there is nothing to flush. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private failed(message: string): false {
    if (message !== this.lastError) {
      this.lastError = message;
      try {
        this.options.onError?.(message);
      } catch {
        // the caller's reporting must not turn a failed metrics write into a crash either
      }
    }
    return false;
  }
}

/** Appends `bytes` to `path` (creating it and its directory); on failure the file is cut back to its size before. */
function appendWhole(path: string, bytes: Buffer): void {
  makeOutputDir(dirname(path));
  const fd = openSync(path, "a", 0o644);
  try {
    const before = fstatSync(fd).size;
    let off = 0;
    try {
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if (off > 0) {
        try {
          ftruncateSync(fd, before);
        } catch {
          // the cut failed too: the partial line stays; the reader skips a line that is not JSON
        }
      }
      throw err;
    }
  } finally {
    closeSync(fd);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case "ENOSPC":
      return "no space left on device (ENOSPC)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${e.code})`;
    case "EROFS":
      return "read-only file system (EROFS)";
    case "EFBIG":
      return "file too large (EFBIG)";
    default:
      return e.message;
  }
}
