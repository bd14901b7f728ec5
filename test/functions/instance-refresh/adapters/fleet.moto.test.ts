// The Auto Scaling + EC2 fleet adapter against moto_server: launch template resolution and lookups.
import { AutoScalingClient, DescribeInstanceRefreshesCommand } from "@aws-sdk/client-auto-scaling";
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  EC2Client,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { AwsFleet } from "../../../../functions/instance-refresh/adapters/fleet.js";
import { parseConfig } from "../../../../functions/instance-refresh/config.js";
import { FleetLookupError } from "../../../../functions/instance-refresh/errors.js";
import { useMoto } from "../../../support/moto.js";

const settings = parseConfig({
  SPANLESS_STAGE: "prod",
  SENSOR_ASG_NAME: "no-such-group",
  ROLLOUT_STATE_TABLE: "rollout-state",
  ONCALL_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:oncall",
});

describe("AwsFleet (moto_server)", () => {
  const moto = useMoto();

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

  it("tells the active refresh and the newest one apart in one DescribeInstanceRefreshes (moto lacks it: mocked)", async () => {
    // Prepare: listed oldest first, to show the order is not trusted
    const autoScaling = new AutoScalingClient(moto.clientConfig);
    const mock = mockClient(autoScaling);
    mock.on(DescribeInstanceRefreshesCommand).resolves({
      InstanceRefreshes: [
        { InstanceRefreshId: "old", Status: "Successful", StartTime: new Date("2026-01-01T00:00:00Z") },
        {
          InstanceRefreshId: "new",
          Status: "RollbackSuccessful",
          StatusReason: "alarm",
          StartTime: new Date("2026-02-01T00:00:00Z"),
        },
      ],
    });
    const fleet = new AwsFleet(autoScaling, new EC2Client(moto.clientConfig), settings);
    // Act
    const overview = await fleet.refreshOverview();
    // Assess
    expect(overview).toEqual({
      active: undefined,
      latest: {
        refreshId: "new",
        status: "RollbackSuccessful",
        statusReason: "alarm",
        percentageComplete: undefined,
      },
    });
    expect(mock.commandCalls(DescribeInstanceRefreshesCommand)).toHaveLength(1);
    mock.restore();
  });
});
