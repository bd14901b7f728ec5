// Named errors of the TLS module. Parsers *return* these (never throw them across the module
// boundary) so that a malformed handshake can never take the engine down.

/** A TLS structure (hello, certificate, record) is truncated or malformed. */
export class TlsParseError extends Error {
  override readonly name = "TlsParseError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A DER/X.509 structure is truncated or malformed. */
export class DerParseError extends Error {
  override readonly name = "DerParseError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
