import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BOOT_MARKER_TOKEN,
  BOOT_STATUSES,
  BOOT_STEPS,
  type BootMarker,
  BootMarkerFormatError,
  bootMarkerNow,
  bootProgress,
  formatBootMarker,
  MAX_REASON_CHARS,
  parseBootLog,
  parseBootMarkerLine,
} from "../../../contracts/boot/markers.js";

const TS = "2026-11-24T00:42:59.123Z";

describe("formatBootMarker", () => {
  it("writes one key=value line with the reason JSON-quoted", () => {
    // Prepare
    const marker: BootMarker = {
      step: "kms-decrypt",
      status: "fail",
      ts: TS,
      reason: 'denied "kms:Decrypt" a=b',
    };
    // Act
    const line = formatBootMarker(marker);
    // Assess
    expect(line).toBe(
      `SPANLESS-BOOT v=1 ts=${TS} step=kms-decrypt status=fail reason="denied \\"kms:Decrypt\\" a=b"`,
    );
  });

  it("keeps a multi-line reason on one line and bounds its length", () => {
    // Prepare
    const reason = `first\nsecond\r\n${"x".repeat(2000)}`;
    // Act
    const line = formatBootMarker({ step: "proxy-check", status: "retry", ts: TS, reason });
    // Assess
    expect(line).not.toMatch(/[\r\n]/);
    const back = parseBootMarkerLine(line);
    expect(back.kind).toBe("marker");
    if (back.kind !== "marker") return;
    expect(back.marker.reason?.startsWith("first second ")).toBe(true);
    expect(back.marker.reason?.length).toBe(MAX_REASON_CHARS);
    expect(back.marker.reason?.endsWith("…")).toBe(true);
  });

  it("refuses a step name or timestamp the parser could not read back", () => {
    // Prepare / Act / Assess
    expect(() => formatBootMarker({ step: "Fetch Config", status: "ok", ts: TS })).toThrow(
      BootMarkerFormatError,
    );
    expect(() => formatBootMarker({ step: "fetch-config", status: "ok", ts: "yesterday" })).toThrow(
      /ISO-8601 UTC/,
    );
  });

  it("stamps the current time with bootMarkerNow", () => {
    // Prepare
    const now = new Date("2026-11-24T01:02:03.004Z");
    // Act
    const line = bootMarkerNow("sensor-start", "ok", undefined, now);
    // Assess
    expect(line).toBe("SPANLESS-BOOT v=1 ts=2026-11-24T01:02:03.004Z step=sensor-start status=ok");
  });
});

describe("parseBootMarkerLine", () => {
  it("round-trips any valid marker, including reasons with quotes, backslashes and '='", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BOOT_STEPS),
        fc.constantFrom(...BOOT_STATUSES),
        fc.date({
          min: new Date("2020-01-01T00:00:00Z"),
          max: new Date("2040-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        (step, status, date, reason) => {
          // Prepare
          const marker: BootMarker = {
            step,
            status,
            ts: date.toISOString(),
            ...(reason === undefined ? {} : { reason }),
          };
          // Act
          const parsed = parseBootMarkerLine(`noise before ${formatBootMarker(marker)}`);
          // Assess
          expect(parsed.kind).toBe("marker");
          if (parsed.kind !== "marker") return;
          expect(parsed.marker.step).toBe(step);
          expect(parsed.marker.status).toBe(status);
          expect(parsed.marker.ts).toBe(marker.ts);
          if (reason === undefined) expect(parsed.marker.reason).toBeUndefined();
          else expect(parsed.marker.reason).toBe(reason.replace(/[\u0000-\u001f\u007f]+/g, " ").trim());
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds a marker behind syslog and cloud-init prefixes and ignores text after it", () => {
    // Prepare
    const line =
      'Nov 24 00:42:59 ip-10-0-1-23 cloud-init[1234]: SPANLESS-BOOT v=1 ts=2026-11-24T00:42:59.123Z step=collector-reachable status=fail reason="connect ETIMEDOUT 203.0.113.9:443" (exit 7)';
    // Act
    const parsed = parseBootMarkerLine(line);
    // Assess
    expect(parsed).toEqual({
      kind: "marker",
      marker: {
        step: "collector-reachable",
        status: "fail",
        ts: "2026-11-24T00:42:59.123Z",
        reason: "connect ETIMEDOUT 203.0.113.9:443",
      },
    });
  });

  it("reads a marker from a newer format version with extra fields it does not know", () => {
    // Prepare
    const line = `SPANLESS-BOOT v=2 ts=${TS} attempt=3 step=push-token-auth status=retry reason="HTTP 503"`;
    // Act
    const parsed = parseBootMarkerLine(line);
    // Assess
    expect(parsed.kind).toBe("marker");
    if (parsed.kind === "marker")
      expect(parsed.marker).toMatchObject({ step: "push-token-auth", status: "retry" });
  });

  it("treats lines without the token, or with the token inside a word, as not markers", () => {
    // Prepare
    const lines = [
      "",
      "Cloud-init v. 22.2.2 running 'modules:final'",
      "XSPANLESS-BOOT v=1",
      "SPANLESS-BOOTSTRAP ok",
    ];
    // Act
    const kinds = lines.map((l) => parseBootMarkerLine(l).kind);
    // Assess
    expect(kinds).toEqual(["none", "none", "none", "none"]);
  });

  it("reports a broken marker with what is wrong instead of throwing", () => {
    // Prepare
    const cases: Array<[string, RegExp]> = [
      [`SPANLESS-BOOT v=1 ts=${TS} step=kms-decrypt status=exploded`, /status "exploded" is not one of/],
      [`SPANLESS-BOOT v=1 ts=${TS} status=ok`, /step name "" is missing/],
      [`SPANLESS-BOOT v=1 ts=noon step=kms-decrypt status=ok`, /timestamp "noon" is not ISO-8601/],
      [`SPANLESS-BOOT ts=${TS} step=kms-decrypt status=ok`, /no numeric format version/],
      [`SPANLESS-BOOT v=1 ts=${TS} step=kms-decrypt status=fail reason="cut off by trunc`, /not closed/],
      // A marker cut mid-write (instance terminated while logging).
      [`SPANLESS-BOOT v=1 ts=${TS} step=kms-dec`, /status "" is not one of/],
    ];
    for (const [line, problem] of cases) {
      // Act
      const parsed = parseBootMarkerLine(line);
      // Assess
      expect(parsed.kind, line).toBe("malformed");
      if (parsed.kind === "malformed") expect(parsed.problem, line).toMatch(problem);
    }
  });

  it("does not scan past the line limit of a huge log event", () => {
    // Prepare
    const line = `${"a".repeat(10_000)} ${formatBootMarker({ step: "sensor-start", status: "ok", ts: TS })}`;
    // Act
    const parsed = parseBootMarkerLine(line);
    // Assess
    expect(parsed.kind).toBe("none");
  });
});

describe("parseBootLog and bootProgress", () => {
  const log = [
    "Cloud-init v. 23.4.4 running 'modules:final' at Tue, 24 Nov 2026 00:42:50 +0000. Up 12.31 seconds.",
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:42:51.000Z step=fetch-config status=start`,
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:42:51.400Z step=fetch-config status=ok`,
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:42:51.410Z step=validate-config status=start`,
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:42:51.420Z step=validate-config status=ok`,
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:42:51.430Z step=proxy-check status=skip reason="proxy is none"`,
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:42:51.500Z step=collector-reachable status=start`,
    "curl: (28) Connection timed out after 10001 milliseconds",
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:43:01.500Z step=collector-reachable status=retry reason="timeout"`,
    `${BOOT_MARKER_TOKEN} v=1 ts=2026-11-24T00:43:11.500Z step=collector-reachable status=fail reason="timeout x3"`,
    `${BOOT_MARKER_TOKEN} v=1 ts=garbage`,
  ];

  it("collects markers with their line numbers and the malformed ones with the problem", () => {
    // Prepare / Act
    const parsed = parseBootLog(log);
    // Assess
    expect(parsed.markers.map((m) => `${m.line}:${m.step}:${m.status}`)).toEqual([
      "1:fetch-config:start",
      "2:fetch-config:ok",
      "3:validate-config:start",
      "4:validate-config:ok",
      "5:proxy-check:skip",
      "6:collector-reachable:start",
      "8:collector-reachable:retry",
      "9:collector-reachable:fail",
    ]);
    expect(parsed.malformed).toHaveLength(1);
    expect(parsed.malformed[0].line).toBe(10);
  });

  it("names the failed step and the steps that completed", () => {
    // Prepare
    const parsed = parseBootLog(log);
    // Act
    const progress = bootProgress(parsed);
    // Assess
    expect(progress.failed).toMatchObject({ step: "collector-reachable", reason: "timeout x3", line: 9 });
    expect(progress.unfinished).toBeUndefined();
    expect(progress.completed).toEqual(["fetch-config", "validate-config", "proxy-check"]);
  });

  it("names the step a hung boot is stuck in", () => {
    // Prepare
    const parsed = parseBootLog(log.slice(0, 9));
    // Act
    const progress = bootProgress(parsed);
    // Assess
    expect(progress.failed).toBeUndefined();
    expect(progress.unfinished).toMatchObject({ step: "collector-reachable", status: "retry" });
    expect(progress.lastMarker?.line).toBe(8);
  });

  it("reports nothing for a log without markers", () => {
    // Prepare / Act
    const progress = bootProgress(parseBootLog(["just", "noise"]));
    // Assess
    expect(progress).toEqual({ completed: [] });
  });
});

describe("boot marker module dependencies", () => {
  it("imports nothing, so the boot script can load it without the AWS SDK or Lambda code", async () => {
    // Prepare
    const { readFile } = await import("node:fs/promises");
    const source = await readFile(new URL("../../../contracts/boot/markers.ts", import.meta.url), "utf8");
    // Act
    const imports = source.match(/^\s*(?:import|export)\s[^;]*?\sfrom\s+["'][^"']+["']/gm) ?? [];
    // Assess
    expect(imports).toEqual([]);
  });
});
