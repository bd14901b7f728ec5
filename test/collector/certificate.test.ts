// The self-signed certificate: a real X.509 v3 certificate (Node and openssl parse it, its signature
// verifies), covering the names a sensor dials, kept across starts with a 0600 key.
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  KEY_FILE,
  loadTlsIdentity,
  makeSelfSignedCertificate,
  SELF_SIGNED_VALIDITY_DAYS,
} from "../../sensor-ami/src/collector/certificate.js";
import { CertificateError } from "../../sensor-ami/src/collector/errors.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "spanless-cert-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("makeSelfSignedCertificate", () => {
  it("makes a self-signed v3 CA certificate for DNS names and IPv4/IPv6 addresses", () => {
    // Prepare
    const now = new Date("2026-11-24T12:00:00Z");

    // Act
    const { cert } = makeSelfSignedCertificate(
      ["localhost", "collector.internal", "127.0.0.1", "::1", "fd00::a:1"],
      now,
    );
    const x509 = new X509Certificate(cert);

    // Assess
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.ca).toBe(true);
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(x509.checkHost("collector.internal")).toBe("collector.internal");
    expect(x509.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(x509.checkIP("::1")).toBe("::1");
    expect(x509.checkIP("fd00::a:1")).toBe("fd00::a:1");
    expect(x509.checkHost("other.example")).toBeUndefined();
    expect(new Date(x509.validTo).getTime() - now.getTime()).toBe(SELF_SIGNED_VALIDITY_DAYS * 86_400_000);
    expect(new Date(x509.validFrom).getTime()).toBeLessThan(now.getTime());
  });

  it("is read by openssl as X.509 v3 with the extensions it was given", () => {
    // Prepare
    const path = join(dir, "c.pem");
    writeFileSync(path, makeSelfSignedCertificate(["localhost", "127.0.0.1"]).cert);

    // Act
    const text = spawnSync("openssl", ["x509", "-in", path, "-noout", "-text"], { encoding: "utf8" });

    // Assess
    if (text.error) return; // no openssl on this host: Node's parser above is the check
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("Version: 3 (0x2)");
    expect(text.stdout).toContain("ecdsa-with-SHA256");
    expect(text.stdout).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1/);
    expect(text.stdout).toContain("CA:TRUE");
    expect(text.stdout).toContain("TLS Web Server Authentication");
  });
});

describe("loadTlsIdentity", () => {
  it("makes the certificate once, keeps it, and keeps the key 0600", () => {
    // Act
    const first = loadTlsIdentity({ stateDir: dir, listenHost: "127.0.0.1" });
    const second = loadTlsIdentity({ stateDir: dir, listenHost: "127.0.0.1" });

    // Assess
    expect(first.source).toBe("generated");
    expect(second.source).toBe("kept");
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(statSync(join(dir, KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it("uses a given pair, and refuses half of one", () => {
    // Prepare
    const made = makeSelfSignedCertificate(["localhost"]);
    writeFileSync(join(dir, "c.pem"), made.cert);
    writeFileSync(join(dir, "k.pem"), made.key);

    // Act
    const given = loadTlsIdentity({
      certPath: join(dir, "c.pem"),
      keyPath: join(dir, "k.pem"),
      stateDir: dir,
      listenHost: "",
    });
    const half = () => loadTlsIdentity({ certPath: join(dir, "c.pem"), stateDir: dir, listenHost: "" });

    // Assess
    expect(given.source).toBe("given");
    expect(given.fingerprint).toBe(new X509Certificate(made.cert).fingerprint256);
    expect(half).toThrow(CertificateError);
  });
});
