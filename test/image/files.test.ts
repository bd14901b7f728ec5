// The image's shell, systemd, sysctl and pin files agree with contracts/host, the sensor's defaults and
// the repository's runtime: the provisioning script is shell, so these tests are what keeps its paths
// the contract's.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_RECEIVE_BUFFER_MB } from "../../contracts/config/sensor-file.js";
import {
  HEALTH_PORT,
  IMAGE_MANIFEST,
  INSTALL_DIR,
  NODE_BINARY,
  SENSOR_BUNDLE,
  SENSOR_COMMAND,
  SENSOR_CONFIG_FILE,
  SENSOR_LOG_DIR,
  SENSOR_METRICS_FILE,
  SENSOR_PCAP_DIR,
  SENSOR_SERVICE,
  SENSOR_SERVICE_LOG,
  SENSOR_SPOOL_DIR,
  SENSOR_STATE_DIR,
  SENSOR_USER,
  SENSOR_VNI_MAP_DIR,
  SENSOR_VNI_MAP_FILE,
  SENSOR_ZEEK_LOG_DIR,
  sensorMemoryPlan,
  VXLAN_PORT,
} from "../../contracts/host/index.js";
import { ADDON_FILE } from "../../sensor-ami/src/capture/udp/native.js";
import { IMAGE_MANIFEST_FORMAT } from "../../sensor-ami/src/cli/image-manifest.js";
import { IMAGE_DIR, ROOT, SYSTEMD_DIR, shellAssignments, sysctlSettings, unitSettings } from "./support.js";

const MIB = 1024 * 1024;
const dirname = (p: string) => p.slice(0, p.lastIndexOf("/"));

describe("provision.sh", () => {
  it("installs to contracts/host's paths, user and ports", () => {
    // Prepare / Act
    const v = shellAssignments(join(IMAGE_DIR, "provision.sh"));

    // Assess
    expect({
      user: v.get("SENSOR_USER"),
      install: v.get("INSTALL_DIR"),
      node: `${v.get("NODE_DIR")}/bin/node`,
      bundle: v.get("SENSOR_BUNDLE"),
      addon: v.get("SENSOR_ADDON"),
      command: v.get("SENSOR_COMMAND"),
      service: v.get("SENSOR_SERVICE"),
      configDir: v.get("SENSOR_CONFIG_DIR"),
      logDir: v.get("SENSOR_LOG_DIR"),
      stateDir: v.get("SENSOR_STATE_DIR"),
      ports: [v.get("VXLAN_PORT"), v.get("HEALTH_PORT")],
    }).toEqual({
      user: SENSOR_USER,
      install: INSTALL_DIR,
      node: NODE_BINARY,
      bundle: SENSOR_BUNDLE,
      addon: `${dirname(SENSOR_BUNDLE)}/${ADDON_FILE}`,
      command: SENSOR_COMMAND,
      service: SENSOR_SERVICE,
      configDir: dirname(SENSOR_CONFIG_FILE),
      logDir: SENSOR_LOG_DIR,
      stateDir: SENSOR_STATE_DIR,
      ports: [String(VXLAN_PORT), String(HEALTH_PORT)],
    });
    expect(existsSync(join(SYSTEMD_DIR, SENSOR_SERVICE))).toBe(true);
  });

  it("the wrapper runs the bundle on the pinned runtime", () => {
    // Prepare / Act
    const wrapper = readFileSync(join(IMAGE_DIR, "spanless-wrapper.sh"), "utf8");

    // Assess
    expect(wrapper).toContain(`\nexec ${NODE_BINARY} ${SENSOR_BUNDLE} "$@"\n`);
  });

  it("the manifest writer uses the contract's paths and the reader's format", () => {
    // Prepare
    const writer = readFileSync(join(IMAGE_DIR, "write-manifest.mjs"), "utf8");
    const constant = (name: string) => new RegExp(`^const ${name} = ([^;]+);$`, "m").exec(writer)?.[1];
    const resolve = (expr: string | undefined): string | undefined =>
      expr
        ?.replace(/^[`"]|[`"]$/g, "")
        .replace(/\$\{([A-Z_]+)\}/g, (_, n: string) => resolve(constant(n)) ?? "");

    // Act / Assess
    expect(resolve(constant("INSTALL_DIR"))).toBe(INSTALL_DIR);
    expect(`${resolve(constant("NODE_DIR"))}/bin/node`).toBe(NODE_BINARY);
    expect(resolve(constant("SENSOR_BUNDLE"))).toBe(SENSOR_BUNDLE);
    expect(resolve(constant("SENSOR_ADDON"))).toBe(`${dirname(SENSOR_BUNDLE)}/${ADDON_FILE}`);
    expect(resolve(constant("IMAGE_MANIFEST"))).toBe(IMAGE_MANIFEST);
    expect(constant("MANIFEST_FORMAT")).toBe(String(IMAGE_MANIFEST_FORMAT));
  });

  it("pins the Node.js version the repository's tests run on, with a SHA-256 per architecture", () => {
    // Prepare
    const pins = shellAssignments(join(IMAGE_DIR, "pins.env"));
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };

    // Act / Assess
    expect(pins.get("NODE_VERSION")).toBe(pkg.devDependencies.node);
    expect(pins.get("NODE_VERSION")).toBe(process.versions.node);
    expect(pins.get("NODE_SHA256_X64")).toMatch(/^[0-9a-f]{64}$/);
    expect(pins.get("NODE_SHA256_ARM64")).toMatch(/^[0-9a-f]{64}$/);
    expect(pins.get("CLOUDWATCH_AGENT_KEY_FINGERPRINT")).toMatch(/^[0-9A-F]{40}$/);
  });
});

describe("spanless-sensor.service", () => {
  const unit = unitSettings(join(SYSTEMD_DIR, SENSOR_SERVICE));
  const service = unit.get("Service") ?? new Map<string, string[]>();
  const one = (key: string) => {
    const values = service.get(key) ?? [];
    expect(values, key).toHaveLength(1);
    return values[0];
  };

  it("runs `spanless sensor` from the contract's bundle on the pinned runtime as the sensor user", () => {
    // Prepare / Act / Assess
    expect(one("ExecStart")).toBe(`${NODE_BINARY} ${SENSOR_BUNDLE} sensor --config ${SENSOR_CONFIG_FILE}`);
    expect([one("User"), one("Group")]).toEqual([SENSOR_USER, SENSOR_USER]);
    expect(one("StandardOutput")).toBe(`append:${SENSOR_SERVICE_LOG}`);
    expect(one("StandardError")).toBe(`append:${SENSOR_SERVICE_LOG}`);
    expect(one("ExecReload")).toMatch(/kill -HUP \$MAINPID$/);
  });

  it("may write only the log directory, the spool, the PCAP ring and the VNI map's copy", () => {
    // Prepare / Act
    const writable = one("ReadWritePaths").split(/\s+/);

    // Assess: the Zeek logs and the metrics file are under the log directory, the VNI map's copy in its own
    expect(writable).toEqual([SENSOR_LOG_DIR, SENSOR_SPOOL_DIR, SENSOR_PCAP_DIR, SENSOR_VNI_MAP_DIR]);
    expect(SENSOR_VNI_MAP_FILE.startsWith(`${SENSOR_VNI_MAP_DIR}/`)).toBe(true);
    expect(SENSOR_ZEEK_LOG_DIR.startsWith(`${SENSOR_LOG_DIR}/`)).toBe(true);
    expect(SENSOR_METRICS_FILE.startsWith(`${SENSOR_LOG_DIR}/`)).toBe(true);
  });

  it("is hardened: no privileges, no capabilities, read-only system, IP and Unix sockets only", () => {
    // Prepare / Act / Assess
    for (const [key, value] of Object.entries({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectKernelLogs: "yes",
      ProtectControlGroups: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      CapabilityBoundingSet: "",
      AmbientCapabilities: "",
      Restart: "on-failure",
      MemoryAccounting: "yes",
      KillMode: "mixed",
    })) {
      expect(one(key), key).toBe(value);
    }
    expect(Number(one("LimitNOFILE"))).toBeGreaterThanOrEqual(65536);
    expect(one("MemoryMax")).toBe(`${sensorMemoryPlan(2 * 1024 * MIB).memoryMaxMB}M`);
    expect(service.has("MemoryDenyWriteExecute"), "V8's JIT needs W+X memory").toBe(false);
    expect(Number(unit.get("Unit")?.get("StartLimitBurst")?.[0])).toBeGreaterThan(0);
    expect(Number(unit.get("Unit")?.get("StartLimitIntervalSec")?.[0])).toBeGreaterThan(0);
  });

  it("tmpfiles.d makes every writable directory, owned by the sensor user", () => {
    // Prepare
    const lines = readFileSync(join(SYSTEMD_DIR, "spanless.tmpfiles.conf"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l) => l.trim().split(/\s+/));

    // Act
    const byPath = new Map(
      lines.map(([type, path, mode, user, group]) => [path, { type, mode, user, group }]),
    );

    // Assess
    for (const dir of [
      SENSOR_LOG_DIR,
      SENSOR_ZEEK_LOG_DIR,
      SENSOR_STATE_DIR,
      SENSOR_SPOOL_DIR,
      SENSOR_PCAP_DIR,
      SENSOR_VNI_MAP_DIR,
    ]) {
      expect(byPath.get(dir), dir).toEqual({
        type: "d",
        mode: "0750",
        user: SENSOR_USER,
        group: SENSOR_USER,
      });
    }
    expect(byPath.get(dirname(SENSOR_CONFIG_FILE))).toEqual({
      type: "d",
      mode: "0750",
      user: "root",
      group: SENSOR_USER,
    });
  });
});

describe("60-spanless.conf (sysctl)", () => {
  const settings = sysctlSettings(join(IMAGE_DIR, "60-spanless.conf"));

  it("sets the receive buffer cap to the sensor's default buffer, and the backlog", () => {
    // Prepare / Act / Assess
    expect([...settings.keys()].sort()).toEqual([
      "net.core.netdev_max_backlog",
      "net.core.rmem_default",
      "net.core.rmem_max",
    ]);
    expect(Number(settings.get("net.core.rmem_max"))).toBe(DEFAULT_RECEIVE_BUFFER_MB * MIB);
    expect(Number(settings.get("net.core.rmem_default"))).toBeLessThanOrEqual(
      DEFAULT_RECEIVE_BUFFER_MB * MIB,
    );
    expect(Number(settings.get("net.core.netdev_max_backlog"))).toBeGreaterThan(1000);
  });

  it("names only keys this kernel has, with values of their type", () => {
    // Prepare / Act / Assess: every key is a file under /proc/sys holding an integer now
    for (const [key, value] of settings) {
      const file = join("/proc/sys", ...key.split("."));
      expect(existsSync(file), file).toBe(true);
      expect(readFileSync(file, "utf8").trim(), key).toMatch(/^\d+$/);
      expect(value, key).toMatch(/^\d+$/);
    }
  });
});
