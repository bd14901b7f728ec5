// The envelope headers round-trip, every malformed header is named in the error, the storage layout is
// Athena's, and push tokens follow contracts/config's rules.
import { describe, expect, it } from "vitest";
import {
  BatchFieldError,
  BatchHeaderError,
  type BatchMeta,
  batchHeaders,
  batchUrl,
  deriveTokenKey,
  HEADER,
  MAX_BATCH_RECORDS,
  newBatchId,
  PushTokenError,
  parseBatchHeaders,
  parsePushToken,
  signBatch,
  storageKey,
} from "../../../contracts/upload/index.js";

const META: BatchMeta = {
  label: "sensor-a",
  timestamp: 1_795_000_000,
  created: 1_794_999_990,
  batchId: "00112233445566778899aabbccddeeff",
  sensorId: "i-0abc.eu-west-1",
  log: "conn",
  records: 3,
};
const SIGNATURE = signBatch(deriveTokenKey("a-secret-of-enough-length"), META, Buffer.from("x"));

describe("batch headers", () => {
  it("parse back to the meta and signature they were built from", () => {
    // Prepare
    const headers = batchHeaders(META, SIGNATURE);

    // Act
    const parsed = parseBatchHeaders(headers);
    const viaFetchHeaders = parseBatchHeaders(new Headers(headers));

    // Assess
    expect(parsed).toEqual({ meta: META, signature: SIGNATURE });
    expect(viaFetchHeaders).toEqual(parsed);
    expect(headers["content-encoding"]).toBe("gzip");
    expect(headers["content-type"]).toBe("application/x-ndjson");
  });

  it("accepts a content type with parameters", () => {
    // Prepare
    const headers = {
      ...batchHeaders(META, SIGNATURE),
      "content-type": "Application/X-NDJSON; charset=utf-8",
    };

    // Act
    const parsed = parseBatchHeaders(headers);

    // Assess
    expect(parsed.meta).toEqual(META);
  });

  it.each([
    [HEADER.label, undefined, "is missing"],
    [HEADER.label, "a/b", "is malformed"],
    [HEADER.timestamp, "1795000000000", "must be 0-"],
    [HEADER.timestamp, "01795000000", "is malformed"],
    [HEADER.timestamp, "-5", "is malformed"],
    [HEADER.created, undefined, "is missing"],
    [HEADER.batch, "00112233445566778899AABBCCDDEEFF", "is malformed"],
    [HEADER.batch, "0011", "is malformed"],
    [HEADER.sensor, "x".repeat(65), "is malformed"],
    [HEADER.sensor, "../etc", "is malformed"],
    [HEADER.log, "Conn", "is malformed"],
    [HEADER.records, "0", "must be 1-"],
    [HEADER.records, String(MAX_BATCH_RECORDS + 1), "must be 1-"],
    [HEADER.signature, "zz", "is malformed"],
    [HEADER.contentEncoding, "br", "must be gzip"],
    [HEADER.contentType, "application/json", "must be application/x-ndjson"],
    [HEADER.label, ["a", "b"], "appears more than once"],
  ])("refuse %s = %j, naming the header", (header, value, problem) => {
    // Prepare
    const headers: Record<string, string | string[] | undefined> = { ...batchHeaders(META, SIGNATURE) };
    headers[header] = value;

    // Act
    const parse = () => parseBatchHeaders(headers);

    // Assess
    expect(parse).toThrow(BatchHeaderError);
    expect(parse).toThrow(`header ${header} ${problem}`);
  });

  it("are not built from a bad meta", () => {
    // Act
    const build = () => batchHeaders({ ...META, log: "conn/../x" }, SIGNATURE);

    // Assess
    expect(build).toThrow(BatchFieldError);
    expect(build).toThrow("batch log");
  });
});

describe("batch ids and URLs", () => {
  it("makes random 32-hex batch ids", () => {
    // Act
    const ids = new Set(Array.from({ length: 100 }, newBatchId));

    // Assess
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it.each([
    ["https://collector.example.com", "https://collector.example.com/v1/batches"],
    ["https://collector.example.com/", "https://collector.example.com/v1/batches"],
    ["https://c.example.com:8443/spanless/", "https://c.example.com:8443/spanless/v1/batches"],
  ])("posts %s to %s", (collectorUrl, expected) => {
    // Act
    const url = batchUrl(collectorUrl);

    // Assess
    expect(url).toBe(expected);
  });
});

describe("storageKey", () => {
  it("lays a batch out by log, UTC day and hour, sensor and batch id", () => {
    // Act
    const key = storageKey({
      log: "dns",
      ts: Date.UTC(2026, 10, 24, 23, 59, 59) / 1000,
      sensor: "s-1",
      batch: "ab".repeat(16),
    });

    // Assess
    expect(key).toBe(`dns/dt=2026-11-24/hour=23/sensor=s-1/${"ab".repeat(16)}.json.gz`);
  });

  it.each([
    [{ log: "../conn" }, "batch log"],
    [{ sensor: "a/b" }, "batch sensor"],
    [{ batch: "x" }, "batch batch"],
    [{ ts: 1.5 }, "batch ts"],
  ])("refuses %j", (over, problem) => {
    // Act
    const key = () => storageKey({ log: "conn", ts: 0, sensor: "s", batch: "0".repeat(32), ...over });

    // Assess
    expect(key).toThrow(problem);
  });
});

describe("parsePushToken", () => {
  it("splits at the first colon", () => {
    // Act
    const token = parsePushToken("sensor-a:abc:def-0123456789xyz");

    // Assess
    expect(token).toEqual({ label: "sensor-a", secret: "abc:def-0123456789xyz" });
  });

  it.each([
    ["no-colon-at-all-here", "token-format"],
    ["bad label!:0123456789abcdef01", "token-label"],
    ["sensor-a:short", "token-secret-length"],
  ])("refuses a malformed token without quoting it (%s)", (token, code) => {
    // Act
    let error: unknown;
    try {
      parsePushToken(token);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(PushTokenError);
    expect((error as PushTokenError).codes).toContain(code);
    expect((error as Error).message).not.toContain(token);
  });
});
