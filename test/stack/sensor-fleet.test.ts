// The sensors' launch template, Auto Scaling group and NLB: IMDSv2, encrypted gp3, user data the boot can
// parse with the pinned parameters, ELB health checks, the launch lifecycle hook, launch before terminate,
// a UDP 4789 listener with an HTTP health check on the sensor's health port, cross-zone per config.
import { beforeAll, describe, expect, it } from "vitest";
import { parseSensorUserData } from "../../contracts/host/user-data.js";
import { mockId } from "./support/ids.js";
import { baseConfig, type Inventory, inventory } from "./support/inventory.js";

const LT = "aws:ec2/launchTemplate:LaunchTemplate";
const ASG = "aws:autoscaling/group:Group";
const NLB = "aws:lb/loadBalancer:LoadBalancer";
const TG = "aws:lb/targetGroup:TargetGroup";
const LISTENER = "aws:lb/listener:Listener";

let inv: Inventory;
beforeAll(async () => {
  inv = await inventory(baseConfig());
});

describe("launch template", () => {
  it("requires IMDSv2 with a hop limit of 1, from the configured AMI and type", () => {
    // Act
    const lt = inv.named(LT, "SensorLaunchTemplate");

    // Assess
    expect(lt.inputs.imageId).toBe("ami-0123456789abcdef0");
    expect(lt.inputs.instanceType).toBe("c6in.large");
    expect(lt.inputs.metadataOptions).toMatchObject({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
  });

  it("has one encrypted gp3 root volume", () => {
    // Act
    const lt = inv.named(LT, "SensorLaunchTemplate");

    // Assess
    expect(lt.inputs.blockDeviceMappings).toEqual([
      {
        deviceName: "/dev/sda1",
        ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" },
      },
    ]);
  });

  it("attaches the sensor instance profile and security group and no public address", () => {
    // Act
    const lt = inv.named(LT, "SensorLaunchTemplate");

    // Assess
    expect(lt.inputs.iamInstanceProfile).toEqual({
      arn: "arn:aws:iam::123456789012:instance-profile/spanless-dev-sensor",
    });
    expect(lt.inputs.vpcSecurityGroupIds).toEqual([
      mockId("aws:ec2/securityGroup:SecurityGroup", "SensorSecurityGroup"),
    ]);
    expect(lt.inputs.networkInterfaces).toBeUndefined();
  });

  it("carries user data the boot parses: version-1 pins of the required parameters and the stage's names", () => {
    // Prepare
    const lt = inv.named(LT, "SensorLaunchTemplate");

    // Act
    const userData = parseSensorUserData(Buffer.from(lt.inputs.userData, "base64").toString("utf8"));

    // Assess
    expect(userData.pins).toEqual({
      "collector-url": { name: "/spanless/dev/collector-url", version: 1 },
      "push-token": { name: "/spanless/dev/push-token", version: 1 },
      proxy: null,
      "os-sensor-hmac": null,
    });
    expect(userData.settings).toEqual({
      logGroup: "/spanless/dev/sensors",
      autoScalingGroup: "spanless-dev-sensors",
      lifecycleHook: "spanless-dev-launch",
      pcapBucket: "spanless-dev-123456789012-us-east-1",
      vniMap: "s3://spanless-dev-123456789012-us-east-1/spanless/vni-map.json",
    });
  });

  it("names the VNI map object the mirror reconciler publishes", () => {
    // Prepare
    const lt = inv.named(LT, "SensorLaunchTemplate");
    const reconciler = inv
      .ofType("aws:lambda/function:Function")
      .find((f) => String(f.inputs.name).endsWith("-mirror-reconcile"));
    const published = reconciler?.inputs.environment.variables as Record<string, string> | undefined;

    // Act
    const { settings } = parseSensorUserData(Buffer.from(lt.inputs.userData, "base64").toString("utf8"));

    // Assess
    expect(published?.VNI_MAP_BUCKET).toBeDefined();
    expect(settings.vniMap).toBe(`s3://${published?.VNI_MAP_BUCKET}/${published?.VNI_MAP_KEY}`);
  });

  it("pins the configured initial versions, optional parameters included", async () => {
    // Prepare
    const config = baseConfig({
      sensors: {
        ...baseConfig().sensors,
        initialVersions: { "collector-url": 3, "push-token": 12, proxy: 2 },
      },
    });

    // Act
    const lt = (await inventory(config)).named(LT, "SensorLaunchTemplate");
    const { pins } = parseSensorUserData(Buffer.from(lt.inputs.userData, "base64").toString("utf8"));

    // Assess
    expect(pins["collector-url"]?.version).toBe(3);
    expect(pins["push-token"]?.version).toBe(12);
    expect(pins.proxy).toEqual({ name: "/spanless/dev/proxy", version: 2 });
    expect(pins["os-sensor-hmac"]).toBeNull();
  });
});

describe("auto scaling group", () => {
  it("runs min/desired/max sensors over the sensor subnets from a numbered launch-template version", () => {
    // Act
    const asg = inv.named(ASG, "SensorAutoScalingGroup");

    // Assess
    expect(asg.inputs).toMatchObject({
      name: "spanless-dev-sensors",
      minSize: 2,
      desiredCapacity: 2,
      maxSize: 4,
    });
    expect(asg.inputs.vpcZoneIdentifiers).toEqual([
      mockId("aws:ec2/subnet:Subnet", "SensorSubnet-us-east-1a"),
      mockId("aws:ec2/subnet:Subnet", "SensorSubnet-us-east-1b"),
    ]);
    // The instance-refresh function needs a numbered version (auto-rollback), never $Latest/$Default.
    expect(asg.inputs.launchTemplate).toEqual({ id: mockId(LT, "SensorLaunchTemplate"), version: "1" });
  });

  it("replaces sensors on ELB health and registers them with the VXLAN target group", () => {
    // Act
    const asg = inv.named(ASG, "SensorAutoScalingGroup");
    const tg = inv.named(TG, "SensorTargetGroup");

    // Assess
    expect(asg.inputs.healthCheckType).toBe("ELB");
    expect(asg.inputs.healthCheckGracePeriod).toBeGreaterThan(0);
    expect(asg.inputs.targetGroupArns).toEqual([
      expect.stringMatching(new RegExp(`:targetgroup/${tg.inputs.name}/`)),
    ]);
  });

  it("has the launch lifecycle hook from the start: 900 s, ABANDON by default, the name the user data uses", () => {
    // Act
    const asg = inv.named(ASG, "SensorAutoScalingGroup");
    const separateHooks = inv.ofType("aws:autoscaling/lifecycleHook:LifecycleHook");

    // Assess
    expect(asg.inputs.initialLifecycleHooks).toEqual([
      {
        name: "spanless-dev-launch",
        lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
        heartbeatTimeout: 900,
        defaultResult: "ABANDON",
      },
    ]);
    expect(separateHooks).toEqual([]);
  });

  it("launches before it terminates (instance maintenance policy 100 % / 200 %)", () => {
    // Act
    const asg = inv.named(ASG, "SensorAutoScalingGroup");

    // Assess
    expect(asg.inputs.instanceMaintenancePolicy).toEqual({
      minHealthyPercentage: 100,
      maxHealthyPercentage: 200,
    });
  });

  it("tags its instances as sensors (the mirror function never mirrors them)", () => {
    // Act
    const asg = inv.named(ASG, "SensorAutoScalingGroup");

    // Assess
    expect(asg.inputs.tags).toContainEqual({
      key: "spanless:role",
      value: "sensor",
      propagateAtLaunch: true,
    });
  });
});

describe("load balancer", () => {
  it("is an internal NLB in the sensor subnets with cross-zone off as configured", () => {
    // Act
    const nlb = inv.named(NLB, "SensorLoadBalancer");

    // Assess
    expect(nlb.inputs).toMatchObject({
      loadBalancerType: "network",
      internal: true,
      enableCrossZoneLoadBalancing: false,
    });
    expect(nlb.inputs.subnets).toHaveLength(2);
  });

  it("turns cross-zone on when the config does", async () => {
    // Prepare
    const config = baseConfig({ sensors: { ...baseConfig().sensors, crossZone: true, min: 1, desired: 1 } });

    // Act
    const nlb = (await inventory(config)).named(NLB, "SensorLoadBalancer");

    // Assess
    expect(nlb.inputs.enableCrossZoneLoadBalancing).toBe(true);
  });

  it("listens on UDP 4789 and forwards to a UDP 4789 target group checked over HTTP on 8080 /healthcheck", () => {
    // Act
    const listener = inv.named(LISTENER, "SensorListener");
    const tg = inv.named(TG, "SensorTargetGroup");

    // Assess
    expect(listener.inputs).toMatchObject({ protocol: "UDP", port: 4789 });
    expect(listener.inputs.defaultActions).toEqual([
      { type: "forward", targetGroupArn: expect.stringContaining(tg.inputs.name) },
    ]);
    expect(tg.inputs).toMatchObject({ protocol: "UDP", port: 4789, targetType: "instance" });
    expect(tg.inputs.healthCheck).toMatchObject({
      protocol: "HTTP",
      port: "8080",
      path: "/healthcheck",
      enabled: true,
    });
  });
});
