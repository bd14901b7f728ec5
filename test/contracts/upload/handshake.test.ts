// The push-token handshake: its signed text, that it cannot stand in for a batch signature, and that
// verification refuses a wrong key, a tampered field and a stale timestamp.
import { describe, expect, it } from "vitest";
import {
  deriveTokenKey,
  HANDSHAKE_NONCE_HEADER,
  type HandshakeMeta,
  handshakeCanonicalString,
  handshakeHeaders,
  handshakeUrl,
  newHandshakeNonce,
  parseHandshakeHeaders,
  signHandshake,
  TIMESTAMP_WINDOW_SECONDS,
  verifyHandshake,
} from "../../../contracts/upload/index.js";

const KEY = deriveTokenKey("s3cr3t-Token_Value-0123456789abcdef");
const META: HandshakeMeta = {
  label: "sensor-a",
  timestamp: 1_795_000_000,
  nonce: "00112233445566778899aabbccddeeff",
  sensorId: "i-0abc",
};

describe("the handshake signature", () => {
  it("signs its own versioned text, which no batch's canonical string can equal", () => {
    // Act
    const text = handshakeCanonicalString(META);
    const signature = signHandshake(KEY, META);

    // Assess
    expect(text).toBe(
      "spanless-handshake-v1\nPOST\n/v1/handshake\nsensor-a\n1795000000\n00112233445566778899aabbccddeeff\ni-0abc",
    );
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(text.startsWith("spanless-batch-v1")).toBe(false);
  });

  it("round-trips through its headers and verifies", () => {
    // Prepare
    const meta = { ...META, nonce: newHandshakeNonce() };
    const headers = handshakeHeaders(meta, signHandshake(KEY, meta));

    // Act
    const parsed = parseHandshakeHeaders(headers);
    const verdict = verifyHandshake({ key: KEY, ...parsed, now: meta.timestamp + 10 });

    // Assess
    expect(parsed.meta).toEqual(meta);
    expect(verdict).toEqual({ ok: true });
  });

  it("refuses another key, a changed field and a timestamp outside the window", () => {
    // Prepare
    const signature = signHandshake(KEY, META);

    // Act
    const otherKey = verifyHandshake({
      key: deriveTokenKey("another-secret-0123456789"),
      meta: META,
      signature,
      now: META.timestamp,
    });
    const tampered = verifyHandshake({
      key: KEY,
      meta: { ...META, sensorId: "i-other" },
      signature,
      now: META.timestamp,
    });
    const stale = verifyHandshake({
      key: KEY,
      meta: META,
      signature,
      now: META.timestamp + TIMESTAMP_WINDOW_SECONDS + 1,
    });

    // Assess
    expect(otherKey).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(tampered).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(stale).toMatchObject({ ok: false, reason: "stale-timestamp" });
  });

  it("names a missing or malformed header without quoting it, and keeps the URL's path", () => {
    // Prepare
    const headers = handshakeHeaders(META, signHandshake(KEY, META));

    // Act
    const missing = () => parseHandshakeHeaders({ ...headers, [HANDSHAKE_NONCE_HEADER]: undefined });
    const malformed = () => parseHandshakeHeaders({ ...headers, [HANDSHAKE_NONCE_HEADER]: "secret-ish" });

    // Assess
    expect(missing).toThrow(`header ${HANDSHAKE_NONCE_HEADER} is missing`);
    expect(malformed).toThrow(/is malformed/);
    expect(malformed).not.toThrow(/secret-ish/);
    expect(handshakeUrl("https://c.example/spanless/?q=1")).toBe("https://c.example/spanless/v1/handshake");
  });
});
