// Named errors of the collector. Each wraps what failed underneath in `cause`; messages name files and
// labels, never a secret or a derived key.

/** A command-line value or a combination of them that cannot work (exit 64). */
export class CollectorConfigError extends Error {
  override readonly name = "CollectorConfigError";
}

/** The token file cannot be read, parsed or written, or a label operation is not possible. */
export class TokenStoreError extends Error {
  override readonly name = "TokenStoreError";
}

/** The TLS certificate or key cannot be made, read or used. */
export class CertificateError extends Error {
  override readonly name = "CertificateError";
}

/** A sink (directory or S3) or the batch ledger could not make a batch durable. The request is a 503. */
export class SinkWriteError extends Error {
  override readonly name = "SinkWriteError";
}

/** The body is not what its headers promise: not gzip, not JSON lines, or another record count. */
export class BatchBodyError extends Error {
  override readonly name = "BatchBodyError";
}
