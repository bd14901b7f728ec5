import { describe, expect, it } from "vitest";
import { InvalidEventError } from "../../../functions/mirror-on-launch/errors.js";
import { classifyEvent } from "../../../functions/mirror-on-launch/events.js";
import { fixture } from "./support/fixtures.js";

const INSTANCE = "i-0abcdef1234567890";
const SELF_ROLE = "arn:aws:iam::123456789012:role/spanless-mirror-on-launch";

describe("classifyEvent: EC2 Instance State-change Notification", () => {
  it.each(["running", "stopped", "terminated"])(
    "acts on the %s state by looking the instance up",
    (state) => {
      const trigger = classifyEvent(fixture(`ec2-state-${state}.json`));
      expect(trigger).toEqual({ kind: "instance", instanceIds: [INSTANCE], why: `instance ${state}` });
    },
  );

  it.each(["pending", "stopping", "shutting-down"])("ignores the transitional %s state", (state) => {
    expect(classifyEvent(fixture(`ec2-state-${state}.json`))).toEqual({
      kind: "ignore",
      why: `state ${state} is transitional`,
    });
  });
});

describe("classifyEvent: CloudTrail triggers", () => {
  it("maps AttachNetworkInterface to its instance", () => {
    expect(classifyEvent(fixture("cloudtrail-attach-network-interface.json"))).toEqual({
      kind: "instance",
      instanceIds: [INSTANCE],
      why: "network interface attached",
    });
  });

  it("maps CreateTags and DeleteTags to the instances among the tagged resources", () => {
    expect(classifyEvent(fixture("cloudtrail-create-tags.json"))).toMatchObject({ instanceIds: [INSTANCE] });
    expect(classifyEvent(fixture("cloudtrail-delete-tags.json"))).toMatchObject({ instanceIds: [INSTANCE] });
  });

  it("turns a session deleted by someone else into a full reconcile, but ignores Spanless' own deletes", () => {
    expect(classifyEvent(fixture("cloudtrail-delete-traffic-mirror-session.json"), SELF_ROLE)).toMatchObject({
      kind: "reconcile",
    });
    expect(
      classifyEvent(fixture("cloudtrail-delete-traffic-mirror-session-by-spanless.json"), SELF_ROLE),
    ).toEqual({
      kind: "ignore",
      why: "DeleteTrafficMirrorSession made by Spanless itself",
    });
  });

  it("ignores failed API calls and the schedule's event", () => {
    expect(classifyEvent(fixture("cloudtrail-attach-network-interface-failed.json"))).toMatchObject({
      kind: "ignore",
      why: "AttachNetworkInterface failed with Client.UnauthorizedOperation",
    });
    expect(classifyEvent(fixture("scheduled-event.json"))).toMatchObject({ kind: "ignore" });
  });
});

describe("classifyEvent: bad input", () => {
  it.each([
    ["malformed-state-change-bad-id.json", /instance-id: is not an EC2 instance ID/],
    ["malformed-state-change-bad-state.json", /state: /],
    ["malformed-not-eventbridge.json", /not an EventBridge event: detail-type/],
  ])("rejects %s with an actionable message", (name, message) => {
    expect(() => classifyEvent(fixture(name))).toThrow(InvalidEventError);
    expect(() => classifyEvent(fixture(name))).toThrow(message);
  });

  it("rejects null and non-objects without a TypeError", () => {
    expect(() => classifyEvent(null)).toThrow(InvalidEventError);
    expect(() => classifyEvent("running")).toThrow(InvalidEventError);
  });
});
