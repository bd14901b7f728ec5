// The memory budget: its sizing rule, its accounts, and a SYN flood built from a real SYN
// (zeek/http__get.pcap, frame 1) that the budget must bound by evicting the least recently active
// connections, losing none of them from conn.log and saying so in weird.log and the summary.

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSummary } from "../../sensor-ami/src/cli/analyze.js";
import { main } from "../../sensor-ami/src/cli/main.js";
import { TCP_CONNECTION_BYTES } from "../../sensor-ami/src/engine/conn-table.js";
import { WEIRD_MEMORY_BUDGET } from "../../sensor-ami/src/engine/engine.js";
import { MemoryAccount, MemoryBudget } from "../../sensor-ami/src/engine/memory-budget.js";
import {
  defaultMemoryBudgetBytes,
  machineMemoryBytes,
  parseCgroupLimit,
} from "../../sensor-ami/src/engine/memory-size.js";
import { ReassemblyBudget } from "../../sensor-ami/src/inspect/reassembler.js";
import { corpusAvailable, runCapture } from "../support/corpus.js";
import { type CraftedFrame, readFrames, writePcap } from "./pcap-craft.js";

const GiB = 1024 ** 3;

describe("memory budget sizing", () => {
  it("reads cgroup limits: a byte count is a limit, 'max' and v1's huge 'unlimited' are none", () => {
    expect(parseCgroupLimit("2147483648\n")).toBe(2 * GiB);
    expect(parseCgroupLimit("max\n")).toBeUndefined();
    expect(parseCgroupLimit("9223372036854771712\n")).toBeUndefined();
    expect(parseCgroupLimit("garbage")).toBeUndefined();
  });

  it("takes the cgroup limit when lower than the machine's memory, the machine's otherwise", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-cgroup-"));
    const limited = join(dir, "memory.max");
    const unlimited = join(dir, "unlimited.max");
    writeFileSync(limited, "1073741824\n");
    writeFileSync(unlimited, "max\n");
    // Act / Assess
    expect(machineMemoryBytes([join(dir, "missing"), limited], 8 * GiB)).toBe(GiB);
    expect(machineMemoryBytes([unlimited], 8 * GiB)).toBe(8 * GiB);
    expect(machineMemoryBytes([limited], 512 * 1024 ** 2)).toBe(512 * 1024 ** 2);
  });

  it("is a quarter of the machine, at most half the JavaScript heap limit", () => {
    expect(defaultMemoryBudgetBytes(4 * GiB, 4 * GiB)).toBe(GiB);
    expect(defaultMemoryBudgetBytes(64 * GiB, 4 * GiB)).toBe(2 * GiB);
  });
});

describe("memory accounts", () => {
  it("refuse what does not fit, count the refusal and keep their peak", () => {
    const a = new MemoryAccount("test", 100);
    expect(a.reserve(60)).toBe(true);
    expect(a.reserve(50)).toBe(false);
    a.release(20);
    expect(a.reserve(50)).toBe(true);
    expect([a.used, a.peak, a.refusals]).toEqual([90, 90, 1]);
  });

  it("split one budget into connection, reassembly and fragment shares that add up to it", () => {
    const b = new MemoryBudget(16 * 1024 * 1024);
    const sum = b.accounts.reduce((n, a) => n + a.limit, 0);
    expect(sum).toBe(b.limit);
    expect(b.connections.limit).toBeGreaterThan(b.reassembly.limit);
    expect(b.reassembly.limit).toBeGreaterThan(b.fragments.limit);
  });

  it("charge reassembly to both its global limit and the memory budget", () => {
    // Prepare: plenty of global room, a reassembly share of 3/16 of 4096 bytes = 768 bytes.
    const memory = new MemoryBudget(4096);
    const r = new ReassemblyBudget(1 << 20, 1 << 20);
    r.memory = memory.reassembly;
    // Act
    const first = r.take(700);
    const second = r.take(100);
    r.give(700);
    const third = r.take(100);
    // Assess
    expect([first, second, third]).toEqual([true, false, true]);
    expect(r.used).toBe(100);
    expect(memory.reassembly.used).toBe(100);
  });
});

/** IPv4 header checksum recomputed in place (the flood's rewritten addresses need a valid one). */
function fixIpv4Checksum(d: Uint8Array, ip: number): void {
  d[ip + 10] = 0;
  d[ip + 11] = 0;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (d[ip + i] << 8) | d[ip + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  d[ip + 10] = (~sum >> 8) & 0xff;
  d[ip + 11] = ~sum & 0xff;
}

/** `n` copies of a real SYN, each from its own source address and port, 1 ms apart. */
function synFlood(n: number): CraftedFrame[] {
  const syn = readFrames("zeek/http__get.pcap")[0];
  const out: CraftedFrame[] = [];
  for (let i = 0; i < n; i++) {
    const d = Uint8Array.from(syn.data);
    d[14 + 14] = 10;
    d[14 + 15] = (i >> 8) & 0xff;
    d[14 + 14 + 2] = i & 0xff; // source 10.x.y.z
    d[34] = 0x80 | ((i >> 8) & 0x7f);
    d[35] = i & 0xff; // source port
    fixIpv4Checksum(d, 14);
    out.push({ ts: syn.ts + i / 1000, data: d });
  }
  return out;
}

describe.skipIf(!corpusAvailable())("a SYN flood from a real SYN under a small memory budget", () => {
  const FLOOD = 5000;
  const BUDGET = 1024 * 1024;

  it("evicts the least recently active connections, logs every connection and reports the evictions", () => {
    // Prepare: 5,000 SYNs; 1 MB gives connections 3/4 MB, room for 768 TCP connections.
    const pcap = writePcap(synFlood(FLOOD));
    const room = Math.floor((BUDGET * 3) / 4 / TCP_CONNECTION_BYTES);
    // Act
    const { result, logs } = runCapture(pcap, {
      engine: { memoryBudgetBytes: BUDGET, verifyChecksums: false },
    });
    // Assess
    const s = result.stats;
    expect(s.connections).toBe(FLOOD);
    expect(logs.get("conn")?.length).toBe(FLOOD);
    expect(s.memoryEvictions).toBeGreaterThan(FLOOD - room - 1);
    expect(s.memoryEvictions).toBe(s.evictions);
    expect(result.memory.connections.peak).toBeLessThanOrEqual(result.memory.connections.limit);
    const budgetWeirds = (logs.get("weird") ?? []).filter((w) => w.name === WEIRD_MEMORY_BUDGET);
    expect(budgetWeirds.length).toBe(1);
    expect(budgetWeirds[0].addl).toBe(
      `${s.memoryEvictions} connections evicted (least recently active first): their share of the memory budget is ${result.memory.connections.limit} bytes`,
    );
    // The oldest SYNs went first: conn.log has the evicted connections in eviction order, then the
    // survivors (finished at the end of input); every evicted SYN is older than every survivor.
    const conn = logs.get("conn") ?? [];
    const evicted = conn.slice(0, s.evictions).map((r) => r.ts as number);
    const survivors = conn.slice(s.evictions).map((r) => r.ts as number);
    expect(survivors.length).toBeGreaterThan(room / 2);
    expect(survivors.length).toBeLessThanOrEqual(room);
    expect(Math.max(...evicted)).toBeLessThanOrEqual(Math.min(...survivors));
    expect(formatSummary(pcap, "out", result)).toMatch(
      /memory {7}budget 1 MB reached \(peaks: connections 1 MB of 1 MB[^\n]*\n {15}\d[\d,]* connections evicted/,
    );
  });

  it("takes --memory-budget <MB> on the command line and rejects a budget of 0", async () => {
    // Prepare
    const pcap = writePcap(synFlood(2000));
    const out = mkdtempSync(join(tmpdir(), "spanless-budget-"));
    // Act
    const ok = await main(["analyze", pcap, "--out", out, "--memory-budget", "1", "--no-checksums", "-q"]);
    const bad = await main(["analyze", pcap, "--out", out, "--memory-budget", "0", "-q"]);
    // Assess
    expect(ok).toBe(0);
    expect(bad).toBe(64);
    const again = runCapture(pcap, { engine: { memoryBudgetBytes: 1024 * 1024, verifyChecksums: false } });
    expect(again.result.stats.memoryEvictions).toBeGreaterThan(0);
  });
});
