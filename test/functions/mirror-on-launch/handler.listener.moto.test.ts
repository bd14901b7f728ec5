// The reconciler's mirror listener check end to end: the NLB, its listener and the NLB-type mirror target
// live in moto_server (EC2 and ELBv2); the session APIs moto lacks are answered by SessionFake. AccessDenied
// and throttling come from aws-sdk-client-mock on the ELBv2 client.
import { CreateTrafficMirrorTargetCommand } from "@aws-sdk/client-ec2";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyListenerCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHandlers } from "../../../functions/mirror-on-launch/handler.js";
import { createTelemetry } from "../../../functions/mirror-on-launch/metrics.js";
import { sdkClientConfig } from "../../../functions/shared/aws.js";
import { type CapturedTelemetry, captureTelemetry } from "../../support/metrics.js";
import { useMoto } from "../../support/moto.js";
import { fixture } from "./support/fixtures.js";
import { buildWorld, launch, type World } from "./support/world.js";

const moto = useMoto();
let world: World;
let telemetry: CapturedTelemetry;
let elbv2: ElasticLoadBalancingV2Client;
let nlb: { nlbArn: string; targetGroupArn: string; listenerArn: string; targetId: string };

/** An internal NLB over the world's two subnets, a UDP 4789 listener, and a mirror target on it. */
async function sensorNlb(name: string): Promise<typeof nlb> {
  const lb = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Type: "network",
      Scheme: "internal",
      Subnets: [world.subnetA, world.subnetB],
    }),
  );
  const nlbArn = lb.LoadBalancers?.[0].LoadBalancerArn ?? "";
  const tg = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: `${name}-vxlan`,
      Protocol: "UDP",
      Port: 4789,
      VpcId: world.vpcId,
      TargetType: "instance",
      HealthCheckProtocol: "HTTP",
      HealthCheckPort: "8080",
      HealthCheckPath: "/healthcheck",
    }),
  );
  const targetGroupArn = tg.TargetGroups?.[0].TargetGroupArn ?? "";
  const listener = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: nlbArn,
      Protocol: "UDP",
      Port: 4789,
      DefaultActions: [{ Type: "forward", TargetGroupArn: targetGroupArn }],
    }),
  );
  const target = await world.real.send(
    new CreateTrafficMirrorTargetCommand({ NetworkLoadBalancerArn: nlbArn }),
  );
  return {
    nlbArn,
    targetGroupArn,
    listenerArn: listener.Listeners?.[0].ListenerArn ?? "",
    targetId: target.TrafficMirrorTarget?.TrafficMirrorTargetId ?? "",
  };
}

beforeEach(async () => {
  world = await buildWorld(moto);
  elbv2 = new ElasticLoadBalancingV2Client({ ...moto.clientConfig, ...sdkClientConfig({ maxAttempts: 1 }) });
  nlb = await sensorNlb("spanless-dev-sensors");
  telemetry = captureTelemetry();
});
afterEach(() => {
  telemetry.restore();
  world.mock.restore();
});

function handlers(env: Record<string, string> = {}, client: ElasticLoadBalancingV2Client = elbv2) {
  return createHandlers({
    ec2: world.ec2,
    s3: world.s3,
    elbv2: client,
    ...createTelemetry({}),
    env: { MIRROR_TARGET_ID: nlb.targetId, MIRROR_FILTER_ID: world.filterId, ...env },
    notFoundRetryDelayMs: 10,
  });
}

const reconcile = (env: Record<string, string> = {}, client?: ElasticLoadBalancingV2Client) =>
  handlers(env, client).reconcileHandler(fixture("scheduled-event.json"));

describe("mirror listener check (reconciler)", () => {
  it("passes an NLB target whose load balancer has the UDP 4789 listener, and writes 0", async () => {
    // Prepare
    const web = await launch(world);

    // Act
    const result = await reconcile();

    // Assess
    expect(result.status).toBe("ok");
    expect(result.runs[0].listeners).toEqual([
      { status: "ok", nlbArn: nlb.nlbArn, listenerArn: nlb.listenerArn, protocol: "UDP" },
    ]);
    expect(world.fake.onEni(web.eniId)).toHaveLength(1);
    expect(telemetry.metric("MirrorListenerMissing")).toBe(0);
    expect(telemetry.logs("mirror listener ok")).toEqual([
      expect.objectContaining({ level: "INFO", nlbArn: nlb.nlbArn }),
    ]);
    expect(telemetry.lines().filter((l) => l.level === "ERROR")).toEqual([]);
  });

  it("fires when the listener is deleted, and keeps reconciling the sessions", async () => {
    // Prepare
    const web = await launch(world);
    await reconcile();
    const session = world.fake.onEni(web.eniId)[0];
    const other = await launch(world);
    await elbv2.send(new DeleteListenerCommand({ ListenerArn: nlb.listenerArn }));
    telemetry.restore();
    telemetry = captureTelemetry();

    // Act
    const result = await reconcile();

    // Assess
    expect(result.status).toBe("ok");
    expect(world.fake.onEni(web.eniId)).toEqual([session]);
    expect(world.fake.onEni(other.eniId)).toHaveLength(1);
    expect(telemetry.metric("MirrorListenerMissing")).toBe(1);
    const [line] = telemetry.logs("mirror listener missing: AWS drops the mirrored traffic without an error");
    expect(line).toMatchObject({
      level: "ERROR",
      nlbArn: nlb.nlbArn,
      problem: "no-listener",
      listenersFound: [],
      fix: expect.stringContaining(
        `aws elbv2 create-listener --load-balancer-arn ${nlb.nlbArn} --protocol UDP --port 4789`,
      ),
    });
    expect(telemetry.metric("MirrorCoveragePercent")).toBe(100);
  });

  it("names the wrong port when the UDP listener was moved off 4789", async () => {
    // Prepare
    await elbv2.send(new ModifyListenerCommand({ ListenerArn: nlb.listenerArn, Port: 4790 }));

    // Act
    const result = await reconcile();

    // Assess
    expect(result.runs[0].listeners).toEqual([
      expect.objectContaining({ status: "missing", problem: "wrong-port", found: ["UDP:4790"] }),
    ]);
    expect(telemetry.metric("MirrorListenerMissing")).toBe(1);
  });

  it("names the wrong protocol when 4789 listens for TCP", async () => {
    // Prepare
    await elbv2.send(new DeleteListenerCommand({ ListenerArn: nlb.listenerArn }));
    await elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlb.nlbArn,
        Protocol: "TCP",
        Port: 4789,
        DefaultActions: [{ Type: "forward", TargetGroupArn: nlb.targetGroupArn }],
      }),
    );

    // Act
    const result = await reconcile();

    // Assess
    expect(result.runs[0].listeners).toEqual([
      expect.objectContaining({ status: "missing", problem: "wrong-protocol", found: ["TCP:4789"] }),
    ]);
    expect(telemetry.metric("MirrorListenerMissing")).toBe(1);
  });

  it("reports a deleted load balancer as missing, not as a failed check", async () => {
    // Prepare
    await elbv2.send(new DeleteListenerCommand({ ListenerArn: nlb.listenerArn }));
    await elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlb.nlbArn }));

    // Act
    const result = await reconcile();

    // Assess
    expect(result.runs[0].listeners).toEqual([
      expect.objectContaining({ status: "missing", problem: "load-balancer-not-found" }),
    ]);
    expect(telemetry.metric("MirrorListenerMissing")).toBe(1);
    expect(telemetry.metric("InvocationErrors")).toBeUndefined();
  });

  it("checks SENSOR_NLB_ARN instead of the target's load balancer when it is set", async () => {
    // Prepare: a second NLB whose listener is gone; the configured target still points at the first one.
    const second = await sensorNlb("spanless-dev-other");
    await elbv2.send(new DeleteListenerCommand({ ListenerArn: second.listenerArn }));

    // Act
    const result = await reconcile({ SENSOR_NLB_ARN: second.nlbArn });

    // Assess
    expect(result.runs[0].listeners).toEqual([
      expect.objectContaining({ status: "missing", nlbArn: second.nlbArn, problem: "no-listener" }),
    ]);
    expect(telemetry.metric("MirrorListenerMissing")).toBe(1);
  });

  it("checks nothing and writes nothing when the mirror target is an ENI", async () => {
    // Prepare
    await launch(world);

    // Act
    const result = await reconcile({ MIRROR_TARGET_ID: world.targetId });

    // Assess
    expect(result.runs[0].listeners).toEqual([]);
    expect(telemetry.metric("MirrorListenerMissing")).toBeUndefined();
    expect(
      telemetry.logs("mirror listener not checked: no mirror target is a Network Load Balancer"),
    ).toHaveLength(1);
  });

  it("leaves the event handler out of it: no ELBv2 call on an instance event", async () => {
    // Prepare
    const web = await launch(world);
    const spy = mockClient(elbv2);
    spy.on(DescribeListenersCommand).rejects(new Error("the event handler must not ask"));
    const event = fixture("ec2-state-running.json") as {
      detail: Record<string, string>;
      resources: string[];
    };
    event.detail["instance-id"] = web.instanceId;

    try {
      // Act
      const result = await handlers().handler(event);

      // Assess
      expect(result.status).toBe("ok");
      expect(spy.commandCalls(DescribeListenersCommand)).toHaveLength(0);
      expect(telemetry.metric("MirrorListenerMissing")).toBeUndefined();
    } finally {
      spy.restore();
    }
  });
});

describe("mirror listener check: a describe that fails", () => {
  const failure = (name: string, message: string) =>
    new ElasticLoadBalancingV2ServiceException({
      name,
      $fault: "client",
      message,
      $metadata: { httpStatusCode: 400 },
    });

  it.each([
    [
      "AccessDenied",
      "User is not authorized to perform: elasticloadbalancing:DescribeListeners",
      /grant elasticloadbalancing:DescribeListeners/,
    ],
    ["Throttling", "Rate exceeded", /next reconcile/],
  ])(
    "%s: logged and counted as its own error, the sessions reconciled, no listener verdict",
    async (code, message, fix) => {
      // Prepare
      const web = await launch(world);
      const denied = new ElasticLoadBalancingV2Client({
        ...moto.clientConfig,
        ...sdkClientConfig({ maxAttempts: 1 }),
      });
      const mock = mockClient(denied);
      mock.on(DescribeListenersCommand).rejects(failure(code, message));

      // Act
      const result = await reconcile({}, denied);

      // Assess
      expect(result.status).toBe("ok");
      expect(world.fake.onEni(web.eniId)).toHaveLength(1);
      expect(result.runs[0].listeners).toEqual([
        { status: "describe-failed", nlbArn: nlb.nlbArn, errorCode: code, message },
      ]);
      expect(telemetry.logs("mirror listener not checked")).toEqual([
        expect.objectContaining({
          level: "ERROR",
          nlbArn: nlb.nlbArn,
          errorCode: code,
          error: expect.objectContaining({ name: "ListenerCheckError" }),
          fix: expect.stringMatching(fix),
        }),
      ]);
      expect(telemetry.metric("InvocationErrors", ["ErrorCode", "ListenerCheckError"])).toBe(1);
      expect(telemetry.metric("MirrorListenerMissing")).toBeUndefined();
      expect(telemetry.metric("MirrorCoveragePercent")).toBe(100);
      mock.restore();
    },
  );
});
