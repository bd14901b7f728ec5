import { DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "./moto.js";

describe("moto_server test support", () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  it("serves a real EC2 API with a default VPC", async () => {
    // Prepare
    const ec2 = new EC2Client(moto.clientConfig);
    // Act
    const out = await ec2.send(new DescribeVpcsCommand({}));
    // Assess
    expect(out.Vpcs?.length).toBeGreaterThan(0);
  });
});
