// Named errors for the health Lambda. Each wraps the original failure with `{ cause }` so the log
// keeps the AWS error code and request id.

export class HealthError extends Error {
  override name = "HealthError";
}

/** An environment variable is missing or invalid; the message names it and the expected form. */
export class HealthConfigError extends HealthError {
  override name = "HealthConfigError";
}

/** The on-call notification could not be published; thrown so the async invocation is retried. */
export class NotificationPublishError extends HealthError {
  override name = "NotificationPublishError";
}

/** An AWS read the fleet summary needs failed. */
export class FleetReadError extends HealthError {
  override name = "FleetReadError";
}

/** Name and message of an unknown thrown value, for logs and messages. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The AWS SDK v3 error name (e.g. ResourceNotFoundException), if any. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
