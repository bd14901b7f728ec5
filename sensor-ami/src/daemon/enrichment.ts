// Enrichment of the live sensor's records: every record of a mirrored connection carries the VNI
// and the mirror source it arrived from; when the VNI map (contracts/vni-map, written by the
// mirror function) knows that source, also the instance, ENI, subnet, VPC and the instance's Name
// tag. Fields are appended after the analyzer's own, as Zeek appends extension fields.

import type { VniMap } from "../../../contracts/vni-map/index.js";
import type { LogRecordObject } from "../logs/writer.js";
import type { OriginTable } from "./origins.js";

export interface SourceFields {
  instance_id: string;
  eni_id: string;
  subnet_id: string | undefined;
  vpc_id: string;
  instance_name: string | undefined;
  availability_zone: string | undefined;
}

/** The VNI map as lookups: (VNI, outer source) → the fields records carry. */
export class VniMapIndex {
  readonly vnis: number;
  readonly sources: number;
  private readonly bySource = new Map<string, SourceFields>();

  constructor(map: VniMap) {
    let sources = 0;
    for (const [vni, entry] of Object.entries(map.vnis)) {
      for (const [ip, s] of Object.entries(entry.sources)) {
        sources++;
        this.bySource.set(`${vni}|${ip}`, {
          instance_id: s.instanceId,
          eni_id: s.eniId,
          subnet_id: s.subnetId,
          vpc_id: entry.vpcId,
          instance_name: s.tags.Name,
          availability_zone: s.availabilityZone,
        });
      }
    }
    this.vnis = Object.keys(map.vnis).length;
    this.sources = sources;
  }

  lookup(vni: number, source: string): SourceFields | undefined {
    return this.bySource.get(`${vni}|${source}`);
  }
}

/**
 * Appends the enrichment fields of origin number `origin` to `record` (a record of a connection
 * the live sensor saw). `vni` is written only when the record has none (conn.log and protocol
 * logs already carry the tunnel's).
 */
export function enrichRecord(
  record: LogRecordObject,
  origin: number,
  origins: OriginTable,
  map: VniMapIndex | undefined,
): void {
  const o = origins.get(origin);
  if (o === undefined) return;
  const r = record as Record<string, unknown>;
  if (r.vni === undefined) r.vni = o.vni;
  r.mirror_src = o.source;
  const f = map?.lookup(o.vni, o.source);
  if (f === undefined) return;
  r.vpc_id = f.vpc_id;
  r.instance_id = f.instance_id;
  r.eni_id = f.eni_id;
  if (f.instance_name !== undefined) r.instance_name = f.instance_name;
  if (f.subnet_id !== undefined) r.subnet_id = f.subnet_id;
  if (f.availability_zone !== undefined) r.availability_zone = f.availability_zone;
}
