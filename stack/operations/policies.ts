// Least-privilege IAM policies of the functions and the schedules, built from resolved names. Each function's
// policy is its README's "IAM policy" section with the placeholders filled in, narrowed where the stack
// knows more (exact parameter names instead of a prefix wildcard), plus what every README left to the
// deployer: writing its own log group, sending failed invocations to its on-failure queue and, for the
// functions that page, using the on-call topic's KMS key. test/stack/operations/policies.test.ts parses the
// READMEs' JSON and checks both directions: every README action is granted (within the README's resources
// and conditions) and nothing is granted beyond the README plus the additions named in EXTRA_ACTIONS.
//
// Where `Resource` is `*` on a mutating EC2 or Auto Scaling action it carries a condition, because those
// actions (RunInstances from a launch template, CreateTags during RunInstances) are authorised per resource
// type and the resources they create have no ARN yet; the condition pins them to the sensor template.

export interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** Where ARNs point: partition (`aws`, `aws-cn`, `aws-us-gov`), region and account ID. */
export interface Scope {
  partition: string;
  region: string;
  account: string;
}

export const arn = (s: Scope, service: string, resource: string, region = s.region, account = s.account) =>
  `arn:${s.partition}:${service}:${region}:${account}:${resource}`;

export const logGroupArn = (s: Scope, name: string) => arn(s, "logs", `log-group:${name}`);
export const asgArn = (s: Scope, name: string) =>
  arn(s, "autoscaling", `autoScalingGroup:*:autoScalingGroupName/${name}`);
export const parameterArn = (s: Scope, name: string) => arn(s, "ssm", `parameter${name}`);

const statement = (
  Sid: string,
  Action: string[],
  Resource: string[],
  Condition?: Statement["Condition"],
): Statement => ({ Sid, Effect: "Allow", Action, Resource, ...(Condition ? { Condition } : {}) });

const doc = (statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/**
 * Actions each policy adds to its README's, and why. The README check allows exactly these on top.
 * logs: the functions' log groups are created by the stack (no CreateLogGroup). sqs: Lambda sends a failed
 * asynchronous invocation to the on-failure destination with the function's own role. kms: the on-call
 * topic is encrypted with a customer managed key, and publishing to it needs the key (the READMEs say so).
 */
export const EXTRA_ACTIONS = {
  logs: ["logs:CreateLogStream", "logs:PutLogEvents"],
  onFailure: ["sqs:SendMessage"],
  topicKey: ["kms:GenerateDataKey", "kms:Decrypt"],
  bucketKey: ["kms:GenerateDataKey"],
} as const;

/** The function's own log groups (`/aws/lambda/<name>`) and its on-failure queues. */
interface Common {
  scope: Scope;
  logGroupNames: string[];
  onFailureQueueArns: string[];
}

function commonStatements(c: Common): Statement[] {
  return [
    statement(
      "OwnLogs",
      [...EXTRA_ACTIONS.logs],
      c.logGroupNames.map((n) => `${logGroupArn(c.scope, n)}:*`),
    ),
    statement("FailedInvocationsToOnFailureQueue", [...EXTRA_ACTIONS.onFailure], c.onFailureQueueArns),
  ];
}

/** Publishing to the on-call topic; with a customer managed key, the key too. */
function topicStatements(sid: string, topicArn: string, topicKeyArn: string | undefined): Statement[] {
  return [
    statement(sid, ["sns:Publish"], [topicArn]),
    ...(topicKeyArn ? [statement("UseTheOnCallTopicKey", [...EXTRA_ACTIONS.topicKey], [topicKeyArn])] : []),
  ];
}

export interface MirrorPolicyInput extends Common {
  targetId: string;
  filterId: string;
  ownerTagValue: string;
  /** The reconciler publishes the VNI map: the object, and the bucket's KMS key (SSE-KMS by default). */
  vniMap?: { bucket: string; key: string; bucketKeyArn?: string };
  /** INCLUDE_VPC_IDS: when set, sources are confined to these VPCs by `ec2:Vpc` (README notes). */
  includeVpcIds?: readonly string[];
  /** The reconciler checks the sensors' NLB for its UDP 4789 listener (README: mirror listener check). */
  checkListener?: boolean;
}

/** functions/mirror-on-launch/README.md "IAM policy (least privilege)", for both of its handlers. */
export function mirrorPolicy(i: MirrorPolicyInput): PolicyDocument {
  const s = i.scope;
  const session = arn(s, "ec2", "traffic-mirror-session/*");
  const target = arn(s, "ec2", `traffic-mirror-target/${i.targetId}`);
  const filter = arn(s, "ec2", `traffic-mirror-filter/${i.filterId}`);
  const vpcs = i.includeVpcIds ?? [];
  return doc([
    // Describe* actions do not support resource-level permissions (Service Authorization Reference).
    statement(
      "ReadInventory",
      [
        "ec2:DescribeInstances",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeTrafficMirrorSessions",
        "ec2:DescribeTrafficMirrorTargets",
        "ec2:DescribeTrafficMirrorFilters",
      ],
      ["*"],
    ),
    statement("CreateOwnedSessionsOnly", ["ec2:CreateTrafficMirrorSession"], [session], {
      StringEquals: { "aws:RequestTag/spanless:owner": i.ownerTagValue },
      "ForAllValues:StringEquals": { "aws:TagKeys": ["spanless:owner", "spanless:instance-id"] },
    }),
    // The source ENI in its own statement so that an `ec2:Vpc` condition applies to it alone.
    statement(
      "CreateSessionsFromInScopeEnis",
      ["ec2:CreateTrafficMirrorSession"],
      [arn(s, "ec2", "network-interface/*")],
      vpcs.length > 0
        ? { StringEquals: { "ec2:Vpc": vpcs.map((v) => arn(s, "ec2", `vpc/${v}`)) } }
        : undefined,
    ),
    statement(
      "CreateSessionsToTheSensorTargetWithTheSpanlessFilter",
      ["ec2:CreateTrafficMirrorSession"],
      [target, filter],
    ),
    statement("TagSessionsOnCreateOnly", ["ec2:CreateTags"], [session], {
      StringEquals: { "ec2:CreateAction": "CreateTrafficMirrorSession" },
    }),
    statement(
      "ModifyAndDeleteOwnedSessionsOnly",
      ["ec2:ModifyTrafficMirrorSession", "ec2:DeleteTrafficMirrorSession"],
      [session],
      { StringEquals: { "aws:ResourceTag/spanless:owner": i.ownerTagValue } },
    ),
    statement(
      "PointModifiedSessionsAtTheSensorTargetAndFilter",
      ["ec2:ModifyTrafficMirrorSession"],
      [target, filter],
    ),
    statement("MarkInstancesEc2RefusedAsSources", ["ec2:CreateTags"], [arn(s, "ec2", "instance/*")], {
      "ForAllValues:StringEquals": { "aws:TagKeys": ["spanless:mirror-unsupported"] },
    }),
    // ELBv2 Describe* actions do not support resource-level permissions either.
    ...(i.checkListener
      ? [statement("CheckTheMirrorNlbListener", ["elasticloadbalancing:DescribeListeners"], ["*"])]
      : []),
    ...(i.vniMap ? vniMapStatements(s, i.vniMap) : []),
    ...commonStatements(i),
  ]);
}

function vniMapStatements(s: Scope, m: NonNullable<MirrorPolicyInput["vniMap"]>): Statement[] {
  return [
    statement("PublishVniMap", ["s3:PutObject"], [`arn:${s.partition}:s3:::${m.bucket}/${m.key}`]),
    ...(m.bucketKeyArn
      ? [
          // The records bucket encrypts with the stack's key: writing an object needs a data key, only via S3.
          statement("EncryptTheVniMapThroughS3", [...EXTRA_ACTIONS.bucketKey], [m.bucketKeyArn], {
            StringEquals: { "kms:ViaService": `s3.${s.region}.amazonaws.com` },
          }),
        ]
      : []),
  ];
}

export interface RefreshPolicyInput extends Common {
  parameterNames: string[];
  parameterKmsKeyArn: string;
  asgName: string;
  launchTemplateId: string;
  tableArn: string;
  topicArn: string;
  topicKeyArn?: string;
  sensorInstanceRoleArn: string;
}

/** functions/instance-refresh/README.md "Least-privilege IAM policy". */
export function refreshPolicy(i: RefreshPolicyInput): PolicyDocument {
  const s = i.scope;
  const parameters = i.parameterNames.map((n) => parameterArn(s, n));
  const template = arn(s, "ec2", `launch-template/${i.launchTemplateId}`);
  return doc([
    // The exact names the function reads (sensorParameterNames of its prefix), not the README's prefix/*.
    statement("ReadSensorParameters", ["ssm:GetParameters"], parameters),
    statement("DecryptSensorParametersOnlyThroughSsm", ["kms:Decrypt"], [i.parameterKmsKeyArn], {
      StringEquals: { "kms:ViaService": `ssm.${s.region}.amazonaws.com` },
      StringLike: { "kms:EncryptionContext:PARAMETER_ARN": parameters },
    }),
    // Describe* actions do not support resource-level permissions.
    statement(
      "DescribeFleet",
      [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeInstanceRefreshes",
        "ec2:DescribeLaunchTemplateVersions",
      ],
      ["*"],
    ),
    statement(
      "StartRefreshOfTheSensorGroupOnly",
      ["autoscaling:StartInstanceRefresh"],
      [asgArn(s, i.asgName)],
    ),
    statement("VersionTheSensorLaunchTemplateOnly", ["ec2:CreateLaunchTemplateVersion"], [template]),
    // RunInstances is authorised per resource type (instance, volume, ENI, subnet, SG, image…), most of
    // which have no ARN before the launch; the conditions allow it only through the sensor template.
    statement("UseTheLaunchTemplateForTheRefresh", ["ec2:RunInstances"], ["*"], {
      ArnLike: { "ec2:LaunchTemplate": template },
      Bool: { "ec2:IsLaunchTemplateResource": "true" },
    }),
    // Tags of instances/volumes being created have no ARN to scope by: only as part of RunInstances.
    statement("TagInstancesLaunchedFromTheTemplate", ["ec2:CreateTags"], ["*"], {
      StringEquals: { "ec2:CreateAction": "RunInstances" },
    }),
    statement("PassOnlyTheSensorInstanceRole", ["iam:PassRole"], [i.sensorInstanceRoleArn], {
      StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" },
    }),
    statement("RolloutState", ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"], [i.tableArn]),
    ...topicStatements("NotifyOnCall", i.topicArn, i.topicKeyArn),
    ...commonStatements(i),
  ]);
}

export interface HealthPolicyInput extends Common {
  sensorLogGroupName: string;
  topicArn: string;
  topicKeyArn?: string;
  asgName: string;
}

/** functions/health/README.md "Least-privilege IAM policy" (ABANDON_FAILED_BOOTS on: the default). */
export function healthPolicy(i: HealthPolicyInput): PolicyDocument {
  const s = i.scope;
  const group = logGroupArn(s, i.sensorLogGroupName);
  return doc([
    statement("ReadSensorBootLogs", ["logs:GetLogEvents", "logs:DescribeLogStreams"], [group, `${group}:*`]),
    ...topicStatements("PageOnCall", i.topicArn, i.topicKeyArn),
    // Describe* actions do not support resource-level permissions.
    statement(
      "ReadAutoScaling",
      [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeInstanceRefreshes",
        "autoscaling:DescribeLifecycleHooks",
      ],
      ["*"],
    ),
    statement("AbandonFailedBoots", ["autoscaling:CompleteLifecycleAction"], [asgArn(s, i.asgName)]),
    // DescribeTargetHealth, GetMetricStatistics and DescribeLaunchTemplateVersions are read-only and do not
    // support resource-level permissions.
    statement(
      "ReadFleetHealth",
      [
        "elasticloadbalancing:DescribeTargetHealth",
        "cloudwatch:GetMetricStatistics",
        "ec2:DescribeLaunchTemplateVersions",
      ],
      ["*"],
    ),
    ...commonStatements(i),
  ]);
}

/** EventBridge Scheduler's role for one schedule: invoke that one function, dead-letter to its queue. */
export function schedulePolicy(functionArn: string, dlqArn: string): PolicyDocument {
  return doc([
    statement("InvokeTheScheduledFunctionOnly", ["lambda:InvokeFunction"], [functionArn, `${functionArn}:*`]),
    statement("DeadLetterToTheScheduleQueue", ["sqs:SendMessage"], [dlqArn]),
  ]);
}

/** Trust policy for a role assumed by one AWS service, confined to this account (confused deputy). */
export function assumeRolePolicy(service: string, account?: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(account ? { Condition: { StringEquals: { "aws:SourceAccount": account } } } : {}),
      },
    ],
  };
}

/**
 * The SQS queue policy of a rule's dead-letter queue: EventBridge may send to it only on behalf of that rule
 * (aws:SourceArn), as the EventBridge DLQ documentation prescribes; plain HTTP is refused.
 */
export function ruleDlqPolicy(queueArn: string, ruleArn: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EventBridgeRuleDeadLetters",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queueArn,
        Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
      },
      denyInsecureTransport("sqs:*", queueArn),
    ],
  };
}

export function denyInsecureTransport(action: string, resource: string): Statement & { Principal: string } {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: [action],
    Resource: [resource],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  } as Statement & { Principal: string };
}

/**
 * The on-call topic's policy: CloudWatch alarms of this account may publish, and the two functions that page
 * (by their roles). Nobody else: other IAM principals of the account are denied even with an IAM grant.
 */
export function topicPolicy(i: {
  scope: Scope;
  topicArn: string;
  publisherRoleArns: string[];
}): Record<string, unknown> {
  const s = i.scope;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudWatchAlarmsOfThisAccount",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: i.topicArn,
        Condition: {
          ArnLike: { "aws:SourceArn": arn(s, "cloudwatch", "alarm:*") },
          StringEquals: { "aws:SourceAccount": s.account },
        },
      },
      {
        Sid: "SpanlessFunctionsThatPage",
        Effect: "Allow",
        Principal: { AWS: i.publisherRoleArns },
        Action: "sns:Publish",
        Resource: i.topicArn,
      },
      {
        // Same-account IAM principals could otherwise publish with an identity policy alone: deny every
        // non-service caller but the two roles. Service principals (CloudWatch) are never matched, so alarms
        // still page. A test page is sent with `aws cloudwatch set-alarm-state`, not by publishing by hand.
        Sid: "NoOtherPublishers",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: i.topicArn,
        Condition: {
          Bool: { "aws:PrincipalIsAWSService": "false" },
          ArnNotEquals: { "aws:PrincipalArn": i.publisherRoleArns },
        },
      },
      {
        // Account administrators keep managing the topic (subscriptions, attributes) through IAM.
        Sid: "AccountManagesTheTopic",
        Effect: "Allow",
        Principal: { AWS: `arn:${s.partition}:iam::${s.account}:root` },
        Action: [
          "sns:GetTopicAttributes",
          "sns:SetTopicAttributes",
          "sns:Subscribe",
          "sns:ListSubscriptionsByTopic",
          "sns:DeleteTopic",
          "sns:TagResource",
        ],
        Resource: i.topicArn,
      },
      denyInsecureTransport("sns:Publish", i.topicArn),
    ],
  };
}

/**
 * Key policy of the on-call topic's KMS key. CloudWatch alarms cannot publish to a topic encrypted with the
 * AWS managed SNS key (its policy cannot name cloudwatch.amazonaws.com), hence a key of our own.
 */
export function topicKeyPolicy(s: Scope): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        // The account (through IAM) administers the key; without it the key would be unmanageable.
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${s.partition}:iam::${s.account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsEncryptToTheTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": s.account } },
      },
    ],
  };
}
