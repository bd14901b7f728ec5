// The IDs the inventory's mocks give resources (tools/infra-inventory.eval.mjs): a type prefix and the first
// 17 hex digits of sha256(type NUL name). Tests use them to check which resource references which.
import { createHash } from "node:crypto";

const PREFIX: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc",
  "aws:ec2/subnet:Subnet": "subnet",
  "aws:ec2/securityGroup:SecurityGroup": "sg",
  "aws:ec2/internetGateway:InternetGateway": "igw",
  "aws:ec2/natGateway:NatGateway": "nat",
  "aws:ec2/eip:Eip": "eipalloc",
  "aws:ec2/routeTable:RouteTable": "rtb",
  "aws:ec2/trafficMirrorTarget:TrafficMirrorTarget": "tmt",
  "aws:ec2/trafficMirrorFilter:TrafficMirrorFilter": "tmf",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt",
};

export function mockId(type: string, name: string): string {
  const prefix = PREFIX[type];
  if (prefix === undefined) throw new Error(`no mocked ID prefix for ${type}`);
  return `${prefix}-${createHash("sha256").update(`${type}\0${name}`).digest("hex").slice(0, 17)}`;
}
