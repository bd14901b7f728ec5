// Health checks judged on hand-built snapshots: every check's OK, WARNING and ERROR with the reason
// a person acts on, the order of the lines, rates from history, and the NLB verdict.

import { describe, expect, it } from "vitest";
import {
  assessHealth,
  CHECK_NAMES,
  type CheckName,
  type HealthReport,
  healthcheckVerdict,
} from "../../../sensor-ami/src/daemon/health/checks.js";
import type { DaemonSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";
import { STARTED, series, snap, worker } from "./snapshots.js";

const MiB = 1024 * 1024;

function check(report: HealthReport, name: CheckName) {
  const c = report.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} check`);
  return c;
}

/** Ten snapshots 5 s apart before `now`, with the totals growing so that `now` continues them. */
function steady(now: DaemonSnapshot, perStep: Partial<DaemonSnapshot["totals"]> = {}): DaemonSnapshot[] {
  return series(10, 5, now, (i) => {
    const back = 10 - i;
    const t: Partial<DaemonSnapshot["totals"]> = {};
    for (const [k, v] of Object.entries(perStep)) {
      const key = k as keyof DaemonSnapshot["totals"];
      t[key] = (now.totals[key] ?? 0) - (v ?? 0) * back;
    }
    return { totals: { ...now.totals, ...t } };
  });
}

describe("assessHealth", () => {
  it("a healthy sensor: every check OK, in the documented order", () => {
    // Prepare
    const now = snap();
    // Act
    const report = assessHealth(now, steady(now, { datagrams: 800 }));
    // Assess
    expect(report.status).toBe("OK");
    expect(report.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    for (const c of report.checks) expect(c.status, `${c.name}: ${c.reason}`).toBe("OK");
    expect(check(report, "all_services").value).toBe("2/2 workers alive, receiver running");
    expect(check(report, "collector_connectivity").value).toBe("not configured (local output only)");
    expect(check(report, "ossensor_count").value).toBe("0");
  });

  it("without history, counts since start are said to be so", () => {
    const report = assessHealth(snap(), []);
    expect(check(report, "duplicates").value).toBe("1000 since start (1.0 %)");
    expect(check(report, "connections").value).toBe("200 live, 0 evicted and 0/1500 one-sided since start");
  });

  describe("all_services", () => {
    it("ERROR naming the workers that did not answer", () => {
      const now = snap({
        workers: [worker({ id: 0 }), worker({ id: 1, alive: false }), worker({ id: 2, alive: false })],
      });
      const c = check(assessHealth(now, []), "all_services");
      expect(c.status).toBe("ERROR");
      expect(c.value).toBe("1/3 workers alive, receiver running");
      expect(c.reason).toMatch(/^Workers 1, 2 did not answer the last poll: .*restart the sensor service/);
    });

    it("ERROR when the receiver stopped, with its error and the port", () => {
      const now = snap({ receiver: { running: false, error: "bind EADDRINUSE 0.0.0.0:4789" } });
      const c = check(assessHealth(now, []), "all_services");
      expect(c.status).toBe("ERROR");
      expect(c.value).toMatch(/receiver stopped/);
      expect(c.reason).toMatch(
        /not running \(bind EADDRINUSE 0\.0\.0\.0:4789\): check that no other process holds UDP port 4789/,
      );
    });

    it("ERROR with no workers at all, and when the snapshot is stale by the wall clock", () => {
      const now = snap({ workers: [] });
      expect(check(assessHealth(now, []), "all_services").reason).toMatch(/No worker is running/);
      const stale = check(assessHealth(snap(), [], {}, { wallClock: snap().at + 45 }), "all_services");
      expect(stale.status).toBe("ERROR");
      expect(stale.reason).toMatch(/last refreshed 45 s ago: its main loop is stuck/);
      expect(check(assessHealth(snap(), [], {}, { wallClock: snap().at + 10 }), "all_services").status).toBe(
        "OK",
      );
    });
  });

  describe("incoming_data", () => {
    it("OK while the first minute has not passed, WARNING for a silent minute after it", () => {
      const young = snap({ at: STARTED + 40, recent: { datagrams: 0, seconds: 40 } });
      const c1 = check(assessHealth(young, []), "incoming_data");
      expect(c1.status).toBe("OK");
      expect(c1.value).toBe("0 datagrams in the last 40 s (started 40 s ago)");
      const silent = snap({ recent: { datagrams: 0 } });
      const c2 = check(assessHealth(silent, []), "incoming_data");
      expect(c2.status).toBe("WARNING");
      expect(c2.reason).toBe(
        "No mirrored traffic in the last 60 s: check the mirror sessions (aws ec2 describe-traffic-mirror-sessions) and the NLB's UDP 4789 listener.",
      );
    });

    it("WARNING when everything arriving is not VXLAN", () => {
      const now = snap({ totals: { datagrams: 500, notVxlan: 500 }, recent: { datagrams: 50 } });
      const c = check(assessHealth(now, []), "incoming_data");
      expect(c.status).toBe("WARNING");
      expect(c.reason).toMatch(/not VXLAN .*check what sends to this port/);
    });
  });

  describe("kernel_drops", () => {
    it("WARNING on any loss in the last minute, naming the sysctl for kernel drops and workers for queue drops", () => {
      const now = snap({ recent: { datagrams: 9990, kernelDrops: 10, queueDrops: 5 } });
      const c = check(assessHealth(now, []), "kernel_drops");
      expect(c.status).toBe("WARNING");
      expect(c.value).toBe("0.15 % lost in the last 60 s (kernel 10, queue 5)");
      expect(c.reason).toMatch(
        /^Some packets were lost: the kernel dropped 10 datagrams .*ask for a larger buffer \(--receive-buffer, receiveBufferMB; now 64 MiB\)/,
      );
      expect(c.reason).toMatch(/the workers could not take 5 packets .*run more --workers/);
    });

    it("kernel drops with a buffer smaller than requested: the sysctl that lets the sensor have it", () => {
      const now = snap({
        recent: { kernelDrops: 10 },
        receiver: { receiveBufferBytes: 208 * 1024, requestedBufferBytes: 64 * MiB },
      });
      const c = check(assessHealth(now, []), "kernel_drops");
      expect(c.reason).toMatch(
        /raise net\.core\.rmem_max \(sysctl -w net\.core\.rmem_max=67108864, persisted in \/etc\/sysctl\.d\/\) so the sensor gets the 64 MiB it asks for/,
      );
    });

    it("ERROR when more than 0.1 % is lost in each of the last 3 snapshot intervals", () => {
      // Prepare: 1000 datagrams and 5 kernel drops (0.5 %) every 5 s
      const now = snap({ totals: { kernelDrops: 50 }, recent: { datagrams: 12_000, kernelDrops: 60 } });
      const history = steady(now, { datagrams: 1000, kernelDrops: 5 });
      // Act
      const c = check(assessHealth(now, history), "kernel_drops");
      // Assess
      expect(c.status).toBe("ERROR");
      expect(c.reason).toMatch(
        /^Packets are being lost \(more than 0\.10 % in each of the last 3 snapshots\)/,
      );
    });

    it("only WARNING when the loss is not sustained: a burst, too little history, or another run", () => {
      const now = snap({ totals: { kernelDrops: 50 }, recent: { datagrams: 12_000, kernelDrops: 50 } });
      // a burst: the latest interval only
      const burst = steady(now, { datagrams: 1000 });
      for (const h of burst) h.totals.kernelDrops = 0;
      burst[burst.length - 1].totals.kernelDrops = 0;
      expect(check(assessHealth(now, burst), "kernel_drops").status).toBe("WARNING");
      // two intervals of history
      expect(
        check(assessHealth(now, steady(now, { datagrams: 1000, kernelDrops: 5 }).slice(-2)), "kernel_drops")
          .status,
      ).toBe("WARNING");
      // the history belongs to the daemon's previous run
      const previousRun = steady(now, { datagrams: 1000, kernelDrops: 5 }).map((h) => ({
        ...h,
        startedAt: STARTED - 1000,
      }));
      expect(check(assessHealth(now, previousRun), "kernel_drops").status).toBe("WARNING");
    });
  });

  describe("duplicates", () => {
    it("OK up to half the datagrams (both ends mirrored), WARNING beyond it", () => {
      const now = snap({ totals: { duplicates: 50_000 } });
      const half = check(assessHealth(now, steady(now, { datagrams: 1000, duplicates: 500 })), "duplicates");
      expect(half.status).toBe("OK");
      expect(half.value).toBe("5000 in the last 50 s (50 %), 50000 since start");
      const triple = check(
        assessHealth(now, steady(now, { datagrams: 1000, duplicates: 660 })),
        "duplicates",
      );
      expect(triple.status).toBe("WARNING");
      expect(triple.reason).toMatch(
        /three or more times .*more than one session or by overlapping filter rules/,
      );
    });

    it("not judged on too few datagrams", () => {
      const now = snap({ totals: { duplicates: 50_000 } });
      expect(
        check(assessHealth(now, steady(now, { datagrams: 10, duplicates: 9 })), "duplicates").status,
      ).toBe("OK");
    });
  });

  describe("truncated", () => {
    it("WARNING when packets were cut short in the last minute, naming PacketLength and the MTU", () => {
      const now = snap({ totals: { truncated: 30 } });
      const c = check(assessHealth(now, steady(now, { datagrams: 1000, truncated: 3 })), "truncated");
      expect(c.status).toBe("WARNING");
      expect(c.value).toBe("30 in the last 50 s, 30 since start");
      expect(c.reason).toMatch(/--remove-fields packet-length/);
      expect(c.reason).toMatch(/MTU/);
    });

    it("OK again once no packet was truncated in the last minute", () => {
      const now = snap({ totals: { truncated: 30 } });
      const c = check(assessHealth(now, steady(now, { datagrams: 1000 })), "truncated");
      expect(c.status).toBe("OK");
      expect(c.value).toBe("0 in the last 50 s, 30 since start");
    });
  });

  describe("connections", () => {
    it("WARNING on evictions in the last minute", () => {
      const now = snap({ workers: [worker({ id: 0, evictions: 40 }), worker({ id: 1 })] });
      const history = steady(now, { datagrams: 1000 }).map((h, i) => ({
        ...h,
        workers: [worker({ id: 0, evictions: i * 4 }), worker({ id: 1 })],
      }));
      const c = check(assessHealth(now, history), "connections");
      expect(c.status).toBe("WARNING");
      expect(c.value).toMatch(/^200 live, 40 evicted/);
      expect(c.reason).toMatch(
        /^40 connections were evicted early .*raise --memory-budget \(memoryBudgetMB\)/,
      );
    });

    it("WARNING when most TCP connections are one-sided: a split upstream", () => {
      const now = snap({ totals: { oneSidedConnections: 300, tcpConnectionsEnded: 400 } });
      const c = check(
        assessHealth(now, steady(now, { datagrams: 1000, oneSidedConnections: 30, tcpConnectionsEnded: 40 })),
        "connections",
      );
      expect(c.status).toBe("WARNING");
      expect(c.value).toBe("200 live, 0 evicted and 300/400 one-sided in the last 50 s");
      expect(c.reason).toMatch(
        /Most TCP connections \(75 %\) .*likely a split upstream: enable NLB cross-zone/,
      );
    });

    it("OK with a one-sided minority, or too few connections to judge; conn records stand in for TCP counts", () => {
      const now = snap({ totals: { oneSidedConnections: 100, tcpConnectionsEnded: 400 } });
      expect(
        check(
          assessHealth(now, steady(now, { oneSidedConnections: 10, tcpConnectionsEnded: 40 })),
          "connections",
        ).status,
      ).toBe("OK");
      const few = snap({ totals: { oneSidedConnections: 10, tcpConnectionsEnded: 12 } });
      expect(
        check(
          assessHealth(few, steady(few, { oneSidedConnections: 1, tcpConnectionsEnded: 1 })),
          "connections",
        ).status,
      ).toBe("OK");
      const noTcp = snap({
        at: STARTED + 30,
        totals: { oneSidedConnections: 1500, tcpConnectionsEnded: undefined },
      });
      const c = check(assessHealth(noTcp, []), "connections");
      expect(c.status).toBe("WARNING");
      expect(c.reason).toMatch(/^Most connections \(75 %\)/);
    });
  });

  describe("memory_budget", () => {
    it("WARNING above 90 % of the budget", () => {
      const now = snap({
        workers: [worker({ memoryUsedBytes: 240 * MiB }), worker({ id: 1, memoryUsedBytes: 240 * MiB })],
      });
      const c = check(assessHealth(now, []), "memory_budget");
      expect(c.status).toBe("WARNING");
      expect(c.value).toBe("480 MiB/512 MiB (94 %), RSS 300 MiB");
      expect(c.reason).toMatch(/94 % full, so connections will be evicted early: raise --memory-budget/);
    });

    it("ERROR when RSS is far beyond the budget, or near the process's memory limit", () => {
      const leak = check(assessHealth(snap({ rssBytes: 2000 * MiB }), []), "memory_budget");
      expect(leak.status).toBe("ERROR");
      expect(leak.reason).toMatch(/far beyond its 512 MiB memory budget \(more than 1536 MiB\)/);
      const oom = check(
        assessHealth(snap({ rssBytes: 950 * MiB, processMemoryLimitBytes: 1024 * MiB }), []),
        "memory_budget",
      );
      expect(oom.status).toBe("ERROR");
      expect(oom.reason).toMatch(/950 MiB of the 1024 MiB it may use, so the kernel will soon kill it/);
    });
  });

  it("output: ERROR with the error text", () => {
    const now = snap({
      output: {
        dir: "/var/log/spanless",
        writable: false,
        error: "ENOSPC: no space left on device",
        rotatedFiles: 3,
      },
    });
    const c = check(assessHealth(now, []), "output");
    expect(c.status).toBe("ERROR");
    expect(c.reason).toBe(
      "Logs cannot be written to /var/log/spanless (ENOSPC: no space left on device): free space on its file system or fix its permissions; records are lost until it accepts writes again.",
    );
  });

  describe("receiver", () => {
    it("WARNING on the dgram fallback with its reason and the rebuild fix", () => {
      const now = snap({ receiver: { kind: "dgram", fallbackReason: "addon not built for Node 24" } });
      const c = check(assessHealth(now, []), "receiver");
      expect(c.status).toBe("WARNING");
      expect(c.reason).toMatch(
        /^Batched receive \(recvmmsg\) is unavailable \(addon not built for Node 24\).*npm run build:native/,
      );
    });

    it("WARNING when the kernel granted less buffer than requested, naming net.core.rmem_max", () => {
      const now = snap({
        receiver: { receiveBufferBytes: 208 * 1024, requestedBufferBytes: 64 * MiB, rmemMax: 212_992 },
      });
      const c = check(assessHealth(now, []), "receiver");
      expect(c.status).toBe("WARNING");
      expect(c.reason).toMatch(
        /\(net\.core\.rmem_max is 212992\): run sysctl -w net\.core\.rmem_max=67108864/,
      );
    });
  });

  describe("vni_map", () => {
    it("OK absent or loaded, WARNING on a load error", () => {
      expect(check(assessHealth(snap(), []), "vni_map").value).toBe(
        "not configured (records carry no VNI enrichment)",
      );
      const loaded = snap({
        vniMap: { path: "/etc/spanless/vni.json", vnis: 3, sources: 5, loadedAt: STARTED + 500 },
      });
      const c1 = check(assessHealth(loaded, []), "vni_map");
      expect(c1.status).toBe("OK");
      expect(c1.value).toBe("3 VNIs, 5 sources from /etc/spanless/vni.json, loaded 100 s ago");
      const broken = snap({
        vniMap: { path: "/etc/spanless/vni.json", vnis: 0, sources: 0, error: "invalid JSON at line 3" },
      });
      const c2 = check(assessHealth(broken, []), "vni_map");
      expect(c2.status).toBe("WARNING");
      expect(c2.reason).toMatch(
        /could not be loaded \(invalid JSON at line 3\), so records carry no VNI enrichment/,
      );
    });
  });

  it("counters that went backwards (a restarted worker) count from zero, never negative", () => {
    const now = snap({ workers: [worker({ id: 0, evictions: 3 }), worker({ id: 1 })] });
    const history = steady(now).map((h) => ({
      ...h,
      workers: [worker({ id: 0, evictions: 500 }), worker({ id: 1 })],
    }));
    const c = check(assessHealth(now, history), "connections");
    expect(c.value).toMatch(/, 3 evicted/);
  });

  it("the report's status is the worst of its checks", () => {
    const warn = assessHealth(snap({ recent: { datagrams: 0 } }), []);
    expect(warn.status).toBe("WARNING");
    const err = assessHealth(
      snap({ recent: { datagrams: 0 }, output: { dir: "/x", writable: false, rotatedFiles: 0 } }),
      [],
    );
    expect(err.status).toBe("ERROR");
  });
});

describe("healthcheckVerdict", () => {
  it("200 for a healthy sensor, and for an idle one with no mirrored traffic yet", () => {
    expect(healthcheckVerdict(assessHealth(snap(), []))).toEqual({ code: 200, body: "OK\n" });
    const idle = assessHealth(snap({ recent: { datagrams: 0 }, totals: { datagrams: 0 } }), []);
    expect(idle.status).toBe("WARNING");
    expect(healthcheckVerdict(idle).code).toBe(200);
  });

  it("200 despite other errors (memory) that do not justify leaving the target group", () => {
    const report = assessHealth(snap({ rssBytes: 4000 * MiB }), []);
    expect(report.status).toBe("ERROR");
    expect(healthcheckVerdict(report).code).toBe(200);
  });

  it("503 with each failing check's reason: a dead worker, an unwritable output, sustained drops", () => {
    // Prepare
    const now = snap({
      workers: [worker({ id: 0 }), worker({ id: 1, alive: false })],
      output: { dir: "/var/log/spanless", writable: false, error: "EROFS", rotatedFiles: 0 },
      totals: { kernelDrops: 50 },
      recent: { kernelDrops: 60 },
    });
    // Act
    const v = healthcheckVerdict(assessHealth(now, steady(now, { datagrams: 1000, kernelDrops: 5 })));
    // Assess
    expect(v.code).toBe(503);
    const lines = v.body.trimEnd().split("\n");
    expect(lines[0]).toBe("UNHEALTHY");
    expect(lines.slice(1).map((l) => l.split(":")[0])).toEqual(["all_services", "kernel_drops", "output"]);
    expect(v.body).toMatch(/all_services: Worker 1 did not answer/);
    expect(v.body).toMatch(/output: Logs cannot be written to \/var\/log\/spanless \(EROFS\)/);
  });
});
