// The Shipper's settings and the uploader's small parsers: bad settings are refused with the field
// named and never the secret or the proxy password (these messages reach the daemon's log);
// Retry-After in both of its forms; proxy credentials as Basic, percent-decoded.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redactUrl, ShipConfigError } from "../../sensor-ami/src/ship/errors.js";
import { Shipper, type ShipperOptions } from "../../sensor-ami/src/ship/index.js";
import { proxyAuthorization } from "../../sensor-ami/src/ship/proxy.js";
import { parseRetryAfter } from "../../sensor-ami/src/ship/uploader.js";

const dirs: string[] = [];
function tmp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const SECRET = "never-print-this-secret-0123456789";
const PASSWORD = "hunter2-proxy-password";

function options(overrides: Partial<ShipperOptions>): ShipperOptions {
  return {
    dir: tmp("spanless-ship-config-"),
    collectorUrl: "https://collector.example.com/",
    pushToken: `label-1:${SECRET}`,
    proxy: "none",
    sensorId: "i-0abc",
    spoolMaxBytes: 1 << 20,
    ...overrides,
  };
}

function refusal(overrides: Partial<ShipperOptions>): ShipConfigError {
  try {
    new Shipper(options(overrides)).close();
  } catch (error) {
    return error as ShipConfigError;
  }
  throw new Error("the Shipper took the options");
}

describe("Shipper settings", () => {
  it.each([
    ["collectorUrl", { collectorUrl: "http://collector.example.com/" }, "must be https://"],
    [
      "collectorUrl",
      { collectorUrl: "https://user:pw@collector.example.com/" },
      "must not contain credentials",
    ],
    ["collectorUrl", { collectorUrl: "collector" }, "is not an absolute URL"],
    ["proxy", { proxy: `socks5://u:${PASSWORD}@proxy:1080` }, "must be http://"],
    ["proxy", { proxy: `http://u:${PASSWORD}@` }, 'is neither "none" nor an absolute URL'],
    ["pushToken", { pushToken: SECRET }, "is unusable"],
    ["pushToken", { pushToken: `bad label:${SECRET}` }, "is unusable"],
    ["sensorId", { sensorId: "has space" }, "must be 1-64"],
    ["caFile", { caFile: "/nonexistent/ca.pem" }, "cannot be read"],
    ["spoolMaxBytes", { spoolMaxBytes: 0 }, "must be a positive"],
  ] as const)("refuses a bad %s, naming it and not its value", (field, overrides, problem) => {
    // Act
    const error = refusal(overrides as Partial<ShipperOptions>);

    // Assess
    expect(error).toBeInstanceOf(ShipConfigError);
    expect(error.field).toBe(field);
    expect(error.message).toContain(problem);
    const everything = `${error.message} ${String((error.cause as Error | undefined)?.message)} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(PASSWORD);
  });

  it("refuses a CA file without a PEM certificate", () => {
    // Prepare
    const file = join(tmp("spanless-ship-ca-"), "ca.pem");
    writeFileSync(file, "not a certificate\n");

    // Act
    const error = refusal({ caFile: file });

    // Assess
    expect(error.message).toBe(`ship caFile holds no PEM certificate (${file})`);
  });

  it("takes `none` in any case as no proxy", async () => {
    // Act
    const shipper = new Shipper(options({ proxy: "NONE" }));
    const result = await shipper.close();

    // Assess
    expect(result).toEqual({ leftBatches: 0, leftRecords: 0 });
  });
});

describe("parseRetryAfter", () => {
  it.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["Wed, 21 Oct 2015 07:28:30 GMT", 30_000],
    ["Wed, 21 Oct 2015 07:27:00 GMT", 0],
    ["soon", undefined],
    ["-5", undefined],
    [undefined, undefined],
  ])("reads %j as %j ms", (value, expected) => {
    // Prepare
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");

    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBe(expected);
  });
});

describe("proxy credentials", () => {
  it("are sent as Basic, percent-decoded, and printed as ***", () => {
    // Prepare
    const url = new URL("http://us%40er:p%3Ass@proxy.internal:3128");

    // Act
    const header = proxyAuthorization(url);
    const printed = redactUrl(url);

    // Assess
    expect(Buffer.from(header!.slice("Basic ".length), "base64").toString()).toBe("us@er:p:ss");
    expect(proxyAuthorization(new URL("http://proxy.internal:3128"))).toBeUndefined();
    expect(printed).toBe("http://***@proxy.internal:3128");
  });
});
