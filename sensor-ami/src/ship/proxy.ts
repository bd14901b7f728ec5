// HTTPS through an HTTP(S) proxy: an `https.Agent` whose connections are CONNECT tunnels (RFC 9110
// §9.3.6), with the proxy's credentials sent as `Proxy-Authorization: Basic` when the proxy URL has
// them. TLS to the collector runs inside the tunnel, end to end: the proxy sees only the host name and
// port, never the batches or the signature headers, and the collector's certificate is verified as
// without a proxy.
//
// Why our own CONNECT rather than a library: undici's ProxyAgent ships inside Node only as an internal
// (using it means a new npm dependency), and Node 24.5's built-in `proxyEnv` agent option is still
// experimental and reports a refused tunnel without the proxy's status. This is the documented
// asynchronous `Agent.createConnection`, so the agent keeps its keep-alive pool: one tunnel serves
// many batches.

import type { ClientRequestArgs } from "node:http";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { type AgentOptions, Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { ProxyConnectError, redactUrl, UploadError } from "./errors.js";

/** A proxy that neither answers nor refuses the CONNECT within this is given up on (the upload is retried). */
export const PROXY_CONNECT_TIMEOUT_MS = 30_000;

export interface TunnelOptions {
  /** `http://[user:pass@]host:port` or `https://…` (then TLS to the proxy too, verified with `ca`). */
  proxy: URL;
  /** Trusted roots (PEM), for an https proxy. Undefined: Node's bundled roots. */
  ca?: string[] | undefined;
  timeoutMs?: number;
}

/** `Proxy-Authorization` for a proxy URL with credentials (percent-decoded as WHATWG URL keeps them). */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === "" && proxy.password === "") return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`, "utf8").toString("base64")}`;
}

/** A raw TCP stream to `host:port` through the proxy, once it answered 200 to CONNECT. */
export function openTunnel(options: TunnelOptions, host: string, port: number): Promise<Socket> {
  const { proxy } = options;
  const secure = proxy.protocol === "https:";
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const auth = proxyAuthorization(proxy);
  const where = `proxy ${redactUrl(proxy)}`;
  const timeoutMs = options.timeoutMs ?? PROXY_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)({
      host: proxy.hostname.replace(/^\[|\]$/g, ""),
      port: proxy.port === "" ? (secure ? 443 : 80) : Number(proxy.port),
      method: "CONNECT",
      path: authority,
      headers: { host: authority, ...(auth === undefined ? {} : { "proxy-authorization": auth }) },
      agent: false,
      ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
      timeout: timeoutMs,
    });
    request.once("connect", (response: IncomingMessage, socket: Socket, head: Buffer) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        reject(
          new ProxyConnectError(
            response.statusCode ?? 0,
            `${where} refused the tunnel to ${authority}: ${response.statusCode} ${response.statusMessage ?? ""}`.trim(),
          ),
        );
        return;
      }
      // Bytes the proxy sent after its answer belong to the tunnel (a TLS server never speaks first,
      // but a proxy may have read ahead).
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.once("response", (response: IncomingMessage) => {
      // A proxy that answers CONNECT as an ordinary request (not a proxy at all, or one that only
      // forwards plain HTTP).
      response.resume();
      reject(
        new ProxyConnectError(
          response.statusCode ?? 0,
          `${where} answered CONNECT with ${response.statusCode}`,
        ),
      );
    });
    request.once("timeout", () => {
      request.destroy(new UploadError(`${where} did not answer CONNECT within ${timeoutMs} ms`));
    });
    request.once("error", (error) => {
      reject(
        error instanceof UploadError
          ? error
          : new UploadError(`${where} unreachable: ${error.message}`, { cause: error }),
      );
    });
    request.end();
  });
}

/** An https.Agent whose every connection is a tunnel through `proxy`. */
export class TunnelAgent extends HttpsAgent {
  constructor(
    private readonly tunnel: TunnelOptions,
    agentOptions: AgentOptions,
  ) {
    super(agentOptions);
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const host = String(options.host ?? options.hostname ?? "localhost");
    const port = Number(options.port ?? 443);
    openTunnel(this.tunnel, host, port).then(
      (socket) => {
        // The agent's options (ca, servername computed from the host, rejectUnauthorized…) apply to the
        // TLS session with the collector inside the tunnel.
        const tls = tlsConnect({ ...(options as object), socket, host, port });
        callback?.(null, tls);
      },
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    );
    return undefined;
  }
}
