// A small IMDSv2 client: a session token first (PUT /latest/api/token with its TTL header), then GETs
// carrying it. At first boot the metadata service can be slow to answer, so every request has a
// timeout and is retried; a 401 on a GET means the token expired or was refused and gets one new
// token. Only what the boot needs is read: the instance's ID, zone and region, and the user data
// (the pin block and the boot line). Credentials are not read here: the AWS SDK's default provider
// chain does IMDSv2 itself (and honours AWS_EC2_METADATA_SERVICE_ENDPOINT, as this client does).

import { ImdsError } from "./errors.js";

/** The metadata service's address on EC2 (IPv4). */
export const IMDS_DEFAULT_ENDPOINT = "http://169.254.169.254";
/** The environment variable the AWS SDK reads for the same endpoint; honoured here too. */
export const IMDS_ENDPOINT_ENV = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
/** Six hours: longer than any boot, shorter than the service's 21600 s maximum would ever matter. */
export const IMDS_TOKEN_TTL_SECONDS = 21_600;
/** One request's time limit; the service answers in milliseconds when it answers at all. */
export const IMDS_REQUEST_TIMEOUT_MS = 2_000;
/** Attempts per request before the boot step fails. */
export const IMDS_ATTEMPTS = 5;
/** Pause before the second attempt; doubles each time (0.5 + 1 + 2 + 4 s at most). */
export const IMDS_RETRY_DELAY_MS = 500;

const TOKEN_PATH = "/latest/api/token";
const TOKEN_TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER = "x-aws-ec2-metadata-token";

export interface ImdsOptions {
  endpoint?: string;
  timeoutMs?: number;
  attempts?: number;
  retryDelayMs?: number;
}

export interface InstanceIdentity {
  instanceId: string;
  availabilityZone: string;
  region: string;
}

class RetryableImdsError extends ImdsError {}

export class ImdsClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private token: string | undefined;

  constructor(options: ImdsOptions = {}) {
    this.endpoint = (options.endpoint ?? IMDS_DEFAULT_ENDPOINT).replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? IMDS_REQUEST_TIMEOUT_MS;
    this.attempts = options.attempts ?? IMDS_ATTEMPTS;
    this.retryDelayMs = options.retryDelayMs ?? IMDS_RETRY_DELAY_MS;
  }

  async identity(): Promise<InstanceIdentity> {
    const instanceId = await this.get("/latest/meta-data/instance-id");
    const availabilityZone = await this.get("/latest/meta-data/placement/availability-zone");
    const region = await this.get("/latest/meta-data/placement/region");
    if (!/^i-[0-9a-f]{8,32}$/.test(instanceId)) {
      throw new ImdsError(
        `the instance metadata service gave an instance ID that is not one ("${instanceId}")`,
      );
    }
    return { instanceId, availabilityZone, region };
  }

  /** The launch template's user data as text (404: the instance has none). */
  userData(): Promise<string> {
    return this.get("/latest/user-data");
  }

  /** GET `path` with the session token; retried; throws ImdsError saying what failed. */
  async get(path: string): Promise<string> {
    let renewed = false;
    return this.retry(`GET ${path}`, async () => {
      const token = await this.sessionToken();
      const res = await this.request("GET", path, { [TOKEN_HEADER]: token });
      if (res.status === 401 && !renewed) {
        // An expired or refused token: one new token, then the GET again.
        renewed = true;
        this.token = undefined;
        throw new RetryableImdsError(`GET ${path}: 401 (session token refused; renewing it)`);
      }
      if (res.status === 404) {
        throw new ImdsError(
          path === "/latest/user-data"
            ? "the instance has no user data (the launch template must carry the pin block and the bootstrap line)"
            : `GET ${path}: 404 (not available on this instance)`,
        );
      }
      if (res.status !== 200) {
        const error = `GET ${path}: HTTP ${res.status}`;
        if (res.status >= 500 || res.status === 429 || res.status === 401)
          throw new RetryableImdsError(error);
        throw new ImdsError(error);
      }
      return res.body;
    });
  }

  private async sessionToken(): Promise<string> {
    if (this.token !== undefined) return this.token;
    const res = await this.request("PUT", TOKEN_PATH, { [TOKEN_TTL_HEADER]: String(IMDS_TOKEN_TTL_SECONDS) });
    if (res.status !== 200 || res.body === "") {
      const error = `PUT ${TOKEN_PATH}: HTTP ${res.status} (IMDSv2 session token not issued)`;
      if (res.status >= 500 || res.status === 429) throw new RetryableImdsError(error);
      // 403: IMDS is disabled for this instance; 405: a proxy in the way.
      throw new ImdsError(
        `${error}; check that the launch template enables the metadata service (HttpEndpoint)`,
      );
    }
    this.token = res.body;
    return res.body;
  }

  private async request(
    method: "GET" | "PUT",
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    try {
      const res = await fetch(`${this.endpoint}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: "error",
      });
      return { status: res.status, body: (await res.text()).trim() };
    } catch (error) {
      const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
      const why =
        (error as Error).name === "TimeoutError"
          ? `no answer within ${this.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new RetryableImdsError(`${method} ${path}: ${why}`, { cause: error });
    }
  }

  private async retry<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    let last: Error | undefined;
    for (let i = 0; i < this.attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** (i - 1)));
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof RetryableImdsError)) throw error;
        last = error;
      }
    }
    throw new ImdsError(
      `the instance metadata service at ${this.endpoint} did not answer ${what} after ${this.attempts} attempts (${last?.message ?? "no detail"})`,
      { cause: last },
    );
  }
}
