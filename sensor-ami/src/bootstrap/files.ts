// Files the boot writes: atomically (a temporary file beside the target, fsync, rename, fsync of the
// directory), so a power cut leaves the old file or the new one, never half of one, and a second run
// replaces the file instead of adding one. Every path is under the injectable root ("/" on a host).

import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

export interface WriteResult {
  /** False when the file already held exactly these bytes (nothing was rewritten). */
  changed: boolean;
}

/** The file's current text, or undefined when it does not exist. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Writes `text` to `path` with `mode` (set at creation, so the content is never readable by others,
 * not even for a moment); `prepare` runs on the temporary file before the rename (chown).
 */
export function writeFileAtomic(
  path: string,
  text: string,
  mode: number,
  prepare?: (tempPath: string) => void,
): WriteResult {
  if (readIfExists(path) === text) {
    prepare?.(path);
    return { changed: false };
  }
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  rmSync(temp, { force: true });
  const fd = openSync(temp, "wx", mode);
  try {
    // The umask may have narrowed the mode at creation; never widened it, so nothing leaked before this.
    fchmodSync(fd, mode);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    prepare?.(temp);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return { changed: true };
}
