// A complete, real test world in moto_server: the four sensor parameters (SSM, with versions), a launch template
// whose user data carries the pin block, a two-AZ Auto Scaling group, the DynamoDB state table and the on-call
// topic delivering to a loopback inbox. Only the instance refresh APIs are simulated (RefreshSimulator).
import {
  AttachInstancesCommand,
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  SetInstanceHealthCommand,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  type CreateLaunchTemplateVersionCommandInput,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  DeleteParameterCommand,
  type GetParametersCommandInput,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import {
  type ConfigPins,
  parsePinBlock,
  pinsFor,
  renderPinBlock,
  type SensorConfigKey,
  sensorParameterNames,
} from "../../../../contracts/config/index.js";
import {
  createHandler,
  type Deps,
  type HandleResult,
} from "../../../../functions/instance-refresh/handler.js";
import { buildDeps } from "../../../../functions/instance-refresh/index.js";
import type { MotoServer } from "../../../support/moto.js";
import { RefreshSimulator } from "./refresh-simulator.js";
import type { SnsInbox } from "./sns-inbox.js";

export const ASG_NAME = "spanless-prod-sensors";
export const TABLE_NAME = "spanless-prod-rollout-state";
export const NAMES = sensorParameterNames("/spanless/prod");
export const ALARMS = [
  "spanless-prod-sensors-healthy-us-east-1a",
  "spanless-prod-sensors-healthy-us-east-1b",
];
export const DEBOUNCE_SECONDS = 120;
export const SENSOR_ZONES = ["us-east-1a", "us-east-1b"];
export const START_TIME = Date.parse("2026-11-24T01:00:00Z");

/** Secret values with a recognisable prefix, so tests can prove they never leave Parameter Store. */
export const SECRETS = {
  pushSecret: "Qx7pushSECRETvalue0123456789",
  hmac: "Qx7hmac0123456789ABCDEFabc",
};

export const GOOD_VALUES: Record<SensorConfigKey, string> = {
  "collector-url": "https://collector.example.com/ingest",
  "push-token": `fleet-a:${SECRETS.pushSecret}`,
  proxy: "none",
  "os-sensor-hmac": SECRETS.hmac,
};

export const USER_DATA_HEAD = "#!/bin/bash\nset -euo pipefail\n";
export const USER_DATA_TAIL = "exec /opt/spanless/bin/spanless-boot\n";
/** One of moto's built-in AMIs (listing them with DescribeImages costs seconds). */
export const IMAGE_ID = "ami-12c6146b";
/** Another built-in AMI: the "new image" of a deploy. */
export const NEW_IMAGE_ID = "ami-1e749f67";

export interface World {
  deps: Deps;
  send(event: unknown): Promise<HandleResult>;
  advance(ms: number): void;
  now(): number;
  sim: RefreshSimulator;
  ssm: SSMClient;
  ec2: EC2Client;
  launchTemplateId: string;
  putParameter(key: SensorConfigKey, value: string, type?: "String" | "SecureString"): Promise<number>;
  deleteParameter(key: SensorConfigKey): Promise<void>;
  launchTemplatePins(version: number): Promise<ConfigPins | undefined>;
  launchTemplateVersionCount(): Promise<number>;
  setInstanceHealth(instanceId: string, health: "Healthy" | "Unhealthy"): Promise<void>;
  /** Puts the group on a new launch template version with the given user data (e.g. hand-written, no pins). */
  useUserData(userData: string, imageId?: string): Promise<number>;
  /**
   * What `sst deploy` does when the launch template changes: a new version with the stack's pins (`pins`, e.g.
   * the stale `sensors.initialVersions`) and another AMI, and the group pointed at it. Returns the version.
   */
  deployLaunchTemplate(pins: ConfigPins, imageId: string): Promise<number>;
  /** The function's own SSM and EC2 requests (the world's setup calls are not counted). */
  calls: {
    /** `WithDecryption` of each GetParameters call. */
    getParameters: boolean[];
    createLaunchTemplateVersion: CreateLaunchTemplateVersionCommandInput[];
  };
}

/** The rollout state table as the stack creates it: partition key `pk` (String), on demand. */
export async function createStateTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}

export async function buildWorld(
  moto: MotoServer,
  inbox: SnsInbox,
  env: Record<string, string> = {},
): Promise<World> {
  const cfg = moto.clientConfig;
  const dynamodb = new DynamoDBClient(cfg);
  const sns = new SNSClient(cfg);
  const ssm = new SSMClient(cfg);
  const ec2 = new EC2Client(cfg);
  const motoAsg = new AutoScalingClient(cfg);

  await createStateTable(dynamodb, TABLE_NAME);
  const topic = await sns.send(new CreateTopicCommand({ Name: "spanless-prod-oncall" }));
  await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: "http", Endpoint: inbox.url }));

  const putParameter = async (key: SensorConfigKey, value: string, type?: "String" | "SecureString") => {
    const out = await ssm.send(
      new PutParameterCommand({
        Name: NAMES[key],
        Value: value,
        Type: type ?? (key === "collector-url" ? "String" : "SecureString"),
        Overwrite: true,
      }),
    );
    return out.Version ?? 0;
  };
  for (const key of Object.keys(GOOD_VALUES) as SensorConfigKey[]) await putParameter(key, GOOD_VALUES[key]);

  const image = IMAGE_ID;
  const initialPins = pinsFor(NAMES, { "collector-url": 1, "push-token": 1, proxy: 1, "os-sensor-hmac": 1 });
  const userData = USER_DATA_HEAD + renderPinBlock(initialPins) + USER_DATA_TAIL;
  const lt = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: "spanless-prod-sensor",
      LaunchTemplateData: {
        ImageId: image,
        InstanceType: "c5n.large",
        UserData: Buffer.from(userData).toString("base64"),
      },
    }),
  );
  const launchTemplateId = lt.LaunchTemplate?.LaunchTemplateId ?? "";
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
  const byZone = new Map(subnets.map((s) => [s.AvailabilityZone, s.SubnetId]));
  const zoneSubnets = SENSOR_ZONES.map((z) => byZone.get(z) ?? "");
  await motoAsg.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: ASG_NAME,
      LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: "1" },
      MinSize: 0,
      MaxSize: 4,
      DesiredCapacity: 0,
      VPCZoneIdentifier: zoneSubnets.join(","),
    }),
  );
  // moto places group instances in a random zone; launch one sensor per zone explicitly and attach them, so the
  // group looks like a balanced AWS group (one healthy sensor in each of two zones).
  const instanceIds: string[] = [];
  for (const subnet of zoneSubnets) {
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: image,
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnet,
        LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: "1" },
      }),
    );
    instanceIds.push(run.Instances?.[0]?.InstanceId ?? "");
  }
  await motoAsg.send(
    new AttachInstancesCommand({ AutoScalingGroupName: ASG_NAME, InstanceIds: instanceIds }),
  );
  await motoAsg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: ASG_NAME, MinSize: 2 }));

  const sim = new RefreshSimulator(cfg, motoAsg);
  // The function gets clients of its own, so only its requests are recorded.
  const calls: World["calls"] = { getParameters: [], createLaunchTemplateVersion: [] };
  const fnSsm = new SSMClient(cfg);
  fnSsm.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "GetParametersCommand")
        calls.getParameters.push((args.input as GetParametersCommandInput).WithDecryption === true);
      return next(args);
    },
    { step: "initialize", name: "recordGetParameters" },
  );
  const fnEc2 = new EC2Client(cfg);
  fnEc2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "CreateLaunchTemplateVersionCommand")
        calls.createLaunchTemplateVersion.push(args.input as CreateLaunchTemplateVersionCommandInput);
      return next(args);
    },
    { step: "initialize", name: "recordCreateLaunchTemplateVersion" },
  );
  let clock = START_TIME;
  const deps = buildDeps(
    {
      SPANLESS_STAGE: "prod",
      SENSOR_ASG_NAME: ASG_NAME,
      ROLLOUT_STATE_TABLE: TABLE_NAME,
      ONCALL_TOPIC_ARN: topic.TopicArn ?? "",
      DEBOUNCE_WINDOW_SECONDS: String(DEBOUNCE_SECONDS),
      REFRESH_ALARM_NAMES: ALARMS.join(","),
      CROSS_ZONE_ENABLED: "false",
      ...env,
    },
    { clientConfig: cfg, clients: { autoScaling: sim.client, ssm: fnSsm, ec2: fnEc2 }, now: () => clock },
  );
  const handler = createHandler(() => deps);

  const versionData = async (version: number) => {
    const out = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: [String(version)],
      }),
    );
    return out.LaunchTemplateVersions?.[0];
  };

  const useUserData = async (text: string, imageId = image) => {
    const out = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: launchTemplateId,
        LaunchTemplateData: { ImageId: imageId, UserData: Buffer.from(text).toString("base64") },
      }),
    );
    const version = out.LaunchTemplateVersion?.VersionNumber ?? 0;
    await motoAsg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: ASG_NAME,
        LaunchTemplate: { LaunchTemplateId: launchTemplateId, Version: String(version) },
      }),
    );
    return version;
  };

  return {
    deps,
    send: (event) => handler(event),
    advance: (ms) => {
      clock += ms;
    },
    now: () => clock,
    sim,
    ssm,
    ec2,
    launchTemplateId,
    putParameter,
    deleteParameter: async (key) => {
      await ssm.send(new DeleteParameterCommand({ Name: NAMES[key] }));
    },
    launchTemplatePins: async (version) => {
      const data = await versionData(version);
      return parsePinBlock(Buffer.from(data?.LaunchTemplateData?.UserData ?? "", "base64").toString("utf8"));
    },
    useUserData,
    deployLaunchTemplate: (pins, imageId) =>
      useUserData(USER_DATA_HEAD + renderPinBlock(pins) + USER_DATA_TAIL, imageId),
    calls,
    setInstanceHealth: async (instanceId, health) => {
      await motoAsg.send(new SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: health }));
    },
    launchTemplateVersionCount: async () => {
      const out = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId }),
      );
      return out.LaunchTemplateVersions?.length ?? 0;
    },
  };
}
