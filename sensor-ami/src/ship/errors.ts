// Named errors of the shipper. Messages name the file, the batch or the setting and what went wrong,
// never a secret: the push token's secret and the proxy's password are kept out of every message
// (proxy URLs are printed through `redactUrl`), because these messages reach the sensor's log.

/** A Shipper option is unusable (bad URL, unreadable CA file…): the daemon refuses to start. */
export class ShipConfigError extends Error {
  override readonly name = "ShipConfigError";
  constructor(
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`ship ${field} ${problem}`, options);
  }
}

/** A spool file could not be written, read, moved or removed (disk full, permissions…). */
export class SpoolError extends Error {
  override readonly name = "SpoolError";
}

/** A spool file whose header or body does not check out: torn by a power cut, or damaged on disk. */
export class SpoolCorruptError extends Error {
  override readonly name = "SpoolCorruptError";
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`spool file ${file} ${problem}`, options);
  }
}

/** An upload attempt failed before a response (DNS, connect, TLS, proxy, timeout). Retried. */
export class UploadError extends Error {
  override readonly name: string = "UploadError";
}

/** The proxy refused the CONNECT tunnel (407 without the right credentials, 403, 502…). Retried. */
export class ProxyConnectError extends UploadError {
  override readonly name = "ProxyConnectError";
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `http://user:pass@host:3128/` → `http://***@host:3128`: a proxy URL fit for a log line. */
export function redactUrl(url: URL): string {
  const auth = url.username !== "" || url.password !== "" ? "***@" : "";
  return `${url.protocol}//${auth}${url.host}`;
}
