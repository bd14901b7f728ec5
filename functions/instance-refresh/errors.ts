// Named errors for the instance-refresh function (one idiom, from ../shared/errors.ts). Each wraps the SDK
// error it came from (`cause`), so logs keep the AWS error code and request id while messages stay readable.
import { ConfigError, SpanlessError } from "../shared/errors.js";

/** An environment variable is missing or malformed: a deployment mistake, reported at cold start. */
export class SettingsError extends ConfigError {}

/** GetParameters failed (not "parameter missing", which is a validation problem, but e.g. KMS access denied). */
export class ParameterFetchError extends SpanlessError {}

/** The Auto Scaling group or its launch template could not be read or is not usable for a rollout. */
export class FleetLookupError extends SpanlessError {}

/** CreateLaunchTemplateVersion or StartInstanceRefresh failed for a reason other than a refresh in progress. */
export class RolloutStartError extends SpanlessError {}

/** The DynamoDB state table could not be read or written. */
export class StateStoreError extends SpanlessError {}

/** A notice could not be published to the on-call topic. */
export class NotificationError extends SpanlessError {}
