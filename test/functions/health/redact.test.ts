import { describe, expect, it } from "vitest";
import { messageSafeLine, redactSecrets } from "../../../functions/health/redact.js";

describe("redaction of log lines copied into messages", () => {
  it("masks bearer tokens, URL passwords and secret-named values", () => {
    // Prepare
    const lines = [
      "Authorization: Bearer sensor-eu1:Zx9fQ2kLmN4pR7sT",
      "using proxy http://svc-sensor:Hunter2pass@proxy.corp.example:3128",
      'config push_token="sensor-eu1:Zx9fQ2kLmN4pR7sT" hmac=abcdef0123456789abcd',
    ];
    // Act
    const out = lines.map(redactSecrets).join("\n");
    // Assess
    expect(out).not.toMatch(/Zx9fQ2kLmN4pR7sT|Hunter2pass|abcdef0123456789abcd/);
    expect(out).toMatch(/proxy\.corp\.example:3128/);
  });

  it("keeps step names and ordinary words that contain 'token'", () => {
    // Prepare
    const line = "SPANLESS-BOOT v=1 ts=2026-11-24T02:05:33.109Z step=push-token-auth status=start";
    // Act / Assess
    expect(redactSecrets(line)).toBe(line);
  });

  it("bounds the line and strips terminal escapes", () => {
    // Prepare / Act
    const out = messageSafeLine(`\u001b[31mred\u001b[0m ${"x".repeat(1000)}`);
    // Assess
    expect(out.startsWith("red x")).toBe(true);
    expect(out.length).toBe(300);
  });
});

describe("redaction keeps SSM parameter names with their versions", () => {
  it("does not mask /path/push-token:7 or ossensor-hmac:3", () => {
    // Prepare
    const line =
      "GetParameters returned InvalidParameters [/spanless/prod/ossensor-hmac:3, /spanless/prod/push-token:7]";
    // Act / Assess
    expect(redactSecrets(line)).toBe(line);
  });
});
