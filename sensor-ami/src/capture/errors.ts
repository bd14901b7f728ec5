/** The file is not a capture this reader understands (wrong magic, broken header). */
export class CaptureFormatError extends Error {
  override name = "CaptureFormatError";
}

/** The capture uses a link type the decoder has no layer for. */
export class UnsupportedLinkTypeError extends Error {
  override name = "UnsupportedLinkTypeError";
  constructor(
    readonly linkType: number,
    message: string,
  ) {
    super(message);
  }
}

/** The capture could not be opened or read (missing file, permissions, I/O error). */
export class CaptureReadError extends Error {
  override name = "CaptureReadError";
}
