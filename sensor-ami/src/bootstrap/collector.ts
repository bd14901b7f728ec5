// The network steps: proxy-check (a TCP, or TLS for an https:// proxy, connection to the proxy),
// collector-reachable (a verified TLS session with the collector, through the proxy's CONNECT tunnel
// when there is one) and push-token-auth (the signed handshake). They use the shipper's own code
// (ship/proxy.ts's tunnel, ship/transport.ts, ship/handshake.ts), so the boot proves the path the
// sensor will take, with the same CA and the same proxy handling. Reasons name hosts, ports, error
// codes and HTTP statuses; the proxy URL only through redactUrl (its password is a secret).

import { isIP, connect as netConnect, type Socket } from "node:net";
import { rootCertificates, connect as tlsConnect } from "node:tls";
import { deriveTokenKey } from "../../../contracts/upload/index.js";
import { redactUrl } from "../ship/errors.js";
import { sendHandshake } from "../ship/handshake.js";
import { openTunnel } from "../ship/proxy.js";
import { Transport } from "../ship/transport.js";
import { BootStepError } from "./errors.js";

/** Time for one connection attempt (TCP, CONNECT, TLS handshake or the handshake request). */
export const NETWORK_CHECK_TIMEOUT_MS = 10_000;

export interface NetworkTarget {
  collectorUrl: URL;
  proxy: URL | undefined;
  /** PEM of a CA trusted besides Node's bundled roots. */
  ca: string | undefined;
  timeoutMs: number;
}

function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const code = e.code !== undefined && !e.message.includes(e.code) ? `${e.code} ` : "";
  return `${code}${e.message}`.replace(/\s+/g, " ").slice(0, 300);
}

const portOf = (url: URL, fallback: number) => (url.port === "" ? fallback : Number(url.port));
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/** Resolves once a TCP (or TLS) connection to the proxy is up; BootStepError naming the proxy otherwise. */
export async function checkProxy(proxy: URL, ca: string | undefined, timeoutMs: number): Promise<void> {
  const secure = proxy.protocol === "https:";
  const host = hostOf(proxy);
  const port = portOf(proxy, secure ? 443 : 80);
  try {
    await connected(
      secure ? tlsConnect({ host, port, servername: host, ca: trusted(ca) }) : netConnect({ host, port }),
      secure ? "secureConnect" : "connect",
      timeoutMs,
    );
  } catch (error) {
    throw new BootStepError("proxy-check", `proxy ${redactUrl(proxy)} unreachable: ${errorText(error)}`, {
      cause: error,
      retryable: true,
    });
  }
}

/** A verified TLS session with the collector (through the proxy's tunnel when set). */
export async function checkCollectorTls(t: NetworkTarget): Promise<{ ms: number }> {
  const host = hostOf(t.collectorUrl);
  const port = portOf(t.collectorUrl, 443);
  const via = t.proxy === undefined ? "" : ` through proxy ${redactUrl(t.proxy)}`;
  const started = Date.now();
  try {
    const socket =
      t.proxy === undefined
        ? undefined
        : await openTunnel({ proxy: t.proxy, ca: trusted(t.ca), timeoutMs: t.timeoutMs }, host, port);
    await connected(
      tlsConnect({
        host,
        port,
        ...(socket === undefined ? {} : { socket }),
        // SNI is for names only; an IP address in it is a protocol error.
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ca: trusted(t.ca),
        rejectUnauthorized: true,
      }),
      "secureConnect",
      t.timeoutMs,
    );
  } catch (error) {
    throw new BootStepError(
      "collector-reachable",
      `TLS connection to the collector ${host}:${port}${via} failed: ${errorText(error)}`,
      { cause: error, retryable: true },
    );
  }
  return { ms: Date.now() - started };
}

/** The signed handshake with the push token; BootStepError with a reason the health function reads as the token's fault. */
export async function checkPushToken(
  t: NetworkTarget,
  token: { label: string; secret: string },
  sensorId: string,
): Promise<void> {
  const transport = new Transport({ proxy: t.proxy, ca: t.ca, maxSockets: 1, idleTimeoutMs: t.timeoutMs });
  try {
    const outcome = await sendHandshake({
      transport,
      collectorUrl: t.collectorUrl.toString(),
      label: token.label,
      key: deriveTokenKey(token.secret),
      sensorId,
      signal: AbortSignal.timeout(t.timeoutMs * 2),
    });
    switch (outcome.kind) {
      case "accepted":
        return;
      case "refused":
        throw new BootStepError(
          "push-token-auth",
          `the collector refused the push token (label ${token.label}): HTTP status ${outcome.status}, token rejected ` +
            "(unknown or revoked label, wrong secret, or this instance's clock more than 5 min off)",
        );
      case "unsupported":
        throw new BootStepError(
          "push-token-auth",
          `the collector answered HTTP status ${outcome.status} to POST /v1/handshake: it cannot check the push token; ` +
            "upgrade the collector (contracts/upload README, the handshake)",
        );
      case "failed":
        throw new BootStepError("push-token-auth", `handshake with the collector failed: ${outcome.detail}`, {
          retryable: true,
        });
    }
  } finally {
    transport.close();
  }
}

function trusted(ca: string | undefined): string[] | undefined {
  // `ca` replaces Node's roots, so they are passed along (as ship/transport.ts does).
  return ca === undefined ? undefined : [...rootCertificates, ca];
}

function connected(socket: Socket, event: "connect" | "secureConnect", timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`ETIMEDOUT: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}
