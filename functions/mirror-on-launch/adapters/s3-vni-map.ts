// The VNI map the live sensor uses to enrich records (format: contracts/vni-map), built from the state
// after the reconcile's actions and published as one JSON object to S3 (it outgrows SSM's 8 KB limit at a
// few dozen ENIs).
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { VNI_MAP_FORMAT_VERSION, type VniMap } from "../../../contracts/vni-map/index.js";
import { isOwned } from "../decide.js";
import { VniMapPublishError } from "../errors.js";
import { OWNER_TAG_KEY } from "../limits.js";
import type { Inventory, Policy, SessionInfo } from "../types.js";
import type { ActionOutcome } from "./ec2-sessions.js";

/** Owned sessions as they stand after the outcomes: deletes removed, modifies applied, creates added. */
export function sessionsAfter(
  inventory: Inventory,
  outcomes: readonly ActionOutcome[],
  policy: Policy,
): SessionInfo[] {
  const byId = new Map(
    inventory.sessions.filter((s) => isOwned(s, policy, inventory.accountId)).map((s) => [s.sessionId, s]),
  );
  for (const o of outcomes) {
    if (o.status !== "done") continue;
    const a = o.action;
    if (a.kind === "delete") byId.delete(a.sessionId);
    else if (a.kind === "modify") {
      const s = byId.get(a.sessionId);
      if (!s) continue;
      byId.set(a.sessionId, {
        ...s,
        targetId: a.changes.targetId ?? s.targetId,
        filterId: a.changes.filterId ?? s.filterId,
        vni: a.changes.vni ?? s.vni,
        packetLength: a.changes.removePacketLength ? undefined : (a.changes.packetLength ?? s.packetLength),
      });
    } else if (o.sessionId) {
      byId.set(o.sessionId, {
        sessionId: o.sessionId,
        eniId: a.eniId,
        targetId: a.targetId,
        filterId: a.filterId,
        sessionNumber: a.sessionNumber,
        vni: a.vni,
        packetLength: a.packetLength,
        tags: { [OWNER_TAG_KEY]: policy.ownerTagValue },
      });
    }
  }
  return [...byId.values()];
}

export function buildVniMap(
  inventory: Inventory,
  sessions: readonly SessionInfo[],
  owner: string,
  now: Date,
): VniMap {
  const enis = new Map(inventory.enis.map((e) => [e.eniId, e]));
  const instances = new Map(inventory.instances.map((i) => [i.instanceId, i]));
  const vnis: VniMap["vnis"] = {};
  for (const s of [...sessions].sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1))) {
    const eni = enis.get(s.eniId);
    const instance = eni?.instanceId ? instances.get(eni.instanceId) : undefined;
    const vpcId = eni?.vpcId ?? instance?.vpcId;
    // The reader needs all three keys; EC2 reports them for every mirrorable (VPC) ENI.
    if (!eni || !instance || !vpcId || s.vni === undefined || !eni.privateIpAddress) continue;
    const entry = vnis[String(s.vni)] ?? { vpcId, sources: {} };
    entry.sources[eni.privateIpAddress] = {
      eniId: eni.eniId,
      instanceId: instance.instanceId,
      subnetId: eni.subnetId,
      availabilityZone: eni.availabilityZone,
      sessionId: s.sessionId,
      sessionNumber: s.sessionNumber,
      tags: instance.tags,
    };
    vnis[String(s.vni)] = entry;
  }
  return { version: VNI_MAP_FORMAT_VERSION, generatedAt: now.toISOString(), owner, vnis };
}

export async function publishVniMap(s3: S3Client, bucket: string, key: string, map: VniMap): Promise<void> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(map),
        ContentType: "application/json",
      }),
    );
  } catch (error) {
    throw new VniMapPublishError(
      `could not publish the VNI map to s3://${bucket}/${key}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
