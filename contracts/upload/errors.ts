// Named errors of the upload contract. Messages name the header or field and the rule it breaks, never
// the value: a header may carry a token label pasted with its secret, and these messages reach logs.

/** A request header is missing, repeated or malformed. The collector answers 400 `malformed-header`. */
export class BatchHeaderError extends Error {
  override readonly name = "BatchHeaderError";
  readonly reason = "malformed-header" as const;
  constructor(
    readonly header: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`header ${header} ${problem}`, options);
  }
}

/** A caller passed a batch field (to sign, to build headers, to name storage) that breaks its rule. */
export class BatchFieldError extends Error {
  override readonly name = "BatchFieldError";
  constructor(
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`batch ${field} ${problem}`, options);
  }
}

/** A push token is not `label:secret` under contracts/config's rules. `codes` are that module's problem codes. */
export class PushTokenError extends Error {
  override readonly name = "PushTokenError";
  constructor(
    readonly codes: string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
