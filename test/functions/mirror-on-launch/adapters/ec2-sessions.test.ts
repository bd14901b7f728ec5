// The executor alone, against aws-sdk-client-mock with EC2 API reference response shapes.
import {
  CreateTagsCommand,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  EC2Client,
  ModifyTrafficMirrorSessionCommand,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { executeActions } from "../../../../functions/mirror-on-launch/adapters/ec2-sessions.js";
import type { Action } from "../../../../functions/mirror-on-launch/types.js";
import { sdkClientConfig } from "../../../../functions/shared/aws.js";
import { ec2Error } from "../support/session-fake.js";

const ec2 = new EC2Client({ region: "us-east-1", ...sdkClientConfig({ maxAttempts: 1 }) });
const mock = mockClient(ec2);
afterEach(() => mock.reset());

const create = (n: number): Action => ({
  kind: "create",
  instanceId: `i-0${String(n).padStart(16, "0")}`,
  eniId: `eni-0${String(n).padStart(16, "0")}`,
  targetId: "tmt-0c0ffee0c0ffee001",
  filterId: "tmf-0f11e7e70f11e7e71",
  sessionNumber: 1,
  vni: 42,
  clientToken: "a".repeat(64),
});
const del = (n: number): Action => ({
  kind: "delete",
  eniId: `eni-0${String(n).padStart(16, "0")}`,
  sessionId: `tms-0${String(n).padStart(16, "0")}`,
  reason: "instance-stopped",
});
const options = {
  ownerTagValue: "spanless",
  concurrency: 4,
  instanceTypes: new Map([["i-00000000000000001", "m5.large"]]),
};

describe("executeActions", () => {
  it("sends deletes before modifies before creates, with the documented request fields", async () => {
    const order: string[] = [];
    mock.on(CreateTrafficMirrorSessionCommand).callsFake(async (input) => {
      order.push("create");
      return {
        TrafficMirrorSession: { TrafficMirrorSessionId: "tms-0aaaaaaaaaaaaaaa1" },
        ClientToken: input.ClientToken,
      };
    });
    mock.on(ModifyTrafficMirrorSessionCommand).callsFake(async () => {
      order.push("modify");
      return { TrafficMirrorSession: {} };
    });
    mock.on(DeleteTrafficMirrorSessionCommand).callsFake(async (input) => {
      order.push("delete");
      return { TrafficMirrorSessionId: input.TrafficMirrorSessionId };
    });
    const modify: Action = {
      kind: "modify",
      eniId: "eni-00000000000000009",
      sessionId: "tms-00000000000000009",
      changes: { vni: 7, removePacketLength: true },
    };
    const outcomes = await executeActions(ec2, [create(1), modify, del(2)], options);
    expect(order).toEqual(["delete", "modify", "create"]);
    expect(outcomes.map((o) => [o.action.kind, o.status, o.sessionId])).toEqual([
      ["delete", "done", "tms-00000000000000002"],
      ["modify", "done", "tms-00000000000000009"],
      ["create", "done", "tms-0aaaaaaaaaaaaaaa1"],
    ]);
    expect(mock.commandCalls(CreateTrafficMirrorSessionCommand)[0].args[0].input).toMatchObject({
      NetworkInterfaceId: "eni-00000000000000001",
      SessionNumber: 1,
      VirtualNetworkId: 42,
      ClientToken: "a".repeat(64),
      TagSpecifications: [
        {
          ResourceType: "traffic-mirror-session",
          Tags: [
            { Key: "spanless:owner", Value: "spanless" },
            { Key: "spanless:instance-id", Value: "i-00000000000000001" },
          ],
        },
      ],
    });
    expect(mock.commandCalls(ModifyTrafficMirrorSessionCommand)[0].args[0].input).toEqual({
      TrafficMirrorSessionId: "tms-00000000000000009",
      VirtualNetworkId: 7,
      RemoveFields: ["packet-length"],
    });
  });

  it("counts deleting an already deleted session as done", async () => {
    mock
      .on(DeleteTrafficMirrorSessionCommand)
      .rejects(ec2Error("InvalidTrafficMirrorSessionId.NotFound", "The session does not exist."));
    const [outcome] = await executeActions(ec2, [del(3)], options);
    expect(outcome.status).toBe("done");
  });

  it("tags an instance EC2 refuses as a source, once, and reports the failure", async () => {
    mock
      .on(CreateTrafficMirrorSessionCommand)
      .rejects(
        ec2Error("InvalidParameterValue", "The instance type is not supported for traffic mirroring."),
      );
    mock.on(CreateTagsCommand).resolves({});
    const second = { ...create(1), eniId: "eni-00000000000000077" } as Action;
    const outcomes = await executeActions(ec2, [create(1), second], options);
    expect(outcomes.map((o) => o.error?.failureClass)).toEqual(["unsupported-source", "unsupported-source"]);
    expect(mock.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Resources: ["i-00000000000000001"],
        Tags: [{ Key: "spanless:mirror-unsupported", Value: "m5.large" }],
      },
    ]);
  });

  it("defers what it cannot start before the Lambda deadline", async () => {
    mock
      .on(DeleteTrafficMirrorSessionCommand)
      .callsFake(async (input) => ({ TrafficMirrorSessionId: input.TrafficMirrorSessionId }));
    let remaining = 60_000;
    mock.on(CreateTrafficMirrorSessionCommand).callsFake(async () => {
      remaining = 5_000;
      return { TrafficMirrorSession: { TrafficMirrorSessionId: "tms-0bbbbbbbbbbbbbbb1" } };
    });
    const outcomes = await executeActions(
      ec2,
      [create(1), { ...create(2), eniId: "eni-00000000000000002" } as Action],
      {
        ...options,
        concurrency: 1,
        remainingTimeMs: () => remaining,
      },
    );
    expect(outcomes.map((o) => o.status)).toEqual(["done", "deferred"]);
  });
});
