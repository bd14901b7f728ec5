import { describe, expect, it } from "vitest";
import { classifyError } from "../../../functions/mirror-on-launch/errors.js";

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: "client" });
}

describe("classifyError", () => {
  it.each([
    ["TrafficMirrorSessionsPerInterfaceLimitExceeded", "limit", "eni-limit"],
    ["TrafficMirrorSessionLimitExceeded", "limit", "quota"],
    ["RequestLimitExceeded", "Request limit exceeded.", "throttled"],
    ["InvalidTrafficMirrorFilterId.NotFound", "The filter ID 'tmf-1' does not exist", "config"],
    ["InvalidTrafficMirrorTargetId.NotFound", "The target ID 'tmt-1' does not exist", "config"],
    ["InvalidNetworkInterfaceID.NotFound", "The networkInterface ID 'eni-1' does not exist", "gone"],
    ["IdempotentParameterMismatch", "token reused", "conflict"],
    ["UnauthorizedOperation", "You are not authorized", "denied"],
    [
      "InvalidParameterValue",
      "The instance type m6i.large is not supported as a traffic mirror source",
      "unsupported-source",
    ],
    ["InvalidParameterValue", "Invalid value for SessionNumber", "unknown"],
  ])("%s (%s) -> %s", (name, message, expected) => {
    const c = classifyError(awsError(name, message));
    expect(c).toEqual({ code: name, message, failureClass: expected });
  });

  it("copes with things that are not errors", () => {
    expect(classifyError("boom")).toEqual({ code: "Unknown", message: "boom", failureClass: "unknown" });
    expect(classifyError(undefined).failureClass).toBe("unknown");
  });
});
