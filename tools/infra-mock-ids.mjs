// The IDs the infrastructure inventory's Pulumi mocks give resources: AWS's own prefix for the resource
// types whose IDs the stack reads or tests compare (vpc-…, subnet-…, lt-…), then the first 17 hex digits
// of sha256(type NUL name), so every run prints the same inventory byte for byte. Shared by
// tools/infra-inventory.eval.mjs (which answers the mocks) and test/stack (which checks references).
import { createHash } from "node:crypto";

export const MOCK_ID_PREFIX = {
  "aws:ec2/vpc:Vpc": "vpc",
  "aws:ec2/subnet:Subnet": "subnet",
  "aws:ec2/securityGroup:SecurityGroup": "sg",
  "aws:ec2/internetGateway:InternetGateway": "igw",
  "aws:ec2/natGateway:NatGateway": "nat",
  "aws:ec2/eip:Eip": "eipalloc",
  "aws:ec2/routeTable:RouteTable": "rtb",
  "aws:ec2/trafficMirrorTarget:TrafficMirrorTarget": "tmt",
  "aws:ec2/trafficMirrorFilter:TrafficMirrorFilter": "tmf",
  "aws:ec2/trafficMirrorFilterRule:TrafficMirrorFilterRule": "tmfr",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt",
  "aws:ec2/instance:Instance": "i",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
};

/** sha256 of the parts joined by NUL, as hex. */
export function mockHash(...parts) {
  return createHash("sha256").update(parts.join("\0")).digest("hex");
}

/** The mocked ID of a resource of a prefixed type; undefined for other types (they get a physical name). */
export function mockId(type, name) {
  const prefix = MOCK_ID_PREFIX[type];
  return prefix === undefined ? undefined : `${prefix}-${mockHash(type, name).slice(0, 17)}`;
}
