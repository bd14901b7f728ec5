// `spanless bootstrap` end to end, offline: SSM is moto_server (SecureString parameters with several
// versions), the metadata service a fake IMDSv2 started here, the collector the real reference
// collector over HTTPS with its own CA on a non-loopback address of this machine (the schema refuses a
// loopback collector URL, as it must on AWS), Auto Scaling's CompleteLifecycleAction
// aws-sdk-client-mock (moto has no lifecycle actions), and systemctl a fake that starts the real
// sensor process. Every failure must end in ABANDON with the marker the health function's own
// parser and cause rules turn into the right on-call message; no secret may reach the boot log.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  type CompleteLifecycleActionCommandInput,
} from "@aws-sdk/client-auto-scaling";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseBootLog } from "../../contracts/boot/markers.js";
import { type ConfigPins, parseSensorFile } from "../../contracts/config/index.js";
import { renderSensorUserData, SENSOR_CONFIG_FILE, SENSOR_VNI_MAP_FILE } from "../../contracts/host/index.js";
import { diagnoseBoot } from "../../functions/health/decide.js";
import { execRunner } from "../../sensor-ami/src/bootstrap/commands.js";
import { IMDS_ENDPOINT_ENV } from "../../sensor-ami/src/bootstrap/imds.js";
import {
  type BootSettingsArgs,
  type BootstrapDeps,
  type BootstrapOutcome,
  runBootstrap,
} from "../../sensor-ami/src/bootstrap/run.js";
import { MEMORY_DROP_IN } from "../../sensor-ami/src/bootstrap/sensor-config.js";
import { BOOT_COMPLETE_FILE } from "../../sensor-ami/src/bootstrap/state.js";
import { type RunningCollector, startCollector, TokenStore } from "../../sensor-ami/src/collector/index.js";
import { TestProxy } from "../ship/support.js";
import { useMoto } from "../support/moto.js";
import { oneSourceVniMap } from "../support/vni-map.js";
import { type FakeImds, ROLE, startFakeImds } from "./support/imds.js";
import { FakeSystemd, type Unit } from "./support/systemd.js";

const PREFIX = "/spanless/boot";
const NAME = {
  url: `${PREFIX}/collector-url`,
  token: `${PREFIX}/push-token`,
  hmac: `${PREFIX}/os-sensor-hmac`,
  proxy: `${PREFIX}/proxy`,
};
const SETTINGS = {
  logGroup: "/spanless/boot/sensors",
  autoScalingGroup: "spanless-boot",
  lifecycleHook: "launch",
};
const INSTANCE = { instanceId: "i-0123456789abcdef0", availabilityZone: "eu-west-1a", region: "eu-west-1" };
const HMAC = "HmacKey0123456789abcdefXYZ";
const GHOST_TOKEN = `ghost:${"Gh0st-secret-".repeat(3)}`;
const MALFORMED_TOKEN = "no-colon-but-a-long-secret-Value-42";
const PROXY_PASSWORD = "Pa55-proxy-word";
const WRONG_PROXY_PASSWORD = "Wr0ng-proxy-word";
/** Nobody: proves the file was handed to another owner (the test runs as root, like the boot). */
const OWNER = { uid: 65_534, gid: 65_534 };

const moto = useMoto({ region: INSTANCE.region, reset: false });
const asg = new AutoScalingClient({ region: INSTANCE.region });
const asgMock = mockClient(asg);

let collector: RunningCollector;
let token: string;
let caFile: string;
let host: string;
let closedPort: number;
let imds: FakeImds;
let proxy: TestProxy;
let scratch: string;
/** Secrets the boot log must never contain. */
let secrets: string[];
const cleanup: (() => Promise<unknown> | undefined)[] = [];

/** An address of this machine that is not loopback (the collector URL rule refuses loopback). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === "IPv4") return a.address;
  throw new Error(
    "this machine has no non-loopback IPv4 address; the bootstrap test needs one for the collector",
  );
}

async function freePort(hostName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, hostName, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function put(
  name: string,
  value: string,
  type: "String" | "SecureString" = "SecureString",
): Promise<void> {
  const ssm = new SSMClient(moto.clientConfig);
  await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }));
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "spanless-bootstrap-"));
  host = hostAddress();
  const store = join(scratch, "collector");
  token = new TokenStore(join(store, "tokens.json")).create("sensor-boot");
  collector = await startCollector({ host, port: 0, store, log: () => {} });
  caFile = join(scratch, "collector-ca.pem");
  writeFileSync(caFile, collector.tls.cert);
  closedPort = await freePort(host);
  secrets = [
    token.slice(token.indexOf(":") + 1),
    GHOST_TOKEN.slice(6),
    MALFORMED_TOKEN,
    HMAC,
    PROXY_PASSWORD,
  ];
  // collector-url: 1 good, 2 plain http, 3 a port nothing listens on
  await put(NAME.url, `https://${host}:${collector.port}/`, "String");
  await put(NAME.url, `http://${host}:${collector.port}/`, "String");
  await put(NAME.url, `https://${host}:${closedPort}/`, "String");
  // push-token: 1 good, 2 no colon, 3 well-formed but unknown to the collector
  await put(NAME.token, token);
  await put(NAME.token, MALFORMED_TOKEN);
  await put(NAME.token, GHOST_TOKEN);
  await put(NAME.hmac, HMAC);
  // proxy: 1 a proxy with credentials on a port nothing listens on
  await put(NAME.proxy, `http://boot:${PROXY_PASSWORD}@127.0.0.1:${await freePort("127.0.0.1")}`);
  // 2 a CONNECT proxy that wants these credentials, 3 the same proxy with a wrong password
  proxy = await new TestProxy({ user: "boot", pass: PROXY_PASSWORD }).start();
  await put(NAME.proxy, `http://boot:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`);
  await put(NAME.proxy, `http://boot:${WRONG_PROXY_PASSWORD}@127.0.0.1:${proxy.port}`);
  imds = await startFakeImds({ ...INSTANCE, userData: undefined });
  // What EC2 gives every process on the instance; the SDK reads it, as the boot's own IMDS client does.
  process.env[IMDS_ENDPOINT_ENV] = imds.endpoint;
}, 60_000);

afterAll(async () => {
  delete process.env[IMDS_ENDPOINT_ENV];
  await imds?.close();
  await proxy?.stop();
  await collector?.close();
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
  asgMock.reset();
});

interface Pins {
  url?: [string, number];
  token?: [string, number];
  hmac?: [string, number] | null;
  proxy?: [string, number];
}

function pins(p: Pins = {}): ConfigPins {
  const ref = (x: [string, number] | null | undefined, fallback: [string, number]) =>
    x === null ? null : { name: (x ?? fallback)[0], version: (x ?? fallback)[1] };
  return {
    "collector-url": ref(p.url, [NAME.url, 1]),
    "push-token": ref(p.token, [NAME.token, 1]),
    proxy: p.proxy === undefined ? null : ref(p.proxy, p.proxy),
    "os-sensor-hmac": ref(p.hmac, [NAME.hmac, 1]),
  };
}

interface Boot {
  outcome: BootstrapOutcome;
  log: string;
  lines: string[];
  root: string;
  systemd: FakeSystemd;
  lifecycleCalls: CompleteLifecycleActionCommandInput[];
  healthPort: number;
}

interface BootOptions {
  root?: string;
  unit?: Unit;
  systemd?: FakeSystemd;
  healthPort?: number;
  healthDeadlineMs?: number;
  ssm?: SSMClient;
  /** The CloudWatch agent's control script; default: a fake that records its arguments. */
  agentCtl?: string;
  /** The user data the metadata service serves; default: rendered from the pins. */
  userData?: string;
  /** The boot line's settings; default SETTINGS. */
  settings?: BootSettingsArgs;
  /** Where the started sensor fetches its VNI map from (moto_server). */
  vniMapS3Endpoint?: string;
}

/** One boot with `pinsUsed` in the user data, against the servers above. */
async function boot(pinsUsed: ConfigPins, o: BootOptions = {}): Promise<Boot> {
  const root = o.root ?? mkdtempSync(join(scratch, "root-"));
  const healthPort = o.healthPort ?? (await freePort("0.0.0.0"));
  const systemd =
    o.systemd ?? new FakeSystemd(join(root, SENSOR_CONFIG_FILE), o.unit ?? "sensor", healthPort);
  if (o.systemd === undefined) cleanup.push(() => systemd.stop());
  const settings = o.settings ?? SETTINGS;
  imds.instance.userData = o.userData ?? renderSensorUserData(pinsUsed, settings);
  // A fake CloudWatch agent control script: a real program, run by the real runner.
  const ctl = join(root, "amazon-cloudwatch-agent-ctl");
  writeFileSync(ctl, `#!/bin/sh\necho "$@" >> "${root}/agent-calls"\n`, { mode: 0o755 });
  let log = "";
  const deps: BootstrapDeps = {
    write: (text) => {
      log += text;
    },
    // No credentials given: the SDK's default chain fetches the role's from the fake IMDS (IMDSv2).
    ssm: async (region) => o.ssm ?? new SSMClient({ endpoint: moto.endpoint, region }),
    autoScaling: async () => asg,
    root,
    imds: { endpoint: imds.endpoint, retryDelayMs: 20 },
    run: systemd.runner(execRunner()),
    cloudWatchAgentCtl: o.agentCtl ?? ctl,
    sensorOwner: async () => OWNER,
    totalMemoryBytes: 1.5 * 1024 ** 3,
    diskAvailableBytes: () => 4 * 1024 ** 3,
    listen: "127.0.0.1:0",
    healthPort,
    collectorCaFile: caFile,
    healthDeadlineMs: o.healthDeadlineMs ?? 30_000,
    healthPollMs: 250,
    networkTimeoutMs: 3_000,
    networkAttempts: 2,
    networkRetryDelayMs: 50,
    lifecycleRetryDelayMs: 10,
    ...(o.vniMapS3Endpoint === undefined ? {} : { vniMapS3Endpoint: o.vniMapS3Endpoint }),
  };
  const before = asgMock.commandCalls(CompleteLifecycleActionCommand).length;
  const outcome = await runBootstrap(settings, deps);
  const lifecycleCalls = asgMock
    .commandCalls(CompleteLifecycleActionCommand)
    .slice(before)
    .map((c) => c.args[0].input);
  return { outcome, log, lines: log.split("\n"), root, systemd, lifecycleCalls, healthPort };
}

function markers(b: Boot) {
  return parseBootLog(b.lines).markers.map((m) => `${m.step} ${m.status}`);
}

function expectNoSecrets(b: Boot): void {
  for (const secret of secrets) expect(b.log).not.toContain(secret);
  for (const started of b.systemd.started) {
    for (const secret of secrets) {
      expect(started.argv.join(" ")).not.toContain(secret);
      expect(JSON.stringify(started.env)).not.toContain(secret);
    }
  }
}

/** A failed boot: ABANDON sent, exit 1, and what the health function makes of the log. */
function expectAbandoned(b: Boot, step: string) {
  expect(b.outcome).toMatchObject({ exitCode: 1, decision: "ABANDON", failedStep: step });
  expect(b.lifecycleCalls).toEqual([
    {
      AutoScalingGroupName: SETTINGS.autoScalingGroup,
      LifecycleHookName: SETTINGS.lifecycleHook,
      InstanceId: INSTANCE.instanceId,
      LifecycleActionResult: "ABANDON",
    },
  ]);
  expect(markers(b)).toContain(`${step} fail`);
  expect(markers(b).at(-1)).toBe("lifecycle-complete ok");
  expectNoSecrets(b);
  const diagnosis = diagnoseBoot(b.lines);
  expect(diagnosis.failingStep).toBe(step);
  // Every way the bootstrap fails has a cause of its own.
  expect(diagnosis.cause).not.toBe("unknown");
  expect(diagnosis.markerProblems).toEqual([]);
  return diagnosis;
}

describe("spanless bootstrap", () => {
  it("configures, starts and checks the sensor, continues the launch, and on a re-run after a reboot completes nothing again", async () => {
    // Prepare
    asgMock.on(CompleteLifecycleActionCommand).resolves({});
    const p = pins();

    // Act
    const first = await boot(p);
    const second = await boot(p, { root: first.root, systemd: first.systemd, healthPort: first.healthPort });

    // Assess: the first boot
    expect(first.outcome, first.log + first.systemd.journal).toMatchObject({
      exitCode: 0,
      decision: "CONTINUE",
    });
    expect(first.lifecycleCalls).toEqual([
      {
        AutoScalingGroupName: SETTINGS.autoScalingGroup,
        LifecycleHookName: SETTINGS.lifecycleHook,
        InstanceId: INSTANCE.instanceId,
        LifecycleActionResult: "CONTINUE",
      },
    ]);
    expect(markers(first).filter((m) => !m.endsWith(" start"))).toEqual([
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
    // IMDSv2: a token first, every GET with it.
    expect(imds.requests[0]).toBe("PUT /latest/api/token 200");
    expect(imds.requests.filter((r) => r.endsWith(" 401"))).toEqual([]);
    // SSM was called with the instance role's credentials from the metadata service, no CLI, no keys.
    expect(imds.requests).toContain(`GET /latest/meta-data/iam/security-credentials/${ROLE} 200`);
    // The agent got its configuration for the stage's log group.
    expect(readFileSync(join(first.root, "agent-calls"), "utf8")).toContain(
      "-a fetch-config -m ec2 -s -c file:",
    );
    // The sensor's file: valid, 0600, owned by the sensor user, with the instance's facts.
    const file = join(first.root, SENSOR_CONFIG_FILE);
    const config = parseSensorFile(JSON.parse(readFileSync(file, "utf8")));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect([statSync(file).uid, statSync(file).gid]).toEqual([OWNER.uid, OWNER.gid]);
    expect(config).toMatchObject({
      instanceId: INSTANCE.instanceId,
      availabilityZone: INSTANCE.availabilityZone,
      sensorId: INSTANCE.instanceId,
      collectorUrl: `https://${host}:${collector.port}/`,
      pushToken: token,
      osSensorHmac: HMAC,
      memoryBudgetMB: 768,
      pcapMaxGB: 2,
    });
    expect(readFileSync(join(first.root, MEMORY_DROP_IN), "utf8")).toContain("[Service]\nMemoryMax=960M\n");
    expect(first.systemd.calls).toContainEqual(["daemon-reload"]);
    expect(first.systemd.calls).toContainEqual(["enable", "--now", "spanless-sensor.service"]);

    // Assess: the re-run after a "reboot"
    expect(second.outcome, second.log).toMatchObject({
      exitCode: 0,
      decision: "CONTINUE",
      lifecycle: { kind: "skipped" },
    });
    expect(second.lifecycleCalls).toEqual([]);
    expect(markers(second)).toContain("lifecycle-complete skip");
    expect(second.log).toMatch(/completed its launch at .* no lifecycle action to CONTINUE/);
    expect(markers(second)).toContain("health-check ok");
    expect(readdirSync(join(first.root, "etc", "spanless"))).toEqual(["sensor.json"]);
    expect(readdirSync(join(first.root, "etc/systemd/system/spanless-sensor.service.d"))).toEqual([
      "50-memory.conf",
    ]);
    expect(JSON.parse(readFileSync(join(first.root, BOOT_COMPLETE_FILE), "utf8"))).toMatchObject({
      instanceId: INSTANCE.instanceId,
      pins: { "collector-url": `${NAME.url}:1`, "push-token": `${NAME.token}:1`, proxy: "none" },
    });
    expectNoSecrets(first);
    expectNoSecrets(second);
  }, 60_000);

  it("with --vni-map, writes vniMapS3 and the local copy's path, and the started sensor fetches the map into it", async () => {
    // Prepare: the reconciler's object in the (moto) bucket
    asgMock.on(CompleteLifecycleActionCommand).resolves({});
    const s3 = new S3Client(moto.clientConfig);
    await s3.send(
      new CreateBucketCommand({
        Bucket: "boot-records",
        CreateBucketConfiguration: { LocationConstraint: "eu-west-1" },
      }),
    );
    const map = oneSourceVniMap({ source: "10.0.0.5", instanceId: "i-0fedcba9876543210" });
    await s3.send(
      new PutObjectCommand({
        Bucket: "boot-records",
        Key: "spanless/vni-map.json",
        Body: JSON.stringify(map),
      }),
    );
    s3.destroy();
    const settings = { ...SETTINGS, vniMap: "s3://boot-records/spanless/vni-map.json" };

    // Act
    const b = await boot(pins(), { settings, vniMapS3Endpoint: moto.endpoint });
    const copy = join(b.root, SENSOR_VNI_MAP_FILE);
    for (let i = 0; i < 100 && !existsSync(copy); i++) await new Promise((r) => setTimeout(r, 100));

    // Assess
    expect(b.outcome, b.log + b.systemd.journal).toMatchObject({ exitCode: 0, decision: "CONTINUE" });
    const config = parseSensorFile(JSON.parse(readFileSync(join(b.root, SENSOR_CONFIG_FILE), "utf8")));
    expect(config).toMatchObject({ vniMapS3: settings.vniMap, vniMap: copy });
    expect(b.log).toContain(`VNI map fetched from ${settings.vniMap}`);
    expect(existsSync(copy), b.systemd.journal).toBe(true);
    expect(JSON.parse(readFileSync(copy, "utf8"))).toEqual(map);
    expectNoSecrets(b);
  }, 60_000);

  it("continues with a warning when the CloudWatch agent is missing, and skips the lifecycle action of an instance Auto Scaling did not launch", async () => {
    // Prepare
    asgMock.on(CompleteLifecycleActionCommand).rejects(
      Object.assign(new Error(`No active Lifecycle Action found with instance ID ${INSTANCE.instanceId}`), {
        name: "ValidationError",
      }),
    );

    // Act
    const b = await boot(pins(), { agentCtl: join(scratch, "no-such-agent-ctl") });

    // Assess
    expect(b.outcome, b.log).toMatchObject({
      exitCode: 0,
      decision: "CONTINUE",
      lifecycle: { kind: "no-action" },
    });
    expect(markers(b)).toContain("logs-agent skip");
    expect(b.log).toMatch(/logs-agent status=skip reason="warning: the CloudWatch agent is not installed/);
    expect(markers(b).at(-1)).toBe("lifecycle-complete skip");
    expect(b.log).toContain("no lifecycle action waits for i-0123456789abcdef0");
    expect(JSON.parse(readFileSync(join(b.root, BOOT_COMPLETE_FILE), "utf8")).instanceId).toBe(
      INSTANCE.instanceId,
    );
    expectNoSecrets(b);
  }, 30_000);

  it("goes through an authenticating proxy: the boot's checks and the started sensor's handshake", async () => {
    // Prepare
    asgMock.on(CompleteLifecycleActionCommand).resolves({});
    const before = proxy.connects.length;

    // Act
    const b = await boot(pins({ proxy: [NAME.proxy, 2] }));

    // Assess
    expect(b.outcome, b.log + b.systemd.journal).toMatchObject({ exitCode: 0, decision: "CONTINUE" });
    expect(markers(b)).toEqual(
      expect.arrayContaining(["proxy-check ok", "collector-reachable ok", "push-token-auth ok"]),
    );
    const tunnels = proxy.connects.slice(before);
    // collector-reachable, push-token-auth, and the sensor's own handshake: all tunnelled, all authorized
    expect(tunnels.length).toBeGreaterThanOrEqual(3);
    expect(tunnels.every((t) => t.target === `${host}:${collector.port}` && t.authorized)).toBe(true);
    const file = parseSensorFile(JSON.parse(readFileSync(join(b.root, SENSOR_CONFIG_FILE), "utf8")));
    expect(file.proxy).toBe(`http://boot:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}/`);
    expectNoSecrets(b);
  }, 30_000);

  describe("abandons the launch with the marker the health function names", () => {
    it("an http:// collector URL (validate-config → config-invalid)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ url: [NAME.url, 2] }));

      // Assess
      const d = expectAbandoned(b, "validate-config");
      // The schema's problem is the evidence; the hint says how to fix the parameter it names.
      expect(d.cause).toBe("config-invalid");
      expect(d.evidence).toContain(`${NAME.url}: must use https:// but uses "http:"`);
      expect(d.fixHint).toContain("aws ssm put-parameter");
      expect(existsSync(join(b.root, SENSOR_CONFIG_FILE))).toBe(false);
      expect(b.systemd.calls).toEqual([]);
    });

    it("a malformed push token (validate-config → config-invalid), never quoted", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ token: [NAME.token, 2] }));

      // Assess
      const d = expectAbandoned(b, "validate-config");
      // "push-token" and "invalid"-sounding words in a schema problem are not the collector's refusal.
      expect(d.cause).toBe("config-invalid");
      expect(d.evidence).toContain(`${NAME.token}: must have the form label:secret`);
    });

    it("a missing parameter (fetch-config → parameter-missing)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ hmac: [`${PREFIX}/no-such-parameter`, 1] }));

      // Assess
      const d = expectAbandoned(b, "fetch-config");
      expect(d.cause).toBe("parameter-missing");
      expect(d.evidence).toContain(`${PREFIX}/no-such-parameter:1`);
    });

    it("a pinned version that does not exist (fetch-config → parameter-missing)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ token: [NAME.token, 9] }));

      // Assess
      const d = expectAbandoned(b, "fetch-config");
      expect(d.cause).toBe("parameter-missing");
      expect(d.evidence).toContain(`${NAME.token}:9`);
    });

    it("KMS refusing to decrypt (kms-decrypt → kms-access-denied)", async () => {
      // Prepare: moto does not enforce KMS, so the decrypting call is refused as AWS refuses it
      asgMock.on(CompleteLifecycleActionCommand).resolves({});
      const ssm = new SSMClient(moto.clientConfig);
      ssm.middlewareStack.add(
        (next) => async (args) => {
          if ((args.input as { WithDecryption?: boolean }).WithDecryption === true) {
            throw Object.assign(
              new Error(
                "User: arn:aws:sts::123456789012:assumed-role/spanless-sensor/i-0123456789abcdef0 is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:123456789012:key/1234 because no identity-based policy allows the kms:Decrypt action",
              ),
              { name: "AccessDeniedException" },
            );
          }
          return next(args);
        },
        { step: "initialize" },
      );

      // Act
      const b = await boot(pins(), { ssm });

      // Assess
      const d = expectAbandoned(b, "kms-decrypt");
      expect(d.cause).toBe("kms-access-denied");
      expect(markers(b)).toContain("fetch-config ok");
    });

    it("a proxy nothing listens on (proxy-check → proxy-refused), its password never shown", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ proxy: [NAME.proxy, 1] }));

      // Assess
      const d = expectAbandoned(b, "proxy-check");
      expect(d.cause).toBe("proxy-refused");
      expect(b.log).toContain("proxy http://***@127.0.0.1:");
    });

    it("an unreachable collector (collector-reachable → collector-unreachable), after a retry", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ url: [NAME.url, 3] }));

      // Assess
      const d = expectAbandoned(b, "collector-reachable");
      expect(d.cause).toBe("collector-unreachable");
      expect(markers(b)).toContain("collector-reachable retry");
      expect(d.evidence).toContain(`${host}:${closedPort}`);
    });

    it("a push token the collector does not know (push-token-auth → invalid-token)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ token: [NAME.token, 3] }));

      // Assess
      const d = expectAbandoned(b, "push-token-auth");
      expect(d.cause).toBe("invalid-token");
      expect(d.evidence).toContain("label ghost");
    });

    it("a sensor whose /healthcheck never turns 200 (health-check → sensor-unhealthy)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins(), { unit: "unhealthy-stand-in", healthDeadlineMs: 2_000 });

      // Assess
      const d = expectAbandoned(b, "health-check");
      expect(d.cause).toBe("sensor-unhealthy");
      expect(d.evidence).toContain(
        "/healthcheck answered 503 for 2 s (receiver: the stand-in never receives)",
      );
      expect(d.fixHint).toContain("<instance-id>-sensor");
    });

    it("a proxy that refuses the tunnel (collector-reachable → proxy-refused)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins({ proxy: [NAME.proxy, 3] }));

      // Assess
      const d = expectAbandoned(b, "collector-reachable");
      expect(d.cause).toBe("proxy-refused");
      expect(d.evidence).toContain("407");
      expect(markers(b)).toContain("proxy-check ok");
    });

    it("a healthy sensor the collector never accepts (health-check → sensor-not-accepted, with the sensor's own reason)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const b = await boot(pins(), { unit: "unaccepted-stand-in", healthDeadlineMs: 1_500 });

      // Assess
      const d = expectAbandoned(b, "health-check");
      expect(d.cause).toBe("sensor-not-accepted");
      expect(d.evidence).toContain(
        "/healthcheck is 200 but the collector has not accepted the sensor's push token",
      );
      expect(d.evidence).toContain("answered 401 to the handshake");
    });

    it("a sensor service that dies at start (health-check → sensor-start-failed, without waiting out the deadline)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act
      const started = Date.now();
      const b = await boot(pins(), { unit: "crashing", healthDeadlineMs: 60_000 });

      // Assess
      const d = expectAbandoned(b, "health-check");
      expect(d.cause).toBe("sensor-start-failed");
      expect(d.evidence).toContain("the sensor service stopped while starting");
      expect(Date.now() - started).toBeLessThan(20_000);
    });

    it("user data without a pin block (read-user-data → user-data-invalid)", async () => {
      // Prepare
      asgMock.on(CompleteLifecycleActionCommand).resolves({});

      // Act: the metadata service serves a script the stack did not render
      const b = await boot(pins(), { userData: "#!/bin/bash\necho hello\n" });

      // Assess
      const d = expectAbandoned(b, "read-user-data");
      expect(d.cause).toBe("user-data-invalid");
      expect(d.evidence).toContain("no complete pin block");
    });
  });
});
