// Named errors of `spanless bootstrap`. A BootStepError's reason goes into the step's SPANLESS-BOOT
// marker as it is, so it is built only from names, versions, codes and the shared schema's messages,
// never from a parameter value (tokens, proxy credentials and the osSensor key are secrets).

/** A boot step failed; `reason` is the marker's reason (secret-free, one line). */
export class BootStepError extends Error {
  override readonly name = "BootStepError";
  /** Worth another attempt (a network failure), as opposed to a refusal that will not change. */
  readonly retryable: boolean;
  constructor(
    readonly step: string,
    readonly reason: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`${step}: ${reason}`, options);
    this.retryable = options?.retryable ?? false;
  }
}

/** The instance metadata service did not give what the boot needs (after retries). */
export class ImdsError extends Error {
  override readonly name = "ImdsError";
}

/** A command (systemctl, the CloudWatch agent's control script, chown) failed or could not be run. */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    readonly command: string,
    readonly code: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The command line is unusable (missing or malformed flag). */
export class BootstrapUsageError extends Error {
  override readonly name = "BootstrapUsageError";
}
