// `spanless bootstrap`: the boot steps in order, each with its SPANLESS-BOOT markers, then the launch's
// outcome to Auto Scaling. Every effect on the host (commands, file root, owner, memory, disk, the
// metadata service, the AWS clients, the clock and the deadlines) comes in through BootstrapDeps, so
// the tests run this code against real servers. See README.md for the steps, markers and exit codes.

import { chownSync, mkdirSync, readFileSync, statfsSync } from "node:fs";
import { totalmem } from "node:os";
import { dirname } from "node:path";
import type { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { CONFIG_REFUSED_REASON_PREFIX } from "../../../contracts/boot/markers.js";
import {
  type ConfigPins,
  formatProblem,
  type SensorConfig,
  validateSensorConfig,
} from "../../../contracts/config/index.js";
import {
  CLOUDWATCH_AGENT_CONFIG_FILE,
  CLOUDWATCH_AGENT_CTL,
  cloudWatchAgentConfig,
  HEALTH_PORT,
  parseSensorUserData,
  SENSOR_CONFIG_FILE,
  SENSOR_PCAP_DIR,
  SENSOR_SERVICE,
  SENSOR_USER,
  type SensorMemoryPlan,
  sensorMemoryPlan,
} from "../../../contracts/host/index.js";
import {
  checkCollectorTls,
  checkProxy,
  checkPushToken,
  NETWORK_CHECK_TIMEOUT_MS,
  type NetworkTarget,
} from "./collector.js";
import { type CommandRunner, describeFailure, execRunner } from "./commands.js";
import { BootStepError } from "./errors.js";
import { writeFileAtomic } from "./files.js";
import { ImdsClient, type ImdsOptions, type InstanceIdentity } from "./imds.js";
import { completeLifecycle, type LifecycleOutcome, type LifecycleResult } from "./lifecycle.js";
import { BootLog } from "./log.js";
import { checkRequiredPins, pinnedNames, readPinnedParameters } from "./parameters.js";
import {
  MEMORY_DROP_IN,
  memoryDropInText,
  sensorDirectories,
  sensorFileText,
  underRoot,
} from "./sensor-config.js";
import {
  daemonReload,
  HEALTH_CHECK_DEADLINE_MS,
  HEALTH_POLL_INTERVAL_MS,
  type ServiceControl,
  startSensor,
  waitUntilHealthy,
} from "./service.js";
import { BOOT_COMPLETE_FILE, pinsChanged, readBootComplete, writeBootComplete } from "./state.js";

/** The launch continued (or there was no lifecycle action to continue) after every step passed. */
export const EXIT_OK = 0;
/** A step failed; the launch was abandoned (or there was no lifecycle action to abandon). */
export const EXIT_BOOT_FAILED = 1;
/** The outcome could not be sent to Auto Scaling: the hook's heartbeat timeout will end the launch. */
export const EXIT_LIFECYCLE_FAILED = 3;
/** The command line is unusable (cli/bootstrap.ts). */
export const EXIT_USAGE = 64;

/** Attempts at each network step (proxy, TLS, handshake) before it fails: routes and NAT may lag at boot. */
export const NETWORK_CHECK_ATTEMPTS = 3;
export const NETWORK_RETRY_DELAY_MS = 5_000;

export interface BootSettingsArgs {
  logGroup: string;
  autoScalingGroup: string;
  lifecycleHook: string;
  pcapBucket?: string;
  /** The VNI map's S3 object, `s3://bucket/key` (contracts/host BootSettings.vniMap). */
  vniMap?: string;
}

export interface BootstrapDeps {
  /** The boot log (stdout, which the user data appends to /var/log/user-data.log). */
  write: (text: string) => void;
  ssm: (region: string) => Promise<SSMClient>;
  autoScaling: (region: string) => Promise<AutoScalingClient>;
  /** Prefix of every host path written or read ("/" on a host). */
  root?: string;
  imds?: ImdsOptions;
  run?: CommandRunner;
  systemctl?: string;
  cloudWatchAgentCtl?: string;
  /** Owner of the sensor's config file and directories; undefined: leave the owner as it is (not root). */
  sensorOwner?: () => Promise<{ uid: number; gid: number } | undefined>;
  totalMemoryBytes?: number;
  diskAvailableBytes?: (path: string) => number;
  listen?: string;
  healthPort?: number;
  collectorCaFile?: string;
  /** An S3-compatible endpoint for the sensor's VNI map fetch (tests: moto_server); absent: AWS's. */
  vniMapS3Endpoint?: string;
  healthDeadlineMs?: number;
  healthPollMs?: number;
  networkTimeoutMs?: number;
  networkAttempts?: number;
  networkRetryDelayMs?: number;
  lifecycleRetryDelayMs?: number;
  now?: () => Date;
}

export interface BootstrapOutcome {
  exitCode: number;
  /** The decision sent (or that would have been sent) to Auto Scaling. */
  decision: LifecycleResult;
  /** The step that failed, if one did. */
  failedStep?: string;
  lifecycle: LifecycleOutcome | { kind: "skipped"; detail: string };
}

/** A step failed: its marker is written; the boot goes straight to the lifecycle decision. */
class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
  ) {
    super(`${step}: ${reason}`);
  }
}

/** The owner of the sensor's files: the sensor user's IDs when running as root (`id -u/-g spanless`). */
export function sensorUserOwner(run: CommandRunner, isRoot: boolean) {
  return async (): Promise<{ uid: number; gid: number } | undefined> => {
    if (!isRoot) return undefined;
    const ids: number[] = [];
    for (const flag of ["-u", "-g"]) {
      const r = await run("id", [flag, SENSOR_USER]);
      const n = Number(r.stdout.trim());
      if (r.code !== 0 || !Number.isInteger(n)) {
        throw new BootStepError(
          "write-config",
          `the sensor user ${SENSOR_USER} does not exist (${describeFailure("id", [flag, SENSOR_USER], r)}); the image creates it`,
        );
      }
      ids.push(n);
    }
    return { uid: ids[0]!, gid: ids[1]! };
  };
}

export async function runBootstrap(
  settings: BootSettingsArgs,
  deps: BootstrapDeps,
): Promise<BootstrapOutcome> {
  const now = deps.now ?? (() => new Date());
  const log = new BootLog(deps.write, now);
  const at = underRoot(deps.root ?? "/");
  const run = deps.run ?? execRunner();
  const service: ServiceControl = { run, systemctl: deps.systemctl ?? "systemctl", service: SENSOR_SERVICE };
  const attempts = deps.networkAttempts ?? NETWORK_CHECK_ATTEMPTS;
  const retryDelay = deps.networkRetryDelayMs ?? NETWORK_RETRY_DELAY_MS;

  const step = async <T>(
    name: string,
    work: () => Promise<T>,
    done: (value: T) => { status: "ok" | "skip"; reason?: string } = () => ({ status: "ok" }),
  ): Promise<T> => {
    log.marker(name, "start");
    let value: T;
    try {
      value = await work();
    } catch (error) {
      // Our own failures carry a secret-free reason; anything else is named by its class and message,
      // which in this code never holds a parameter value.
      const reason =
        error instanceof BootStepError
          ? error.reason
          : `${(error as Error).name}: ${(error as Error).message}`;
      log.marker(name, "fail", reason);
      throw new StepFailed(name, reason);
    }
    const d = done(value);
    log.marker(name, d.status, d.reason);
    return value;
  };

  /** Network steps: a failure worth retrying is marked `retry` and tried again, up to `attempts`. */
  const retrying = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    for (let i = 1; ; i++) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof BootStepError) || !error.retryable || i >= attempts) throw error;
        log.marker(name, "retry", `attempt ${i} of ${attempts}: ${error.reason}`);
        await new Promise((r) => setTimeout(r, retryDelay * i));
      }
    }
  };

  log.info(
    `boot of a Spanless sensor: log group ${settings.logGroup}, Auto Scaling group ${settings.autoScalingGroup}, ` +
      `lifecycle hook ${settings.lifecycleHook}${settings.pcapBucket === undefined ? "" : `, PCAP bucket ${settings.pcapBucket}`}` +
      `${settings.vniMap === undefined ? "" : `, VNI map ${settings.vniMap}`}`,
  );

  // logs-agent: first, so that a boot failing at any later step still ships this log.
  await logsAgent(log, run, at, settings.logGroup, deps.cloudWatchAgentCtl ?? CLOUDWATCH_AGENT_CTL);

  let identity: InstanceIdentity | undefined;
  let previous: ReturnType<typeof readBootComplete>;
  try {
    const imds = new ImdsClient(deps.imds);
    const { pins } = await step(
      "read-user-data",
      async () => {
        identity = await imds.identity();
        return parseSensorUserData(await imds.userData());
      },
      () => ({ status: "ok", reason: `${identity!.instanceId} in ${identity!.availabilityZone}` }),
    );
    const instance = identity!;
    previous = readBootComplete(at(BOOT_COMPLETE_FILE), instance.instanceId);
    if (previous !== undefined) {
      log.info(
        `this instance completed its launch at ${previous.completedAt}${pinsChanged(previous, pins) ? " with other pins" : ""}: ` +
          "re-validating and keeping the sensor running; the lifecycle action is not completed again",
      );
    }
    const config = await configSteps(step, pins, () => deps.ssm(instance.region));
    const caFile = deps.collectorCaFile;
    const ca =
      caFile === undefined
        ? undefined
        : await step(
            "collector-ca",
            async () => readCa(caFile),
            () => ({ status: "ok", reason: caFile }),
          );
    const target: NetworkTarget = {
      collectorUrl: new URL(config.collectorUrl),
      proxy: config.proxyUrl === null ? undefined : new URL(config.proxyUrl),
      ca,
      timeoutMs: deps.networkTimeoutMs ?? NETWORK_CHECK_TIMEOUT_MS,
    };
    await networkSteps(step, retrying, target, config, instance.instanceId);
    const written = await step(
      "write-config",
      () => writeConfig(deps, at, service, config, instance, settings.pcapBucket, settings.vniMap),
      (w) => ({ status: "ok", reason: w.summary }),
    );
    await step(
      "sensor-start",
      () => startSensor(service, written.changed),
      (action) => ({ status: "ok", reason: `${SENSOR_SERVICE} ${action}` }),
    );
    await step(
      "health-check",
      () =>
        waitUntilHealthy({
          base: `http://127.0.0.1:${written.healthPort}`,
          deadlineMs: deps.healthDeadlineMs ?? HEALTH_CHECK_DEADLINE_MS,
          pollMs: deps.healthPollMs ?? HEALTH_POLL_INTERVAL_MS,
          service,
        }),
      (h) => ({
        status: "ok",
        reason: `healthy and accepted by the collector after ${h.seconds.toFixed(1)} s`,
      }),
    );
    return await decide(undefined, pins);
  } catch (error) {
    // Every effect runs inside a step, so anything else is a bug: it propagates with its stack.
    if (!(error instanceof StepFailed)) throw error;
    return await decide(error, undefined);
  }

  async function decide(
    failed: StepFailed | undefined,
    pins: ConfigPins | undefined,
  ): Promise<BootstrapOutcome> {
    const decision: LifecycleResult = failed === undefined ? "CONTINUE" : "ABANDON";
    const exitFor = failed === undefined ? EXIT_OK : EXIT_BOOT_FAILED;
    const base = { decision, ...(failed === undefined ? {} : { failedStep: failed.step }) };
    log.marker("lifecycle-complete", "start");
    if (identity === undefined) {
      const detail = `cannot ${decision} without the instance ID (the metadata service did not give it); the lifecycle hook's heartbeat timeout ends the launch`;
      log.marker("lifecycle-complete", "skip", detail);
      return { ...base, exitCode: exitFor, lifecycle: { kind: "skipped", detail } };
    }
    if (previous !== undefined) {
      const detail = `${identity.instanceId} completed its launch at ${previous.completedAt} (a re-run after a reboot): no lifecycle action to ${decision}`;
      log.marker("lifecycle-complete", "skip", detail);
      return { ...base, exitCode: exitFor, lifecycle: { kind: "skipped", detail } };
    }
    const outcome = await completeLifecycle(
      () => deps.autoScaling(identity!.region),
      {
        autoScalingGroup: settings.autoScalingGroup,
        lifecycleHook: settings.lifecycleHook,
        instanceId: identity.instanceId,
      },
      decision,
      deps.lifecycleRetryDelayMs === undefined ? {} : { retryDelayMs: deps.lifecycleRetryDelayMs },
    );
    if (outcome.kind === "completed" || outcome.kind === "no-action") {
      // Recorded either way, so that a re-run does not try to complete the launch again.
      if (failed === undefined && pins !== undefined) {
        try {
          writeBootComplete(at(BOOT_COMPLETE_FILE), identity.instanceId, pins, now());
        } catch (error) {
          // The launch is decided; a re-run would only meet "no active lifecycle action" and skip.
          log.info(
            `cannot record the completed launch (${(error as Error).message}); a re-run will find no lifecycle action`,
          );
        }
      }
    }
    if (outcome.kind === "completed") {
      log.marker(
        "lifecycle-complete",
        "ok",
        failed === undefined ? "CONTINUE" : `ABANDON (step ${failed.step} failed)`,
      );
      return { ...base, exitCode: exitFor, lifecycle: outcome };
    }
    if (outcome.kind === "no-action") {
      log.marker(
        "lifecycle-complete",
        "skip",
        `no lifecycle action waits for ${identity.instanceId} (not launched through ${settings.lifecycleHook}, or already completed): ${outcome.detail}`,
      );
      return { ...base, exitCode: exitFor, lifecycle: outcome };
    }
    const detail = `CompleteLifecycleAction ${decision} for ${identity.instanceId} failed: ${outcome.detail}; the lifecycle hook's heartbeat timeout ends the launch`;
    // After a failed step, the step stays the cause: this is marked retry (unfinished), not fail,
    // because the health function reports the last failed step.
    log.marker("lifecycle-complete", failed === undefined ? "fail" : "retry", detail);
    return { ...base, exitCode: EXIT_LIFECYCLE_FAILED, lifecycle: outcome };
  }
}

type Step = <T>(
  name: string,
  work: () => Promise<T>,
  done?: (value: T) => { status: "ok" | "skip"; reason?: string },
) => Promise<T>;

async function logsAgent(
  log: BootLog,
  run: CommandRunner,
  at: (path: string) => string,
  logGroup: string,
  ctl: string,
): Promise<void> {
  log.marker("logs-agent", "start");
  const file = at(CLOUDWATCH_AGENT_CONFIG_FILE);
  try {
    writeFileAtomic(file, `${JSON.stringify(cloudWatchAgentConfig(logGroup), null, 2)}\n`, 0o644);
  } catch (error) {
    log.marker(
      "logs-agent",
      "skip",
      `warning: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): this boot log is not shipped to CloudWatch Logs; booting on`,
    );
    return;
  }
  const args = ["-a", "fetch-config", "-m", "ec2", "-s", "-c", `file:${file}`];
  const result = await run(ctl, args);
  if (result.code === 0) {
    log.marker("logs-agent", "ok", `shipping to log group ${logGroup}`);
    return;
  }
  const why =
    result.errno === "ENOENT"
      ? `the CloudWatch agent is not installed (${ctl} not found)`
      : describeFailure(ctl, args, result);
  // Not fatal: the sensor works without it, and this log still holds every marker on the instance.
  log.marker(
    "logs-agent",
    "skip",
    `warning: ${why}: this boot log is not shipped to CloudWatch Logs; booting on`,
  );
}

async function configSteps(
  step: Step,
  pins: ConfigPins,
  client: () => Promise<SSMClient>,
): Promise<SensorConfig> {
  let ssm: SSMClient | undefined;
  await step("fetch-config", async () => {
    checkRequiredPins(pins);
    ssm = await client();
    return readPinnedParameters(ssm, pins, false);
  });
  const input = await step("kms-decrypt", () => readPinnedParameters(ssm!, pins, true));
  return step("validate-config", async () => {
    const result = validateSensorConfig(input, pinnedNames(pins));
    if (!result.ok) {
      const problems = result.problems.map(formatProblem).join("; ");
      throw new BootStepError("validate-config", `${CONFIG_REFUSED_REASON_PREFIX}${problems}`);
    }
    return result.config;
  });
}

async function networkSteps(
  step: Step,
  retrying: <T>(name: string, work: () => Promise<T>) => Promise<T>,
  target: NetworkTarget,
  config: SensorConfig,
  sensorId: string,
): Promise<void> {
  const proxy = target.proxy;
  if (proxy === undefined) {
    await step(
      "proxy-check",
      async () => undefined,
      () => ({ status: "skip", reason: "proxy is none" }),
    );
  } else {
    await step("proxy-check", () =>
      retrying("proxy-check", () => checkProxy(proxy, target.ca, target.timeoutMs)),
    );
  }
  await step(
    "collector-reachable",
    () => retrying("collector-reachable", () => checkCollectorTls(target)),
    (r) => ({ status: "ok", reason: `TLS to ${target.collectorUrl.host} in ${r.ms} ms` }),
  );
  await step("push-token-auth", () =>
    retrying("push-token-auth", () => checkPushToken(target, config.pushToken, sensorId)),
  );
}

interface Written {
  changed: boolean;
  healthPort: number;
  summary: string;
}

async function writeConfig(
  deps: BootstrapDeps,
  at: (path: string) => string,
  service: ServiceControl,
  config: SensorConfig,
  instance: InstanceIdentity,
  pcapBucket: string | undefined,
  vniMapS3: string | undefined,
): Promise<Written> {
  let memory: SensorMemoryPlan;
  try {
    memory = sensorMemoryPlan(deps.totalMemoryBytes ?? totalmem());
  } catch (error) {
    throw new BootStepError("write-config", (error as Error).message, { cause: error });
  }
  const owner = deps.sensorOwner === undefined ? undefined : await deps.sensorOwner();
  const own = (path: string) => {
    if (owner !== undefined) chownSync(path, owner.uid, owner.gid);
  };
  for (const dir of sensorDirectories(at)) {
    mkdirSync(dir, { recursive: true });
    own(dir);
  }
  const pcapDir = at(SENSOR_PCAP_DIR);
  const available = (deps.diskAvailableBytes ?? freeBytes)(pcapDir);
  const healthPort = deps.healthPort ?? HEALTH_PORT;
  const { text, pcapGB } = sensorFileText({
    config,
    instanceId: instance.instanceId,
    availabilityZone: instance.availabilityZone,
    memory,
    pcapDiskAvailableBytes: available,
    pcapBucket,
    ...(vniMapS3 === undefined ? {} : { vniMapS3 }),
    ...(deps.vniMapS3Endpoint === undefined ? {} : { vniMapS3Endpoint: deps.vniMapS3Endpoint }),
    at,
    healthPort,
    ...(deps.listen === undefined ? {} : { listen: deps.listen }),
    ...(deps.collectorCaFile === undefined ? {} : { collectorCaFile: deps.collectorCaFile }),
  });
  const configFile = at(SENSOR_CONFIG_FILE);
  mkdirSync(dirname(configFile), { recursive: true });
  const file = writeFileAtomic(configFile, text, 0o600, own);
  const dropIn = writeFileAtomic(at(MEMORY_DROP_IN), memoryDropInText(memory), 0o644);
  if (dropIn.changed) await daemonReload(service, "write-config");
  const pcap =
    pcapGB === undefined
      ? "PCAP ring off (too little disk)"
      : `PCAP ring ${pcapGB} GB${pcapBucket === undefined ? "" : ` uploaded to s3://${pcapBucket}`}`;
  return {
    changed: file.changed || dropIn.changed,
    healthPort,
    summary:
      `${SENSOR_CONFIG_FILE} ${file.changed ? "written" : "unchanged"} (mode 0600${owner === undefined ? ", owner unchanged: not root" : `, owner ${SENSOR_USER}`}); ` +
      `memory budget ${memory.budgetMB} MiB, MemoryMax ${memory.memoryMaxMB} MiB; ${pcap}` +
      `${vniMapS3 === undefined ? "" : `; VNI map fetched from ${vniMapS3}`}`,
  };
}

function freeBytes(path: string): number {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return 0;
  }
}

/** The collector CA file's PEM (an option for private collectors and tests). */
function readCa(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (error) {
    throw new BootStepError(
      "collector-ca",
      `the collector CA file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----"))
    throw new BootStepError("collector-ca", `the collector CA file ${file} holds no PEM certificate`);
  return pem;
}
