// One HTTPS POST of a batch and what came back: the status, `Retry-After`, and the start of the body
// for the log. Keep-alive connections (direct, or tunnels through the proxy) are pooled by the agent;
// TLS verification is always on, with Node's bundled roots plus the optional custom CA.

import type { IncomingHttpHeaders } from "node:http";
import { type AgentOptions, Agent as HttpsAgent, request } from "node:https";
import { rootCertificates } from "node:tls";
import { redactUrl, UploadError } from "./errors.js";
import { TunnelAgent } from "./proxy.js";

/** A request with no progress for this long (connect, TLS, upload, answer) is abandoned and retried. */
export const REQUEST_IDLE_TIMEOUT_MS = 30_000;
/** Of the collector's answer, this much is kept for the log line; the rest is read and discarded. */
export const RESPONSE_KEEP_BYTES = 512;

/** How a kept-alive connection the server has closed fails when it is reused. */
const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** The request failed on a reused connection before any answer: worth one immediate retry. */
class StaleSocketError extends UploadError {
  override readonly name = "StaleSocketError";
}

export interface TransportOptions {
  /** Undefined: straight to the collector. */
  proxy?: URL | undefined;
  /** PEM of a CA to trust besides Node's bundled roots (a private collector, a TLS-inspecting proxy). */
  ca?: string | undefined;
  /** Connections kept per collector: the uploader's concurrency. */
  maxSockets: number;
  idleTimeoutMs?: number;
}

export interface PostResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first RESPONSE_KEEP_BYTES of the answer, as text. */
  body: string;
}

export class Transport {
  private readonly agent: HttpsAgent;
  private readonly idleTimeoutMs: number;
  private readonly via: string;

  constructor(options: TransportOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? REQUEST_IDLE_TIMEOUT_MS;
    // `ca` replaces Node's roots, so they are passed along: the custom CA adds trust, as NODE_EXTRA_CA_CERTS does.
    const ca = options.ca === undefined ? undefined : [...rootCertificates, options.ca];
    const agentOptions: AgentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets,
      rejectUnauthorized: true,
      ...(ca === undefined ? {} : { ca }),
    };
    this.agent =
      options.proxy === undefined
        ? new HttpsAgent(agentOptions)
        : new TunnelAgent({ proxy: options.proxy, ca }, agentOptions);
    this.via = options.proxy === undefined ? "" : ` through proxy ${redactUrl(options.proxy)}`;
  }

  /** POSTs `body`; rejects with UploadError when no answer came (network, TLS, proxy, timeout, abort). */
  async post(
    url: URL,
    headers: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<PostResult> {
    try {
      return await this.once(url, headers, body, signal);
    } catch (error) {
      // A kept-alive connection the collector closed just as it was reused: a new connection at once,
      // not a backoff and a warning. Safe to repeat: the batch ID makes the collector store it once.
      if (!(error instanceof StaleSocketError) || signal.aborted) throw error;
      return await this.once(url, headers, body, signal);
    }
  }

  private once(
    url: URL,
    headers: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method: "POST",
        headers: { ...headers, "content-length": String(body.length) },
        agent: this.agent,
        signal,
        timeout: this.idleTimeoutMs,
      });
      const fail = (error: Error) => {
        const message = `POST to ${url.host}${this.via} failed: ${error.message}`;
        const code = (error as NodeJS.ErrnoException).code;
        if (error instanceof UploadError) reject(error);
        else if (req.reusedSocket && code !== undefined && STALE_SOCKET_CODES.has(code)) {
          reject(new StaleSocketError(message, { cause: error }));
        } else reject(new UploadError(message, { cause: error }));
      };
      req.once("timeout", () =>
        req.destroy(
          new UploadError(`POST to ${url.host}${this.via}: no progress for ${this.idleTimeoutMs} ms`),
        ),
      );
      req.once("error", fail);
      req.once("response", (res) => {
        const kept: Buffer[] = [];
        let keptBytes = 0;
        res.on("data", (data: Buffer) => {
          if (keptBytes < RESPONSE_KEEP_BYTES) {
            kept.push(data.subarray(0, RESPONSE_KEEP_BYTES - keptBytes));
            keptBytes += Math.min(data.length, RESPONSE_KEEP_BYTES - keptBytes);
          }
        });
        res.once("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(kept).toString("utf8"),
          }),
        );
        res.once("error", fail);
      });
      req.end(body);
    });
  }

  /** Closes pooled connections; requests still running are ended by their signal. */
  close(): void {
    this.agent.destroy();
  }
}
