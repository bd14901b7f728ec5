import { describe, expect, it } from "vitest";
import { awsErrorCode, describeError, SpanlessError } from "../../../functions/shared/errors.js";

class LookupError extends SpanlessError {}

describe("SpanlessError", () => {
  it("is named after its subclass and keeps the original as cause", () => {
    // Prepare
    const original = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    // Act
    const error = new LookupError("could not describe the group", { cause: original });
    // Assess
    expect(error.name).toBe("LookupError");
    expect(error.cause).toBe(original);
    expect(describeError(error)).toBe(
      "LookupError: could not describe the group (cause: Throttling: Rate exceeded)",
    );
  });

  it("does not repeat a cause the message already carries", () => {
    // Prepare
    const original = new Error("access denied");
    // Act
    const error = new LookupError(`publish failed: ${original.message}`, { cause: original });
    // Assess
    expect(describeError(error)).toBe("LookupError: publish failed: access denied");
    expect(describeError("plain")).toBe("plain");
  });
});

describe("awsErrorCode", () => {
  it("reads the SDK v3 exception name, or a Code field, else Unknown", () => {
    // Prepare / Act / Assess
    expect(awsErrorCode(Object.assign(new Error("x"), { name: "ResourceNotFoundException" }))).toBe(
      "ResourceNotFoundException",
    );
    expect(awsErrorCode({ Code: "InvalidInstanceID.NotFound" })).toBe("InvalidInstanceID.NotFound");
    expect(awsErrorCode(undefined)).toBe("Unknown");
  });
});
