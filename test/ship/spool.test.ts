// Spool on real files: batches survive a reopen in order with their IDs; the bound holds by dropping
// the oldest (never one being sent); torn, damaged and foreign files are found, moved aside and
// reported without throwing; temp files of an unfinished write are removed; rejected batches move to
// rejected/ within their own bound.

import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Batch } from "../../sensor-ami/src/ship/batcher.js";
import { Spool, type SpoolEvent } from "../../sensor-ami/src/ship/spool.js";
import { decodeHeader, encodeHeader } from "../../sensor-ami/src/ship/spool-file.js";

const dirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "spanless-spool-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A batch whose body is `bytes` of incompressible data (so its file size is predictable). */
function batch(log = "conn", bytes = 1000, records = 7): Batch {
  return {
    id: randomBytes(16).toString("hex"),
    log,
    records,
    createdAt: 1_760_000_000_123,
    rawBytes: bytes * 2,
    body: randomBytes(bytes),
  };
}

function open(dir: string, maxBytes = 1 << 20) {
  const events: SpoolEvent[] = [];
  const spool = new Spool({ dir, maxBytes, onEvent: (e) => events.push(e) });
  return { spool, events };
}

const batchFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".batch"));

describe("spool file header", () => {
  it("reads back what it wrote, and refuses a changed byte", () => {
    // Prepare
    const b = batch("dns", 10, 3);

    // Act
    const header = encodeHeader(b);
    const decoded = decodeHeader(Buffer.concat([header, b.body]));
    header[30] ^= 1;
    const damaged = decodeHeader(header);

    // Assess
    expect(decoded).toMatchObject({
      id: b.id,
      log: "dns",
      records: 3,
      createdAt: b.createdAt,
      bodyBytes: 10,
    });
    expect(damaged).toBe("has a header that fails its CRC");
  });
});

describe("Spool", () => {
  it("keeps batches across a reopen, oldest first, with their IDs and bodies", async () => {
    // Prepare
    const dir = tmp();
    const { spool } = open(dir);
    const stored = [batch("conn"), batch("dns"), batch("conn")];
    for (const b of stored) await spool.put(b);

    // Act
    const { spool: reopened, events } = open(dir);
    const taken = [reopened.take()!, reopened.take()!, reopened.take()!];
    const bodies = await Promise.all(taken.map((e) => reopened.read(e)));

    // Assess
    expect(events).toEqual([]);
    expect(taken.map((e) => e.id)).toEqual(stored.map((b) => b.id));
    expect(bodies).toEqual(stored.map((b) => b.body));
    expect(reopened.take()).toBeUndefined();
    expect(reopened.status()).toMatchObject({ backlogBatches: 3, backlogRecords: 21 });
  });

  it("removes a batch's file on ack, and counts new batches after the old ones", async () => {
    // Prepare
    const dir = tmp();
    const { spool } = open(dir);
    await spool.put(batch());
    const { spool: reopened } = open(dir);

    // Act
    await reopened.ack(reopened.take()!);
    await reopened.put(batch());

    // Assess
    expect(batchFiles(dir)).toEqual([expect.stringMatching(/^000000000002-[0-9a-f]{32}\.batch$/)]);
    expect(reopened.status()).toMatchObject({ backlogBatches: 1 });
  });

  it("stays within its bound by dropping the oldest batches, never one being sent", async () => {
    // Prepare: room for three ~1 KB files
    const dir = tmp();
    const { spool, events } = open(dir, 3300);
    const stored = [batch(), batch(), batch(), batch(), batch()];
    await spool.put(stored[0]!);
    const sending = spool.take()!;

    // Act
    for (const b of stored.slice(1)) await spool.put(b);

    // Assess: #0 is being sent and stays; #1 and #2 make room for #3 and #4
    expect(events.map((e) => (e.type === "dropped" ? [e.reason, e.id] : e.type))).toEqual([
      ["spool-full", stored[1]!.id],
      ["spool-full", stored[2]!.id],
    ]);
    expect(spool.pending().map((e) => e.id)).toEqual([sending.id, stored[3]!.id, stored[4]!.id]);
    expect(spool.status()).toMatchObject({ droppedBatches: 2, droppedRecords: 14, backlogBatches: 3 });
    expect(spool.status().backlogBytes).toBeLessThanOrEqual(3300);
    await new Promise((r) => setTimeout(r, 20));
    expect(batchFiles(dir)).toHaveLength(3);
  });

  it("drops a batch larger than the whole spool", async () => {
    // Prepare
    const { spool, events } = open(tmp(), 500);

    // Act
    await spool.put(batch("conn", 1000));

    // Assess
    expect(events).toEqual([expect.objectContaining({ type: "dropped", reason: "larger-than-spool" })]);
    expect(spool.status().backlogBatches).toBe(0);
  });

  it("finds a torn file at start, moves it to corrupt/ and reports it, keeping the rest", async () => {
    // Prepare
    const dir = tmp();
    const { spool } = open(dir);
    const stored = [batch(), batch(), batch()];
    for (const b of stored) await spool.put(b);
    const torn = batchFiles(dir).sort()[1]!;
    truncateSync(join(dir, torn), statSync(join(dir, torn)).size - 100);

    // Act
    const { spool: reopened, events } = open(dir);

    // Assess
    expect(events).toEqual([
      expect.objectContaining({ type: "corrupt", problem: expect.stringContaining("its header says") }),
    ]);
    expect(reopened.pending().map((e) => e.id)).toEqual([stored[0]!.id, stored[2]!.id]);
    expect(readdirSync(join(dir, "corrupt"))).toEqual([torn]);
    expect(reopened.status().corruptFiles).toBe(1);
  });

  it("finds a damaged body when it is read, and a file cut inside its header at start", async () => {
    // Prepare
    const dir = tmp();
    const { spool } = open(dir);
    await spool.put(batch());
    await spool.put(batch());
    const [first, second] = batchFiles(dir).sort();
    const bytes = readFileSync(join(dir, first!));
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(join(dir, first!), bytes);
    truncateSync(join(dir, second!), 20);

    // Act
    const { spool: reopened, events } = open(dir);
    const entry = reopened.take()!;
    const body = await reopened.read(entry);

    // Assess
    expect(body).toBeUndefined();
    expect(events.map((e) => (e.type === "corrupt" ? e.problem : e.type))).toEqual([
      "is 20 bytes, shorter than any header",
      "has a body that fails its CRC",
    ]);
    expect(reopened.status()).toMatchObject({ corruptFiles: 2, backlogBatches: 0 });
    expect(readdirSync(join(dir, "corrupt")).sort()).toEqual([first, second]);
  });

  it("removes the temp file of a write that did not finish, and ignores foreign files", async () => {
    // Prepare
    const dir = tmp();
    writeFileSync(join(dir, "000000000007-0123456789abcdef0123456789abcdef.batch.tmp"), "half");
    writeFileSync(join(dir, "notes.txt"), "mine");

    // Act
    const { spool, events } = open(dir);

    // Assess
    expect(events.map((e) => e.type)).toEqual(["temp-removed"]);
    expect(readdirSync(dir).sort()).toEqual(["corrupt", "notes.txt", "rejected"]);
    expect(spool.status().backlogBatches).toBe(0);
  });

  it("moves a rejected batch to rejected/ and keeps that folder within a quarter of the bound", async () => {
    // Prepare
    const dir = tmp();
    const { spool, events } = open(dir, 8000);
    const stored = [batch(), batch(), batch()];
    for (const b of stored) await spool.put(b);

    // Act
    for (let i = 0; i < 3; i++) await spool.reject(spool.take()!, 401, "unauthorized");

    // Assess: 2000 bytes of rejected files allowed, each ~1060
    expect(events.filter((e) => e.type === "rejected")).toHaveLength(3);
    expect(readdirSync(join(dir, "rejected"))).toEqual([expect.stringContaining(stored[2]!.id)]);
    expect(spool.status()).toMatchObject({ rejectedBatches: 3, rejectedRecords: 21, backlogBatches: 0 });
    expect(existsSync(join(dir, batchFiles(dir)[0] ?? "none"))).toBe(false);
  });

  it("wakes a waiter when a batch is stored or released", async () => {
    // Prepare
    const { spool } = open(tmp());
    let woken = 0;
    const waiting = spool.whenReady().then(() => woken++);

    // Act
    await spool.put(batch());
    await waiting;
    const entry = spool.take()!;
    const again = spool.whenReady().then(() => woken++);
    spool.release(entry);
    await again;

    // Assess
    expect(woken).toBe(2);
  });
});
