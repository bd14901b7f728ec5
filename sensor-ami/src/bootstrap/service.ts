// Steps sensor-start and health-check. The sensor runs as the systemd unit; the boot enables and
// starts it (or restarts it when it already runs with an older configuration), then waits until the
// sensor answers /healthcheck 200 (what the load balancer will probe) AND its /status shows that the
// collector accepted its push token (the handshake the sensor makes at start) or an upload: the sensor
// is then known to work end to end before the launch continues. Reasons avoid the words the health
// function reads as a collector problem ("refused", ECONNREFUSED) unless the collector is the problem.

import { type CommandRunner, describeFailure } from "./commands.js";
import { BootStepError } from "./errors.js";

/**
 * How long the health check may take: below the launch lifecycle hook's 900 s heartbeat, with the
 * steps before it (a few seconds to a minute) and the CompleteLifecycleAction call to spare.
 */
export const HEALTH_CHECK_DEADLINE_MS = 600_000;
export const HEALTH_POLL_INTERVAL_MS = 2_000;
/** One poll's time limit. */
const HEALTH_REQUEST_TIMEOUT_MS = 3_000;

export interface ServiceControl {
  run: CommandRunner;
  systemctl: string;
  service: string;
}

export async function isActive(c: ServiceControl): Promise<boolean> {
  return (await c.run(c.systemctl, ["is-active", "--quiet", c.service])).code === 0;
}

async function systemctl(c: ServiceControl, step: string, args: string[]): Promise<void> {
  const result = await c.run(c.systemctl, args);
  if (result.code !== 0) {
    throw new BootStepError(
      step,
      `${describeFailure("systemctl", args, result)}; read journalctl -u ${c.service} and systemctl status ${c.service}`,
    );
  }
}

export async function daemonReload(c: ServiceControl, step: string): Promise<void> {
  await systemctl(c, step, ["daemon-reload"]);
}

/** What sensor-start did, for its marker. */
export type StartAction = "started" | "restarted" | "kept";

/**
 * Enables and starts the unit; when it already runs, restarts it if its configuration changed and
 * leaves it alone otherwise (a reboot's re-run with the same configuration).
 */
export async function startSensor(c: ServiceControl, configChanged: boolean): Promise<StartAction> {
  if (!(await isActive(c))) {
    await systemctl(c, "sensor-start", ["enable", "--now", c.service]);
    return "started";
  }
  if (!configChanged) return "kept";
  await systemctl(c, "sensor-start", ["restart", c.service]);
  return "restarted";
}

export interface HealthWait {
  /** http://127.0.0.1:<port> */
  base: string;
  deadlineMs: number;
  pollMs: number;
  service: ServiceControl;
  now?: () => number;
}

interface Observation {
  /** The /healthcheck status, or undefined when nothing answered. */
  health?: number;
  /** /healthcheck's first failing line (`check: reason`). */
  unhealthy?: string;
  /** /status says the collector accepted the token (handshake) or a batch. */
  collectorOk?: boolean;
  /** /status's reason the sensor's handshake has not succeeded yet. */
  handshakeError?: string;
  /** Why nothing answered (an error code). */
  noAnswer?: string;
}

/** Polls until healthy and handshaken; BootStepError("health-check") at the deadline or when the unit stops. */
export async function waitUntilHealthy(w: HealthWait): Promise<{ seconds: number }> {
  const now = w.now ?? Date.now;
  const started = now();
  let last: Observation = {};
  for (let poll = 0; ; poll++) {
    last = await observe(w.base);
    if (last.health === 200 && last.collectorOk === true) return { seconds: (now() - started) / 1000 };
    // A unit that died will not come back by waiting (Restart=on-failure has its own limit): say so now.
    if (poll % 5 === 4 && !(await isActive(w.service))) {
      throw new BootStepError(
        "health-check",
        `the sensor service stopped while starting (systemctl is-active: not active); read journalctl -u ${w.service.service}`,
      );
    }
    if (now() - started >= w.deadlineMs) break;
    await new Promise((r) =>
      setTimeout(r, Math.min(w.pollMs, Math.max(0, w.deadlineMs - (now() - started)))),
    );
  }
  const seconds = Math.round(w.deadlineMs / 1000);
  if (last.health === undefined) {
    throw new BootStepError(
      "health-check",
      `the sensor's health port ${w.base} did not answer within ${seconds} s (${last.noAnswer ?? "no answer"}); ` +
        `read journalctl -u ${w.service.service}`,
    );
  }
  if (last.health !== 200) {
    throw new BootStepError(
      "health-check",
      `/healthcheck answered ${last.health} for ${seconds} s${last.unhealthy === undefined ? "" : ` (${last.unhealthy})`}; ` +
        `run spanless health on the instance or read journalctl -u ${w.service.service}`,
    );
  }
  throw new BootStepError(
    "health-check",
    `/healthcheck is 200 but the collector has not accepted the sensor's push token handshake within ${seconds} s` +
      `${last.handshakeError === undefined ? "" : ` (${last.handshakeError})`}; read journalctl -u ${w.service.service} for the sensor's ship: lines`,
  );
}

async function observe(base: string): Promise<Observation> {
  let health: Response;
  try {
    health = await fetch(`${base}/healthcheck`, { signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    // The code, not the message: "ECONNREFUSED" here means the sensor is not listening yet, which the
    // health function must not read as a collector problem. Said in words instead.
    const noAnswer =
      cause?.code === "ECONNREFUSED"
        ? "not listening"
        : (error as Error).name === "TimeoutError"
          ? `no answer within ${HEALTH_REQUEST_TIMEOUT_MS} ms`
          : "no answer";
    return { noAnswer };
  }
  const body = await health.text();
  const unhealthy = body
    .split("\n")
    .slice(1)
    .find((l) => l.trim() !== "")
    ?.trim()
    .slice(0, 200);
  let collectorOk = false;
  let handshakeError: string | undefined;
  try {
    const status = (await (
      await fetch(`${base}/status`, { signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS) })
    ).json()) as {
      snapshot?: {
        shipping?: {
          lastHandshakeAt?: number | null;
          lastUploadAt?: number | null;
          handshakeError?: string | null;
        };
      };
    };
    const shipping = status.snapshot?.shipping;
    collectorOk = typeof shipping?.lastHandshakeAt === "number" || typeof shipping?.lastUploadAt === "number";
    if (typeof shipping?.handshakeError === "string") handshakeError = shipping.handshakeError.slice(0, 200);
  } catch {
    // /status not ready or not JSON yet: not ok, polled again.
  }
  return {
    health: health.status,
    ...(unhealthy === undefined ? {} : { unhealthy }),
    collectorOk,
    ...(handshakeError === undefined ? {} : { handshakeError }),
  };
}
