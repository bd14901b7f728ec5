// The push-token signature: known-answer vectors computed with openssl (so the scheme is pinned by
// something other than this implementation), and every way verification refuses a batch.
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  type BatchMeta,
  bodySha256,
  canonicalString,
  deriveTokenKey,
  signBatch,
  TIMESTAMP_WINDOW_SECONDS,
  verifyBatch,
} from "../../../contracts/upload/index.js";

// Vector 1, reproducible with:
//   printf 'spanless push-token v1' | openssl dgst -sha256 -hmac "$SECRET"
//   printf '<canonical string>' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY
const SECRET = "s3cr3t-Token_Value-0123456789abcdef";
const KEY_HEX = "a74105f65479e223623cbcbfd2ebd76464c882838a672f3f0871828f3ae39602";
const BODY = Buffer.from('{"ts":1.0,"uid":"C1"}\n', "utf8");
const BODY_SHA256 = "7a5390b752d7acea3d5d6b32b4ac7ac57f92935a3fe9ae5075ed8c42738865a3";
const META: BatchMeta = {
  label: "sensor-a",
  timestamp: 1_795_000_000,
  created: 1_794_999_990,
  batchId: "00112233445566778899aabbccddeeff",
  sensorId: "i-0abc.eu-west-1",
  log: "conn",
  records: 1,
};
const SIGNATURE = "cc142a6a7f52540d559891cdd14626e90ec42a5ad28c97acaf48f20b027535b1";

describe("known-answer vectors", () => {
  it("derives the token key as HMAC-SHA256(secret, context)", () => {
    // Act
    const key = deriveTokenKey(SECRET);

    // Assess
    expect(key.toString("hex")).toBe(KEY_HEX);
  });

  it("signs the canonical string with the derived key", () => {
    // Prepare
    const key = Buffer.from(KEY_HEX, "hex");

    // Act
    const hash = bodySha256(BODY);
    const text = canonicalString(META, hash);
    const signature = signBatch(key, META, BODY);

    // Assess
    expect(hash).toBe(BODY_SHA256);
    expect(text).toBe(
      "spanless-batch-v1\nPOST\n/v1/batches\nsensor-a\n1795000000\n1794999990\n" +
        `00112233445566778899aabbccddeeff\ni-0abc.eu-west-1\nconn\n1\n${BODY_SHA256}`,
    );
    expect(signature).toBe(SIGNATURE);
  });
});

describe("verifyBatch", () => {
  const key = deriveTokenKey(SECRET);
  const verify = (over: Partial<Parameters<typeof verifyBatch>[0]> = {}) =>
    verifyBatch({ key, meta: META, signature: SIGNATURE, body: BODY, now: META.timestamp, ...over });

  it("accepts the vector within the window, at both edges", () => {
    // Act
    const results = [0, TIMESTAMP_WINDOW_SECONDS, -TIMESTAMP_WINDOW_SECONDS].map((skew) =>
      verify({ now: META.timestamp + skew }),
    );

    // Assess
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
  });

  it("refuses a timestamp one second outside the window as stale", () => {
    // Act
    const late = verify({ now: META.timestamp + TIMESTAMP_WINDOW_SECONDS + 1 });
    const early = verify({ now: META.timestamp - TIMESTAMP_WINDOW_SECONDS - 1 });

    // Assess
    expect(late).toMatchObject({ ok: false, reason: "stale-timestamp" });
    expect(early).toMatchObject({ ok: false, reason: "stale-timestamp" });
  });

  it.each([
    ["another secret's key", { key: deriveTokenKey(`${SECRET}x`) }],
    ["a changed body", { body: Buffer.from('{"ts":1.0,"uid":"C2"}\n') }],
    ["another label", { meta: { ...META, label: "sensor-b" } }],
    ["another batch id", { meta: { ...META, batchId: "f".repeat(32) } }],
    ["another record count", { meta: { ...META, records: 2 } }],
    ["another log", { meta: { ...META, log: "dns" } }],
    ["another creation time", { meta: { ...META, created: META.created + 3600 } }],
    ["a timestamp moved inside the window", { meta: { ...META, timestamp: META.timestamp + 1 } }],
    [
      "a flipped signature bit",
      { signature: `${SIGNATURE.slice(0, 63)}${SIGNATURE.endsWith("0") ? "1" : "0"}` },
    ],
  ])("refuses %s as bad-signature", (_what, over) => {
    // Act
    const result = verify(over);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  it("checks the signature before the window, so a forger learns nothing about the clock", () => {
    // Act
    const result = verify({ signature: "0".repeat(64), now: META.timestamp + 10 * TIMESTAMP_WINDOW_SECONDS });

    // Assess
    expect(result).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  it.each([
    ["an upper-case signature", { signature: SIGNATURE.toUpperCase() }],
    ["a short signature", { signature: SIGNATURE.slice(2) }],
    ["a key of the wrong length", { key: Buffer.alloc(16) }],
    ["zero records", { meta: { ...META, records: 0 } }],
  ])("refuses %s as malformed", (_what, over) => {
    // Act
    const result = verify(over);

    // Assess
    expect(result).toMatchObject({ ok: false, reason: "malformed-header" });
  });
});
