// A slow or hostile client cannot exhaust the collector: slow headers and slow bodies are cut off, sockets
// beyond the connection limit are refused while the others are served, and bodies in flight are bounded
// (503 with Retry-After beyond it, which the sensor honours).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { UPLOAD_PATH } from "../../contracts/upload/index.js";
import {
  type CollectorLimits,
  type RunningCollector,
  startCollector,
  TokenStore,
} from "../../sensor-ami/src/collector/index.js";
import { memoryLog, records, send, signedBatch } from "./support/client.js";

let store: string;
let collector: RunningCollector;
let token: string;
const sockets: TLSSocket[] = [];

async function start(limits: Partial<CollectorLimits>): Promise<void> {
  store = mkdtempSync(join(tmpdir(), "spanless-collector-limits-"));
  token = new TokenStore(join(store, "tokens.json")).create("sensor-a");
  collector = await startCollector({ host: "127.0.0.1", port: 0, store, log: memoryLog().log, limits });
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await collector.close();
  rmSync(store, { recursive: true, force: true });
});

/** A TLS connection to the collector, trusting its certificate; resolves once the handshake is done. */
function open(): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port: collector.port,
      ca: collector.tls.cert,
      servername: "localhost",
    });
    sockets.push(socket);
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves with what the server sent and the milliseconds until it closed the socket. */
function untilClosed(socket: TLSSocket): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  let text = "";
  socket.on("data", (d: Buffer) => {
    text += d.toString("latin1");
  });
  socket.on("error", () => {});
  return new Promise((resolve) => socket.once("close", () => resolve({ text, ms: Date.now() - started })));
}

describe("collector limits", () => {
  it("closes a connection whose headers never finish", async () => {
    // Prepare
    await start({ headersTimeoutMs: 400 });
    const socket = await open();

    // Act
    socket.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\nhost: localhost\r\n`); // and nothing more
    const closed = await untilClosed(socket);

    // Assess
    expect(closed.ms).toBeLessThan(3_000);
  });

  it("cuts off a body that drips in slower than the request timeout", async () => {
    // Prepare
    const body = records("conn", 3);
    await start({
      headersTimeoutMs: 400,
      requestTimeoutMs: 800,
      maxInflightBodyBytes: Math.floor(1.5 * body.length),
    });
    const batch = signedBatch(token, { body });
    const socket = await open();
    const head = Object.entries({
      ...batch.headers,
      host: "localhost",
      "content-length": String(batch.body.length),
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");

    // Act
    socket.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\n${head}\r\n`);
    socket.write(batch.body.subarray(0, 1));
    const drip = setInterval(() => socket.writable && socket.write(Buffer.alloc(0)), 100);
    const closed = await untilClosed(socket);
    clearInterval(drip);

    const after = await send(collector.url, collector.tls.cert, signedBatch(token, { body }));

    // Assess
    expect(closed.ms).toBeLessThan(4_000);
    expect(closed.text).not.toContain("200 OK");
    // The cut-off body gave its share of the in-flight budget back.
    expect(after.status).toBe(200);
  });

  it("refuses sockets beyond the connection limit and serves the ones within it", async () => {
    // Prepare
    await start({ maxConnections: 2 });
    const held = [await open(), await open()];

    // Act
    const third = connect({
      host: "127.0.0.1",
      port: collector.port,
      ca: collector.tls.cert,
      servername: "localhost",
    });
    sockets.push(third);
    const refused = await new Promise<boolean>((resolve) => {
      third.once("secureConnect", () => resolve(false));
      third.once("error", () => resolve(true));
      third.once("close", () => resolve(true));
    });
    held[0]!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const served = await send(collector.url, collector.tls.cert, signedBatch(token));

    // Assess
    expect(refused).toBe(true);
    expect(served.status).toBe(200);
  });

  it("answers 503 with Retry-After when bodies in flight would exceed the budget", async () => {
    // Prepare
    const body = records("conn", 3);
    await start({ maxInflightBodyBytes: Math.floor(1.5 * body.length) });
    const first = signedBatch(token, { body });
    const second = signedBatch(token, { body });
    const socket = await open();
    const head = Object.entries({
      ...first.headers,
      host: "localhost",
      "content-length": String(body.length),
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    let answered = "";
    const firstAnswer = new Promise<string>((resolve) => {
      socket.on("data", (d: Buffer) => {
        answered += d.toString("latin1");
        if (answered.includes("\r\n\r\n")) resolve(answered);
      });
    });

    // Act: the first request's body is half sent and held; the second arrives meanwhile
    socket.write(`POST ${UPLOAD_PATH} HTTP/1.1\r\n${head}\r\n`);
    socket.write(body.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 100));
    const busy = await send(collector.url, collector.tls.cert, second);
    socket.write(body.subarray(10));

    // Assess
    expect(busy.status).toBe(503);
    expect(busy.headers["retry-after"]).toBe("5");
    expect(await firstAnswer).toMatch(/^HTTP\/1\.1 200/);
  });
});
