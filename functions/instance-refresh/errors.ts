// Named errors for the instance-refresh function. Each wraps the SDK error it came from (`cause`), so logs keep
// the AWS error code and request id while messages stay readable.

export class InstanceRefreshError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An environment variable is missing or malformed: a deployment mistake, reported at cold start. */
export class SettingsError extends InstanceRefreshError {}

/** GetParameters failed (not "parameter missing", which is a validation problem, but e.g. KMS access denied). */
export class ParameterFetchError extends InstanceRefreshError {}

/** The Auto Scaling group or its launch template could not be read or is not usable for a rollout. */
export class FleetLookupError extends InstanceRefreshError {}

/** CreateLaunchTemplateVersion or StartInstanceRefresh failed for a reason other than a refresh in progress. */
export class RolloutStartError extends InstanceRefreshError {}

/** The DynamoDB state table could not be read or written. */
export class StateStoreError extends InstanceRefreshError {}

/** The message (and name) of an unknown thrown value, for logs and notices. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : "";
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
