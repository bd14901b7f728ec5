// write-config's pieces: the sensor file the schema accepts (PCAP ring sized from the disk, the PCAP
// bucket's prefix, proxy and osSensor only when set), the memory drop-in, and the atomic write that
// never leaves a temporary file or a readable secret behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSensorFile, type SensorConfig } from "../../contracts/config/index.js";
import { SENSOR_VNI_MAP_DIR, SENSOR_VNI_MAP_FILE, sensorMemoryPlan } from "../../contracts/host/index.js";
import { BootStepError } from "../../sensor-ami/src/bootstrap/errors.js";
import { writeFileAtomic } from "../../sensor-ami/src/bootstrap/files.js";
import { sensorUserOwner } from "../../sensor-ami/src/bootstrap/run.js";
import {
  memoryDropInText,
  PCAP_MIN_GB,
  pcapRingGB,
  sensorDirectories,
  sensorFileText,
  underRoot,
} from "../../sensor-ami/src/bootstrap/sensor-config.js";

const GIB = 1024 ** 3;
const CONFIG: SensorConfig = {
  collectorUrl: "https://collector.example.com/",
  pushToken: { label: "sensor-a", secret: "S3cret-value-0123456789" },
  proxyUrl: "http://user:pw@proxy.internal:3128/",
  osSensorHmac: null,
};
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const input = (over: Partial<Parameters<typeof sensorFileText>[0]> = {}) => ({
  config: CONFIG,
  instanceId: "i-0abc0123456789def",
  availabilityZone: "eu-west-1a",
  memory: sensorMemoryPlan(8 * GIB),
  pcapDiskAvailableBytes: 100 * GIB,
  pcapBucket: "acme-pcaps",
  at: underRoot("/"),
  ...over,
});

describe("the sensor file", () => {
  it("holds the instance's facts, the SSM values and the host paths, and passes the schema", () => {
    // Act
    const { text, pcapGB } = sensorFileText(input());
    const file = parseSensorFile(JSON.parse(text));

    // Assess
    expect(pcapGB).toBe(50);
    expect(file).toMatchObject({
      listen: "0.0.0.0:4789",
      out: "/var/log/spanless/zeek",
      healthHost: "0.0.0.0",
      healthPort: 8080,
      memoryBudgetMB: sensorMemoryPlan(8 * GIB).budgetMB,
      metricsFile: "/var/log/spanless/metrics.emf.log",
      spoolDir: "/var/lib/spanless/spool",
      pcapDir: "/var/lib/spanless/pcap",
      pcapMaxGB: 50,
      pcapS3: "s3://acme-pcaps/pcaps",
      sensorId: "i-0abc0123456789def",
      pushToken: "sensor-a:S3cret-value-0123456789",
      proxy: "http://user:pw@proxy.internal:3128/",
    });
    expect(file.osSensorHmac).toBeUndefined();
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("leaves the PCAP ring off on a small disk (and then names no bucket)", () => {
    // Act
    const { text, pcapGB } = sensorFileText(input({ pcapDiskAvailableBytes: 1.5 * GIB }));

    // Assess
    expect(pcapGB).toBeUndefined();
    expect(JSON.parse(text)).not.toHaveProperty("pcapS3");
    expect(pcapRingGB(2 * PCAP_MIN_GB * GIB)).toBe(PCAP_MIN_GB);
    expect(pcapRingGB(2 * PCAP_MIN_GB * GIB - 1)).toBeUndefined();
  });

  it("with --vni-map, names the S3 object and the local copy under the unit's writable VNI map directory", () => {
    // Act
    const { text } = sensorFileText(input({ vniMapS3: "s3://acme-records/spanless/vni-map.json" }));
    const file = parseSensorFile(JSON.parse(text));
    const without = parseSensorFile(JSON.parse(sensorFileText(input()).text));

    // Assess
    expect(file.vniMapS3).toBe("s3://acme-records/spanless/vni-map.json");
    expect(file.vniMap).toBe(SENSOR_VNI_MAP_FILE);
    expect(SENSOR_VNI_MAP_FILE.startsWith(`${SENSOR_VNI_MAP_DIR}/`)).toBe(true);
    expect(sensorDirectories(underRoot("/"))).toContain(SENSOR_VNI_MAP_DIR);
    expect(without.vniMapS3).toBeUndefined();
    expect(without.vniMap).toBeUndefined();
  });

  it("makes and owns the directory of every path the sensor writes", () => {
    // Prepare
    const file = parseSensorFile(
      JSON.parse(sensorFileText(input({ vniMapS3: "s3://acme-records/spanless/vni-map.json" })).text),
    );
    const written = [file.out, file.metricsFile, file.spoolDir, file.pcapDir, file.vniMap].filter(
      (p): p is string => p !== undefined,
    );

    // Act
    const dirs = sensorDirectories(underRoot("/"));

    // Assess: a file's directory, or the directory itself, is made and chowned by the bootstrap
    for (const path of written) {
      expect(dirs.includes(path) || dirs.includes(dirname(path)), path).toBe(true);
    }
  });

  it("refuses a --vni-map that is not one S3 object", () => {
    // Act
    const bad = () => sensorFileText(input({ vniMapS3: "s3://acme-records/" }));

    // Assess
    expect(bad).toThrow(/vniMapS3: must be "s3:\/\/<bucket>\/<key>"/);
  });

  it("refuses a file the sensor would refuse, naming the field and not the value", () => {
    // Act
    const bad = () => sensorFileText(input({ instanceId: "" }));

    // Assess
    expect(bad).toThrow(BootStepError);
    expect(bad).toThrow(/instanceId: /);
    expect(bad).not.toThrow(/S3cret/);
  });

  it("caps the unit's memory at the plan's MemoryMax", () => {
    // Act
    const text = memoryDropInText({ budgetMB: 4000, memoryMaxMB: 5000 });

    // Assess
    expect(text).toMatch(/^\[Service\]\nMemoryMax=5000M\n$/m);
  });
});

describe("writeFileAtomic", () => {
  it("writes with the mode from the start, replaces instead of adding, and reports an unchanged file", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-atomic-"));
    dirs.push(dir);
    const path = join(dir, "etc", "sensor.json");
    const prepared: string[] = [];

    // Act
    const first = writeFileAtomic(path, "one\n", 0o600, (p) => prepared.push(p));
    const second = writeFileAtomic(path, "two\n", 0o600);
    const third = writeFileAtomic(path, "two\n", 0o600);

    // Assess
    expect([first.changed, second.changed, third.changed]).toEqual([true, true, false]);
    expect(readFileSync(path, "utf8")).toBe("two\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, "etc"))).toEqual(["sensor.json"]);
    expect(prepared[0]).toMatch(/\.sensor\.json\.\d+\.tmp$/);
  });

  it("narrows the mode of a file that was readable before", () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), "spanless-atomic-"));
    dirs.push(dir);
    const path = join(dir, "sensor.json");
    writeFileSync(path, "old\n", { mode: 0o644 });

    // Act
    writeFileAtomic(path, "new\n", 0o600);

    // Assess
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});

describe("the sensor user's IDs", () => {
  it("are asked of id(1) when root, and not at all otherwise", async () => {
    // Prepare
    const asked: string[] = [];
    const run = async (command: string, args: readonly string[]) => {
      asked.push(`${command} ${args.join(" ")}`);
      return { code: 0, stdout: args[0] === "-u" ? "998\n" : "997\n", stderr: "" };
    };

    // Act
    const root = await sensorUserOwner(run, true)();
    const user = await sensorUserOwner(run, false)();

    // Assess
    expect(root).toEqual({ uid: 998, gid: 997 });
    expect(user).toBeUndefined();
    expect(asked).toEqual(["id -u spanless", "id -g spanless"]);
  });

  it("fail write-config when the image has no such user", async () => {
    // Prepare
    const run = async () => ({ code: 1, stdout: "", stderr: "id: 'spanless': no such user\n" });

    // Act
    const owner = sensorUserOwner(run, true)();

    // Assess
    await expect(owner).rejects.toThrow(
      /the sensor user spanless does not exist .*no such user.*the image creates it/,
    );
  });
});
