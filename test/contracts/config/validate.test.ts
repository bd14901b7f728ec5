import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ConfigProblem,
  formatProblem,
  type SensorConfigInput,
  sensorParameterNames,
  validateSensorConfig,
} from "../../../contracts/config/index.js";

const names = sensorParameterNames("/spanless/prod");
const GOOD_SECRET = "Zq8vT2mKx4Lp9sRw";
const GOOD_HMAC = "a1B2c3D4e5F6g7H8i9J0kLmN";

function goodInput(): SensorConfigInput {
  return {
    "collector-url": { value: "https://collector.example.com:8443/ingest", type: "String", version: 3 },
    "push-token": { value: `sensor-fleet:${GOOD_SECRET}`, type: "SecureString", version: 7 },
    proxy: { value: "none", type: "SecureString", version: 1 },
    "os-sensor-hmac": { value: GOOD_HMAC, type: "SecureString", version: 2 },
  };
}

function problemsOf(input: SensorConfigInput): ConfigProblem[] {
  const result = validateSensorConfig(input, names);
  return result.ok ? [] : result.problems;
}

function withValue(key: keyof SensorConfigInput, value: string): SensorConfigInput {
  const input = goodInput();
  input[key] = { ...input[key]!, value };
  return input;
}

describe("validateSensorConfig", () => {
  it("accepts a complete, valid configuration and parses it", () => {
    // Prepare
    const input = goodInput();
    // Act
    const result = validateSensorConfig(input, names);
    // Assess
    expect(result).toEqual({
      ok: true,
      config: {
        collectorUrl: "https://collector.example.com:8443/ingest",
        pushToken: { label: "sensor-fleet", secret: GOOD_SECRET },
        proxyUrl: null,
        osSensorHmac: GOOD_HMAC,
      },
    });
  });

  it("treats absent optional parameters and any-case none as switched off", () => {
    // Prepare
    const input = goodInput();
    delete input.proxy;
    input["os-sensor-hmac"] = { value: "NONE", type: "String" };
    // Act
    const result = validateSensorConfig(input, names);
    // Assess
    expect(result.ok && result.config.proxyUrl).toBeNull();
    expect(result.ok && result.config.osSensorHmac).toBeNull();
  });

  it("accepts a proxy with credentials held in a SecureString", () => {
    // Prepare
    const input = withValue("proxy", "http://svc:pa55word@proxy.internal:3128");
    // Act
    const result = validateSensorConfig(input, names);
    // Assess
    expect(result.ok && result.config.proxyUrl).toBe("http://svc:pa55word@proxy.internal:3128/");
  });

  it("reports every missing required parameter with its full name", () => {
    // Prepare
    const input = goodInput();
    delete input["collector-url"];
    delete input["push-token"];
    // Act
    const problems = problemsOf(input);
    // Assess
    expect(problems.map((p) => [p.parameter, p.code])).toEqual([
      ["/spanless/prod/collector-url", "missing"],
      ["/spanless/prod/push-token", "missing"],
    ]);
    expect(formatProblem(problems[0])).toMatch(
      /^\/spanless\/prod\/collector-url: does not exist, but it is required/,
    );
  });

  it.each([
    ["collector-url", "http://collector.example.com/", "not-https"],
    ["collector-url", "collector.example.com", "not-a-url"],
    ["collector-url", "https://u:p@collector.example.com/", "credentials-in-url"],
    ["collector-url", "https://collector.example.com/#x", "fragment-in-url"],
    ["collector-url", "https://localhost/", "loopback-host"],
    ["collector-url", "https://127.0.0.1:443/", "loopback-host"],
    ["collector-url", "https://169.254.169.254/latest", "loopback-host"],
    ["collector-url", "https://[::1]/", "loopback-host"],
    ["collector-url", "https://collector.example.com:0/", "bad-port"],
    ["collector-url", "https://collector.example.com/\n", "surrounding-whitespace"],
    ["collector-url", "https://collector.example.com/a\tb", "control-characters"],
    ["collector-url", `https://collector.example.com/${"a".repeat(2100)}`, "too-long"],
    ["collector-url", "   ", "empty"],
    ["push-token", GOOD_SECRET, "token-format"],
    ["push-token", `:${GOOD_SECRET}`, "token-label"],
    ["push-token", `bad label:${GOOD_SECRET}`, "token-label"],
    ["push-token", "fleet:short", "token-secret-length"],
    ["push-token", "fleet:", "token-secret-length"],
    ["push-token", "fleet:Zq8vT2mKx4Lp9sRwé", "token-secret-characters"],
    ["proxy", "socks5://proxy.internal:1080", "proxy-scheme"],
    ["proxy", "proxy.internal:3128", "proxy-scheme"],
    ["proxy", "http://proxy.internal:3128/path", "proxy-path"],
    ["proxy", "not a url", "not-a-url"],
    ["os-sensor-hmac", "abc123", "hmac-length"],
    ["os-sensor-hmac", "a".repeat(64), "hmac-length"],
    ["os-sensor-hmac", "abcdefghij-klmnopqrstu", "hmac-characters"],
  ] as const)("rejects %s = %j with code %s", (key, value, code) => {
    // Prepare
    const input = withValue(key, value);
    // Act
    const problems = problemsOf(input);
    // Assess
    expect(problems.map((p) => p.code)).toContain(code);
    expect(problems.every((p) => p.key === key && p.parameter === names[key])).toBe(true);
    expect(problems.every((p) => p.message.length > 20)).toBe(true);
  });

  it("accepts the boundary lengths of the HMAC and token secret", () => {
    // Prepare
    const input = goodInput();
    input["os-sensor-hmac"] = { value: "A".repeat(20), type: "SecureString" };
    input["push-token"] = { value: `l:${"s".repeat(16)}`, type: "SecureString" };
    const longInput = goodInput();
    longInput["os-sensor-hmac"] = { value: "9".repeat(63), type: "SecureString" };
    // Act
    const short = validateSensorConfig(input, names);
    const long = validateSensorConfig(longInput, names);
    // Assess
    expect(short.ok).toBe(true);
    expect(long.ok).toBe(true);
  });

  it("returns every problem across all parameters at once", () => {
    // Prepare
    const input: SensorConfigInput = {
      "collector-url": { value: "http://c.example.com", type: "String" },
      "push-token": { value: "nocolon", type: "SecureString" },
      proxy: { value: "ftp://p", type: "SecureString" },
      "os-sensor-hmac": { value: "short", type: "SecureString" },
    };
    // Act
    const problems = problemsOf(input);
    // Assess
    expect(problems.map((p) => `${p.key}/${p.code}`)).toEqual([
      "collector-url/not-https",
      "push-token/token-format",
      "proxy/proxy-scheme",
      "os-sensor-hmac/hmac-length",
    ]);
  });

  it("reports a value that is not text instead of throwing (callers outside TypeScript)", () => {
    // Prepare
    const input = goodInput();
    input.proxy = { value: 42 as unknown as string };
    // Act
    const problems = problemsOf(input);
    // Assess
    expect(problems).toEqual([
      {
        key: "proxy",
        parameter: "/spanless/prod/proxy",
        code: "not-text",
        message: "was not read as text; check how it was fetched",
      },
    ]);
  });

  it("requires secrets to be SecureStrings and rejects StringLists", () => {
    // Prepare
    const input = goodInput();
    input["push-token"] = { ...input["push-token"]!, type: "String" };
    input.proxy = { value: "http://u:p@proxy.internal:3128", type: "String" };
    input["collector-url"] = { ...input["collector-url"]!, type: "StringList" };
    // Act
    const problems = problemsOf(input);
    // Assess
    expect(problems.map((p) => `${p.key}/${p.code}`)).toEqual([
      "collector-url/string-list",
      "push-token/not-secure-string",
      "proxy/not-secure-string",
    ]);
  });

  it("names a known wrong URL scheme but not an unknown one (which may be a pasted token label)", () => {
    // Prepare
    const http = withValue("collector-url", "http://collector.example.com/");
    const pasted = withValue("collector-url", `fleetlabel:${GOOD_SECRET}`);
    // Act
    const httpMessage = problemsOf(http)[0].message;
    const pastedMessages = problemsOf(pasted).map((p) => p.message);
    // Assess
    expect(httpMessage).toContain('"http:"');
    expect(pastedMessages.join(" ")).not.toContain("fleetlabel");
    expect(pastedMessages.join(" ")).not.toContain(GOOD_SECRET);
  });

  it("never puts a secret value into any problem message (property)", () => {
    // A recognisable prefix so a match can only come from the value itself, never from fixed message text.
    const secretText = fc.stringMatching(/^[A-Za-z0-9!#%&*+.=?^_~-]{0,40}$/).map((s) => `Qx7${s}`);
    const hostile = fc.oneof(
      secretText,
      secretText.map((s) => `${s}\n`),
      secretText.map((s) => `label:${s}`),
      secretText.map((s) => `http://user:${s}@proxy.internal:3128`),
      secretText.map((s) => `https://${s}.example.com/#${s}`),
      secretText.map((s) => `${s}:${s}`),
      fc.string().map((s) => `Qx7${s}`),
    );
    fc.assert(
      fc.property(
        fc.constantFrom("collector-url", "push-token", "proxy", "os-sensor-hmac"),
        hostile,
        (key, value) => {
          // Prepare
          const input = withValue(key, value);
          input[key] = { value, type: "String" };
          // Act
          const problems = problemsOf(input);
          // Assess
          for (const p of problems) {
            expect(p.message).not.toContain(value);
            expect(p.message).not.toContain(value.trim());
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
