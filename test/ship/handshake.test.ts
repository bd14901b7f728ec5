// The live sensor's push-token handshake at start, against the real reference collector over HTTPS
// (its own certificate as the CA): accepted → status().lastHandshakeAt; a refused token is retried
// and told once, never with the secret; a collector without the endpoint is told and left alone.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningCollector, startCollector, TokenStore } from "../../sensor-ami/src/collector/index.js";
import { Shipper } from "../../sensor-ami/src/ship/index.js";
import { hasOpenssl, makeCertificate, TestCollector, until } from "./support.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "spanless-handshake-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function collector(): Promise<{ c: RunningCollector; token: string; ca: string }> {
  const store = tmp();
  const token = new TokenStore(join(store, "tokens.json")).create("sensor-a");
  const c = await startCollector({ host: "127.0.0.1", port: 0, store, log: () => {} });
  cleanup.push(() => c.close());
  const ca = join(store, "ca.pem");
  writeFileSync(ca, c.tls.cert);
  return { c, token, ca };
}

function shipper(url: string, token: string, caFile: string, log: string[]): Shipper {
  const s = new Shipper({
    dir: tmp(),
    collectorUrl: url,
    pushToken: token,
    caFile,
    sensorId: "i-0abc",
    spoolMaxBytes: 1 << 20,
    handshake: true,
    backoffBaseMs: 50,
    backoffMaxMs: 100,
    log: (line) => log.push(line),
  });
  cleanup.push(() => s.close());
  return s;
}

describe("the Shipper's handshake", () => {
  it("is accepted by the collector and shows in status() before any upload", async () => {
    // Prepare
    const { c, token, ca } = await collector();
    const log: string[] = [];

    // Act
    const s = shipper(c.url, token, ca, log);
    await until(() => s.status().lastHandshakeAt !== null, "the handshake");

    // Assess
    expect(s.status()).toMatchObject({ uploadedBatches: 0, collectorConnectivity: "unknown" });
    expect(log).toContain("ship: the collector accepted the push token (label sensor-a)");
  });

  it("retries a refused token, tells it once and never with the secret", async () => {
    // Prepare
    const { c, ca } = await collector();
    const secret = "Wrong-secret-0123456789abcdef";
    const log: string[] = [];

    // Act
    const s = shipper(c.url, `sensor-a:${secret}`, ca, log);
    await new Promise((r) => setTimeout(r, 600));

    // Assess
    expect(s.status().lastHandshakeAt).toBeNull();
    expect(s.status().handshakeError).toContain("answered 401 to the handshake");
    const told = log.filter((l) => l.includes("answered 401 to the handshake"));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain("the push token is refused");
    expect(log.join("\n")).not.toContain(secret);
  });

  it.skipIf(!hasOpenssl())("leaves a collector without the endpoint alone after telling so", async () => {
    // Prepare: the shipper tests' collector answers 404 to every path but /v1/batches
    const cert = makeCertificate();
    cleanup.push(() => rmSync(cert.dir, { recursive: true, force: true }));
    const old = await new TestCollector(cert).start();
    cleanup.push(() => old.stop());
    const log: string[] = [];

    // Act
    const s = shipper(old.url, "sensor-test:s3cret-Value-that-must-never-leak-42", cert.certFile, log);
    await until(() => log.some((l) => l.includes("no handshake endpoint")), "the warning");
    await new Promise((r) => setTimeout(r, 300));

    // Assess
    expect(old.attempts).toHaveLength(1);
    expect(s.status().lastHandshakeAt).toBeNull();
  });
});
