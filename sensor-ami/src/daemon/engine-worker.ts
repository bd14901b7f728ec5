// One engine of the live sensor, without the thread around it (worker-main.ts adds that): takes
// VXLAN datagrams as the dispatcher queued them, suppresses the second mirrored copy of a packet,
// numbers mirror origins, and runs the engine and protocol inspection. Records go to a
// JsonLinesSink whose enrichment adds each connection's origin.

import type { VniMap } from "../../../contracts/vni-map/index.js";
import { LINKTYPE_VXLAN_DATAGRAM, VXLAN_HEADER_BYTES } from "../capture/link-types.js";
import { parseCidr } from "../engine/addr.js";
import { MIRROR_ORIGIN } from "../engine/conn-id.js";
import { Engine } from "../engine/engine.js";
import { Frame } from "../engine/frame.js";
import type { EngineOptions } from "../engine/options.js";
import { buildInspector } from "../inspect/index.js";
import { JsonLinesSink, type LogChunk } from "../logs/json-lines.js";
import type { LogRecordObject } from "../logs/writer.js";
import { type ClosedPcap, PcapRing } from "../pcap/ring.js";
import { DuplicateFilter } from "./dedup.js";
import { enrichRecord, VniMapIndex } from "./enrichment.js";
import { OriginTable } from "./origins.js";
import type { RingRecord } from "./ring.js";
import type { WorkerCounters, WorkerInit } from "./worker-protocol.js";

export class EngineWorker {
  readonly engine: Engine;
  readonly sink: JsonLinesSink;
  private readonly origins = new OriginTable();
  private readonly dedup: DuplicateFilter;
  private readonly frame = new Frame();
  private vniMap: VniMapIndex | undefined;
  private index = 0;
  /** This worker's share of the PCAP ring (pcapMaxGB), when configured. */
  private readonly pcap: PcapRing | undefined;

  constructor(
    private readonly init: Omit<WorkerInit, "ring">,
    flush: (chunks: LogChunk[]) => void,
    pcapClosed: (file: ClosedPcap) => void = () => undefined,
  ) {
    this.sink = new JsonLinesSink({
      flush,
      enrich: (_path: string, record: LogRecordObject) => {
        const origin = (record as { [MIRROR_ORIGIN]?: number })[MIRROR_ORIGIN];
        if (origin !== undefined) enrichRecord(record, origin, this.origins, this.vniMap);
      },
    });
    const options: Partial<EngineOptions> = { verifyChecksums: init.engine.verifyChecksums };
    // Absent settings keep the engine's defaults (an explicit undefined would replace them).
    if (init.engine.memoryBudgetBytes !== undefined)
      options.memoryBudgetBytes = init.engine.memoryBudgetBytes;
    if (init.engine.seed !== undefined) options.seed = init.engine.seed;
    if (init.engine.localNets !== undefined) options.localNets = init.engine.localNets.map(parseCidr);
    this.engine = new Engine(this.sink, options);
    if (init.inspect) {
      this.engine.inspector = buildInspector(this.engine.weirds, this.sink);
      this.engine.inspector.useMemory?.(this.engine.memory);
    }
    this.dedup = new DuplicateFilter(init.dedupWindowSeconds);
    if (init.vniMap) this.setVniMap(init.vniMap);
    this.frame.linkType = LINKTYPE_VXLAN_DATAGRAM;
    if (init.pcap !== undefined)
      this.pcap = new PcapRing({ ...init.pcap, worker: init.id, onClosed: pcapClosed });
  }

  setVniMap(map: VniMap | null): void {
    this.vniMap = map === null ? undefined : new VniMapIndex(map);
  }

  /** One queued datagram: `bytes` holds it at rec.offset (the ring's memory, read in place). */
  handle(bytes: Uint8Array, rec: RingRecord): void {
    const o = rec.offset;
    const vni = (bytes[o + 4] << 16) | (bytes[o + 5] << 8) | bytes[o + 6];
    const a = rec.addr;
    const origin = this.origins.intern(vni, rec.family, a[0], a[1], a[2], a[3]);
    // Without an IP header the inner frame itself (after the VXLAN header) is compared.
    const at = o + (rec.ipOffset !== 0 ? rec.ipOffset : VXLAN_HEADER_BYTES);
    if (this.dedup.isDuplicate(bytes, at, o + rec.length, origin, rec.ts)) return;
    // The inner frame, as the engine sees it; the ring never throws (a refused write is counted).
    this.pcap?.write(
      bytes,
      o + VXLAN_HEADER_BYTES,
      o + rec.length,
      rec.ts,
      rec.wireLength - VXLAN_HEADER_BYTES,
    );
    const f = this.frame;
    f.data = bytes;
    f.offset = o;
    f.caplen = rec.length;
    f.origlen = rec.wireLength;
    f.ts = rec.ts;
    f.index = ++this.index;
    f.origin = origin;
    this.engine.process(f);
  }

  /** Lets time pass (expiring idle connections) and hands the pending log lines on. */
  tick(nowSeconds: number): void {
    this.engine.tick(nowSeconds);
    this.pcap?.tick(nowSeconds);
    this.sink.drain();
  }

  /** End of input: every open connection is logged and every line handed on. */
  finish(): void {
    this.engine.finish();
    this.pcap?.finish();
    this.sink.drain();
  }

  counters(): WorkerCounters {
    const s = this.engine.stats;
    return {
      id: this.init.id,
      packets: s.packets,
      duplicates: this.dedup.duplicates,
      liveConnections: this.engine.liveConnections,
      connections: s.connections,
      evictions: s.evictions,
      oneSidedTcp: s.oneSidedTcp,
      tcpEnded: s.tcpEnded,
      memoryUsedBytes: this.engine.memory.used,
      memoryLimitBytes: this.engine.memory.limit,
      records: Object.fromEntries(this.sink.counts),
      origins: this.origins.size,
      originOverflows: this.origins.overflowed,
      pcap: this.pcap?.counters(),
    };
  }
}
