// A restart with fewer engine workers leaves folders (`<pcapDir>/w<N>`, N ≥ workers) that no ring
// owns: their files would never be deleted nor counted against pcapMaxGB. At start, before the
// workers (and the uploader's scan), the main thread moves each such folder's files into a live
// worker's folder (`w<N mod workers>`), where that worker's ring adopts them like its own: they
// count against its share and, being the oldest, are deleted first. A file keeps its name (its
// `-w<N>` says which worker wrote it; the S3 key is unchanged); a file a crash left open is given
// its closed name (end: its modification time) on the way; an upload marker moves with its file.
// The emptied folder is removed.

import * as nodeFs from "node:fs";
import { join } from "node:path";
import { PCAP_GLOBAL_HEADER_BYTES } from "./format.js";
import {
  closedName,
  parseClosedName,
  parseOpenName,
  parseWorkerFolder,
  UPLOADED_SUFFIX,
  uploadedMarker,
  workerFolder,
} from "./names.js";

export type OrphanFs = Pick<
  typeof nodeFs,
  "readdirSync" | "renameSync" | "unlinkSync" | "rmdirSync" | "mkdirSync" | "statSync" | "existsSync"
>;

export interface RehomeResult {
  /** Folders of workers that no longer run. */
  folders: string[];
  /** Files moved into live workers' folders. */
  moved: number;
  /** What could not be moved, one line each (the file stays where it was, outside every bound). */
  errors: string[];
}

/** Moves the files of `w<N>` folders with N ≥ `workers` into `w<N mod workers>` (see above). */
export function rehomeOrphanFolders(root: string, workers: number, fs: OrphanFs = nodeFs): RehomeResult {
  const result: RehomeResult = { folders: [], moved: 0, errors: [] };
  let entries: string[];
  try {
    entries = fs.readdirSync(root);
  } catch {
    return result; // no ring yet
  }
  for (const folder of entries) {
    const n = parseWorkerFolder(folder);
    if (n === undefined || n < workers) continue;
    const from = join(root, folder);
    const to = join(root, workerFolder(n % workers));
    let names: string[];
    try {
      names = fs.readdirSync(from);
    } catch {
      continue; // a file named like a folder
    }
    result.folders.push(from);
    try {
      fs.mkdirSync(to, { recursive: true });
    } catch (err) {
      result.errors.push(`cannot create ${to}: ${errText(err)}`);
      continue;
    }
    const present = new Set(names);
    for (const name of names) {
      if (name.endsWith(UPLOADED_SUFFIX)) {
        // Moved with its file below; one without its file is stray.
        if (!present.has(name.slice(0, -UPLOADED_SUFFIX.length))) tryUnlink(fs, join(from, name), result);
        continue;
      }
      const closed = parseClosedName(name) !== undefined ? name : settledName(fs, from, name, n, to, result);
      if (closed === undefined) continue;
      try {
        fs.renameSync(join(from, name), join(to, closed));
        result.moved++;
      } catch (err) {
        result.errors.push(`cannot move ${join(from, name)} to ${to}: ${errText(err)}`);
        continue;
      }
      if (present.has(uploadedMarker(name))) {
        try {
          fs.renameSync(join(from, uploadedMarker(name)), join(to, uploadedMarker(closed)));
        } catch {
          // Without its marker the file is uploaded once more: same key, same bytes.
        }
      }
    }
    try {
      fs.rmdirSync(from);
    } catch {
      // Not empty (a file that could not be moved, or not the ring's): left as it is.
    }
  }
  return result;
}

/** The closed name for a file a crash left open; undefined (and deleted when empty) otherwise. */
function settledName(
  fs: OrphanFs,
  dir: string,
  name: string,
  worker: number,
  to: string,
  result: RehomeResult,
): string | undefined {
  const start = parseOpenName(name);
  if (start === undefined) return undefined; // not the ring's: left alone
  const path = join(dir, name);
  let st: nodeFs.Stats;
  try {
    st = fs.statSync(path);
  } catch (err) {
    result.errors.push(`cannot adopt ${path}: ${errText(err)}`);
    return undefined;
  }
  if (st.size <= PCAP_GLOBAL_HEADER_BYTES) {
    tryUnlink(fs, path, result);
    return undefined;
  }
  let end = Math.max(start, Math.round(st.mtimeMs * 1000));
  let closed = closedName({ startMicros: start, endMicros: end, worker });
  while (fs.existsSync(join(to, closed)))
    closed = closedName({ startMicros: start, endMicros: ++end, worker });
  return closed;
}

function tryUnlink(fs: OrphanFs, path: string, result: RehomeResult): void {
  try {
    fs.unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      result.errors.push(`cannot delete ${path}: ${errText(err)}`);
  }
}

function errText(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
