// The push-token handshake (contracts/upload/handshake.ts) over the shipper's own Transport, so it goes
// exactly the way batches go: the same custom CA, the same CONNECT proxy, the same TLS checks. Used by
// the live sensor at start (a new sensor has no batch to send until it is in service and mirrored
// traffic reaches it) and by `spanless bootstrap`'s push-token-auth step.

import {
  handshakeHeaders,
  handshakeUrl,
  newHandshakeNonce,
  signHandshake,
} from "../../../contracts/upload/index.js";
import { UploadError } from "./errors.js";
import type { Transport } from "./transport.js";

export type HandshakeOutcome =
  /** 2xx: the collector knows the label and the signature checks out. */
  | { kind: "accepted"; status: number }
  /** 401/403: the token (label or secret) is refused, or the clock is off by more than 5 min. */
  | { kind: "refused"; status: number; detail: string }
  /** 404/405: a collector without the handshake endpoint. */
  | { kind: "unsupported"; status: number; detail: string }
  /** Another answer (5xx, 429…) or none (network, TLS, proxy, timeout): worth trying again. */
  | { kind: "failed"; detail: string; status?: number };

export interface HandshakeRequest {
  transport: Transport;
  collectorUrl: string;
  label: string;
  /** deriveTokenKey(secret): the secret itself is not needed to sign. */
  key: Buffer;
  sensorId: string;
  signal: AbortSignal;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
}

const EMPTY = Buffer.alloc(0);

/** One signed handshake; never throws for what the network or the collector does. */
export async function sendHandshake(r: HandshakeRequest): Promise<HandshakeOutcome> {
  const url = new URL(handshakeUrl(r.collectorUrl));
  const meta = {
    label: r.label,
    timestamp: Math.floor((r.now ?? Date.now)() / 1000),
    nonce: newHandshakeNonce(),
    sensorId: r.sensorId,
  };
  let answer: Awaited<ReturnType<Transport["post"]>>;
  try {
    answer = await r.transport.post(url, handshakeHeaders(meta, signHandshake(r.key, meta)), EMPTY, r.signal);
  } catch (error) {
    const detail =
      error instanceof UploadError ? error.message : `handshake failed: ${(error as Error).message}`;
    return { kind: "failed", detail };
  }
  const { status } = answer;
  const said = `${url.host} answered ${status} to the handshake`;
  if (status >= 200 && status < 300) return { kind: "accepted", status };
  if (status === 401 || status === 403) {
    return {
      kind: "refused",
      status,
      detail: `${said}: the push token is refused (unknown or revoked label, wrong secret, or a clock more than 5 min off)`,
    };
  }
  if (status === 404 || status === 405) {
    return {
      kind: "unsupported",
      status,
      detail: `${said}: the collector has no handshake endpoint (POST /v1/handshake); upgrade it`,
    };
  }
  return { kind: "failed", status, detail: said };
}
