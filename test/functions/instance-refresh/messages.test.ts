import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/instance-refresh/config.js";
import {
  configInvalidNotice,
  refreshOutcomeNotice,
  SUBJECT_MAX_LENGTH,
} from "../../../functions/instance-refresh/messages.js";

const settings = parseConfig({
  SPANLESS_STAGE: "prod",
  SENSOR_ASG_NAME: "spanless-prod-sensors",
  ROLLOUT_STATE_TABLE: "state",
  ONCALL_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:oncall",
});

describe("on-call notices", () => {
  it("keeps subjects within SNS limits: printable ASCII, at most 100 characters", () => {
    // Prepare
    const long = { ...settings, stage: `prod-${"é".repeat(150)}` };
    // Act
    const notice = configInvalidNotice(long, [], []);
    // Assess
    expect(notice.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(notice.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(notice.subject.endsWith("...")).toBe(true);
  });

  it("says so when a refresh was not started by Spanless", () => {
    // Prepare / Act
    const notice = refreshOutcomeNotice(settings, "RefreshFailed", "Failed", "r-1", undefined, {
      refreshId: "r-1",
      status: "Failed",
      statusReason: "Instance i-0abc failed to launch",
      percentageComplete: 50,
    });
    // Assess
    expect(notice.kind).toBe("RefreshFailed");
    expect(notice.subject).toBe("[spanless prod] Sensor config rollout failed");
    expect(notice.body).toContain("was not started by Spanless");
    expect(notice.body).toContain("AWS status reason: Instance i-0abc failed to launch");
    expect(notice.body).toContain("Progress: 50% complete");
  });
});
