// `spanless collector` from its arguments: starts, prints where it listens and the certificate's SHA-256
// fingerprint (the same on the next start), serves batches, stops on its stop signal; bad arguments are
// usage errors; and the main CLI dispatches to it.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseListen, runCollector } from "../../sensor-ami/src/cli/collector.js";
import { CERT_FILE, STATE_DIR, TokenStore } from "../../sensor-ami/src/collector/index.js";
import { send, signedBatch } from "./support/client.js";

let store: string;
beforeEach(() => {
  store = mkdtempSync(join(tmpdir(), "spanless-collector-cli-"));
});
afterEach(() => rmSync(store, { recursive: true, force: true }));

/** Runs the collector until `body` is done with it; returns its exit status and output. */
async function withCollector(argv: string[], body: (url: string) => Promise<void>) {
  let stdout = "";
  let stderr = "";
  const stop = new AbortController();
  let ready: (url: string) => void = () => {};
  const started = new Promise<string>((resolve) => {
    ready = resolve;
  });
  const running = runCollector(argv, {
    stdout: (t) => {
      stdout += t;
      const url = /listening on (\S+),/.exec(stdout)?.[1];
      if (url) ready(url);
    },
    stderr: (t) => {
      stderr += t;
    },
    stop: stop.signal,
  });
  const url = await Promise.race([started, running.then(() => "")]);
  if (url) await body(url);
  stop.abort();
  const status = await running;
  return { status, stdout, stderr };
}

describe("spanless collector", () => {
  it("starts with a self-signed certificate, prints its fingerprint, serves batches and stops", async () => {
    // Prepare
    const token = new TokenStore(join(store, "tokens.json")).create("sensor-a");
    const certPath = join(store, STATE_DIR, "tls", CERT_FILE);
    let answer = 0;

    // Act
    const first = await withCollector(["--listen", "127.0.0.1:0", "--store", store], async (url) => {
      answer = (await send(url, readFileSync(certPath, "utf8"), signedBatch(token))).status;
    });
    const second = await withCollector(["--listen", "127.0.0.1:0", "--store", store], async () => {});

    // Assess
    expect(first.status).toBe(0);
    expect(answer).toBe(200);
    const fingerprint = new X509Certificate(readFileSync(certPath)).fingerprint256;
    expect(first.stdout).toContain(`(generated) SHA-256 fingerprint ${fingerprint}`);
    expect(second.stdout).toContain(`(kept) SHA-256 fingerprint ${fingerprint}`);
    const log = first.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(log.map((e) => e.event)).toEqual(["started", "batch-stored", "stopped"]);
    expect(log[1]).toMatchObject({ level: "info", status: 200, label: "sensor-a" });
    expect(typeof log[1].ts).toBe("string");
  });

  it.each([
    [["--listen", "127.0.0.1:0"], 64, "missing --store"],
    [["--store", "STORE", "--bogus"], 64, "Unknown option"],
    [["--store", "STORE", "--listen", "127.0.0.1:99999"], 78, "is not host:port"],
    [["--store", "STORE", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent"], 78, "--tls-key"],
    [["--store", "STORE", "--listen", "127.0.0.1:0", "--s3", "http://x"], 78, "--s3 must be"],
  ])("refuses %j", async (argv, status, message) => {
    // Act
    const result = await withCollector(
      argv.map((a) => (a === "STORE" ? store : a)),
      async () => {},
    );

    // Assess
    expect(result.status).toBe(status);
    expect(result.stderr).toContain(message);
  });

  it.each([
    ["127.0.0.1:8443", { host: "127.0.0.1", port: 8443 }],
    ["[::1]:0", { host: "::1", port: 0 }],
    [":9000", { host: "0.0.0.0", port: 9000 }],
    ["collector.internal", { host: "collector.internal", port: 8443 }],
  ])("reads --listen %s", (text, expected) => {
    // Act / Assess
    expect(parseListen(text)).toEqual(expected);
  });

  it("is dispatched by the main CLI", async () => {
    // Prepare
    const { main } = await import("../../sensor-ami/src/cli/main.js");
    const writes: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((t: string) => {
      writes.push(t);
      return true;
    }) as typeof process.stdout.write;

    // Act
    let statuses: number[];
    try {
      statuses = [await main(["collector", "--help"]), await main(["token", "--help"])];
    } finally {
      process.stdout.write = write;
    }

    // Assess
    expect(statuses).toEqual([0, 0]);
    expect(writes.join("")).toContain("usage: spanless collector");
    expect(writes.join("")).toContain("usage: spanless token create");
  });
});
