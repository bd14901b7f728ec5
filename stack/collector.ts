// The optional reference collector (`spanless collector`, sensor-ami/src/collector) for users without a master
// of their own: one instance of the sensor AMI (the collector ships in the same bundle) in an Auto Scaling
// group of one (replaced when it fails), behind an NLB that terminates TLS with the configured ACM certificate
// and re-encrypts to the collector's own self-signed certificate on 8443. Batches go to
// s3://<bucket>/records/<log>/…, where the Glue tables read them.
//
// Modest on purpose: the collector's store (push tokens, batch ledger) is on the instance's disk, so a
// replaced instance needs its tokens created again (docs/deploy.md, "Reference collector").
import type { Account } from "./account.js";
import type { StackConfig } from "./config/schema.js";
import type { Network, Storage } from "./context.js";
import { RECORDS_PREFIX, type StackNames } from "./names.js";
import { EC2_TRUST_POLICY } from "./sensors/role.js";
import { sessionManagerInstanceStatements } from "./session-manager.js";

export const COLLECTOR_PORT = 8443;
export const COLLECTOR_STORE = "/var/lib/spanless-collector";

export function collectorUserData(bucket: string): string {
  return [
    "#!/bin/bash",
    "# Spanless reference collector: a systemd unit around `spanless collector` (the image's bundle).",
    "set -euo pipefail",
    "systemctl disable --now spanless-sensor.service 2>/dev/null || true",
    "cat >/etc/systemd/system/spanless-collector.service <<'UNIT'",
    "[Unit]",
    "Description=Spanless reference collector",
    "After=network-online.target",
    "Wants=network-online.target",
    "[Service]",
    "User=spanless",
    "Group=spanless",
    "StateDirectory=spanless-collector",
    "StateDirectoryMode=0700",
    `ExecStart=/usr/local/bin/spanless collector --listen 0.0.0.0:${COLLECTOR_PORT} --store ${COLLECTOR_STORE} --s3 s3://${bucket}/${RECORDS_PREFIX.slice(0, -1)}`,
    "Restart=always",
    "RestartSec=5",
    "NoNewPrivileges=true",
    "ProtectSystem=strict",
    "ProtectHome=true",
    "PrivateTmp=true",
    "[Install]",
    "WantedBy=multi-user.target",
    "UNIT",
    "systemctl daemon-reload",
    "systemctl enable --now spanless-collector.service",
    "",
  ].join("\n");
}

export function collector(
  config: StackConfig,
  names: StackNames,
  where: Account,
  net: Network,
  store: Storage,
) {
  const c = config.collector;
  if (!c.enabled) return undefined;
  const base = `${names.base}-collector`;
  const allowed = c.allowedCidrs ?? [net.vpcCidr];
  const subnets = c.public ? net.publicSubnetIds : net.sensorSubnetIds;
  // The NLB's health checks come from its nodes' addresses in the subnets it is in.
  const nlbRanges = c.public ? net.publicSubnetCidrs : net.sensorSubnetCidrs;

  const securityGroup = new aws.ec2.SecurityGroup("CollectorSecurityGroup", {
    name: base,
    description: "Spanless reference collector: TLS from the allowed ranges and the NLB",
    vpcId: net.vpcId,
    ingress: [
      {
        description: "batches (client addresses preserved by the NLB) and its health checks",
        protocol: "tcp",
        fromPort: COLLECTOR_PORT,
        toPort: COLLECTOR_PORT,
        cidrBlocks: [...new Set([...allowed, ...nlbRanges])],
      },
    ],
    egress: [
      {
        description: "HTTPS: S3, SSM, CloudWatch Logs",
        protocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrBlocks: ["0.0.0.0/0"],
      },
    ],
    tags: { Name: base },
  });

  const role = new aws.iam.Role("CollectorRole", {
    name: base,
    assumeRolePolicy: JSON.stringify(EC2_TRUST_POLICY),
  });
  new aws.iam.RolePolicy("CollectorRolePolicy", {
    role: role.id,
    name: "spanless-collector",
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "StoreBatchesUnderRecords",
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: $interpolate`${store.bucket.arn}/${RECORDS_PREFIX}*`,
        },
        {
          Sid: "EncryptUploadsThroughS3Only",
          Effect: "Allow",
          Action: "kms:GenerateDataKey",
          Resource: store.kmsKey.arn,
          Condition: { StringEquals: { "kms:ViaService": $interpolate`s3.${where.region}.amazonaws.com` } },
        },
        ...sessionManagerInstanceStatements(store.kmsKey.arn),
        {
          Sid: "SessionManagerWritesSessionLogs",
          Effect: "Allow",
          Action: [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogStreams",
            "logs:DescribeLogGroups",
          ],
          Resource: [store.logGroup.arn, $interpolate`${store.logGroup.arn}:log-stream:*`],
        },
      ],
    }),
  });
  const profile = new aws.iam.InstanceProfile("CollectorInstanceProfile", { name: base, role: role.name });

  const launchTemplate = new aws.ec2.LaunchTemplate("CollectorLaunchTemplate", {
    name: base,
    imageId: c.amiId ?? config.sensors.amiId,
    instanceType: c.instanceType,
    iamInstanceProfile: { arn: profile.arn },
    vpcSecurityGroupIds: [securityGroup.id],
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [
      {
        deviceName: config.sensors.rootDeviceName,
        ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" },
      },
    ],
    userData: store.bucket.bucket.apply((b) => Buffer.from(collectorUserData(b)).toString("base64")),
    tagSpecifications: [{ resourceType: "instance", tags: { Name: base, "spanless:role": "collector" } }],
  });

  const loadBalancer = new aws.lb.LoadBalancer("CollectorLoadBalancer", {
    name: base.slice(0, 32).replace(/-+$/, ""),
    loadBalancerType: "network",
    internal: !c.public,
    subnets,
    enableCrossZoneLoadBalancing: true,
  });
  const targetGroup = new aws.lb.TargetGroup("CollectorTargetGroup", {
    name: `${names.base}-coll`.slice(0, 32).replace(/-+$/, ""),
    vpcId: net.vpcId,
    targetType: "instance",
    // Re-encrypted to the collector's own certificate (the NLB does not verify target certificates).
    protocol: "TLS",
    port: COLLECTOR_PORT,
    healthCheck: { protocol: "HTTPS", port: String(COLLECTOR_PORT), path: "/v1/health", matcher: "200" },
  });
  new aws.lb.Listener("CollectorListener", {
    loadBalancerArn: loadBalancer.arn,
    protocol: "TLS",
    port: 443,
    certificateArn: c.certificateArn,
    sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
  });
  const group = new aws.autoscaling.Group("CollectorAutoScalingGroup", {
    name: base,
    vpcZoneIdentifiers: net.sensorSubnetIds,
    minSize: 1,
    maxSize: 1,
    desiredCapacity: 1,
    launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => String(v)) },
    targetGroupArns: [targetGroup.arn],
    healthCheckType: "ELB",
    healthCheckGracePeriod: 300,
    waitForCapacityTimeout: "0",
    tags: [{ key: "Name", value: base, propagateAtLaunch: true }],
  });
  return {
    url: `https://${c.domainName}/`,
    loadBalancerDns: loadBalancer.dnsName,
    groupName: group.name,
  };
}
