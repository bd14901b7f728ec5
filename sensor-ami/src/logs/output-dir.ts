// Creates the output directory and its missing parents, one level at a time.
//
// Not `mkdirSync(dir, { recursive: true })`: on file systems that refuse new entries with ENOENT
// although the parent exists (procfs: `/proc/self/x/y`), Node's recursive mkdir creates the
// parent again, finds it exists and retries the child forever at 100 % CPU. Walking the path
// ourselves is bounded by its depth and can say which level failed and why.

import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** Creates `dir` (and missing parents); returns nothing or throws an Error naming the level that failed. */
export function makeOutputDir(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const kind = entryKind(at);
    if (kind === "dir") break;
    if (kind === "other") throw new Error(`${at} exists and is not a directory`);
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break; // the root itself is missing: mkdir below reports why
    at = parent;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    try {
      mkdirSync(missing[i]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // Lost a race with another creator: fine as long as it is a directory now.
      if (e.code === "EEXIST" && entryKind(missing[i]) === "dir") continue;
      const why =
        e.code === "ENOENT"
          ? "the file system does not allow creating it (its parent exists)"
          : e.code === "EACCES" || e.code === "EPERM"
            ? "permission denied"
            : e.code === "EROFS"
              ? "read-only file system"
              : e.code === "ENOSPC"
                ? "no space left on device"
                : e.message;
      throw new Error(`cannot create ${missing[i]}: ${why}`, { cause: err });
    }
  }
}

function entryKind(path: string): "dir" | "other" | "none" {
  try {
    return statSync(path).isDirectory() ? "dir" : "other";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "none";
    throw err;
  }
}
