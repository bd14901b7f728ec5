import { afterEach, describe, expect, it, vi } from "vitest";

describe("handler", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("reports a missing configuration instead of throwing", async () => {
    // Prepare
    vi.stubEnv("SENSOR_LOG_GROUP", "");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const { handler } = await import("../../../functions/health/index.js");
    // Act
    const result = await handler(
      { "detail-type": "Scheduled Event", source: "aws.events", detail: {} },
      {} as never,
    );
    // Assess
    expect(result).toEqual({
      action: "none",
      reason: expect.stringMatching(
        /^configuration error: HealthConfigError: .*SENSOR_LOG_GROUP: is required/,
      ),
    });
  });
});
