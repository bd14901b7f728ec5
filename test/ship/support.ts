// Real peers for the shipper's tests, on loopback: an HTTPS collector that checks every request
// with contracts/upload (headers, signature, timestamp window, gzip, record count) and stores each
// batch once by its ID, with switchable answers and an outage; an HTTP CONNECT proxy with optional
// Basic credentials; and a self-signed certificate made by openssl.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  type BatchMeta,
  deriveTokenKey,
  parseBatchHeaders,
  UPLOAD_PATH,
  verifyBatch,
} from "../../contracts/upload/index.js";
import type { LogChunk } from "../../sensor-ami/src/logs/json-lines.js";

export const LABEL = "sensor-test";
export const SECRET = "s3cret-Value-that-must-never-leak-42";
export const TOKEN = `${LABEL}:${SECRET}`;
export const PROXY_USER = "proxyuser";
export const PROXY_PASS = "proxy-Pa55word!";

export function hasOpenssl(): boolean {
  return spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
}

export interface Certificate {
  dir: string;
  certFile: string;
  cert: string;
  key: string;
}

/** A self-signed P-256 certificate for 127.0.0.1 (openssl on PATH, checked by the caller). */
export function makeCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), "spanless-ship-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-days",
      "2",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  return { dir, certFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

/** One request as the collector saw it. */
export interface Attempt {
  at: number;
  batchId: string | undefined;
  status: number;
  verified: boolean;
}

export interface StoredBatch {
  meta: BatchMeta;
  lines: string[];
}

/** What the test wants answered to a verified request; undefined: store it and answer 200. */
export type Answer = (
  attempt: number,
  meta: BatchMeta,
) => { status: number; headers?: Record<string, string> } | undefined;

export class TestCollector {
  readonly attempts: Attempt[] = [];
  /** Stored batches by ID: a replay of a stored batch is answered 200 and not stored again. */
  readonly stored = new Map<string, StoredBatch>();
  answer: Answer = () => undefined;
  /** Milliseconds before each answer (the batch is stored at once); Infinity: no answer at all. */
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Cut every request that comes on an already used connection. */
  resetReused = false;
  resets = 0;
  private readonly socketUses = new WeakMap<object, number>();
  private server: HttpsServer;
  port = 0;

  constructor(private readonly cert: Certificate) {
    this.server = this.make();
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Every stored line of `log`, in batch arrival order. */
  lines(log: string): string[] {
    return [...this.stored.values()].filter((b) => b.meta.log === log).flatMap((b) => b.lines);
  }

  async start(port = 0): Promise<this> {
    this.server = this.make();
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** An outage: the port refuses connections and open ones are cut. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private make(): HttpsServer {
    return createHttpsServer({ cert: this.cert.cert, key: this.cert.key }, (req, res) => {
      const uses = (this.socketUses.get(req.socket) ?? 0) + 1;
      this.socketUses.set(req.socket, uses);
      if (this.resetReused && uses > 1) {
        // A kept-alive connection closed under a request, as when the server's idle timeout fires.
        this.resets++;
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on("close", () => this.inFlight--);
      req.on("end", () => {
        const { status, headers } = this.handle(req, Buffer.concat(chunks));
        // delayMs Infinity: never answer (a hung collector).
        if (this.delayMs === Number.POSITIVE_INFINITY) return;
        setTimeout(
          () => res.writeHead(status, headers).end(status === 200 ? "ok\n" : "refused\n"),
          this.delayMs,
        );
      });
    });
  }

  private handle(req: IncomingMessage, body: Buffer): { status: number; headers?: Record<string, string> } {
    const attempt: Attempt = { at: performance.now(), batchId: undefined, status: 0, verified: false };
    this.attempts.push(attempt);
    const result = (status: number, headers?: Record<string, string>) => {
      attempt.status = status;
      return { status, headers };
    };
    if (req.method !== "POST" || req.url !== UPLOAD_PATH) return result(404);
    let meta: BatchMeta;
    let signature: string;
    try {
      ({ meta, signature } = parseBatchHeaders(req.headers));
    } catch {
      return result(400);
    }
    attempt.batchId = meta.batchId;
    if (meta.label !== LABEL) return result(401);
    const verdict = verifyBatch({
      key: deriveTokenKey(SECRET),
      meta,
      signature,
      body,
      now: Date.now() / 1000,
    });
    if (!verdict.ok) return result(401);
    attempt.verified = true;
    const injected = this.answer(this.attempts.length, meta);
    if (injected !== undefined) return result(injected.status, injected.headers);
    const lines = gunzipSync(body).toString("utf8").split("\n").filter(Boolean);
    if (lines.length !== meta.records) return result(400);
    if (!this.stored.has(meta.batchId)) this.stored.set(meta.batchId, { meta, lines });
    return result(200);
  }
}

/** An HTTP CONNECT proxy; with credentials, a CONNECT without the right Basic ones gets 407. */
export class TestProxy {
  readonly connects: { target: string; authorized: boolean }[] = [];
  private readonly server: HttpServer | HttpsServer;
  private readonly sockets = new Set<Socket>();
  port = 0;

  /** With `tls`, the proxy itself speaks HTTPS (an `https://` proxy URL). */
  constructor(
    private readonly credentials?: { user: string; pass: string },
    private readonly tls?: Certificate,
  ) {
    const refuse = (_req: IncomingMessage, res: import("node:http").ServerResponse) =>
      res.writeHead(405).end();
    this.server =
      tls === undefined
        ? createHttpServer(refuse)
        : createHttpsServer({ cert: tls.cert, key: tls.key }, refuse);
    this.server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
      this.sockets.add(client);
      client.on("error", () => {});
      const expected =
        this.credentials === undefined
          ? undefined
          : `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.pass}`).toString("base64")}`;
      const authorized = expected === undefined || req.headers["proxy-authorization"] === expected;
      this.connects.push({ target: req.url ?? "", authorized });
      if (!authorized) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
        );
        return;
      }
      const [host, port] = (req.url ?? "").split(":");
      const upstream = netConnect(Number(port), host!, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(upstream);
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
    });
  }

  get url(): string {
    return `${this.tls === undefined ? "http" : "https"}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * `n` numbered records of `log` as one chunk (`{"log":…,"seq":i,"pad":"…"}`); with `noise` the pad is
 * random base64, so the batch's gzip is about as large as its text (for tests of byte bounds).
 */
export function records(log: string, from: number, n: number, pad = 40, noise = false): LogChunk {
  let text = "";
  for (let i = from; i < from + n; i++) {
    const filler = noise
      ? randomBytes(Math.ceil((pad * 3) / 4))
          .toString("base64")
          .slice(0, pad)
      : "x".repeat(pad);
    text += `${JSON.stringify({ log, seq: i, pad: filler })}\n`;
  }
  return { path: log, text, records: n };
}

export function seqsOf(lines: string[]): number[] {
  return lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
}

/** Polls `condition` every 20 ms until it holds; throws with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
