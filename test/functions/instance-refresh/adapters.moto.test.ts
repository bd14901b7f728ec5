// The DynamoDB, SSM and EC2 adapters against moto_server: the properties the orchestration relies on.

import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { LabelParameterVersionCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { sensorParameterNames } from "../../../contracts/config/index.js";
import { FleetLookupError } from "../../../functions/instance-refresh/errors.js";
import { AwsFleet } from "../../../functions/instance-refresh/fleet.js";
import { SsmParameterReader } from "../../../functions/instance-refresh/parameters.js";
import { loadSettings } from "../../../functions/instance-refresh/settings.js";
import { DynamoRolloutStore } from "../../../functions/instance-refresh/state-store.js";
import { type MotoServer, startMoto } from "../../support/moto.js";

const TABLE = "rollout-state";
const names = sensorParameterNames("/spanless/prod");
const settings = loadSettings({
  SPANLESS_STAGE: "prod",
  SENSOR_ASG_NAME: "no-such-group",
  ROLLOUT_STATE_TABLE: TABLE,
  ONCALL_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:oncall",
});

describe("instance-refresh adapters (moto_server)", () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
  });

  it("the exported handler wires itself from the environment (cold start) and buffers a change", async () => {
    // Prepare: the SDK honours AWS_ENDPOINT_URL, which is how the real entry point is aimed at moto
    const client = new DynamoDBClient(moto.clientConfig);
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const env = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      SPANLESS_STAGE: "prod",
      SENSOR_ASG_NAME: "spanless-prod-sensors",
      ROLLOUT_STATE_TABLE: TABLE,
      ONCALL_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:oncall",
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const { handler } = await import("../../../functions/instance-refresh/index.js");
      const event = {
        source: "aws.ssm",
        "detail-type": "Parameter Store Change",
        time: "2026-11-24T01:00:00Z",
        detail: { operation: "Update", name: names.proxy, type: "SecureString" },
      };
      // Act
      const result = await handler(event);
      const state = await new DynamoRolloutStore(client, TABLE, "spanless-prod-sensors", () => 0).get();
      // Assess
      expect(result).toEqual({ outcome: "buffered", parameter: names.proxy });
      expect(state.pendingParameters).toEqual([names.proxy]);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  describe("DynamoRolloutStore", () => {
    async function store(): Promise<DynamoRolloutStore> {
      const client = new DynamoDBClient(moto.clientConfig);
      await client.send(
        new CreateTableCommand({
          TableName: TABLE,
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      return new DynamoRolloutStore(client, TABLE, "asg", () => 0);
    }

    // Calls are sequential: each is one UpdateItem, which DynamoDB applies atomically, but moto_server does not
    // serialise concurrent updates of one item, so a concurrent test would measure moto, not this code.
    it("buffers every change in one item, keeping the first and the last change time", async () => {
      // Prepare
      const s = await store();
      // Act
      for (let i = 0; i < 10; i++) await s.recordChange(names[i % 2 ? "proxy" : "push-token"], 1_000 + i);
      const state = await s.get();
      // Assess
      expect(state.pendingParameters).toEqual([names.proxy, names["push-token"]].sort());
      expect(state.changeSeq).toBe(10);
      expect(state.firstChangeAt).toBe(1_000);
      expect(state.lastChangeAt).toBe(1_009);
    });

    it("grants the lease to one caller until it expires or is released", async () => {
      // Prepare
      const s = await store();
      // Act
      const grants = [await s.acquireLease(10_000, 60_000), await s.acquireLease(10_001, 60_000)];
      const whileHeld = await s.acquireLease(20_000, 60_000);
      const afterExpiry = await s.acquireLease(70_001, 60_000);
      await s.releaseLease();
      const afterRelease = await s.acquireLease(70_002, 60_000);
      // Assess
      expect(grants).toEqual([true, false]);
      expect([whileHeld, afterExpiry, afterRelease]).toEqual([false, true, true]);
    });

    it("clears the buffer only if no change arrived since it was read", async () => {
      // Prepare
      const s = await store();
      await s.recordChange(names.proxy, 1);
      const seen = await s.get();
      await s.recordChange(names["push-token"], 2);
      // Act
      const stale = await s.clearPending(seen.changeSeq);
      const fresh = await s.clearPending((await s.get()).changeSeq);
      // Assess
      expect(stale).toBe(false);
      expect(fresh).toBe(true);
      expect((await s.get()).pendingParameters).toEqual([]);
    });

    it("stores and reads back refresh records", async () => {
      // Prepare
      const s = await store();
      const record = {
        refreshId: "r-1",
        asgName: "asg",
        startedAt: 5,
        launchTemplateId: "lt-1",
        launchTemplateVersion: 3,
        previousLaunchTemplateVersion: 2,
        changedKeys: ["proxy" as const],
        pins: { "collector-url": "/a:1", "push-token": "/b:1", proxy: "/c:2", "os-sensor-hmac": "none" },
        triggeredBy: [names.proxy],
      };
      // Act
      await s.saveRefresh(record);
      // Assess
      expect(await s.getRefresh("r-1")).toEqual(record);
      expect(await s.getRefresh("r-2")).toBeUndefined();
    });
  });

  describe("SsmParameterReader", () => {
    it("returns decrypted values with type and version, and leaves missing parameters out", async () => {
      // Prepare
      const ssm = new SSMClient(moto.clientConfig);
      await ssm.send(
        new PutParameterCommand({ Name: names["collector-url"], Value: "https://a.example", Type: "String" }),
      );
      await ssm.send(
        new PutParameterCommand({ Name: names["push-token"], Value: "l:one", Type: "SecureString" }),
      );
      await ssm.send(
        new PutParameterCommand({
          Name: names["push-token"],
          Value: "l:two",
          Type: "SecureString",
          Overwrite: true,
        }),
      );
      // Act
      const fetched = await new SsmParameterReader(ssm, names, undefined).fetch();
      // Assess
      expect(fetched.input).toEqual({
        "collector-url": { value: "https://a.example", type: "String", version: 1 },
        "push-token": { value: "l:two", type: "SecureString", version: 2 },
      });
      expect(fetched.versions).toEqual({ "collector-url": 1, "push-token": 2 });
    });

    it("reads the labelled version when a label is configured", async () => {
      // Prepare
      const ssm = new SSMClient(moto.clientConfig);
      for (const value of ["l:one", "l:two", "l:three"]) {
        await ssm.send(
          new PutParameterCommand({
            Name: names["push-token"],
            Value: value,
            Type: "SecureString",
            Overwrite: true,
          }),
        );
      }
      await ssm.send(
        new LabelParameterVersionCommand({
          Name: names["push-token"],
          ParameterVersion: 2,
          Labels: ["live"],
        }),
      );
      // Act
      const fetched = await new SsmParameterReader(ssm, names, "live").fetch();
      // Assess
      expect(fetched.input["push-token"]).toEqual({ value: "l:two", type: "SecureString", version: 2 });
    });
  });

  describe("AwsFleet", () => {
    it("resolves $Latest to a version number and decodes the user data", async () => {
      // Prepare
      const ec2 = new EC2Client(moto.clientConfig);
      const lt = await ec2.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: "t",
          LaunchTemplateData: { ImageId: "ami-12c6146b", UserData: Buffer.from("v1").toString("base64") },
        }),
      );
      const id = lt.LaunchTemplate?.LaunchTemplateId ?? "";
      await ec2.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: id,
          LaunchTemplateData: { ImageId: "ami-12c6146b", UserData: Buffer.from("v2 ✓").toString("base64") },
        }),
      );
      const fleet = new AwsFleet(new AutoScalingClient(moto.clientConfig), ec2, settings);
      // Act
      const latest = await fleet.describeLaunchTemplateVersion({
        launchTemplateId: undefined,
        launchTemplateName: "t",
        versionSpec: "$Latest",
      });
      // Assess
      expect(latest).toEqual({
        launchTemplateId: id,
        versionNumber: 2,
        userData: "v2 ✓",
        imageId: "ami-12c6146b",
      });
    });

    it("names the group when it does not exist", async () => {
      // Prepare
      const fleet = new AwsFleet(
        new AutoScalingClient(moto.clientConfig),
        new EC2Client(moto.clientConfig),
        settings,
      );
      // Act
      const act = fleet.describeGroup();
      // Assess
      await expect(act).rejects.toThrow(FleetLookupError);
      await expect(act).rejects.toThrow(
        "Auto Scaling group no-such-group does not exist (check SENSOR_ASG_NAME)",
      );
    });
  });
});
