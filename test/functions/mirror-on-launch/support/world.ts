// A small AWS world in moto_server (VPC, two subnets, a sensor with an ENI mirror target, a filter,
// workload instances) plus the EC2 client the handlers use: moto answers everything it implements,
// the SessionFake answers the four session APIs moto lacks.
import {
  type _InstanceType,
  AttachNetworkInterfaceCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateTrafficMirrorFilterCommand,
  CreateTrafficMirrorSessionCommand,
  CreateTrafficMirrorTargetCommand,
  CreateVpcCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  EC2Client,
  ModifyTrafficMirrorSessionCommand,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { sdkClientConfig } from "../../../../functions/shared/aws.js";
import type { MotoServer } from "../../../support/moto.js";
import { SessionFake } from "./session-fake.js";

export const AMI = "ami-12c6146b"; // one of moto's built-in Amazon Linux images
export const BUCKET = "spanless-vni-map";

export interface World {
  real: EC2Client;
  ec2: EC2Client;
  mock: AwsClientStub<EC2Client>;
  s3: S3Client;
  fake: SessionFake;
  vpcId: string;
  subnetA: string;
  subnetB: string;
  filterId: string;
  targetId: string;
  sensorId: string;
  sensorEniId: string;
  /** Calls by API name that reached moto or the fake through the handlers' client. */
  calls: Record<string, number>;
}

export interface Launched {
  instanceId: string;
  eniId: string;
}

const PASSTHROUGH = [
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorTargetsCommand,
  CreateTagsCommand,
] as const;

export async function buildWorld(moto: MotoServer): Promise<World> {
  const real = new EC2Client({ ...moto.clientConfig, ...sdkClientConfig({ maxAttempts: 1 }) });
  const s3 = new S3Client({ ...moto.clientConfig, ...sdkClientConfig({ maxAttempts: 1 }) });
  const vpc = await real.send(new CreateVpcCommand({ CidrBlock: "10.20.0.0/16" }));
  const vpcId = vpc.Vpc?.VpcId ?? "";
  const subnet = async (cidr: string, az: string) =>
    (await real.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az }))).Subnet
      ?.SubnetId ?? "";
  const subnetA = await subnet("10.20.1.0/24", "us-east-1a");
  const subnetB = await subnet("10.20.2.0/24", "us-east-1b");
  const filter = await real.send(new CreateTrafficMirrorFilterCommand({ Description: "spanless" }));
  const filterId = filter.TrafficMirrorFilter?.TrafficMirrorFilterId ?? "";
  const sensor = await launchInto(real, subnetA, "c5.large", { "spanless:role": "sensor" });
  const target = await real.send(new CreateTrafficMirrorTargetCommand({ NetworkInterfaceId: sensor.eniId }));
  const targetId = target.TrafficMirrorTarget?.TrafficMirrorTargetId ?? "";
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  const ec2 = new EC2Client({ ...moto.clientConfig, ...sdkClientConfig({ maxAttempts: 1 }) });
  const mock = mockClient(ec2);
  const calls: Record<string, number> = {};
  const counted = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const exists = async (kind: "target" | "filter", id: string) => {
    if (kind === "target") {
      const out = await real.send(new DescribeTrafficMirrorTargetsCommand({}));
      return (out.TrafficMirrorTargets ?? []).some((t) => t.TrafficMirrorTargetId === id);
    }
    const out = await real.send(new DescribeTrafficMirrorFiltersCommand({}));
    return (out.TrafficMirrorFilters ?? []).some((f) => f.TrafficMirrorFilterId === id);
  };
  const fake = new SessionFake({
    targetExists: (id) => exists("target", id),
    filterExists: (id) => exists("filter", id),
  });
  for (const Command of PASSTHROUGH) {
    // biome-ignore lint/suspicious/noExplicitAny: one pass-through for several command types
    mock.on(Command as any).callsFake((input: any) => {
      counted(Command.name.replace(/Command$/, ""));
      // biome-ignore lint/suspicious/noExplicitAny: see above
      return real.send(new (Command as any)(input));
    });
  }
  mock.on(CreateTrafficMirrorSessionCommand).callsFake((input) => {
    counted("CreateTrafficMirrorSession");
    return fake.create(input);
  });
  mock.on(DescribeTrafficMirrorSessionsCommand).callsFake((input) => {
    counted("DescribeTrafficMirrorSessions");
    return fake.describe(input);
  });
  mock.on(ModifyTrafficMirrorSessionCommand).callsFake((input) => {
    counted("ModifyTrafficMirrorSession");
    return fake.modify(input);
  });
  mock.on(DeleteTrafficMirrorSessionCommand).callsFake((input) => {
    counted("DeleteTrafficMirrorSession");
    return fake.delete(input);
  });

  return {
    real,
    ec2,
    mock,
    s3,
    fake,
    vpcId,
    subnetA,
    subnetB,
    filterId,
    targetId,
    sensorId: sensor.instanceId,
    sensorEniId: sensor.eniId,
    calls,
  };
}

async function launchInto(
  real: EC2Client,
  subnetId: string,
  type: string,
  tags: Record<string, string> = {},
): Promise<Launched> {
  const out = await real.send(
    new RunInstancesCommand({
      ImageId: AMI,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: type as _InstanceType,
      SubnetId: subnetId,
      TagSpecifications: Object.keys(tags).length
        ? [{ ResourceType: "instance", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }]
        : undefined,
    }),
  );
  const inst = out.Instances?.[0];
  return {
    instanceId: inst?.InstanceId ?? "",
    eniId: inst?.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? "",
  };
}

export function launch(
  world: World,
  options: { subnetId?: string; type?: string; tags?: Record<string, string> } = {},
) {
  return launchInto(world.real, options.subnetId ?? world.subnetA, options.type ?? "m5.large", options.tags);
}

export async function attachSecondaryEni(
  world: World,
  instanceId: string,
  subnetId = world.subnetA,
): Promise<string> {
  const created = await world.real.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
  const eniId = created.NetworkInterface?.NetworkInterfaceId ?? "";
  await world.real.send(
    new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eniId, InstanceId: instanceId, DeviceIndex: 1 }),
  );
  return eniId;
}
