// The handlers end to end over the real AWS SDK: instances, ENIs, targets, filters and tags live in
// moto_server; the session APIs moto lacks are answered by SessionFake through aws-sdk-client-mock.
import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DetachNetworkInterfaceCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { vniForVpc } from "../../../functions/mirror-on-launch/decide/vni.js";
import { createHandlers } from "../../../functions/mirror-on-launch/handler.js";
import { OWNER_TAG_KEY } from "../../../functions/mirror-on-launch/limits.js";
import { createTelemetry } from "../../../functions/mirror-on-launch/metrics.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { fixture } from "./support/fixtures.js";
import { ec2Error } from "./support/session-fake.js";
import { attachSecondaryEni, BUCKET, buildWorld, launch, type World } from "./support/world.js";

const moto = useMoto();
let world: World;
let telemetry: CapturedTelemetry;

beforeEach(async () => {
  world = await buildWorld(moto);
  telemetry = captureTelemetry();
});
afterEach(() => {
  telemetry.restore();
  world.mock.restore();
});

function handlers(env: Record<string, string> = {}) {
  return createHandlers({
    ec2: world.ec2,
    s3: world.s3,
    ...createTelemetry({}),
    env: { MIRROR_TARGET_ID: world.targetId, MIRROR_FILTER_ID: world.filterId, ...env },
    notFoundRetryDelayMs: 10,
  });
}

/** The state-change fixture, pointed at a real instance in moto. */
function stateEvent(state: string, instanceId: string) {
  const event = fixture(`ec2-state-${state}.json`) as { detail: Record<string, string>; resources: string[] };
  event.detail["instance-id"] = instanceId;
  event.resources = [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`];
  return event;
}

describe("mirror-on-launch handler: running", () => {
  it("mirrors every ENI of a new instance with owned, tagged sessions and logs one line per decision", async () => {
    // Prepare
    const web = await launch(world);
    const secondary = await attachSecondaryEni(world, web.instanceId);
    // Act
    const result = await handlers().handler(stateEvent("running", web.instanceId));
    // Assess
    expect(result.status).toBe("ok");
    for (const eniId of [web.eniId, secondary]) {
      const sessions = world.fake.onEni(eniId);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]).toMatchObject({
        TrafficMirrorTargetId: world.targetId,
        TrafficMirrorFilterId: world.filterId,
        SessionNumber: 1,
        VirtualNetworkId: vniForVpc(world.vpcId),
      });
      expect(sessions[0].Tags).toEqual(
        expect.arrayContaining([
          { Key: OWNER_TAG_KEY, Value: "spanless" },
          { Key: "spanless:instance-id", Value: web.instanceId },
        ]),
      );
    }
    const decisions = telemetry.logs("mirror decision");
    expect(decisions.map((d) => [d.decision, d.instanceId, d.eniId, d.status])).toEqual([
      ["create", web.instanceId, web.eniId, "done"],
      ["create", web.instanceId, secondary, "done"],
    ]);
    expect(telemetry.metric("SessionsCreated")).toBe(2);
    expect(world.fake.sessions.has(world.sensorEniId)).toBe(false);
  });

  it("is idempotent: a redelivered event creates nothing, and racing invocations create one session per ENI", async () => {
    const web = await launch(world);
    const h = handlers();
    await Promise.all([
      h.handler(stateEvent("running", web.instanceId)),
      h.handler(stateEvent("running", web.instanceId)),
    ]);
    await h.handler(stateEvent("running", web.instanceId));
    expect(world.fake.onEni(web.eniId)).toHaveLength(1);
  });

  it("never mirrors the sensor itself", async () => {
    const result = await handlers().handler(stateEvent("running", world.sensorId));
    expect(result.status).toBe("ok");
    expect(world.fake.sessions.size).toBe(0);
    expect(telemetry.logs("mirror decision")).toEqual([
      expect.objectContaining({ decision: "skip", instanceId: world.sensorId, reason: "sensor" }),
    ]);
    expect(telemetry.metric("SessionsSkipped", ["Reason", "sensor"])).toBe(1);
  });
});

describe("mirror-on-launch handler: stop and terminate", () => {
  it("removes only Spanless' sessions when the instance stops", async () => {
    const web = await launch(world);
    const h = handlers();
    await h.handler(stateEvent("running", web.instanceId));
    const theirs = world.fake.seed({
      NetworkInterfaceId: web.eniId,
      TrafficMirrorTargetId: world.targetId,
      TrafficMirrorFilterId: world.filterId,
      SessionNumber: 7,
      Tags: [{ Key: "team", Value: "secops" }],
    });
    await world.real.send(new StopInstancesCommand({ InstanceIds: [web.instanceId] }));
    const result = await h.handler(stateEvent("stopped", web.instanceId));
    expect(result.status).toBe("ok");
    expect(world.fake.onEni(web.eniId).map((s) => s.TrafficMirrorSessionId)).toEqual([
      theirs.TrafficMirrorSessionId,
    ]);
    expect(telemetry.metric("SessionsDeleted")).toBe(1);
  });

  it("removes the session of a secondary ENI that was detached before the stop (found by the instance tag)", async () => {
    const web = await launch(world);
    const secondary = await attachSecondaryEni(world, web.instanceId);
    const h = handlers();
    await h.handler(stateEvent("running", web.instanceId));
    await world.real.send(new DetachNetworkInterfaceCommand({ AttachmentId: await attachmentOf(secondary) }));
    await world.real.send(new StopInstancesCommand({ InstanceIds: [web.instanceId] }));
    await h.handler(stateEvent("stopped", web.instanceId));
    expect(world.fake.onEni(secondary)).toEqual([]);
    expect(world.fake.onEni(web.eniId)).toEqual([]);
  });

  it("removes Spanless' sessions when the instance terminates", async () => {
    const web = await launch(world);
    const h = handlers();
    await h.handler(stateEvent("running", web.instanceId));
    await world.real.send(new TerminateInstancesCommand({ InstanceIds: [web.instanceId] }));
    const result = await h.handler(stateEvent("terminated", web.instanceId));
    expect(result.status).toBe("ok");
    expect(world.fake.onEni(web.eniId)).toEqual([]);
  });
});

describe("mirror-on-launch handler: EC2 without tag filters on sessions", () => {
  it("falls back to the reconciler for a kept secondary ENI's session", async () => {
    const web = await launch(world);
    const secondary = await attachSecondaryEni(world, web.instanceId);
    const h = handlers();
    await h.handler(stateEvent("running", web.instanceId));
    world.fake.rejectTagFilters = true;
    await world.real.send(new DetachNetworkInterfaceCommand({ AttachmentId: await attachmentOf(secondary) }));
    await world.real.send(new StopInstancesCommand({ InstanceIds: [web.instanceId] }));
    const event = await h.handler(stateEvent("stopped", web.instanceId));
    expect(event.status).toBe("ok");
    expect(world.fake.onEni(secondary)).toHaveLength(1);
    const reconciled = await h.reconcileHandler(fixture("scheduled-event.json"));
    expect(reconciled.status).toBe("ok");
    expect(world.fake.onEni(secondary)).toEqual([]);
  });
});

describe("mirror-on-launch handler: events that are not triggers", () => {
  it("ignores a transitional state quietly: no AWS call, no warning", async () => {
    const result = await handlers().handler(stateEvent("pending", "i-0abcdef1234567890"));
    expect(result).toEqual({ status: "ignored", detail: "state pending is transitional", runs: [] });
    expect(world.calls).toEqual({});
    expect(telemetry.lines().filter((l) => l.level === "WARN")).toEqual([]);
    expect(telemetry.rawLines().join("\n")).not.toMatch(/No application metrics/);
  });
});

describe("mirror-on-launch handler: bad input never escapes", () => {
  it("logs and counts an event for an instance that no longer exists, after one retry", async () => {
    const result = await handlers().handler(stateEvent("running", "i-0deadbeefdeadbeef"));
    expect(result.status).toBe("ok");
    expect(world.calls.DescribeInstances).toBe(2);
    expect(telemetry.logs("instance not found; nothing to mirror")).toEqual([
      expect.objectContaining({ instanceId: "i-0deadbeefdeadbeef", reason: "instance-not-found" }),
    ]);
    expect(telemetry.metric("InstanceNotFound")).toBe(1);
  });

  it("skips with a reason when the configured target does not exist", async () => {
    const web = await launch(world);
    const result = await handlers({ MIRROR_TARGET_ID: "tmt-0000000000000dead" }).handler(
      stateEvent("running", web.instanceId),
    );
    expect(result.status).toBe("ok");
    expect(world.fake.sessions.size).toBe(0);
    expect(telemetry.logs("mirror decision")).toEqual([
      expect.objectContaining({
        decision: "skip",
        eniId: web.eniId,
        reason: "target-missing",
        detail: "tmt-0000000000000dead",
      }),
    ]);
    expect(telemetry.metric("SessionsSkipped", ["Reason", "target-missing"])).toBe(1);
  });
});

describe("mirror-on-launch handler: failures end in a log line and a metric", () => {
  it("skips every ENI when the filter was deleted behind Spanless' back", async () => {
    // moto does not implement DeleteTrafficMirrorFilter: point the policy at a filter that no longer exists.
    const deletedFilter = "tmf-0deadbeef0000000a";
    const web = await launch(world);
    const result = await handlers({ MIRROR_FILTER_ID: deletedFilter }).handler(
      stateEvent("running", web.instanceId),
    );
    expect(result.status).toBe("ok");
    expect(world.fake.sessions.size).toBe(0);
    expect(telemetry.logs("mirror decision")).toEqual([
      expect.objectContaining({
        decision: "skip",
        eniId: web.eniId,
        reason: "filter-missing",
        detail: deletedFilter,
      }),
    ]);
    expect(telemetry.metric("SessionsSkipped", ["Reason", "filter-missing"])).toBe(1);
  });

  it("reports a filter deleted between describe and create as a classified failure", async () => {
    const web = await launch(world);
    world.fake.failures.push({
      op: "create",
      error: ec2Error(
        "InvalidTrafficMirrorFilterId.NotFound",
        `The filter '${world.filterId}' does not exist.`,
      ),
    });
    const result = await handlers().handler(stateEvent("running", web.instanceId));
    expect(result.status).toBe("failed");
    expect(telemetry.logs("mirror decision")).toEqual([
      expect.objectContaining({
        decision: "create",
        eniId: web.eniId,
        status: "failed",
        errorCode: "InvalidTrafficMirrorFilterId.NotFound",
        failureClass: "config",
        level: "WARN",
      }),
    ]);
    expect(telemetry.metric("ActionFailures", ["ErrorCode", "InvalidTrafficMirrorFilterId.NotFound"])).toBe(
      1,
    );
  });

  it("survives throttling that outlasts the SDK retries, on a create and on a describe", async () => {
    const web = await launch(world);
    world.fake.failures.push({
      op: "create",
      error: ec2Error("RequestLimitExceeded", "Request limit exceeded."),
    });
    const first = await handlers().handler(stateEvent("running", web.instanceId));
    expect(first.status).toBe("failed");
    expect(telemetry.metric("ActionFailures", ["ErrorCode", "RequestLimitExceeded"])).toBe(1);

    world.fake.failures.push({
      op: "describe",
      error: ec2Error("RequestLimitExceeded", "Request limit exceeded."),
      sticky: true,
    });
    const second = await handlers().handler(stateEvent("running", web.instanceId));
    expect(second.status).toBe("failed");
    expect(second.detail).toMatch(/^RequestLimitExceeded: DescribeTrafficMirrorSessions failed/);
    expect(telemetry.logs("mirror invocation failed")).toEqual([
      expect.objectContaining({ level: "ERROR", errorCode: "RequestLimitExceeded" }),
    ]);
    expect(telemetry.metric("InvocationErrors", ["ErrorCode", "RequestLimitExceeded"])).toBe(1);
  });

  it("handles TrafficMirrorSessionsPerInterfaceLimitExceeded when another tool fills the ENI meanwhile", async () => {
    const web = await launch(world);
    world.fake.beforeCreate = (input) => {
      for (const n of [10, 11, 12]) {
        world.fake.seed({
          NetworkInterfaceId: input.NetworkInterfaceId,
          SessionNumber: n,
          TrafficMirrorTargetId: world.targetId,
        });
      }
      world.fake.beforeCreate = undefined;
    };
    const result = await handlers().handler(stateEvent("running", web.instanceId));
    expect(result.status).toBe("failed");
    expect(telemetry.logs("mirror decision")).toEqual([
      expect.objectContaining({
        errorCode: "TrafficMirrorSessionsPerInterfaceLimitExceeded",
        failureClass: "eni-limit",
      }),
    ]);
    expect(
      telemetry.metric("ActionFailures", ["ErrorCode", "TrafficMirrorSessionsPerInterfaceLimitExceeded"]),
    ).toBe(1);

    // The next pass sees three foreign sessions and skips the ENI instead of failing again.
    const again = await handlers().handler(stateEvent("running", web.instanceId));
    expect(again.status).toBe("ok");
    expect(telemetry.metric("SessionsSkipped", ["Reason", "eni-session-limit"])).toBe(1);
  });

  it("marks an instance whose type EC2 refuses and does not try it again", async () => {
    const web = await launch(world, { type: "m5.large" });
    world.fake.failures.push({
      op: "create",
      error: ec2Error(
        "InvalidParameterValue",
        "The instance type m5.large is not supported as a traffic mirror source.",
      ),
    });
    await handlers().handler(stateEvent("running", web.instanceId));
    const described = await world.real.send(new DescribeInstancesCommand({ InstanceIds: [web.instanceId] }));
    const tags = described.Reservations?.[0].Instances?.[0].Tags ?? [];
    expect(tags).toContainEqual({ Key: "spanless:mirror-unsupported", Value: "m5.large" });

    const creates = world.calls.CreateTrafficMirrorSession;
    const again = await handlers().handler(stateEvent("running", web.instanceId));
    expect(again.status).toBe("ok");
    expect(world.calls.CreateTrafficMirrorSession).toBe(creates);
    expect(telemetry.metric("SessionsSkipped", ["Reason", "marked-unsupported"])).toBe(1);
  });

  it("rejects a malformed event with a clear line and metric", async () => {
    const result = await handlers().handler(fixture("malformed-state-change-bad-id.json"));
    expect(result).toMatchObject({
      status: "failed",
      detail: expect.stringContaining("is not an EC2 instance ID"),
    });
    expect(telemetry.logs("event rejected")).toHaveLength(1);
    expect(telemetry.metric("InvalidEvents")).toBe(1);
  });

  it("reports a bad configuration instead of throwing", async () => {
    const result = await handlers({ MIRROR_FILTER_ID: "", PACKET_LENGTH: "0" }).handler(
      stateEvent("running", "i-0abcdef1234567890"),
    );
    expect(result.status).toBe("failed");
    expect(result.detail).toMatch(/PolicyConfigError: .*MIRROR_FILTER_ID: is required.*PACKET_LENGTH/);
    expect(telemetry.metric("InvocationErrors", ["ErrorCode", "PolicyConfigError"])).toBe(1);
  });
});

describe("reconcileHandler", () => {
  it("converges the whole region, publishes the VNI map, and reports coverage and quota headroom", async () => {
    // Prepare: a new instance, one with a drifted owned session, a stopped one with an owned session,
    // a detached ENI with an owned session, someone else's session, and the sensor.
    const fresh = await launch(world);
    const drifted = await launch(world, { subnetId: world.subnetB });
    const stopped = await launch(world);
    const loose = await attachSecondaryEni(world, fresh.instanceId);
    const h = handlers({ VNI_MAP_BUCKET: BUCKET });
    await h.handler(stateEvent("running", fresh.instanceId));
    await world.real.send(new DetachNetworkInterfaceCommand({ AttachmentId: await attachmentOf(loose) }));
    const stale = world.fake.seed({
      NetworkInterfaceId: drifted.eniId,
      TrafficMirrorTargetId: world.targetId,
      TrafficMirrorFilterId: world.filterId,
      SessionNumber: 1,
      VirtualNetworkId: 99,
      Tags: [{ Key: OWNER_TAG_KEY, Value: "spanless" }],
    });
    const stoppedSession = world.fake.seed({
      NetworkInterfaceId: stopped.eniId,
      TrafficMirrorTargetId: world.targetId,
      TrafficMirrorFilterId: world.filterId,
      SessionNumber: 1,
      Tags: [{ Key: OWNER_TAG_KEY, Value: "spanless" }],
    });
    const foreign = world.fake.seed({
      NetworkInterfaceId: stopped.eniId,
      SessionNumber: 2,
      TrafficMirrorTargetId: world.targetId,
    });
    await world.real.send(new StopInstancesCommand({ InstanceIds: [stopped.instanceId] }));

    // Act
    const result = await h.reconcileHandler(fixture("scheduled-event.json"));

    // Assess
    expect(result.status).toBe("ok");
    expect(result.runs[0]).toMatchObject({ planned: { create: 0, modify: 1, delete: 2 }, failed: 0 });
    expect(world.fake.sessions.get(stale.TrafficMirrorSessionId ?? "")?.VirtualNetworkId).toBe(
      vniForVpc(world.vpcId),
    );
    expect(world.fake.sessions.has(stoppedSession.TrafficMirrorSessionId ?? "")).toBe(false);
    expect(world.fake.onEni(loose)).toEqual([]);
    expect(world.fake.sessions.has(foreign.TrafficMirrorSessionId ?? "")).toBe(true);
    expect(telemetry.metric("EligibleEnis")).toBe(2);
    expect(telemetry.metric("MirroredEnis")).toBe(2);
    expect(telemetry.metric("MirrorCoveragePercent")).toBe(100);
    expect(telemetry.metric("SessionQuotaHeadroom")).toBe(10_000 - 3);
    expect(telemetry.metric("SessionsModified")).toBe(1);

    const object = await world.s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: "spanless/vni-map.json" }),
    );
    const map = JSON.parse(await (object.Body?.transformToString() ?? "{}"));
    const entry = map.vnis[String(vniForVpc(world.vpcId))];
    expect(map.version).toBe(1);
    expect(entry.vpcId).toBe(world.vpcId);
    expect(
      Object.values(entry.sources)
        .map((s) => (s as { instanceId: string }).instanceId)
        .sort(),
    ).toEqual([fresh.instanceId, drifted.instanceId].sort());
  });

  it("keeps the sessions and reports it when the VNI map cannot be published", async () => {
    const web = await launch(world);
    const result = await handlers({ VNI_MAP_BUCKET: "spanless-no-such-bucket" }).reconcileHandler(
      fixture("scheduled-event.json"),
    );
    expect(result.status).toBe("ok");
    expect(result.runs[0].vniMapPublished).toBe(false);
    expect(world.fake.onEni(web.eniId)).toHaveLength(1);
    expect(telemetry.logs("VNI map not published")).toEqual([
      expect.objectContaining({
        level: "ERROR",
        error: expect.objectContaining({ name: "VniMapPublishError" }),
      }),
    ]);
    expect(telemetry.metric("InvocationErrors", ["ErrorCode", "VniMapPublishError"])).toBe(1);
  });

  it("re-creates a session deleted by someone else when CloudTrail reports it (self-heal)", async () => {
    const web = await launch(world);
    const h = handlers({ SPANLESS_ROLE_ARN: "arn:aws:iam::123456789012:role/spanless-mirror-on-launch" });
    await h.handler(stateEvent("running", web.instanceId));
    const [original] = world.fake.onEni(web.eniId);
    world.fake.sessions.delete(original.TrafficMirrorSessionId ?? "");

    const ignored = await h.handler(fixture("cloudtrail-delete-traffic-mirror-session-by-spanless.json"));
    expect(ignored.status).toBe("ignored");
    expect(world.fake.onEni(web.eniId)).toEqual([]);

    const healed = await h.handler(fixture("cloudtrail-delete-traffic-mirror-session.json"));
    expect(healed.status).toBe("ok");
    expect(world.fake.onEni(web.eniId)).toHaveLength(1);
  });

  it("previews a backfill without mutating anything when asked for a dry run", async () => {
    await launch(world);
    await launch(world);
    const result = await handlers().reconcileHandler({ dryRun: true });
    expect(result.runs[0]).toMatchObject({ dryRun: true, planned: { create: 2 }, done: 0 });
    expect(world.fake.sessions.size).toBe(0);
    expect(telemetry.logs("mirror decision").filter((l) => l.status === "planned (dry run)")).toHaveLength(2);
  });

  it("tag changes re-evaluate the instance: opting out removes its session", async () => {
    const web = await launch(world);
    const h = handlers();
    await h.handler(stateEvent("running", web.instanceId));
    await world.real.send(
      new CreateTagsCommand({
        Resources: [web.instanceId],
        Tags: [{ Key: "spanless:mirror", Value: "off" }],
      }),
    );
    const event = fixture("cloudtrail-create-tags.json") as {
      detail: { requestParameters: { resourcesSet: { items: { resourceId: string }[] } } };
    };
    event.detail.requestParameters.resourcesSet.items = [{ resourceId: web.instanceId }];
    await h.handler(event);
    expect(world.fake.onEni(web.eniId)).toEqual([]);
  });
});

async function attachmentOf(eniId: string): Promise<string> {
  const out = await world.real.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
  return out.NetworkInterfaces?.[0].Attachment?.AttachmentId ?? "";
}
