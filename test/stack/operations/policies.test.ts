// The functions' policies against their READMEs, both ways: every action a README grants is granted (inside
// the README's resources, under at least its conditions), and nothing beyond the README plus the named
// additions (EXTRA_ACTIONS) is. Plus the stack-wide rules: well-formed ARNs, no wildcard actions, no `*`
// resource on an EC2 / Auto Scaling / SSM mutation without a condition.
import { describe, expect, it } from "vitest";
import {
  healthPolicy,
  mirrorPolicy,
  type PolicyDocument,
  refreshPolicy,
  ruleDlqPolicy,
  type Scope,
  schedulePolicy,
  topicPolicy,
} from "../../../stack/operations/policies.js";
import { beyond, missing, readmePolicy } from "./support/sources.js";

const scope: Scope = { partition: "aws", region: "us-east-1", account: "123456789012" };
const ARN = /^arn:aws(-cn|-us-gov)?:[a-z0-9-]+:([a-z]{2}(-[a-z]+)+-\d)?:(\d{12})?:[^\s]+$/;
const queue = (n: string) => `arn:aws:sqs:us-east-1:123456789012:${n}`;
const TOPIC = "arn:aws:sns:us-east-1:123456789012:spanless-dev-oncall";
const TOPIC_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const PARAMETER_KEY = "arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555";
const PARAMETERS = ["collector-url", "push-token", "proxy", "os-sensor-hmac"].map(
  (k) => `/spanless/dev/${k}`,
);

const mirror = () =>
  mirrorPolicy({
    scope,
    targetId: "tmt-0123456789abcdef0",
    filterId: "tmf-0123456789abcdef0",
    ownerTagValue: "spanless-dev",
    vniMap: { bucket: "spanless-dev-records", key: "spanless/vni-map.json", bucketKeyArn: TOPIC_KEY },
    checkListener: true,
    logGroupNames: ["/aws/lambda/spanless-dev-mirror-reconcile"],
    onFailureQueueArns: [queue("spanless-dev-mirror-reconcile-failed")],
  });
const mirrorReadme = () =>
  readmePolicy("mirror-on-launch", {
    "${Partition}": "aws",
    "${Region}": "us-east-1",
    "${Account}": "123456789012",
    "${TargetId}": "tmt-0123456789abcdef0",
    "${FilterId}": "tmf-0123456789abcdef0",
    "${OwnerTagValue}": "spanless-dev",
    "${Bucket}": "spanless-dev-records",
    "${VniMapKey}": "spanless/vni-map.json",
    "${FunctionName}": "spanless-dev-mirror-reconcile",
  });

const refresh = () =>
  refreshPolicy({
    scope,
    parameterNames: PARAMETERS,
    parameterKmsKeyArn: PARAMETER_KEY,
    asgName: "spanless-dev-sensors",
    launchTemplateId: "lt-0123456789abcdef0",
    tableArn: "arn:aws:dynamodb:us-east-1:123456789012:table/spanless-dev-rollout-state",
    topicArn: TOPIC,
    topicKeyArn: TOPIC_KEY,
    sensorInstanceRoleArn: "arn:aws:iam::123456789012:role/spanless-dev-sensor",
    logGroupNames: ["/aws/lambda/spanless-dev-instance-refresh"],
    onFailureQueueArns: [queue("spanless-dev-instance-refresh-failed")],
  });
const refreshReadme = () =>
  readmePolicy("instance-refresh", {
    "${Region}": "us-east-1",
    "${Account}": "123456789012",
    "${Stage}": "dev",
    "${AsgName}": "spanless-dev-sensors",
    "${LaunchTemplateId}": "lt-0123456789abcdef0",
    "${TableName}": "spanless-dev-rollout-state",
    "${TopicName}": "spanless-dev-oncall",
    "${ParameterKmsKeyArn}": PARAMETER_KEY,
    "${SensorInstanceRoleArn}": "arn:aws:iam::123456789012:role/spanless-dev-sensor",
    "${FunctionName}": "spanless-dev-instance-refresh",
  });

const health = () =>
  healthPolicy({
    scope,
    sensorLogGroupName: "/spanless/dev/sensors",
    topicArn: TOPIC,
    topicKeyArn: TOPIC_KEY,
    asgName: "spanless-dev-sensors",
    logGroupNames: ["/aws/lambda/spanless-dev-health"],
    onFailureQueueArns: [queue("spanless-dev-health-failed")],
  });
const healthReadme = () =>
  readmePolicy("health", {
    "<region>": "us-east-1",
    "<account>": "123456789012",
    "<log-group>": "/spanless/dev/sensors",
    "<topic>": "spanless-dev-oncall",
    "<asg>": "spanless-dev-sensors",
    "<function>": "spanless-dev-health",
  });

const cases = [
  ["mirror-on-launch", mirror, mirrorReadme],
  ["instance-refresh", refresh, refreshReadme],
  ["health", health, healthReadme],
] as const;

describe("function policies against their READMEs", () => {
  it.each(cases)("%s: grants everything its README needs", (_fn, build, readme) => {
    // Prepare
    const theirs = readme();

    // Act
    const mine = build();

    // Assess
    expect(missing(mine, theirs)).toEqual([]);
  });

  it.each(cases)("%s: grants nothing beyond its README and the named additions", (_fn, build, readme) => {
    // Prepare
    const theirs = readme();

    // Act
    const mine = build();

    // Assess
    expect(beyond(mine, theirs)).toEqual([]);
  });

  it("would notice a README action the policy drops", () => {
    // Prepare
    const theirs = healthReadme();
    const mine = health();

    // Act
    mine.Statement = mine.Statement.filter((s) => s.Sid !== "AbandonFailedBoots");

    // Assess
    expect(missing(mine, theirs)).toEqual([
      "AbandonFailedBoots: autoscaling:CompleteLifecycleAction on arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/spanless-dev-sensors",
    ]);
  });

  it("would notice a grant beyond the README", () => {
    // Prepare
    const theirs = mirrorReadme();
    const mine = mirror();

    // Act
    mine.Statement.push({
      Sid: "Extra",
      Effect: "Allow",
      Action: ["ec2:TerminateInstances"],
      Resource: ["*"],
    });

    // Assess
    expect(beyond(mine, theirs)).toEqual(["Extra: ec2:TerminateInstances on *"]);
  });

  it("lets only the reconciler describe the NLB's listeners, on * (no resource-level permissions)", () => {
    // Prepare
    const events = {
      scope,
      targetId: "tmt-0123456789abcdef0",
      filterId: "tmf-0123456789abcdef0",
      ownerTagValue: "spanless-dev",
      logGroupNames: ["/aws/lambda/spanless-dev-mirror-events"],
      onFailureQueueArns: [queue("spanless-dev-mirror-events-failed")],
    };

    // Act
    const reconciler = mirror().Statement;
    const eventHandler = mirrorPolicy(events).Statement;

    // Assess
    expect(reconciler.filter((s) => s.Action.some((a) => a.startsWith("elasticloadbalancing:")))).toEqual([
      {
        Sid: "CheckTheMirrorNlbListener",
        Effect: "Allow",
        Action: ["elasticloadbalancing:DescribeListeners"],
        Resource: ["*"],
      },
    ]);
    expect(reconciler.some((s) => s.Action.includes("ec2:DescribeTrafficMirrorTargets"))).toBe(true);
    expect(
      eventHandler.flatMap((s) => s.Action).filter((a) => a.startsWith("elasticloadbalancing:")),
    ).toEqual([]);
  });

  it("confines mirror sources to INCLUDE_VPC_IDS with ec2:Vpc when they are set", () => {
    // Prepare
    const vpcs = ["vpc-0123456789abcdef0"];

    // Act
    const doc = mirrorPolicy({
      scope,
      targetId: "tmt-0123456789abcdef0",
      filterId: "tmf-0123456789abcdef0",
      ownerTagValue: "spanless-dev",
      includeVpcIds: vpcs,
      logGroupNames: ["/aws/lambda/x"],
      onFailureQueueArns: [queue("x")],
    });

    // Assess
    const eni = doc.Statement.find((s) => s.Resource.some((r) => r.includes(":network-interface/")));
    expect(eni?.Condition).toEqual({
      StringEquals: { "ec2:Vpc": ["arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0123456789abcdef0"] },
    });
    expect(doc.Statement.some((s) => s.Action.includes("s3:PutObject"))).toBe(false);
  });
});

describe("policy hygiene", () => {
  const all = (): [string, PolicyDocument][] => [
    ["mirror", mirror()],
    ["refresh", refresh()],
    ["health", health()],
    ["schedule", schedulePolicy("arn:aws:lambda:us-east-1:123456789012:function:f", queue("q"))],
  ];

  it("uses only well-formed ARNs (or * where AWS has no resource-level permission)", () => {
    // Prepare
    const docs = all();

    // Act
    const bad = docs.flatMap(([n, d]) =>
      d.Statement.flatMap((s) =>
        s.Resource.filter((r) => r !== "*" && !ARN.test(r)).map((r) => `${n}: ${r}`),
      ),
    );

    // Assess
    expect(bad).toEqual([]);
  });

  it("has no wildcard action, and no * resource on an EC2/Auto Scaling/SSM mutation without a condition", () => {
    // Prepare
    const docs = all();
    const readOnly = /^(ec2|autoscaling|ssm):(Describe|Get|List)/;

    // Act
    const wildcards = docs.flatMap(([n, d]) =>
      d.Statement.flatMap((s) => s.Action.filter((a) => a.includes("*")).map((a) => `${n}: ${a}`)),
    );
    const unconditioned = docs.flatMap(([n, d]) =>
      d.Statement.filter((s) => s.Resource.includes("*") && !s.Condition).flatMap((s) =>
        s.Action.filter((a) => /^(ec2|autoscaling|ssm):/.test(a) && !readOnly.test(a)).map(
          (a) => `${n}: ${a}`,
        ),
      ),
    );

    // Assess
    expect(wildcards).toEqual([]);
    expect(unconditioned).toEqual([]);
  });

  it("lets EventBridge write a rule's dead letters for that rule only, over TLS", () => {
    // Prepare
    const rule = "arn:aws:events:us-east-1:123456789012:rule/spanless-dev-health-events";

    // Act
    const doc = ruleDlqPolicy(queue("spanless-dev-health-events-dlq"), rule) as {
      Statement: { Effect: string; Principal: unknown; Condition: unknown }[];
    };

    // Assess
    expect(doc.Statement[0]).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Condition: { ArnEquals: { "aws:SourceArn": rule } },
    });
    expect(doc.Statement[1]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("lets only this account's alarms and the paging functions publish to the topic", () => {
    // Prepare
    const roles = ["arn:aws:iam::123456789012:role/spanless-dev-health"];

    // Act
    const doc = topicPolicy({ scope, topicArn: TOPIC, publisherRoleArns: roles }) as {
      Statement: {
        Sid: string;
        Effect: string;
        Action: string | string[];
        Principal: unknown;
        Condition?: unknown;
      }[];
    };

    // Assess
    const publishers = doc.Statement.filter((s) => s.Effect === "Allow" && s.Action === "sns:Publish");
    expect(publishers.map((s) => s.Principal)).toEqual([
      { Service: "cloudwatch.amazonaws.com" },
      { AWS: roles },
    ]);
    const deny = doc.Statement.find((s) => s.Sid === "NoOtherPublishers");
    expect(deny).toMatchObject({
      Effect: "Deny",
      Action: "sns:Publish",
      Condition: {
        Bool: { "aws:PrincipalIsAWSService": "false" },
        ArnNotEquals: { "aws:PrincipalArn": roles },
      },
    });
    expect(publishers[0].Condition).toEqual({
      ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" },
      StringEquals: { "aws:SourceAccount": "123456789012" },
    });
  });
});
