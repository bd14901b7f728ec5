// The sensors' launch template and Auto Scaling group.
//
// User data is contracts/host's renderSensorUserData: the pin block (each parameter as name:version) and the
// one boot line naming the log group, group, hook, PCAP bucket and the VNI map the mirror-on-launch
// reconciler publishes (the sensors fetch it for their records' vpc_id, instance_id, eni_id…). The stack pins
// `sensors.initialVersions` (default: version 1 of the two required parameters, `none` for the optional ones);
// that matters for the first launch only: the instance-refresh function pins the current, validated versions
// on every rollout, and within a minute of a deploy whose pins are stale (its tick compares them), by creating
// launch-template versions of its own. The group points at a numbered version (never $Latest) because the
// refresh's auto-rollback needs one.
import type { ConfigPins } from "../../contracts/config/pins.js";
import { pinsFor } from "../../contracts/config/pins.js";
import { renderSensorUserData } from "../../contracts/host/user-data.js";
import type { StackConfig } from "../config/schema.js";
import type { Network, Storage } from "../context.js";
import { type StackNames, VNI_MAP_KEY } from "../names.js";

/** The launch lifecycle hook: the boot completes it; a boot that never does is abandoned after 15 minutes. */
export const LIFECYCLE_HOOK = {
  lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING",
  heartbeatTimeout: 900,
  defaultResult: "ABANDON",
} as const;
/** Launch before terminate: capacity never drops below desired during a replacement or refresh. */
export const MAINTENANCE_POLICY = { minHealthyPercentage: 100, maxHealthyPercentage: 200 } as const;
/** Seconds after the lifecycle hook completes before ELB health counts (the sensor's first checks). */
export const HEALTH_CHECK_GRACE_SECONDS = 120;
/** Auto Scaling group metrics the dashboard and alarms read. */
export const GROUP_METRICS: aws.autoscaling.Metric[] = [
  "GroupMinSize",
  "GroupMaxSize",
  "GroupDesiredCapacity",
  "GroupInServiceInstances",
  "GroupPendingInstances",
  "GroupTerminatingInstances",
  "GroupTotalInstances",
];

export function initialPins(config: StackConfig): ConfigPins {
  return pinsFor(config.parameterNames, config.sensors.initialVersions);
}

export function sensorFleet(
  config: StackConfig,
  names: StackNames,
  net: Network,
  store: Storage,
  parts: {
    securityGroup: aws.ec2.SecurityGroup;
    instanceProfile: aws.iam.InstanceProfile;
    targetGroup: aws.lb.TargetGroup;
  },
) {
  const pins = initialPins(config);
  const userData = store.bucket.bucket.apply((bucket) =>
    Buffer.from(
      renderSensorUserData(pins, {
        logGroup: names.logGroup,
        autoScalingGroup: names.autoScalingGroup,
        lifecycleHook: names.lifecycleHook,
        pcapBucket: bucket,
        vniMap: `s3://${bucket}/${VNI_MAP_KEY}`,
      }),
    ).toString("base64"),
  );
  const instanceTags = {
    Name: `${names.base}-sensor`,
    "spanless:role": "sensor",
    "spanless:stage": config.stage,
  };
  const launchTemplate = new aws.ec2.LaunchTemplate("SensorLaunchTemplate", {
    name: names.launchTemplate,
    description: `Spanless ${config.stage} sensor`,
    imageId: config.sensors.amiId,
    instanceType: config.sensors.instanceType,
    iamInstanceProfile: { arn: parts.instanceProfile.arn },
    vpcSecurityGroupIds: [parts.securityGroup.id],
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      // The boot and the sensor run on the host, not in containers: one hop is enough.
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    },
    blockDeviceMappings: [
      {
        deviceName: config.sensors.rootDeviceName,
        ebs: {
          volumeType: "gp3",
          volumeSize: config.sensors.rootVolumeGiB,
          encrypted: "true",
          deleteOnTermination: "true",
        },
      },
    ],
    monitoring: { enabled: true },
    userData,
    tagSpecifications: [
      { resourceType: "instance", tags: instanceTags },
      { resourceType: "volume", tags: instanceTags },
    ],
    tags: { Name: names.launchTemplate },
  });

  const autoScalingGroup = new aws.autoscaling.Group("SensorAutoScalingGroup", {
    name: names.autoScalingGroup,
    vpcZoneIdentifiers: net.sensorSubnetIds,
    minSize: config.sensors.min,
    desiredCapacity: config.sensors.desired,
    maxSize: config.sensors.max,
    launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => String(v)) },
    targetGroupArns: [parts.targetGroup.arn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
    // The hook must exist when the first instances launch, so it is part of the group, not a separate resource.
    initialLifecycleHooks: [{ name: names.lifecycleHook, ...LIFECYCLE_HOOK }],
    instanceMaintenancePolicy: { ...MAINTENANCE_POLICY },
    metricsGranularity: "1Minute",
    enabledMetrics: GROUP_METRICS,
    // A deploy does not wait for sensors to boot: a failed boot is paged by the health function and alarms,
    // and the deploy that created them must not hang on missing SSM parameters.
    waitForCapacityTimeout: "0",
    tags: Object.entries(instanceTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
  });
  return { launchTemplate, autoScalingGroup };
}
