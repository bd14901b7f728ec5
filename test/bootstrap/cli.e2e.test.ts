// `spanless bootstrap` end to end as user data runs it: the built CLI (sensor-ami/bin/spanless.js) as
// its own process, with the boot line's flags taken from the user data the stack renders, its real
// paths (/etc/spanless/sensor.json, the unit's drop-in directory, /opt/aws/…, /var/lib/spanless,
// /var/log/spanless), its real command runner (systemctl and `id` on PATH, the agent's control script
// at its real path), the real sensor user (chown) and the AWS SDK's own clients with the default
// credential chain. It runs in a private mount namespace (support/host-namespace.ts) whose mounts hide
// the host's paths, so the host is left as it was; the test checks that it is.
//
// Around it, all real servers on this machine: the metadata service a fake IMDSv2 (which also serves
// the instance role's credentials: the child gets no AWS keys, only AWS_EC2_METADATA_SERVICE_ENDPOINT),
// SSM moto_server (AWS_ENDPOINT_URL_SSM), Auto Scaling a fake of its Query API that records
// CompleteLifecycleAction (AWS_ENDPOINT_URL_AUTO_SCALING; moto has no lifecycle actions), the collector
// the reference collector over HTTPS on a non-loopback address, and systemctl a fake that starts the
// real sensor of this checkout as the spanless user, so /healthcheck and the collector's handshake are
// the sensor's own. The sensor listens where the image's does (UDP 4789, TCP 8080), so those ports must
// be free. Needs root (mounts, setpriv, chown) and the built CLI (`npm run build`).
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { networkInterfaces, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseBootLog } from "../../contracts/boot/markers.js";
import { type ConfigPins, parseSensorFile } from "../../contracts/config/index.js";
import {
  CLOUDWATCH_AGENT_CONFIG_FILE,
  cloudWatchAgentConfig,
  HEALTH_PORT,
  renderSensorUserData,
  SENSOR_COMMAND,
  SENSOR_CONFIG_FILE,
  sensorMemoryPlan,
  VXLAN_PORT,
} from "../../contracts/host/index.js";
import { diagnoseBoot } from "../../functions/health/decide.js";
import { type RunningCollector, startCollector, TokenStore } from "../../sensor-ami/src/collector/index.js";
import { CLI, NODE } from "../daemon/support/live.js";
import { type MotoServer, startMoto } from "../support/moto.js";
import { type FakeAutoScaling, startFakeAutoScaling } from "./support/auto-scaling.js";
import {
  BOOT_PATH,
  endProcessGroup,
  HIDDEN_PATHS,
  type HostNamespace,
  hostMountsOf,
  hostNamespace,
  hostState,
  type NamespaceRun,
  processesWith,
  processGroup,
  SETUP_FAILED,
  type SensorUser,
  systemctlPath,
  writeSensorUserFiles,
} from "./support/host-namespace.js";
import { type FakeImds, ROLE, startFakeImds } from "./support/imds.js";
import { type SigningRecorder, startSigningRecorder } from "./support/signing-recorder.js";

const REPO = join(import.meta.dirname, "..", "..");
const REGION = "eu-west-1";
const PREFIX = "/spanless/e2e";
const NAME = {
  url: `${PREFIX}/collector-url`,
  token: `${PREFIX}/push-token`,
  hmac: `${PREFIX}/os-sensor-hmac`,
};
const SETTINGS = {
  logGroup: "/spanless/e2e/sensors",
  autoScalingGroup: "spanless-e2e-sensors",
  lifecycleHook: "spanless-e2e-launch",
};
const HMAC = "E2eHmacKey0123456789abcdefXYZ";
/** The sensor's command line as the unit runs it (the fake systemctl starts it so). */
const SENSOR_ARGV_TAIL = ` sensor --config ${SENSOR_CONFIG_FILE}`;

function hostAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  return undefined;
}

/** On the boot's PATH (the namespace's tools), or on this process's (moto_server). */
function has(tool: string, path = BOOT_PATH): boolean {
  return spawnSync("sh", ["-c", `command -v "${tool}"`], { env: { PATH: path } }).status === 0;
}

function skipReason(): string | undefined {
  if (process.platform !== "linux") return "needs Linux (mount namespaces)";
  if (process.getuid?.() !== 0)
    return "needs root: the boot runs in a private mount namespace (unshare --mount), chowns to the sensor user and starts the sensor as it (setpriv)";
  const missing = ["unshare", "setpriv", "systemd-tmpfiles", "findmnt", "ss"].filter((t) => !has(t));
  if (missing.length > 0)
    return `${missing.join(", ")} not installed (apt-get install util-linux systemd iproute2)`;
  if (!has(process.env.MOTO_SERVER_BIN ?? "moto_server", process.env.PATH ?? ""))
    return "moto_server not on PATH (pip install 'moto[server]', or set MOTO_SERVER_BIN)";
  if (!/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8")))
    return "the kernel has no overlay file system (the namespace makes its mount points with it)";
  if (systemctlPath() === undefined) return "no systemctl on PATH to bind the fake over";
  if (hostAddress() === undefined) return "no non-loopback IPv4 address for the collector";
  if (!existsSync(join(REPO, "dist", "sensor-ami", "src", "cli", "main.js")))
    return "the CLI is not built (npm run build)";
  const tcp = spawnSync("ss", ["-Hltn", `sport = :${HEALTH_PORT}`], { encoding: "utf8" }).stdout.trim();
  const udp = spawnSync("ss", ["-Hlun", `sport = :${VXLAN_PORT}`], { encoding: "utf8" }).stdout.trim();
  if (tcp !== "" || udp !== "")
    return `TCP ${HEALTH_PORT} or UDP ${VXLAN_PORT} is in use here; the booted sensor listens on them as on an instance`;
  return undefined;
}
const skip = skipReason();

let scratch: string;
let user: SensorUser;
let systemctl: string;
let before: Record<string, string>;
let moto: MotoServer;
let collector: RunningCollector;
let token: string;
let caFile: string;
let host: string;
let imds: FakeImds;
let asg: FakeAutoScaling;
let ssm: SigningRecorder;
let ns: HostNamespace;
/** Every sensor process group started: ended after each case, checked gone in afterAll. */
const sensorGroups = new Set<number>();
let secrets: string[];
/** The collector's log: its handshake events name the sensor ID (the instance ID). */
const collectorLog: { event?: string; status?: number; sensor?: string }[] = [];

/** The flags of the boot line in the user data the stack renders (what `exec … bootstrap` passes). */
function bootLineArgs(userData: string): string[] {
  const prefix = `exec ${SENSOR_COMMAND} bootstrap `;
  const line = userData.split("\n").find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error("rendered user data has no boot line");
  return line
    .slice(prefix.length)
    .replace(/\s>>.*$/, "")
    .split(/\s+/)
    .filter(Boolean);
}

function pins(token: [string, number] = [NAME.token, 1]): ConfigPins {
  return {
    "collector-url": { name: NAME.url, version: 1 },
    "push-token": { name: token[0], version: token[1] },
    proxy: null,
    "os-sensor-hmac": { name: NAME.hmac, version: 1 },
  };
}

interface Boot {
  run: NamespaceRun;
  lines: string[];
  markers: string[];
  lifecycle: FakeAutoScaling["calls"];
  ssmRequests: SigningRecorder["requests"];
  imdsRequests: string[];
}

/** One boot of instance `instanceId` in a fresh namespace: user data from `p`, the boot line's flags + `extra`. */
async function boot(
  name: string,
  instanceId: string,
  p: ConfigPins,
  o: { extra?: string[]; agent?: boolean } = {},
): Promise<Boot> {
  imds.instance.instanceId = instanceId;
  imds.instance.userData = renderSensorUserData(p, SETTINGS);
  // The collector's certificate is from its own CA: the flag README.md names for that.
  const args = [...bootLineArgs(imds.instance.userData), "--collector-ca-file", caFile, ...(o.extra ?? [])];
  // What the child gets, and nothing of this process's environment: no AWS keys (the role's come from
  // the metadata service), no shared config or credentials file, endpoints for the two APIs.
  const env = {
    PATH: BOOT_PATH,
    HOME: "/root",
    LANG: "C.UTF-8",
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_AUTO_SCALING: asg.endpoint,
    AWS_CONFIG_FILE: join(scratch, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(scratch, "no-aws-credentials"),
  };
  const asgBefore = asg.calls.length;
  const ssmBefore = ssm.requests.length;
  const imdsBefore = imds.requests.length;
  const run = await ns.boot(name, args, env, { agent: o.agent ?? false });
  const pid = run.sensorPid();
  if (pid !== undefined) sensorGroups.add(pid);
  const lines = run.stdout.split("\n");
  return {
    run,
    lines,
    markers: parseBootLog(lines)
      .markers.filter((m) => m.status !== "start")
      .map((m) => `${m.step} ${m.status}`),
    lifecycle: asg.calls.slice(asgBefore),
    ssmRequests: ssm.requests.slice(ssmBefore),
    imdsRequests: imds.requests.slice(imdsBefore),
  };
}

/** The boot's own output and the namespace's record of it, for a failing expectation's message. */
function explain(b: Boot): string {
  return [
    `exit ${b.run.code} signal ${b.run.signal}${b.run.code === SETUP_FAILED ? " (the namespace's setup failed, not the boot)" : ""}`,
    `stdout:\n${b.run.stdout}`,
    `stderr:\n${b.run.stderr}`,
    `inside:\n${b.run.read("inside.txt")}`,
    `systemctl:\n${b.run.read("systemctl-argv.log")}`,
    `sensor log:\n${b.run.read("sensor.log").slice(-3000)}`,
  ].join("\n");
}

function expectNoSecrets(b: Boot): void {
  const places: Record<string, string> = {
    stdout: b.run.stdout,
    stderr: b.run.stderr,
    "systemctl argv": b.run.read("systemctl-argv.log"),
    "systemctl environment": b.run.read("systemctl-env.txt"),
    "agent argv": b.run.read("agent-argv.log"),
  };
  for (const [where, text] of Object.entries(places))
    for (const secret of secrets) expect(text.includes(secret), `a secret in the ${where}`).toBe(false);
}

/** PIDs of the processes listening on the health port (TCP 8080), from ss. */
function healthPortOwners(): number[] {
  const out = spawnSync("ss", ["-Hltnp", `sport = :${HEALTH_PORT}`], { encoding: "utf8" }).stdout;
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Successful handshakes the collector logged for `sensorId`. */
const handshakes = (sensorId: string) =>
  collectorLog.filter((e) => e.event === "handshake" && e.status === 200 && e.sensor === sensorId).length;

/** The sensor's processes (the relaunching launcher and its child): their user, argv and environment. */
function sensorProcesses(pid: number) {
  return processGroup(pid).map((p) => {
    const status = readFileSync(`/proc/${p}/status`, "utf8");
    // Real, effective, saved and file-system IDs.
    const ids = (key: string) =>
      (status.split("\n").find((l) => l.startsWith(key)) ?? "").split(/\s+/).slice(1, 5).map(Number);
    return {
      pid: p,
      uids: ids("Uid:"),
      gids: ids("Gid:"),
      argv: readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter(Boolean).join(" "),
      environ: readFileSync(`/proc/${p}/environ`, "utf8").split("\0").join("\n"),
    };
  });
}

async function put(name: string, value: string, type: "String" | "SecureString" = "SecureString") {
  const ssm = new SSMClient(moto.clientConfig);
  await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }));
  ssm.destroy();
}

describe.skipIf(skip !== undefined)(
  `spanless bootstrap as user data runs it, in a private mount namespace${skip ? ` (skipped: ${skip})` : ""}`,
  () => {
    beforeAll(async () => {
      scratch = mkdtempSync(join(tmpdir(), "spanless-cli-e2e-"));
      // The sensor (as spanless) reads the collector CA from here.
      chmodSync(scratch, 0o755);
      systemctl = systemctlPath() as string;
      before = hostState(systemctl);
      user = writeSensorUserFiles(scratch);
      host = hostAddress() as string;
      moto = await startMoto(REGION);
      const store = join(scratch, "collector");
      token = new TokenStore(join(store, "tokens.json")).create("sensor-e2e");
      collector = await startCollector({
        host,
        port: 0,
        store,
        log: (e) => {
          collectorLog.push(e as (typeof collectorLog)[number]);
        },
      });
      caFile = join(scratch, "collector-ca.pem");
      writeFileSync(caFile, collector.tls.cert, { mode: 0o644 });
      secrets = [token.slice(token.indexOf(":") + 1), HMAC];
      await put(NAME.url, `https://${host}:${collector.port}/`, "String");
      await put(NAME.token, token);
      await put(NAME.hmac, HMAC);
      imds = await startFakeImds({
        instanceId: "i-0e2e0000000000001",
        availabilityZone: `${REGION}a`,
        region: REGION,
        userData: undefined,
      });
      asg = await startFakeAutoScaling();
      ssm = await startSigningRecorder(moto.endpoint);
      ns = hostNamespace(scratch, user, { node: NODE, cli: CLI, repo: REPO });
    }, 60_000);

    beforeEach(() => {
      // A sensor left over from an earlier boot would answer this boot's health check.
      expect(healthPortOwners()).toEqual([]);
    });

    afterEach(async () => {
      for (const pgid of sensorGroups) await endProcessGroup(pgid);
    });

    afterAll(async () => {
      for (const pgid of sensorGroups) await endProcessGroup(pgid);
      await imds?.close();
      await asg?.close();
      await ssm?.close();
      await collector?.close();
      const motoPort = moto?.port;
      await moto?.stop();
      // Nothing this file started is left: the sensors, moto_server (the CLI, systemctl and the agent
      // script ended with their boots; the collector and the fakes ran in this process).
      for (const pgid of sensorGroups) expect(processGroup(pgid)).toEqual([]);
      expect(processesWith(SENSOR_ARGV_TAIL).filter((p) => p.cmdline.endsWith(SENSOR_ARGV_TAIL))).toEqual([]);
      if (motoPort !== undefined) expect(processesWith(`-p ${motoPort}`)).toEqual([]);
      if (scratch !== undefined) expect(processesWith(scratch)).toEqual([]);
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    }, 60_000);

    it("boots: CONTINUE with the role's credentials, sensor.json 0600 spanless, the drop-in, the agent, a healthy sensor accepted by the collector", async () => {
      // Prepare
      const instanceId = "i-0e2e0000000000001";
      const plan = sensorMemoryPlan(totalmem());

      // Act
      const b = await boot("success", instanceId, pins(), { agent: true });
      const pid = b.run.sensorPid();
      const procs = pid === undefined ? [] : sensorProcesses(pid);
      const health = await fetch(`http://127.0.0.1:${HEALTH_PORT}/healthcheck`).then(
        (r) => r.status,
        () => 0,
      );
      const listeners = healthPortOwners();

      // Assess: the boot
      const why = explain(b);
      expect(b.run.code, why).toBe(0);
      expect(b.run.stderr).toBe("");
      expect(b.markers, why).toEqual([
        "logs-agent ok",
        "read-user-data ok",
        "fetch-config ok",
        "kms-decrypt ok",
        "validate-config ok",
        "collector-ca ok",
        "proxy-check skip",
        "collector-reachable ok",
        "push-token-auth ok",
        "write-config ok",
        "sensor-start ok",
        "health-check ok",
        "lifecycle-complete ok",
      ]);
      const parsed = parseBootLog(b.lines);
      expect(parsed.malformed).toEqual([]);
      expect(parsed.markers.at(-1)).toMatchObject({
        step: "lifecycle-complete",
        status: "ok",
        reason: "CONTINUE",
      });
      expect(b.run.stdout).toContain(`${SENSOR_CONFIG_FILE} written (mode 0600, owner spanless)`);

      // Assess: Auto Scaling got CONTINUE for this instance, signed with the instance role's credentials
      expect(b.lifecycle).toEqual([
        {
          action: "CompleteLifecycleAction",
          params: {
            Action: "CompleteLifecycleAction",
            Version: "2011-01-01",
            AutoScalingGroupName: SETTINGS.autoScalingGroup,
            LifecycleHookName: SETTINGS.lifecycleHook,
            InstanceId: instanceId,
            LifecycleActionResult: "CONTINUE",
          },
          accessKeyId: "ASIAFAKEIMDSROLE0001",
          scope: `${REGION}/autoscaling`,
          securityToken: "fake-imds-session-token",
        },
      ]);
      // SSM: fetch-config without decryption, kms-decrypt with it, both with the role's credentials
      expect(b.ssmRequests).toEqual([
        {
          target: "AmazonSSM.GetParameters",
          accessKeyId: "ASIAFAKEIMDSROLE0001",
          securityToken: "fake-imds-session-token",
          withDecryption: false,
        },
        {
          target: "AmazonSSM.GetParameters",
          accessKeyId: "ASIAFAKEIMDSROLE0001",
          securityToken: "fake-imds-session-token",
          withDecryption: true,
        },
      ]);
      // IMDSv2 throughout, for the boot's own reads and the SDK's credentials
      expect(b.imdsRequests[0]).toBe("PUT /latest/api/token 200");
      expect(b.imdsRequests).toContain(`GET /latest/meta-data/iam/security-credentials/${ROLE} 200`);
      expect(b.imdsRequests.filter((r) => r.endsWith(" 401"))).toEqual([]);

      // Assess: the files, from the host (bind-mounted scratch) and from inside the namespace
      const file = join(b.run.etcSpanless, "sensor.json");
      const st = statSync(file);
      expect([st.mode & 0o777, st.uid, st.gid]).toEqual([0o600, user.uid, user.gid]);
      expect(readdirSync(b.run.etcSpanless)).toEqual(["sensor.json"]);
      const inside = b.run.read("inside.txt");
      expect(inside).toContain(`stat ${SENSOR_CONFIG_FILE} 600 spanless:spanless`);
      expect(inside).toContain("stat /etc/spanless 750 root:spanless");
      expect(inside).toContain("stat /var/lib/spanless/spool 750 spanless:spanless");
      expect(inside).toContain(
        "stat /etc/systemd/system/spanless-sensor.service.d/50-memory.conf 644 root:root",
      );
      expect(inside).toContain(`stat ${CLOUDWATCH_AGENT_CONFIG_FILE} 644 root:root`);
      expect(inside).toContain("stat /var/lib/spanless/boot-complete.json 644 root:root");
      // …where the namespace's mounts put it: tmpfs, and binds over /etc/spanless, the unit directory,
      // the user files and the systemctl the bootstrap runs
      for (const p of ["/var/lib/spanless", "/var/log/spanless", "/opt/aws"])
        expect(inside).toContain(`mount ${p} tmpfs`);
      for (const p of ["/etc/spanless", "/etc/systemd/system", "/etc/passwd", systemctl])
        expect(inside).toMatch(new RegExp(`^mount ${p} (?!none)\\S+$`, "m"));
      const config = parseSensorFile(JSON.parse(readFileSync(file, "utf8")));
      expect(config).toMatchObject({
        listen: `0.0.0.0:${VXLAN_PORT}`,
        healthHost: "0.0.0.0",
        healthPort: HEALTH_PORT,
        out: "/var/log/spanless/zeek",
        spoolDir: "/var/lib/spanless/spool",
        instanceId,
        sensorId: instanceId,
        availabilityZone: `${REGION}a`,
        collectorUrl: `https://${host}:${collector.port}/`,
        pushToken: token,
        osSensorHmac: HMAC,
        collectorCaFile: caFile,
        memoryBudgetMB: plan.budgetMB,
      });
      expect(
        readFileSync(join(b.run.systemdSystem, "spanless-sensor.service.d", "50-memory.conf"), "utf8"),
      ).toContain(`[Service]\nMemoryMax=${plan.memoryMaxMB}M\n`);
      // The agent: its control script run as documented, on the configuration for the stage's log group
      expect(b.run.read("agent-argv.log")).toBe(
        `-a fetch-config -m ec2 -s -c file:${CLOUDWATCH_AGENT_CONFIG_FILE}\n`,
      );
      expect(JSON.parse(b.run.read("agent-config.json"))).toEqual(cloudWatchAgentConfig(SETTINGS.logGroup));

      // Assess: systemctl as the boot called it, the sensor as the unit runs it
      const calls = b.run.read("systemctl-argv.log").trimEnd().split("\n");
      // write-config reloads for the new drop-in; sensor-start finds the unit stopped and enables it
      expect(calls.slice(0, 3)).toEqual([
        "daemon-reload",
        "is-active --quiet spanless-sensor.service",
        "enable --now spanless-sensor.service",
      ]);
      expect(
        calls.slice(3).every((c) => c === "is-active --quiet spanless-sensor.service"),
        calls.join("\n"),
      ).toBe(true);
      expect(procs.length, why).toBeGreaterThanOrEqual(1);
      for (const p of procs) {
        expect([p.uids, p.gids]).toEqual([Array(4).fill(user.uid), Array(4).fill(user.gid)]);
        expect(p.argv.endsWith(SENSOR_ARGV_TAIL)).toBe(true);
        for (const secret of secrets) {
          expect(p.argv).not.toContain(secret);
          expect(p.environ).not.toContain(secret);
        }
      }
      // The health check was answered by this sensor, which the collector accepted (its handshake and
      // the boot's own push-token-auth, both under the instance ID)
      expect(health).toBe(200);
      expect(listeners.length).toBeGreaterThan(0);
      expect(listeners.every((l) => procs.some((p) => p.pid === l))).toBe(true);
      expect(handshakes(instanceId)).toBeGreaterThanOrEqual(2);
      expectNoSecrets(b);
    }, 40_000);

    it("abandons a boot whose pinned version does not exist: exit 1, ABANDON, parameter-missing", async () => {
      // Prepare
      const instanceId = "i-0e2e0000000000002";

      // Act
      const b = await boot("missing-version", instanceId, pins([NAME.token, 9]));

      // Assess
      const why = explain(b);
      expect(b.run.code, why).toBe(1);
      expect(b.lifecycle.map((c) => c.params)).toEqual([
        {
          Action: "CompleteLifecycleAction",
          Version: "2011-01-01",
          AutoScalingGroupName: SETTINGS.autoScalingGroup,
          LifecycleHookName: SETTINGS.lifecycleHook,
          InstanceId: instanceId,
          LifecycleActionResult: "ABANDON",
        },
      ]);
      expect(b.lifecycle[0]?.accessKeyId).toBe("ASIAFAKEIMDSROLE0001");
      const d = diagnoseBoot(b.lines);
      expect(d.failingStep).toBe("fetch-config");
      expect(d.cause).toBe("parameter-missing");
      expect(d.evidence).toContain(`${NAME.token}:9`);
      expect(d.markerProblems).toEqual([]);
      expect(b.markers.at(-1)).toBe("lifecycle-complete ok");
      expect(b.run.stdout).toContain('status=ok reason="ABANDON (step fetch-config failed)"');
      // The agent is not installed in this namespace: a warning, not a failure
      expect(b.run.stdout).toMatch(
        /logs-agent status=skip reason="warning: the CloudWatch agent is not installed/,
      );
      // Nothing written, nothing started
      expect(readdirSync(b.run.etcSpanless)).toEqual([]);
      expect(b.run.read("systemctl-argv.log")).toBe("");
      expect(b.run.sensorPid()).toBeUndefined();
      expectNoSecrets(b);
    }, 30_000);

    it("boots with a flag this image does not know (a newer stack): exit 0 and the boot-settings warning", async () => {
      // Prepare
      const instanceId = "i-0e2e0000000000003";

      // Act
      const b = await boot("newer-stack", instanceId, pins(), { extra: ["--from-a-newer-stack", "x"] });
      const pid = b.run.sensorPid();
      const group = pid === undefined ? [] : processGroup(pid);
      const listeners = healthPortOwners();

      // Assess
      const why = explain(b);
      expect(b.run.code, why).toBe(0);
      const warning = parseBootLog(b.lines).markers.find((m) => m.step === "boot-settings");
      expect(warning).toMatchObject({ status: "skip" });
      expect(warning?.reason).toMatch(
        /^warning: this image's spanless bootstrap does not know --from-a-newer-stack/,
      );
      expect(b.markers).toEqual(expect.arrayContaining(["health-check ok", "lifecycle-complete ok"]));
      expect(b.markers.filter((m) => m.endsWith(" fail"))).toEqual([]);
      expect(b.lifecycle.map((c) => [c.params.InstanceId, c.params.LifecycleActionResult])).toEqual([
        [instanceId, "CONTINUE"],
      ]);
      expect(diagnoseBoot(b.lines).markerProblems).toEqual([]);
      // This boot's sensor (not an earlier one) answered the health check and was accepted
      expect(listeners.length, why).toBeGreaterThan(0);
      expect(listeners.every((l) => group.includes(l))).toBe(true);
      expect(handshakes(instanceId)).toBeGreaterThanOrEqual(2);
      expectNoSecrets(b);
    }, 40_000);

    it("leaves the host as it found it: no paths, no mounts, no sensor", () => {
      // Assess
      expect(hostState(systemctl)).toEqual(before);
      expect(HIDDEN_PATHS.filter((p) => existsSync(p))).toEqual(
        HIDDEN_PATHS.filter((p) => before[p] !== "absent"),
      );
      expect(hostMountsOf(scratch)).toEqual([]);
      for (const pgid of sensorGroups) expect(processGroup(pgid)).toEqual([]);
    });
  },
);
