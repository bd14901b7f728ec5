// Renders on-call notices. Plain text first (they are read in e-mail and chat at 3 a.m.), with a fixed shape:
// a one-line verdict, the details, what the fleet is doing now, and what to do. Never any parameter value:
// problem messages come from the config schema, which guarantees that.
import { type ConfigProblem, formatProblem } from "../../contracts/config/index.js";
import type { RefreshPhase } from "./events.js";
import type { Notice, NoticeKind, RefreshRecord, RefreshStatusView, Settings } from "./types.js";

/** SNS Subject: at most 100 printable ASCII characters. */
export const SUBJECT_MAX_LENGTH = 100;

function subject(settings: Settings, text: string): string {
  // SNS subjects must be printable ASCII without line breaks.
  const full = `[spanless ${settings.stage}] ${text}`.replace(/[^\x20-\x7e]/g, "?");
  return full.length <= SUBJECT_MAX_LENGTH ? full : `${full.slice(0, SUBJECT_MAX_LENGTH - 3)}...`;
}

function numbered(lines: string[]): string {
  return lines.map((line, i) => `${i + 1}. ${line}`).join("\n");
}

export function configInvalidNotice(
  settings: Settings,
  problems: ConfigProblem[],
  changed: string[],
): Notice {
  const n = problems.length;
  return {
    kind: "ConfigInvalid",
    subject: subject(settings, `Sensor config invalid, not rolled out (${n} problem${n === 1 ? "" : "s"})`),
    body: [
      `The sensor configuration in Parameter Store is invalid, so it was NOT rolled out to Auto Scaling group ${settings.asgName}.`,
      "",
      `Problem${n === 1 ? "" : "s"}:`,
      numbered(problems.map(formatProblem)),
      "",
      `Recently changed: ${changed.length > 0 ? changed.join(", ") : "(none recorded)"}`,
      "",
      "Running sensors are unaffected: they keep the configuration pinned in their launch template.",
      "What to do: fix the parameter(s) above. Saving a new version triggers validation again; nothing else is needed.",
    ].join("\n"),
  };
}

export function rolloutBlockedNotice(settings: Settings, reasons: string[], changed: string[]): Notice {
  return {
    kind: "RolloutBlocked",
    subject: subject(settings, "Sensor config rollout waiting: group not safe to refresh"),
    body: [
      `A valid sensor configuration change is waiting: Auto Scaling group ${settings.asgName} cannot be refreshed safely yet.`,
      "",
      "Why:",
      numbered(reasons),
      "",
      `Waiting changes: ${changed.join(", ") || "(none recorded)"}`,
      "",
      "The rollout is retried every minute and starts by itself once the reasons above are resolved.",
    ].join("\n"),
  };
}

export function rolloutErrorNotice(settings: Settings, error: string): Notice {
  return {
    kind: "RolloutError",
    subject: subject(settings, "Sensor config rollout failed to start"),
    body: [
      `The instance-refresh function could not roll out the sensor configuration for ${settings.asgName}:`,
      "",
      error,
      "",
      "The change stays queued and is retried every minute. If this repeats, check the function's IAM role and logs.",
    ].join("\n"),
  };
}

export function refreshStartedNotice(settings: Settings, record: RefreshRecord): Notice {
  return {
    kind: "RefreshStarted",
    subject: subject(settings, `Sensor config rollout started (${record.changedKeys.join(", ")})`),
    body: [
      `Instance refresh ${record.refreshId} started on ${record.asgName}: launch template ${record.launchTemplateId} ` +
        `version ${record.previousLaunchTemplateVersion} -> ${record.launchTemplateVersion}.`,
      "",
      whatChanged(record),
      "",
      "New sensors are launched before old ones are terminated; the refresh rolls back by itself if a sensor health alarm fires.",
    ].join("\n"),
  };
}

function whatChanged(record: RefreshRecord): string {
  return [
    "What changed (pinned parameter versions):",
    ...record.changedKeys.map((k) => `  - ${record.pins[k]}`),
    record.trigger === "pin-drift"
      ? "Triggered by pin drift: the launch template version in service pinned other versions of " +
        `${record.triggeredBy.join(", ")} (a deploy that changed the launch template, or a rollback)`
      : `Triggered by changes to: ${record.triggeredBy.join(", ") || "(none recorded)"}`,
  ].join("\n");
}

const PHASE_TEXT: Record<RefreshPhase, string> = {
  Started: "started",
  "Checkpoint Reached": "reached a checkpoint",
  "Started Baking": "started baking",
  Succeeded: "succeeded",
  Failed: "FAILED",
  Cancelled: "was cancelled",
  "Rollback Started": "is ROLLING BACK",
  "Rollback Succeeded": "was ROLLED BACK",
  "Rollback Failed": "ROLLBACK FAILED",
};

const PHASE_ADVICE: Partial<Record<RefreshPhase, string>> = {
  Succeeded: "All sensors now run the new configuration.",
  Failed:
    "Auto-rollback restores the previous launch template version. See the health notices for the failing " +
    "sensors' boot step; if a sensor health alarm fired, check sensor health per Availability Zone.",
  "Rollback Started":
    "The previous configuration is being restored; sensors launched by the refresh are replaced.",
  "Rollback Succeeded":
    "The fleet is back on the previous configuration. The new configuration passed validation but failed on the " +
    "sensors: check the health notices for the cause, fix the parameter, and save it to roll out again. The same " +
    "parameter versions are not rolled out again by themselves (only a new version, or a deploy that changes the " +
    "launch template, retries them).",
  "Rollback Failed":
    "The fleet may run a mix of configurations. Check the group's instances and start a refresh to a known-good " +
    "launch template version by hand.",
  Cancelled:
    "Instances already replaced keep the new configuration; the rest keep the old one. The same parameter " +
    "versions are not rolled out again by themselves: save a new version, or start a refresh by hand.",
};

export function refreshOutcomeNotice(
  settings: Settings,
  kind: NoticeKind,
  phase: RefreshPhase,
  refreshId: string,
  record: RefreshRecord | undefined,
  status: RefreshStatusView | undefined,
): Notice {
  const lines = [`Instance refresh ${refreshId} on ${settings.asgName} ${PHASE_TEXT[phase]}.`];
  if (status?.statusReason) lines.push(`AWS status reason: ${status.statusReason}`);
  if (status?.percentageComplete !== undefined)
    lines.push(`Progress: ${status.percentageComplete}% complete`);
  lines.push("");
  if (record) {
    lines.push(
      `Launch template ${record.launchTemplateId} version ${record.previousLaunchTemplateVersion} -> ${record.launchTemplateVersion}.`,
      whatChanged(record),
    );
  } else {
    lines.push(
      "This refresh was not started by Spanless's instance-refresh function, so what changed is unknown.",
    );
  }
  const advice = PHASE_ADVICE[phase];
  if (advice) lines.push("", advice);
  return {
    kind,
    subject: subject(settings, `Sensor config rollout ${PHASE_TEXT[phase].toLowerCase()}`),
    body: lines.join("\n"),
  };
}
