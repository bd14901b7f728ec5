// RotatingLogWriter on real files in a temporary directory, with an injected clock: hourly and
// size-cap rotation (Zeek's names, gzip that reads back to what was written), SIGHUP reopen after
// an external rename, a previous run's leftovers, and write failures that must never throw into
// the caller nor lose a record silently (an unusable directory, ENOSPC from /dev/full, a real
// `ulimit -f` in a child process).

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import type { LogChunk } from "../../sensor-ami/src/logs/json-lines.js";
import {
  type RotatedLog,
  RotatingLogWriter,
  type RotatingLogWriterOptions,
} from "../../sensor-ami/src/logs/rotating-writer.js";
import { LogWriteError } from "../../sensor-ami/src/logs/writer.js";

/** 2024-01-01 10:15:00 UTC */
const T0 = Date.UTC(2024, 0, 1, 10, 15, 0) / 1000;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "spanless-rotate-"));
}

/**
 * `n` numbered records (`{"path":…,"seq":i,"pad":…}`), as one chunk; every line of a path is
 * `38 + path.length + pad` bytes whatever its number (below a million).
 */
function chunk(path: string, from: number, n: number, pad = 10): LogChunk {
  let text = "";
  for (let i = from; i < from + n; i++)
    text += `${JSON.stringify({ path, seq: i, pad: "x".repeat(pad + 6 - String(i).length) })}\n`;
  return { path, text, records: n };
}

function seqs(text: string): number[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** A writer on `dir` with a settable clock, no timer, and its reports collected. */
function make(dir: string, options: Partial<RotatingLogWriterOptions> = {}) {
  const t = { now: T0 };
  const errors: string[] = [];
  const rotated: RotatedLog[] = [];
  const writer = new RotatingLogWriter({
    dir,
    clock: () => t.now,
    tickMs: 0,
    onError: (e) => errors.push(e.message),
    onRotated: (r) => rotated.push(r),
    ...options,
  });
  return { writer, t, errors, rotated };
}

function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

function gz(file: string): string {
  return gunzipSync(readFileSync(file)).toString("utf8");
}

describe("RotatingLogWriter: rotation", () => {
  it("rotates at the top of the hour into Zeek-named gzips that read back to what was written", async () => {
    // Prepare
    const dir = tmp();
    const { writer, t, rotated } = make(dir);
    // Act: 10:15 and 10:59:59 into one file; 11:00:00 rotates it; 11:00:05 opens the next
    writer.append([chunk("conn", 0, 3), chunk("dns", 0, 2)]);
    t.now = T0 + 44 * 60 + 59;
    writer.append([chunk("conn", 3, 2)]);
    expect(files(dir)).toEqual(["conn.log", "dns.log"]);
    t.now = T0 + 45 * 60;
    writer.tick();
    t.now += 5;
    writer.append([chunk("conn", 5, 1)]);
    await writer.idle();
    // Assess
    expect(files(dir)).toEqual([
      "conn.2024-01-01-10-15-00-2024-01-01-11-00-00.log.gz",
      "conn.log",
      "dns.2024-01-01-10-15-00-2024-01-01-11-00-00.log.gz",
    ]);
    const first = gz(join(dir, "conn.2024-01-01-10-15-00-2024-01-01-11-00-00.log.gz"));
    expect(first).toBe(chunk("conn", 0, 3).text + chunk("conn", 3, 2).text);
    expect(gz(join(dir, "dns.2024-01-01-10-15-00-2024-01-01-11-00-00.log.gz"))).toBe(chunk("dns", 0, 2).text);
    expect(readFileSync(join(dir, "conn.log"), "utf8")).toBe(chunk("conn", 5, 1).text);
    expect(rotated.map((r) => [r.path, r.records, r.compressed, r.bytes])).toEqual([
      ["conn", 5, true, Buffer.byteLength(first)],
      ["dns", 2, true, chunk("dns", 0, 2).text.length],
    ]);
    // The next hour, rotated by an append (no tick): named from its own open time
    t.now = T0 + 105 * 60;
    writer.append([chunk("conn", 6, 1)]);
    await writer.idle();
    expect(files(dir)).toContain("conn.2024-01-01-11-00-05-2024-01-01-12-00-00.log.gz");
    expect(readFileSync(join(dir, "conn.log"), "utf8")).toBe(chunk("conn", 6, 1).text);
    const status = await writer.close();
    expect(status).toMatchObject({ writable: true, rotatedFiles: 3, pendingGzip: 0, droppedRecords: 0 });
    expect(status.writtenRecords).toBe(9);
    // close() rotates nothing by default: the current file stays for the next run to pick up
    expect(readFileSync(join(dir, "conn.log"), "utf8")).toBe(chunk("conn", 6, 1).text);
  });

  it("appends a counter when the rotated name is taken", async () => {
    const dir = tmp();
    const { writer } = make(dir);
    writer.append([chunk("conn", 0, 1)]);
    writer.rotateNow();
    writer.append([chunk("conn", 1, 1)]);
    writer.rotateNow();
    writer.append([chunk("conn", 2, 1)]);
    writer.rotateNow();
    await writer.close();
    const base = "conn.2024-01-01-10-15-00-2024-01-01-10-15-00";
    expect(files(dir)).toEqual([`${base}-1.log.gz`, `${base}-2.log.gz`, `${base}.log.gz`]);
    expect(seqs(gz(join(dir, `${base}-2.log.gz`)))).toEqual([2]);
  });

  it("rotates early before a file would exceed maxBytes, on whole lines, nothing lost or reordered", async () => {
    // Prepare: 40-byte lines, 1000-byte cap
    const dir = tmp();
    const line = chunk("conn", 0, 1, 2).text.length;
    expect(line).toBe(40);
    const { writer, t } = make(dir, { maxBytes: 1000 });
    // Act: 30 chunks of 7 lines (280 bytes), and one chunk of 60 lines (2400 bytes: split)
    let seq = 0;
    for (let i = 0; i < 30; i++) {
      t.now += 1;
      writer.append([chunk("conn", seq, 7, 2)]);
      seq += 7;
    }
    writer.append([chunk("conn", seq, 60, 2)]);
    seq += 60;
    await writer.close({ rotate: true });
    // Assess
    const names = files(dir);
    expect(
      names.every((n) => /^conn\.2024-01-01-10-\d\d-\d\d-2024-01-01-10-\d\d-\d\d(-\d+)?\.log\.gz$/.test(n)),
    ).toBe(true);
    const texts = names.map((n) => gz(join(dir, n)));
    for (const text of texts) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000);
      expect(text.endsWith("\n")).toBe(true);
    }
    expect(texts.length).toBe(Math.ceil((seq * 40) / 1000));
    // Names sort in time order here except the counter; order by first record instead
    const all = texts.map(seqs).sort((a, b) => a[0] - b[0]);
    expect(all.flat()).toEqual(range(0, seq));
  });

  it("reopen() (SIGHUP) after an external rename starts a new current file; the renamed one keeps its lines", async () => {
    // Prepare
    const dir = tmp();
    const { writer, t } = make(dir);
    writer.append([chunk("conn", 0, 2)]);
    // Act: logrotate renames, then the sensor gets SIGHUP
    renameSync(join(dir, "conn.log"), join(dir, "conn.log.1"));
    writer.append([chunk("conn", 2, 1)]); // still the open file, now named conn.log.1
    writer.reopen();
    t.now += 60;
    writer.append([chunk("conn", 3, 2)]);
    // Assess
    expect(seqs(readFileSync(join(dir, "conn.log.1"), "utf8"))).toEqual([0, 1, 2]);
    expect(seqs(readFileSync(join(dir, "conn.log"), "utf8"))).toEqual([3, 4]);
    // The new file is named from its own open time; the renamed one is left alone
    t.now = T0 + 45 * 60;
    writer.tick();
    await writer.close();
    expect(files(dir)).toEqual(["conn.2024-01-01-10-16-00-2024-01-01-11-00-00.log.gz", "conn.log.1"]);
  });

  it("a current file renamed away without SIGHUP is let go at rotation time, not renamed again", async () => {
    // Prepare
    const dir = tmp();
    const { writer, t, errors } = make(dir);
    writer.append([chunk("conn", 0, 1)]);
    renameSync(join(dir, "conn.log"), join(dir, "conn.log.1"));
    // Act
    t.now = T0 + 45 * 60;
    writer.tick();
    writer.append([chunk("conn", 1, 1)]);
    // Assess
    expect(writer.status().rotationError).toBeUndefined();
    expect(errors).toEqual([]);
    expect(seqs(readFileSync(join(dir, "conn.log.1"), "utf8"))).toEqual([0]);
    expect(seqs(readFileSync(join(dir, "conn.log"), "utf8"))).toEqual([1]);
    await writer.close();
  });

  it("a listener that throws reaches neither the caller nor the gzip count", async () => {
    const dir = tmp();
    const { writer } = make(dir, {
      onRotated: () => {
        throw new Error("listener bug");
      },
    });
    writer.append([chunk("conn", 0, 1)]);
    expect(() => writer.rotateNow()).not.toThrow();
    const status = await writer.close();
    expect(status).toMatchObject({ gzipFailures: 0, rotatedFiles: 1, pendingGzip: 0 });
    expect(files(dir)).toEqual(["conn.2024-01-01-10-15-00-2024-01-01-10-15-00.log.gz"]);
  });

  it("reopen() without a rename keeps appending to the same file and its open time", async () => {
    const dir = tmp();
    const { writer, t } = make(dir);
    writer.append([chunk("conn", 0, 1)]);
    writer.reopen();
    t.now += 60;
    writer.append([chunk("conn", 1, 1)]);
    writer.reopen();
    t.now = T0 + 45 * 60; // due while closed: rotated anyway
    writer.tick();
    await writer.close();
    expect(files(dir)).toEqual(["conn.2024-01-01-10-15-00-2024-01-01-11-00-00.log.gz"]);
    expect(seqs(gz(join(dir, files(dir)[0])))).toEqual([0, 1]);
  });

  it("close() waits for pending gzips", async () => {
    // Prepare: a few MB to compress
    const dir = tmp();
    const { writer } = make(dir);
    for (let i = 0; i < 40; i++) writer.append([chunk("conn", i * 1000, 1000, 40)]);
    // Act
    writer.rotateNow();
    const before = writer.status();
    const status = await writer.close();
    // Assess
    expect(before.pendingGzip).toBe(1);
    expect(status.pendingGzip).toBe(0);
    const names = files(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/\.log\.gz$/);
    expect(seqs(gz(join(dir, names[0])))).toEqual(range(0, 40_000));
  });

  it("compress: false leaves rotated files as .log", async () => {
    const dir = tmp();
    const { writer, rotated } = make(dir, { compress: false });
    writer.append([chunk("conn", 0, 1)]);
    writer.rotateNow();
    await writer.close();
    expect(files(dir)).toEqual(["conn.2024-01-01-10-15-00-2024-01-01-10-15-00.log"]);
    expect(rotated[0]).toMatchObject({ compressed: false, records: 1 });
  });

  it("a gzip that fails leaves the rotated .log in place and is reported", async () => {
    // Prepare: the .gz.tmp name is a directory, so the gzip cannot create it
    const dir = tmp();
    const { writer, errors } = make(dir);
    writer.append([chunk("conn", 0, 2)]);
    const name = "conn.2024-01-01-10-15-00-2024-01-01-10-15-00.log";
    mkdirSync(join(dir, `${name}.gz.tmp`));
    // Act
    writer.rotateNow();
    const status = await writer.close();
    // Assess
    expect(status.gzipFailures).toBe(1);
    expect(errors.some((e) => e.startsWith(`cannot gzip ${join(dir, name)} (left uncompressed)`))).toBe(true);
    expect(seqs(readFileSync(join(dir, name), "utf8"))).toEqual([0, 1]);
    expect(existsSync(join(dir, `${name}.gz`))).toBe(false);
  });
});

describe("RotatingLogWriter: a previous run's files", () => {
  it("rotates leftover current files first (torn last line cut), finishes unfinished gzips, removes temporaries", async () => {
    // Prepare
    const dir = tmp();
    const leftover = chunk("conn", 0, 3).text;
    writeFileSync(join(dir, "conn.log"), `${leftover}{"path":"conn","se`);
    writeFileSync(join(dir, "dns.log"), "");
    const unzipped = "weird.2023-12-31-23-00-00-2024-01-01-00-00-00.log";
    writeFileSync(join(dir, unzipped), chunk("weird", 0, 2).text);
    writeFileSync(join(dir, "http.2023-12-31-22-00-00-2023-12-31-23-00-00.log.gz.tmp"), "partial");
    writeFileSync(join(dir, "notes.txt"), "not ours");
    const mtime = statSync(join(dir, "conn.log")).mtimeMs / 1000;
    // Act
    const { writer, rotated } = make(dir);
    writer.append([chunk("conn", 3, 1)]);
    await writer.idle();
    // Assess
    const names = files(dir);
    const conn = names.filter((n) => n.startsWith("conn.") && n.endsWith(".gz"));
    expect(conn).toHaveLength(1);
    const [, open, close] = /^conn\.(.{19})-(.{19})\.log\.gz$/.exec(conn[0]) ?? [];
    expect(close).toBe(new Date(Math.floor(mtime) * 1000).toISOString().slice(0, 19).replace(/[T:]/g, "-"));
    expect(open <= close).toBe(true);
    expect(gz(join(dir, conn[0]))).toBe(leftover);
    expect(gz(join(dir, `${unzipped}.gz`))).toBe(chunk("weird", 0, 2).text);
    expect(names).toEqual([conn[0], "conn.log", `${unzipped}.gz`, "notes.txt"].sort());
    // The new run's conn.log holds only its own lines
    expect(readFileSync(join(dir, "conn.log"), "utf8")).toBe(chunk("conn", 3, 1).text);
    expect(rotated.map((r) => r.path).sort()).toEqual(["conn", "weird"]);
    expect(writer.status().rotatedFiles).toBe(1);
    await writer.close();
  });

  it("a directory that cannot be created is a LogWriteError at construction", () => {
    const dir = tmp();
    writeFileSync(join(dir, "file"), "");
    expect(() => new RotatingLogWriter({ dir: join(dir, "file", "logs"), tickMs: 0 })).toThrow(LogWriteError);
  });
});

describe("RotatingLogWriter: write failures never throw and lose nothing silently", () => {
  it("an unusable directory: not writable with a message, the backlog retried and written once it is back", async () => {
    // Prepare
    const root = tmp();
    const dir = join(root, "logs");
    const { writer, errors } = make(dir);
    writer.append([chunk("conn", 0, 2)]);
    // Act: the directory is replaced by a file (root ignores permissions, so not chmod), and the
    // current file closed (SIGHUP); the next lines cannot be written anywhere
    renameSync(dir, join(root, "moved"));
    writeFileSync(dir, "");
    writer.reopen();
    expect(() => writer.append([chunk("conn", 2, 3), chunk("dns", 0, 1)])).not.toThrow();
    writer.append([chunk("conn", 5, 1)]);
    writer.tick();
    // Assess: not writable, says why, holds the lines
    const down = writer.status();
    expect(down.writable).toBe(false);
    expect(down.error).toMatch(new RegExp(`^cannot open ${dir}/(conn|dns)\\.log: ENOTDIR`));
    expect(down.backlogRecords).toBe(5);
    expect(down.backlogBytes).toBe(chunk("conn", 2, 4).text.length + chunk("dns", 0, 1).text.length);
    expect(errors.length).toBe(2); // once per log, not once per retry
    // Act: the directory is back
    unlinkSync(dir);
    renameSync(join(root, "moved"), dir);
    writer.tick();
    // Assess: everything written, in order
    const up = writer.status();
    expect(up).toMatchObject({ writable: true, backlogBytes: 0, backlogRecords: 0, droppedRecords: 0 });
    expect(up.error).toBeUndefined();
    expect(seqs(readFileSync(join(dir, "conn.log"), "utf8"))).toEqual(range(0, 6));
    expect(seqs(readFileSync(join(dir, "dns.log"), "utf8"))).toEqual([0]);
    await writer.close();
  });

  it("a removed directory is made again", async () => {
    const dir = join(tmp(), "logs");
    const { writer } = make(dir);
    writer.append([chunk("conn", 0, 1)]);
    rmSync(dir, { recursive: true });
    writer.reopen();
    writer.append([chunk("conn", 1, 1)]);
    expect(writer.status().writable).toBe(true);
    expect(seqs(readFileSync(join(dir, "conn.log"), "utf8"))).toEqual([1]);
    await writer.close();
  });

  it("ENOSPC (the current file is /dev/full): the file and reason reported, lines kept until it can be written", async () => {
    // Prepare
    const dir = tmp();
    const { writer, errors } = make(dir);
    symlinkSync("/dev/full", join(dir, "conn.log"));
    // Act
    writer.append([chunk("conn", 0, 3)]);
    // Assess
    const down = writer.status();
    expect(down.writable).toBe(false);
    expect(down.error).toBe(`cannot write ${join(dir, "conn.log")}: no space left on device (ENOSPC)`);
    expect(errors).toEqual([down.error]);
    expect(down.backlogRecords).toBe(3);
    // Act: space again (a regular file in its place)
    unlinkSync(join(dir, "conn.log"));
    writer.append([chunk("conn", 3, 1)]);
    expect(writer.status()).toMatchObject({ writable: true, backlogRecords: 0 });
    expect(seqs(readFileSync(join(dir, "conn.log"), "utf8"))).toEqual(range(0, 4));
    await writer.close();
  });

  it("a full backlog drops whole chunks, counted and reported once; what was kept is written in order", async () => {
    // Prepare: 40-byte lines, a 1000-byte backlog
    const dir = tmp();
    const { writer, errors } = make(dir, { maxBacklogBytes: 1000 });
    symlinkSync("/dev/full", join(dir, "conn.log"));
    // Act: 20 chunks of 5 lines (200 bytes)
    for (let i = 0; i < 20; i++) writer.append([chunk("conn", i * 5, 5, 2)]);
    // Assess
    const down = writer.status();
    expect(down.backlogBytes).toBe(1000);
    expect(down.backlogRecords).toBe(25);
    expect(down.droppedRecords).toBe(75);
    expect(
      errors.filter((e) => e.startsWith("log records dropped: the backlog of unwritten logs is full")),
    ).toHaveLength(1);
    unlinkSync(join(dir, "conn.log"));
    writer.tick();
    expect(seqs(readFileSync(join(dir, "conn.log"), "utf8"))).toEqual(range(0, 25));
    const status = await writer.close();
    expect(status.writtenRecords + status.droppedRecords).toBe(100);
  });

  it("a backlog still unwritable at close is counted as dropped", async () => {
    const dir = tmp();
    const { writer } = make(dir);
    symlinkSync("/dev/full", join(dir, "conn.log"));
    writer.append([chunk("conn", 0, 4)]);
    const status = await writer.close();
    expect(status).toMatchObject({ droppedRecords: 4, backlogBytes: 0, writtenRecords: 0 });
    // Appending after close drops and counts too
    writer.append([chunk("conn", 4, 2)]);
    expect(writer.status().droppedRecords).toBe(6);
  });

  it("a real file-size limit (ulimit -f, EFBIG) mid-chunk: whole lines kept, the rest retried into the next file", () => {
    // Prepare: a child process under `ulimit -f 64` (64 KiB) with SIGXFSZ ignored, running the
    // writer bundled by esbuild; 1 MiB cap so only the limit stops the file
    const dir = tmp();
    const script = join(tmp(), "efbig.mjs");
    const source = `
      import { RotatingLogWriter } from ${JSON.stringify(join(__dirname, "../../sensor-ami/src/logs/rotating-writer.ts"))};
      const writer = new RotatingLogWriter({ dir: process.argv[2], tickMs: 0, compress: false, maxBytes: 1 << 20, clock: () => 1704104100 });
      const out = [];
      let seq = 0;
      for (let c = 0; c < 70; c++) {
        let text = "";
        for (let i = 0; i < 50; i++) text += JSON.stringify({ seq: seq++, pad: "y".repeat(20) }) + "\\n";
        writer.append([{ path: "conn", text, records: 50 }]);
      }
      out.push(writer.status());
      writer.rotateNow();   // a new, empty file: the backlog goes there until it is full too
      writer.tick();
      out.push(writer.status());
      out.push(await writer.close());
      console.log(JSON.stringify(out));
    `;
    const built = buildSync({
      stdin: { contents: source, loader: "ts", resolveDir: __dirname },
      bundle: true,
      platform: "node",
      format: "esm",
      write: false,
    });
    writeFileSync(script, built.outputFiles[0].text);
    // Act
    const r = spawnSync(
      "bash",
      ["-c", `trap '' XFSZ; ulimit -f 64; exec "$0" "$@"`, process.execPath, script, dir],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    // Assess
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [full, afterRotate, closed] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(full.writable).toBe(false);
    expect(full.error).toMatch(
      new RegExp(
        `^cannot write ${join(dir, "conn.log")}: file too large \\(EFBIG: the file size limit was reached`,
      ),
    );
    expect(full.droppedRecords).toBe(0);
    expect(afterRotate.rotatedFiles).toBe(1);
    expect(afterRotate.writable).toBe(false); // 3500 lines are ~150 KiB: the second file fills too
    // Every file is whole lines under the limit; together they are a prefix of the records in order
    const names = files(dir);
    expect(names).toHaveLength(2);
    const rotatedName = names.find((n) => n !== "conn.log") as string;
    let all: number[] = [];
    for (const name of [rotatedName, "conn.log"]) {
      const text = readFileSync(join(dir, name), "utf8");
      expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(64 * 1024);
      expect(text.endsWith("\n")).toBe(true);
      all = all.concat(seqs(text));
    }
    expect(all).toEqual(range(0, all.length));
    expect(closed.writtenRecords).toBe(all.length);
    expect((closed.writtenRecords as number) + (closed.droppedRecords as number)).toBe(3500);
  });
});
