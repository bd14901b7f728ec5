// Named errors of the QUIC analyzer. They never leave the analyzer: it turns them into weirds.

/** An Initial packet whose protection could not be removed (wrong keys, truncation, forged tag). */
export class QuicDecryptError extends Error {
  override readonly name = "QuicDecryptError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
