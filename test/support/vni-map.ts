// A VNI map (contracts/vni-map) with one VPC (VNI 100) and one mirrored source: the fixture the live
// sensor's enrichment, the S3 fetch and the bootstrap tests share.
import type { VniMap } from "../../contracts/vni-map/index.js";

export function oneSourceVniMap(o: {
  /** The outer source address mirrored packets arrive from. */
  source: string;
  /** The instance's Name tag (absent: no tags). */
  name?: string;
  instanceId?: string;
  subnetId?: string;
}): VniMap {
  return {
    version: 1,
    generatedAt: "2026-12-07T00:00:00.000Z",
    owner: "spanless",
    vnis: {
      "100": {
        vpcId: "vpc-0a1b2c3d4e5f60718",
        sources: {
          [o.source]: {
            eniId: "eni-0123456789abcdef0",
            instanceId: o.instanceId ?? "i-0123456789abcdef0",
            ...(o.subnetId === undefined ? {} : { subnetId: o.subnetId }),
            sessionId: "tms-0123456789abcdef0",
            sessionNumber: 1,
            tags: o.name === undefined ? {} : { Name: o.name },
          },
        },
      },
    },
  };
}
