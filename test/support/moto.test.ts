import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { useMoto } from "./moto.js";

describe("moto_server test support", () => {
  const moto = useMoto();

  it("serves a real EC2 API with a default VPC", async () => {
    // Prepare
    const ec2 = new EC2Client(moto.clientConfig);
    // Act
    const out = await ec2.send(new DescribeVpcsCommand({}));
    // Assess
    expect(out.Vpcs?.length).toBeGreaterThan(0);
  });

  it("starts every test from a reset server", async () => {
    // Prepare
    const ec2 = new EC2Client(moto.clientConfig);
    const before = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
    // Act
    await ec2.send(new CreateVpcCommand({ CidrBlock: "10.99.0.0/16" }));
    await moto.reset();
    const after = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0;
    // Assess
    expect(after).toBe(before);
    expect(moto.endpoint).toBe(`http://127.0.0.1:${moto.port}`);
  });
});
