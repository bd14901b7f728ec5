/** The file is not a capture this reader understands (wrong magic, broken header). */
export class CaptureFormatError extends Error {
  override name = "CaptureFormatError";
}

/** The capture could not be opened or read (missing file, permissions, I/O error). */
export class CaptureReadError extends Error {
  override name = "CaptureReadError";
}
