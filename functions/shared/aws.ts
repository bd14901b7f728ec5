// One place that decides how every Lambda's AWS SDK v3 clients retry and where they point.
// The SDK itself honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>, which is how tests aim
// clients at moto_server; nothing here special-cases tests.

/** Adaptive retries add client-side rate limiting on throttling errors (EC2 and Auto Scaling throttle hard). */
const SDK_MAX_ATTEMPTS = 6;

export interface SdkClientConfig {
  retryMode: "adaptive";
  maxAttempts: number;
}

export function sdkClientConfig(overrides: Partial<SdkClientConfig> = {}): SdkClientConfig {
  return { retryMode: "adaptive", maxAttempts: SDK_MAX_ATTEMPTS, ...overrides };
}
