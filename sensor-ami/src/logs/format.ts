// What every log writer shares, so their outputs can never differ: a record as a Zeek JSON line,
// Zeek's time format (TSV #open/#close and rotated file names) and why a write failed.

/**
 * One record as a Zeek JSON line (`LogAscii::use_json=T`): field names as keys in the record's
 * own order, unset (undefined) fields omitted, newline-terminated.
 */
export function jsonLine(record: Record<string, unknown>): string {
  return `${JSON.stringify(record)}\n`;
}

/** Zeek's `%Y-%m-%d-%H-%M-%S`, UTC to the second: #open/#close and rotated log names. */
export function zeekTime(seconds: number): string {
  const d = new Date(Math.floor(seconds) * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** Why a write(2) failed, in words (`undefined`: it returned 0, the file takes no more bytes). */
export function writeFailureReason(err: NodeJS.ErrnoException | undefined): string {
  if (err === undefined) return "the file system accepted no more bytes";
  switch (err.code) {
    case "EFBIG":
      return "file too large (EFBIG: the file size limit was reached, e.g. ulimit -f)";
    case "ENOSPC":
      return "no space left on device (ENOSPC)";
    case "EDQUOT":
      return "disk quota exceeded (EDQUOT)";
    case "EIO":
      return "I/O error (EIO)";
    default:
      return err.message;
  }
}
