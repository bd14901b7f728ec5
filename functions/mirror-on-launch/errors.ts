// Named errors (one idiom, from ../shared/errors.ts), and the classification of EC2 errors into what the
// handler should do about them. Every failure ends as a log line plus a metric; none escapes the handler
// (an escaped error makes EventBridge retry for up to 24 hours).
import { awsErrorCode, ConfigError, SpanlessError } from "../shared/errors.js";

/** The Lambda environment does not describe a valid policy or runtime configuration. */
export class PolicyConfigError extends ConfigError {}

/** The incoming event is not one the handlers understand. */
export class InvalidEventError extends SpanlessError {}

/** Gathering the inventory failed (describe calls exhausted their retries). */
export class InventoryError extends SpanlessError {
  constructor(
    message: string,
    readonly errorCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Publishing the VNI map failed. */
export class VniMapPublishError extends SpanlessError {}

/** The mirror listener check could not describe the sensors' NLB listeners (AccessDenied, throttling). */
export class ListenerCheckError extends SpanlessError {}

/**
 * What to do after a failed mutating call:
 * - `unsupported-source`: EC2 refuses this instance type as a source; mark it and stop trying.
 * - `eni-limit`: the ENI already has 3 sessions (someone raced us); the next reconcile re-plans.
 * - `quota`: an account or target quota is exhausted; needs a person.
 * - `gone`: the instance, ENI or session disappeared meanwhile; nothing to do.
 * - `config`: the target or filter is missing/invalid; needs a person.
 * - `throttled`: still throttled after the SDK's adaptive retries; the next reconcile retries.
 * - `conflict`: ClientToken reused with different parameters; the next reconcile re-plans.
 * - `denied`: IAM refused (e.g. not an owned session); needs a person.
 * - `unknown`: anything else.
 */
export type FailureClass =
  | "unsupported-source"
  | "eni-limit"
  | "quota"
  | "gone"
  | "config"
  | "throttled"
  | "conflict"
  | "denied"
  | "unknown";

const CODE_CLASSES: Readonly<Record<string, FailureClass>> = {
  TrafficMirrorSessionsPerInterfaceLimitExceeded: "eni-limit",
  TrafficMirrorSessionLimitExceeded: "quota",
  TrafficMirrorSourcesPerTargetLimitExceeded: "quota",
  TrafficMirrorSessionsPerTargetLimitExceeded: "quota",
  "InvalidTrafficMirrorSessionId.NotFound": "gone",
  "InvalidNetworkInterfaceID.NotFound": "gone",
  "InvalidInstanceID.NotFound": "gone",
  "InvalidTrafficMirrorTargetId.NotFound": "config",
  "InvalidTrafficMirrorFilterId.NotFound": "config",
  IdempotentParameterMismatch: "conflict",
  RequestLimitExceeded: "throttled",
  Throttling: "throttled",
  ThrottlingException: "throttled",
  UnauthorizedOperation: "denied",
  AccessDenied: "denied",
  AccessDeniedException: "denied",
};

/** EC2 gives no documented code for an unsupported source type; these codes plus this wording mean it. */
const UNSUPPORTED_CODES = new Set([
  "InvalidParameterValue",
  "InvalidParameterCombination",
  "UnsupportedOperation",
]);
const UNSUPPORTED_WORDING = /instance type|not supported|unsupported|cannot be used as a source/i;

export interface ClassifiedError {
  code: string;
  message: string;
  failureClass: FailureClass;
}

export function classifyError(error: unknown): ClassifiedError {
  const code = awsErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  let failureClass: FailureClass = CODE_CLASSES[code] ?? "unknown";
  if (failureClass === "unknown" && UNSUPPORTED_CODES.has(code) && UNSUPPORTED_WORDING.test(message)) {
    failureClass = "unsupported-source";
  }
  return { code, message, failureClass };
}
