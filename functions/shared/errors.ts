// The one error idiom of every Spanless Lambda: a named class per failure that wraps the original with
// `{ cause }`, so logs keep the AWS error code and request id while the message stays readable.

/** Base of every named error. `name` is the subclass' name, so logs and metric dimensions can use it. */
export class SpanlessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment does not describe a valid configuration; `problems` lists every one (`VARIABLE: what`). */
export class ConfigError extends SpanlessError {
  constructor(
    message: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `Name: message`, plus the cause's when the message does not already carry it: for logs and notices. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const withCause =
    cause instanceof Error && !error.message.includes(cause.message)
      ? ` (cause: ${cause.name}: ${cause.message})`
      : "";
  return `${error.name}: ${error.message}${withCause}`;
}

/** The AWS error code of an SDK v3 exception (its `name`, or a `Code`/`code` field), else `Unknown`. */
export function awsErrorCode(error: unknown): string {
  if (error && typeof error === "object") {
    const e = error as { name?: unknown; Code?: unknown; code?: unknown };
    for (const c of [e.Code, e.code, e.name]) if (typeof c === "string" && c.length > 0) return c;
  }
  return "Unknown";
}
