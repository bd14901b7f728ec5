// Named errors for the health Lambda (one idiom, from ../shared/errors.ts). Each wraps the original failure
// with `{ cause }` so the log keeps the AWS error code and request id.
import { ConfigError, SpanlessError } from "../shared/errors.js";

/** An environment variable is missing or invalid; the message names it and the expected form. */
export class HealthConfigError extends ConfigError {}

/** The on-call notification could not be published; thrown so the async invocation is retried. */
export class NotificationPublishError extends SpanlessError {}

/** An AWS read the fleet summary needs failed. */
export class FleetReadError extends SpanlessError {}
