// The errors for a capture that cannot be opened or read as a file (as opposed to one whose
// content is not a capture: CaptureFormatError, which passes through unchanged).

import { CaptureFormatError, CaptureReadError } from "./errors.js";

/** openSync failed for `path`. */
export function cannotOpen(path: string, err: unknown): CaptureReadError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : code === "EISDIR"
          ? "is a directory"
          : (err as Error).message;
  return new CaptureReadError(`cannot open capture ${path}: ${why}`, { cause: err });
}

/** Reading the opened `path`'s header failed: a format error as it is, else a read error. */
export function cannotRead(path: string, err: unknown): Error {
  if (err instanceof CaptureFormatError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EISDIR")
    return new CaptureReadError(`cannot read capture ${path}: is a directory`, { cause: err });
  return new CaptureReadError(`cannot read capture ${path}: ${(err as Error).message}`, { cause: err });
}
