// The exported entry point, wired from the environment as at a cold start, against moto_server.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it, vi } from "vitest";
import { sensorParameterNames } from "../../../contracts/config/index.js";
import { DynamoRolloutStore } from "../../../functions/instance-refresh/adapters/dynamodb.js";
import { useMoto } from "../../support/moto.js";
import { createStateTable } from "./support/world.js";

const TABLE = "rollout-state";
const names = sensorParameterNames("/spanless/prod");

describe("instance-refresh entry point (moto_server)", () => {
  const moto = useMoto();

  it("the exported handler wires itself from the environment (cold start) and buffers a change", async () => {
    // Prepare: the SDK honours AWS_ENDPOINT_URL, which is how the real entry point is aimed at moto
    const client = new DynamoDBClient(moto.clientConfig);
    await createStateTable(client, TABLE);
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
});
