// `spanless sensor`: the live sensor. One receiving thread (this one) reads VXLAN datagrams in
// batches and copies each into the shared ring of the engine worker that owns its inner flow;
// each worker decodes, suppresses mirrored duplicates, tracks connections, inspects protocols and
// posts Zeek JSON lines back here, where the rotating writer owns the files. This thread also
// answers the health port, writes the metrics and reloads the VNI map.
//
// Why one receiver and not one SO_REUSEPORT socket per worker: the kernel spreads datagrams by
// the OUTER header, and AWS does not promise both directions of a connection the same outer
// source port, so per-worker sockets would split connections and need a second hop anyway. One
// receiver keeps the arrival order of both directions (the TCP state machine depends on it) and
// costs well under a microsecond per datagram on the batched path (`npm run bench:receive`).

import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parseVniMap, type VniMap } from "../../../contracts/vni-map/index.js";
import { openUdpReceiver } from "../capture/udp/open.js";
import { readRmemMax, receiveBufferWarning } from "../capture/udp/rmem.js";
import type { UdpReceiver } from "../capture/udp/types.js";
import { machineMemoryBytes } from "../engine/memory-size.js";
import { jsonLine } from "../logs/format.js";
import { RotatingLogWriter } from "../logs/rotating-writer.js";
import { workerFolder } from "../pcap/names.js";
import { rehomeOrphanFolders } from "../pcap/orphans.js";
import { PcapUploader } from "../pcap/s3-upload.js";
import { Shipper } from "../ship/index.js";
import { Dispatcher } from "./dispatcher.js";
import { type HealthServer, startHealthServer } from "./health/server.js";
import { KernelDropMonitor } from "./kernel-drops.js";
import { emfDocuments } from "./metrics/emf.js";
import { MetricsFile } from "./metrics/emf-file.js";
import { createRing, RingWriter } from "./ring.js";
import type { DaemonSnapshot, WorkerSnapshot } from "./snapshot.js";
import { VniMapFetcher } from "./vni-map-fetch.js";
import type { FromWorker, ToWorker, WorkerCounters, WorkerInit } from "./worker-protocol.js";

/**
 * Each engine's ring: what arrives while the engine is paused (a major garbage collection of a
 * large connection table takes a good part of a second) waits here. 128 MB holds about a second
 * of 1 Gbit/s; with 32 MB, `npm run bench:live` lost 7 % at 250k packets/s over 20 s, all of it
 * to full rings, and none with 128 MB. Smaller budgets get smaller rings (ringBytes).
 */
const MAX_RING_BYTES = 128 * 1024 * 1024;
const MIN_RING_BYTES = 16 * 1024 * 1024;
/** Of the whole budget, at most this share goes to the rings. */
const RING_SHARE = 1 / 8;
const SNAPSHOT_INTERVAL_MS = 5_000;
/** Snapshots kept for rates and the health history: a little over a minute. */
const HISTORY = 14;
const METRICS_INTERVAL_MS = 60_000;
const VNI_MAP_POLL_MS = 5_000;
const WORKER_REPORT_MS = 250;
/** A worker silent this long is reported dead. */
const WORKER_SILENT_MS = 5_000;
/** Shutdown: how long workers get to finish their connections and hand on their logs. */
const STOP_GRACE_MS = 20_000;
/** Shutdown: how long the last batches get to reach the collector before they wait in the spool. */
const SHIP_FLUSH_MS = 5_000;
/** Shutdown: how long the last closed PCAP files get to reach S3 (the rest stay on disk). */
const PCAP_UPLOAD_FLUSH_MS = 10_000;
const MACHINE_SHARE = 1 / 4;
/** The process before any traffic: Node, the code, the main thread's heap, the health server. */
const PROCESS_BASE_BYTES = 112 * 1024 * 1024;
/**
 * Of what is left of the budget after the fixed parts, the share the engines account for
 * (connections, reassembly, fragments). The rest is headroom for what the accounting does not
 * see: garbage not yet collected (a flood that evicts leaves a connection's worth per packet),
 * analyzer state, records on their way to the files. At a quarter, RSS under a million-SYN flood
 * stays inside the budget (npm run bench:live -- --syn-flood 1000000 --memory-budget 256).
 */
const ACCOUNTED_SHARE = 0.25;
/** An engine's old generation: this many times its accounted budget, plus a base. */
const HEAP_PER_ACCOUNTED_BYTE = 2;
const HEAP_BASE_BYTES = 32 * 1024 * 1024;
/** The young generation's semi-spaces: small, so short-lived garbage costs little resident memory. */
const YOUNG_GENERATION_MB = 16;
/** Below this an engine cannot hold a useful table; the sensor refuses smaller budgets. */
const MIN_ENGINE_BYTES = 8 * 1024 * 1024;
const MIB = 1024 * 1024;

export interface SensorOptions {
  host: string;
  port: number;
  out: string;
  healthHost: string;
  healthPort: number;
  workers: number | "auto";
  memoryBudgetBytes?: number;
  receiveBufferBytes: number;
  dedupWindowSeconds: number;
  rotateSeconds: number;
  rotateMaxBytes: number;
  vniMap?: string;
  /** Fetch the VNI map from S3 into `vniMap` (`s3://bucket/key`), every intervalMs. */
  vniMapS3?: { url: string; endpoint?: string; intervalMs: number };
  metricsFile?: string;
  instanceId?: string;
  availabilityZone?: string;
  localNets?: string[];
  seed?: number;
  inspect: boolean;
  version: string;
  /** Upload to a collector (absent: local output only). */
  shipping?: {
    collectorUrl: string;
    pushToken: string;
    proxy?: string;
    caFile?: string;
    spoolDir: string;
    spoolMaxBytes: number;
    sensorId: string;
  };
  /** The PCAP ring (absent: none): every worker writes its share of maxBytes under dir/w<id>. */
  pcap?: {
    dir: string;
    maxBytes: number;
    /** Closed files uploaded to S3 (`s3://bucket[/prefix]`). */
    s3?: { url: string; endpoint?: string; sensorId: string };
  };
  /** One line per notable event (start, warnings, stop): stderr in the CLI. */
  log: (line: string) => void;
}

interface WorkerState {
  worker: Worker;
  ring: RingWriter;
  counters: WorkerCounters | undefined;
  lastHeard: number;
  finished: boolean;
  exited: boolean;
  error: string | undefined;
}

export class Sensor {
  readonly startedAt = Date.now() / 1000;
  private receiver!: UdpReceiver;
  private writer!: RotatingLogWriter;
  private health: HealthServer | undefined;
  private dispatcher!: Dispatcher;
  private readonly workers: WorkerState[] = [];
  private readonly history: DaemonSnapshot[] = [];
  private drops!: KernelDropMonitor;
  private metrics: MetricsFile | undefined;
  private shipper: Shipper | undefined;
  private pcapUploader: PcapUploader | undefined;
  private vniMapFetcher: VniMapFetcher | undefined;
  private lastMetrics: DaemonSnapshot | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private vniMapState: DaemonSnapshot["vniMap"];
  private vniMapMtime = 0;
  /** The last good VNI map: handed to each worker at its start, then updates by message. */
  private vniMap: VniMap | null = null;
  private stopping: Promise<number> | undefined;
  /** Set when a worker fails: the sensor stops with this status so systemd restarts it. */
  private failure: string | undefined;
  private readonly requestedBuffer: number;
  private readonly processMemoryLimit = machineMemoryBytes();
  private ringBytes = MIN_RING_BYTES;
  private readonly stoppedWaiters: ((status: number) => void)[] = [];

  private constructor(private readonly o: SensorOptions) {
    this.requestedBuffer = o.receiveBufferBytes;
  }

  /** Starts everything or throws with a message that says what to fix (nothing is left running). */
  static async start(o: SensorOptions): Promise<Sensor> {
    const s = new Sensor(o);
    try {
      await s.open();
    } catch (err) {
      await s.abort();
      throw err;
    }
    return s;
  }

  get listenPort(): number {
    return this.receiver.address.port;
  }

  get healthPort(): number | undefined {
    return this.health?.port;
  }

  private async open(): Promise<void> {
    const o = this.o;
    this.writer = new RotatingLogWriter({
      dir: o.out,
      intervalSeconds: o.rotateSeconds,
      maxBytes: o.rotateMaxBytes,
      onError: (err) => o.log(`warning: ${err.message}`),
    });
    if (o.shipping !== undefined) {
      const sh = o.shipping;
      this.shipper = new Shipper({
        dir: sh.spoolDir,
        collectorUrl: sh.collectorUrl,
        pushToken: sh.pushToken,
        proxy: sh.proxy,
        caFile: sh.caFile,
        sensorId: sh.sensorId,
        spoolMaxBytes: sh.spoolMaxBytes,
        // A new sensor gets no mirrored traffic until it is in service: the handshake proves the token first.
        handshake: true,
        log: o.log,
        weird: (name, addl) => this.sensorWeird(name, addl, "ship"),
      });
    }
    const n = o.workers === "auto" ? Math.max(1, availableParallelism()) : o.workers;
    if (o.pcap !== undefined) {
      // Folders of workers a larger earlier run had: their files join live workers' shares.
      const orphans = rehomeOrphanFolders(o.pcap.dir, n);
      for (const e of orphans.errors) o.log(`warning: PCAP ring: ${e}`);
      if (o.pcap.s3 !== undefined) {
        this.pcapUploader = new PcapUploader({ ...o.pcap.s3, dir: o.pcap.dir, log: o.log });
        const resumed = this.pcapUploader.resume();
        if (resumed > 0) o.log(`${resumed} closed PCAP file(s) of an earlier run queued for S3`);
      }
    }
    const total = o.memoryBudgetBytes ?? Math.floor(this.processMemoryLimit * MACHINE_SHARE);
    const perWorker = engineBudget(total, n);
    this.ringBytes = ringBytes(total, n);
    // The map goes to each worker with its start, so no record made before a message arrives misses it.
    if (o.vniMap !== undefined) {
      if (o.vniMapS3 !== undefined) {
        // The fetcher writes the file; the loader below reads it. A new map is loaded at once, not
        // at the next poll.
        this.vniMapFetcher = new VniMapFetcher({
          url: o.vniMapS3.url,
          endpoint: o.vniMapS3.endpoint,
          intervalMs: o.vniMapS3.intervalMs,
          file: o.vniMap,
          log: o.log,
          onWritten: () => {
            this.vniMapMtime = 0;
            void this.loadVniMap();
          },
        });
      }
      // The last good copy (an earlier run's fetch) serves until the first fetch answers.
      await this.loadVniMap();
      this.every(VNI_MAP_POLL_MS, () => void this.loadVniMap());
      this.vniMapFetcher?.start();
    }
    for (let id = 0; id < n; id++) this.spawnWorker(id, perWorker, n);
    this.dispatcher = new Dispatcher(this.workers.map((w) => w.ring));
    this.receiver = await openUdpReceiver({
      host: o.host,
      port: o.port,
      receiveBufferBytes: o.receiveBufferBytes,
      reusePort: false,
    });
    const r = this.receiver;
    this.drops = new KernelDropMonitor(r.address.port);
    o.log(
      `listening on ${r.address.host}:${r.address.port} (UDP, VXLAN) with ${n} engine worker(s), ` +
        `receive path ${r.kind}, receive buffer ${Math.round(r.receiveBufferBytes / MIB)} MB, ` +
        `memory budget ${Math.round(total / MIB)} MB (each engine's connections, reassembly and fragments: ${Math.round(perWorker / MIB)} MB); logs in ${o.out}`,
    );
    if (r.kind !== "recvmmsg")
      o.log(
        `warning: batched receive unavailable (${r.fallbackReason ?? "unknown reason"}); using dgram, which costs about 4-5 µs of CPU per packet`,
      );
    const clamp = receiveBufferWarning(o.receiveBufferBytes, r.receiveBufferBytes, readRmemMax());
    if (clamp !== undefined) o.log(`warning: ${clamp}`);
    this.health = await startHealthServer({
      host: o.healthHost,
      port: o.healthPort,
      // Fresh on every request (cheap): a report must not be up to 5 s stale.
      getSnapshot: () => this.snapshot(),
      getHistory: () => this.history,
    });
    o.log(
      `health on http://${o.healthHost}:${this.health.port}/healthcheck (report: /status, spanless health)`,
    );
    if (o.metricsFile !== undefined) this.metrics = new MetricsFile(o.metricsFile);
    r.start((batch) => this.dispatcher.dispatch(batch));
    this.drops.sample();
    this.takeSnapshot();
    this.every(SNAPSHOT_INTERVAL_MS, () => this.takeSnapshot());
    this.every(METRICS_INTERVAL_MS, () => this.writeMetrics());
  }

  private every(ms: number, f: () => void): void {
    const t = setInterval(f, ms);
    t.unref();
    this.timers.push(t);
  }

  private spawnWorker(id: number, budget: number, workers: number): void {
    const shared = createRing(this.ringBytes);
    const init: WorkerInit = {
      id,
      ring: shared,
      vniMap: this.vniMap,
      engine: {
        memoryBudgetBytes: budget,
        seed: this.o.seed === undefined ? undefined : this.o.seed + id,
        localNets: this.o.localNets,
        verifyChecksums: "auto",
      },
      dedupWindowSeconds: this.o.dedupWindowSeconds,
      inspect: this.o.inspect,
      reportIntervalMs: WORKER_REPORT_MS,
    };
    if (this.o.pcap !== undefined) {
      // Each worker keeps its own files, so each gets an equal share of the bound.
      init.pcap = {
        dir: join(this.o.pcap.dir, workerFolder(id)),
        maxBytes: Math.floor(this.o.pcap.maxBytes / workers),
      };
    }
    // Connections live on the worker's heap: room for the accounted state, what the accounting
    // does not see (analyzer buffers, records being serialized) and garbage not yet collected.
    // A tighter old generation makes V8 collect sooner, which is what keeps RSS near the budget.
    const heapMb = Math.ceil((budget * HEAP_PER_ACCOUNTED_BYTE + HEAP_BASE_BYTES) / MIB);
    const worker = new Worker(workerScript(), {
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    const state: WorkerState = {
      worker,
      ring: new RingWriter(shared),
      counters: undefined,
      lastHeard: Date.now(),
      finished: false,
      exited: false,
      error: undefined,
    };
    worker.on("message", (m: FromWorker) => {
      state.lastHeard = Date.now();
      if (m.type === "logs") {
        this.writer.append(m.chunks);
        this.shipper?.accept(m.chunks);
      } else if (m.type === "pcap-closed") {
        this.pcapUploader?.closed(m.file);
      } else {
        state.counters = m.counters;
        if (m.type === "finished") state.finished = true;
      }
    });
    worker.on("error", (err) => {
      state.error = err.message;
      this.o.log(`error: engine worker ${id} failed: ${err.stack ?? err.message}`);
      this.failure ??= `engine worker ${id} failed: ${err.message}`;
      void this.stop();
    });
    worker.on("exit", (code) => {
      state.exited = true;
      if (!state.finished && state.error === undefined) {
        state.error = `exited with code ${code}`;
        this.failure ??= `engine worker ${id} exited unexpectedly (code ${code})`;
        void this.stop();
      }
    });
    this.workers.push(state);
  }

  /**
   * A weird of the sensor itself (not of a connection: no id fields), written to weird.log beside
   * the engines' own, so a reader of the logs sees it where Zeek users look.
   */
  private sensorWeird(name: string, addl: string, source: string): void {
    const record = { ts: Date.now() / 1000, name, addl, notice: false, peer: "spanless", source };
    const chunk = [{ path: "weird", text: jsonLine(record), records: 1 }];
    this.writer.append(chunk);
    this.shipper?.accept(chunk);
  }

  /** Sends the VNI map to every worker when its file changed; a bad file keeps the previous map. */
  private async loadVniMap(): Promise<void> {
    const path = this.o.vniMap;
    if (path === undefined) return;
    let map: VniMap;
    try {
      const st = await stat(path);
      if (st.mtimeMs === this.vniMapMtime) return;
      map = parseVniMap(JSON.parse(await readFile(path, "utf8")));
      this.vniMapMtime = st.mtimeMs;
    } catch (err) {
      // Before the first fetch from S3 there is no copy yet: the fetcher's state says why, not this.
      const waiting =
        this.vniMapFetcher !== undefined &&
        (err as NodeJS.ErrnoException).code === "ENOENT" &&
        this.vniMapFetcher.status().lastWrittenAt === null;
      const error = waiting
        ? `${path}: no copy fetched from ${this.o.vniMapS3?.url} yet`
        : `${path}: ${(err as Error).message}`;
      if (this.vniMapState?.error !== error && !waiting)
        this.o.log(`warning: VNI map not loaded (records keep the previous enrichment): ${error}`);
      this.vniMapState = { ...(this.vniMapState ?? { path, vnis: 0, sources: 0 }), error };
      return;
    }
    this.vniMap = map;
    const message: ToWorker = { type: "vni-map", map };
    for (const w of this.workers) w.worker.postMessage(message);
    const vnis = Object.values(map.vnis);
    this.vniMapState = {
      path,
      vnis: vnis.length,
      sources: vnis.reduce((n, v) => n + Object.keys(v.sources).length, 0),
      loadedAt: Date.now() / 1000,
    };
  }

  snapshot(): DaemonSnapshot {
    const now = Date.now();
    const c = this.dispatcher.counts;
    const rs = this.receiver.stats;
    const kernel = this.drops.totals();
    const workers: WorkerSnapshot[] = this.workers.map((w, id) => {
      const k = w.counters;
      return {
        id,
        alive: !w.exited && w.error === undefined && now - w.lastHeard < WORKER_SILENT_MS,
        packets: k?.packets ?? 0,
        queueDrops: w.ring.drops,
        liveConnections: k?.liveConnections ?? 0,
        evictions: k?.evictions ?? 0,
        memoryUsedBytes: k?.memoryUsedBytes ?? 0,
        memoryLimitBytes: k?.memoryLimitBytes ?? 0,
        records: k?.records ?? {},
      };
    });
    const sum = (f: (k: WorkerCounters) => number) =>
      this.workers.reduce((n, w) => n + (w.counters === undefined ? 0 : f(w.counters)), 0);
    const previous = this.history.find((h) => h.at >= now / 1000 - 60) ?? this.history[0];
    const totals = {
      datagrams: c.datagrams,
      bytes: c.bytes,
      notVxlan: c.notVxlan,
      truncated: c.truncated,
      duplicates: sum((k) => k.duplicates),
      // SO_RXQ_OVFL and /proc/net/udp count the same drops on this socket: the larger is current.
      kernelDrops: Math.max(rs.socketDrops, kernel.portDrops),
      socketDrops: rs.socketDrops,
      rcvbufErrors: kernel.rcvbufErrors,
      queueDrops: c.queueDrops,
      oneSidedConnections: sum((k) => k.oneSidedTcp),
      tcpConnectionsEnded: sum((k) => k.tcpEnded),
    };
    const out = this.writer.status();
    return {
      at: now / 1000,
      startedAt: this.startedAt,
      version: this.o.version,
      listen: { host: this.receiver.address.host, port: this.receiver.address.port },
      receiver: {
        kind: this.receiver.kind,
        fallbackReason: this.receiver.fallbackReason,
        receiveBufferBytes: this.receiver.receiveBufferBytes,
        requestedBufferBytes: this.requestedBuffer,
        rmemMax: readRmemMax(),
      },
      totals,
      recent: {
        datagrams: previous === undefined ? totals.datagrams : totals.datagrams - previous.totals.datagrams,
        kernelDrops:
          previous === undefined ? totals.kernelDrops : totals.kernelDrops - previous.totals.kernelDrops,
        queueDrops:
          previous === undefined ? totals.queueDrops : totals.queueDrops - previous.totals.queueDrops,
        seconds: previous === undefined ? now / 1000 - this.startedAt : now / 1000 - previous.at,
      },
      workers,
      output: { dir: this.o.out, writable: out.writable, error: out.error, rotatedFiles: out.rotatedFiles },
      vniMap:
        this.vniMapState === undefined
          ? undefined
          : {
              ...this.vniMapState,
              ...(this.vniMapFetcher === undefined ? {} : { s3: this.vniMapFetcher.status() }),
            },
      rssBytes: process.memoryUsage.rss(),
      processMemoryLimitBytes: this.processMemoryLimit,
      shipping: this.shippingSnapshot(),
      pcap: this.pcapSnapshot(),
    };
  }

  private shippingSnapshot(): DaemonSnapshot["shipping"] {
    if (this.shipper === undefined || this.o.shipping === undefined) return undefined;
    const st = this.shipper.status();
    return {
      collectorConnectivity: st.collectorConnectivity,
      lastUploadAt: st.lastUploadAt === null ? null : st.lastUploadAt / 1000,
      lastHandshakeAt: st.lastHandshakeAt === null ? null : st.lastHandshakeAt / 1000,
      handshakeError: st.handshakeError,
      lastError: st.lastError,
      spoolBacklogBytes: st.spoolBacklogBytes,
      spoolBacklogBatches: st.spoolBacklogBatches,
      spoolMaxBytes: this.o.shipping.spoolMaxBytes,
      dropped: st.dropped,
      droppedRecords: st.droppedRecords,
      rejected: st.rejected,
      corrupt: st.corrupt,
      uploadedBatches: st.uploadedBatches,
      uploadedBytes: st.uploadedBytes,
      uploadedRecords: st.uploadedRecords,
    };
  }

  private pcapSnapshot(): DaemonSnapshot["pcap"] {
    if (this.o.pcap === undefined) return undefined;
    const sum = {
      packets: 0,
      droppedPackets: 0,
      writeErrors: 0,
      diskBytes: 0,
      closedFiles: 0,
      deletedFiles: 0,
    };
    let lastError: string | null = null;
    for (const w of this.workers) {
      const p = w.counters?.pcap;
      if (p === undefined) continue;
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += p[k];
      lastError = p.lastError ?? lastError;
    }
    return {
      dir: this.o.pcap.dir,
      maxBytes: this.o.pcap.maxBytes,
      ...sum,
      lastError,
      upload: this.pcapUploader?.status(),
    };
  }

  private takeSnapshot(): void {
    this.drops.sample();
    this.history.push(this.snapshot());
    if (this.history.length > HISTORY) this.history.shift();
  }

  private writeMetrics(): void {
    if (this.metrics === undefined) return;
    const now = this.snapshot();
    const written = this.metrics.write(
      emfDocuments(now, this.lastMetrics, {
        instanceId: this.o.instanceId ?? "local",
        availabilityZone: this.o.availabilityZone ?? "local",
      }),
    );
    // A minute that could not be written carries its counts into the next line.
    if (written) this.lastMetrics = now;
  }

  /** Resolves with the exit status once the sensor has stopped, for whatever reason. */
  get stopped(): Promise<number> {
    return new Promise((resolve) => {
      this.stoppedWaiters.push(resolve);
      if (this.stopping !== undefined) void this.stopping.then(resolve);
    });
  }

  /**
   * SIGHUP: reopen the log files (after an external logrotate moved them), re-read the VNI map and,
   * with vniMapS3, ask S3 for it now.
   */
  reopenLogs(): void {
    this.writer.reopen();
    this.o.log("log files reopened");
    this.vniMapMtime = 0;
    void this.loadVniMap();
    void this.vniMapFetcher?.fetchNow();
  }

  /**
   * Stops receiving, lets every worker finish its connections and hand on its logs, closes the
   * files. Resolves with the exit status: 0, or 70 when a worker failed.
   */
  stop(): Promise<number> {
    if (this.stopping === undefined) {
      this.stopping = this.shutdown();
      for (const w of this.stoppedWaiters) void this.stopping.then(w);
    }
    return this.stopping;
  }

  private async shutdown(): Promise<number> {
    for (const t of this.timers) clearInterval(t);
    await this.vniMapFetcher?.close();
    await this.receiver.close();
    for (const w of this.workers) w.ring.stop();
    const deadline = Date.now() + STOP_GRACE_MS;
    while (this.workers.some((w) => !w.finished && !w.exited) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const late = this.workers.filter((w) => !w.finished && !w.exited).map((_, i) => i);
    if (late.length > 0)
      this.o.log(
        `error: engine worker(s) ${late.join(", ")} did not finish within ${STOP_GRACE_MS / 1000} s; their open connections are not logged`,
      );
    // A final snapshot and metrics line with the finished counts.
    this.takeSnapshot();
    this.writeMetrics();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    const status = await this.writer.close();
    if (this.pcapUploader !== undefined) {
      const left = await this.pcapUploader.close({ flushWithinMs: PCAP_UPLOAD_FLUSH_MS });
      if (left > 0) this.o.log(`${left} closed PCAP file(s) not uploaded to S3 (they stay on disk)`);
    }
    if (this.shipper !== undefined) {
      // What the collector has not taken within the grace time stays spooled for the next start.
      const left = await this.shipper.close({ flushWithinMs: SHIP_FLUSH_MS });
      if (left.leftBatches > 0)
        this.o.log(
          `${left.leftBatches} batch(es) (${left.leftRecords} records) stay in the spool for the next start`,
        );
    }
    await this.health?.close();
    await this.metrics?.close();
    const s = this.history.at(-1);
    if (s !== undefined) this.o.log(stopSummary(s));
    if (!status.writable) {
      this.o.log(
        `error: logs could not all be written: ${status.error ?? "unknown"}; ${status.droppedRecords} record(s) dropped, ${status.backlogRecords} unwritten`,
      );
      return 74;
    }
    if (this.failure !== undefined) {
      this.o.log(`error: ${this.failure}`);
      return 70;
    }
    return late.length > 0 ? 70 : 0;
  }

  /** After a failed start: release what was opened. */
  private async abort(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.vniMapFetcher?.close().catch(() => undefined);
    this.stopping = Promise.resolve(1);
    await this.receiver?.close().catch(() => undefined);
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    await this.writer?.close().catch(() => undefined);
    await this.shipper?.close({ flushWithinMs: 0 }).catch(() => undefined);
    await this.pcapUploader?.close({ flushWithinMs: 0 }).catch(() => undefined);
    await this.health?.close().catch(() => undefined);
  }
}

/** Each engine's ring, from the whole budget: an eighth of it shared by the rings, 16–128 MB each. */
export function ringBytes(total: number, workers: number): number {
  const share = Math.floor((total * RING_SHARE) / workers / 65536) * 65536;
  return Math.min(MAX_RING_BYTES, Math.max(MIN_RING_BYTES, share));
}

/**
 * Each engine's accounted budget, from the whole process's: `total` is what the operator gave
 * (--memory-budget, or a quarter of the machine), which RSS is to stay under.
 */
export function engineBudget(total: number, workers: number): number {
  const free = total - PROCESS_BASE_BYTES - workers * ringBytes(total, workers);
  const each = Math.floor((free * ACCOUNTED_SHARE) / workers);
  if (each < MIN_ENGINE_BYTES) {
    const need = Math.ceil(
      (PROCESS_BASE_BYTES + workers * MIN_RING_BYTES + (workers * MIN_ENGINE_BYTES) / ACCOUNTED_SHARE) / MIB,
    );
    throw new Error(
      `memory budget ${Math.floor(total / MIB)} MB is too small for ${workers} worker(s): give at least ${need} MB (--memory-budget), or fewer workers`,
    );
  }
  return each;
}

/** The engine thread's entry: beside this module (dist/), or one level up (the bundle's chunks/). */
/** Published by the image's one-file bundle (cli/single-file.ts), which is its own worker script. */
const WORKER_SCRIPT = Symbol.for("spanless.worker-script");

function workerScript(): URL {
  const published = (globalThis as Record<symbol, unknown>)[WORKER_SCRIPT];
  if (published instanceof URL) return published;
  for (const relative of ["./worker-main.js", "../worker-main.js"]) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new Error(
    `worker-main.js is missing beside ${fileURLToPath(import.meta.url)}: the installation is incomplete (rebuild or reinstall)`,
  );
}

function stopSummary(s: DaemonSnapshot): string {
  const t = s.totals;
  const records = new Map<string, number>();
  for (const w of s.workers)
    for (const [k, v] of Object.entries(w.records)) records.set(k, (records.get(k) ?? 0) + v);
  const logs = [...records].map(([k, v]) => `${k} ${v}`).join(", ");
  return (
    `stopped: ${t.datagrams} datagrams (${t.bytes} bytes), ${t.duplicates} duplicate(s) suppressed, ` +
    `${t.truncated} truncated, ${t.notVxlan} not VXLAN, ${t.queueDrops} queue drop(s), ` +
    `${t.kernelDrops} kernel drop(s); records: ${logs || "none"}`
  );
}
