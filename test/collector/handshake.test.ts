// The collector's POST /v1/handshake over real HTTPS: 200 for an active label's valid signature, 401
// for an unknown or revoked label, a wrong secret or a stale timestamp (the reason in the log only),
// and nothing is ever stored.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  deriveTokenKey,
  HANDSHAKE_PATH,
  handshakeHeaders,
  newHandshakeNonce,
  parsePushToken,
  signHandshake,
  TIMESTAMP_WINDOW_SECONDS,
} from "../../contracts/upload/index.js";
import { type RunningCollector, startCollector, TokenStore } from "../../sensor-ami/src/collector/index.js";
import { memoryLog, post } from "./support/client.js";

let store: string;
let collector: RunningCollector;
let tokens: TokenStore;
let token: string;
let logged: ReturnType<typeof memoryLog>;

function handshake(tokenText: string, now = Math.floor(Date.now() / 1000)) {
  const { label, secret } = parsePushToken(tokenText);
  const meta = { label, timestamp: now, nonce: newHandshakeNonce(), sensorId: "i-0abc" };
  const headers = handshakeHeaders(meta, signHandshake(deriveTokenKey(secret), meta));
  return post(collector.url, collector.tls.cert, headers, Buffer.alloc(0), HANDSHAKE_PATH);
}

beforeEach(async () => {
  store = mkdtempSync(join(tmpdir(), "spanless-handshake-"));
  tokens = new TokenStore(join(store, "tokens.json"));
  token = tokens.create("sensor-a");
  logged = memoryLog();
  collector = await startCollector({ host: "127.0.0.1", port: 0, store, log: logged.log });
});

afterEach(async () => {
  await collector.close();
  rmSync(store, { recursive: true, force: true });
});

describe("POST /v1/handshake", () => {
  it("answers 200 to an active label's valid signature and stores nothing", async () => {
    // Act
    const answer = await handshake(token);

    // Assess
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true });
    expect(readdirSync(store).filter((f) => !f.startsWith(".") && f !== "tokens.json")).toEqual([]);
    expect(logged.entries.find((e) => e.event === "handshake")).toMatchObject({
      status: 200,
      label: "sensor-a",
      sensor: "i-0abc",
    });
  });

  it("answers 401 to a wrong secret, an unknown or revoked label and a stale timestamp, with the reason only in the log", async () => {
    // Prepare
    const wrongSecret = `sensor-a:${"x".repeat(32)}`;
    const unknown = `nobody:${"y".repeat(32)}`;
    const revoked = tokens.create("sensor-b");
    tokens.revoke("sensor-b");

    // Act
    const answers = [
      await handshake(wrongSecret),
      await handshake(unknown),
      await handshake(revoked),
      await handshake(token, Math.floor(Date.now() / 1000) - TIMESTAMP_WINDOW_SECONDS - 60),
    ];

    // Assess
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    expect(answers.every((a) => a.body === '{"error":"unauthorized"}\n')).toBe(true);
    expect(logged.entries.filter((e) => e.event === "handshake-rejected").map((e) => e.reason)).toEqual([
      "bad-signature",
      "unknown-label",
      "revoked-label",
      "stale-timestamp",
    ]);
    expect(JSON.stringify(logged.entries)).not.toContain("x".repeat(32));
  });

  it("answers 400 to missing headers and 405 to another method", async () => {
    // Act
    const bare = await post(collector.url, collector.tls.cert, {}, Buffer.alloc(0), HANDSHAKE_PATH);
    const get = await new Promise<number>((resolve, reject) => {
      request(new URL(HANDSHAKE_PATH, collector.url), { method: "GET", ca: collector.tls.cert }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end();
    });

    // Assess
    expect(bare.status).toBe(400);
    expect(get).toBe(405);
  });
});
