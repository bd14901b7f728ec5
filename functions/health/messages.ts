// The on-call message: what broke, where, why, and what to do — readable on a phone at 3 a.m.
// Pure. The body leads with the cause and the fix, then the facts, then the evidence (log lines).
import { messageSafeLine } from "./redact.js";
import type {
  Diagnosis,
  FailedLaunch,
  OnCallMessage,
  RefreshFacts,
  RefreshProblem,
  UserDataLog,
} from "./types.js";

/** SNS: "must be ASCII text … must not include line breaks … less than 100 characters". */
export const MAX_SUBJECT_CHARS = 99;
/** SNS allows 256 KiB; an on-call message should be far shorter. Cut here, with a pointer to the log. */
export const MAX_BODY_CHARS = 16_000;

export function snsSubject(text: string): string {
  const ascii = text
    .normalize("NFKD")
    .replace(/[^\x20-\x7e]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  const subject = /^[A-Za-z0-9[(]/.test(ascii) ? ascii : `Spanless ${ascii}`;
  return subject.length > MAX_SUBJECT_CHARS ? `${subject.slice(0, MAX_SUBJECT_CHARS - 3)}...` : subject;
}

/** The subject's essentials, plus `suffix` only when it still fits (the group name is also in the body). */
function subjectWithOptional(main: string, suffix: string): string {
  const full = snsSubject(`${main} ${suffix}`);
  return full.endsWith("...") ? snsSubject(main) : full;
}

function bound(body: string): string {
  if (body.length <= MAX_BODY_CHARS) return body;
  return `${body.slice(0, MAX_BODY_CHARS - 80)}\n… (message cut; read the full log stream named above)\n`;
}

function logLocation(log: UserDataLog, region: string): string[] {
  switch (log.status) {
    case "found":
      return [
        `Log:           ${log.logGroup} / ${log.logStream}`,
        `               aws logs tail ${log.logGroup} --log-stream-names ${log.logStream} --region ${region}`,
      ];
    case "missing-stream":
      return [
        `Log:           NO LOG STREAM ${log.logStream} in ${log.logGroup}. The instance never shipped its boot log:`,
        "               it died before the CloudWatch agent started, the agent is not configured, or the",
        "               instance role may not write to the log group. Check the EC2 console output:",
        `               aws ec2 get-console-output --instance-id ${log.logStream.replace(/-userdata$/, "")} --latest`,
      ];
    case "missing-group":
      return [
        `Log:           LOG GROUP ${log.logGroup} DOES NOT EXIST, so no boot log could be read.`,
        "               Check SENSOR_LOG_GROUP on the health function and the sensor's CloudWatch agent config.",
      ];
    case "no-instance":
      return ["Log:           none — EC2 never created an instance, so there is no boot log."];
    case "unreadable":
      return [`Log:           could not read ${log.logGroup} / ${log.logStream}: ${log.problem}`];
  }
}

function tail(log: UserDataLog, count: number): string[] {
  if (log.status !== "found") return [];
  if (log.lines.length === 0) return ["", "The log stream exists but is empty."];
  const last = log.lines.slice(-count);
  return ["", `Last ${last.length} log lines:`, ...last.map((l) => `  ${messageSafeLine(l)}`)];
}

function diagnosisLines(d: Diagnosis): string[] {
  return [
    `Cause:         ${d.title} [${d.cause}]`,
    ...(d.failingStep ? [`Failing step:  ${d.failingStep}`] : []),
    ...(d.evidence ? [`Evidence:      ${d.evidence}`] : []),
    ...(d.stepSummary ? [`Boot steps:    ${d.stepSummary}`] : []),
    `Fix:           ${d.fixHint}`,
  ];
}

const SOURCE_TEXT: Record<FailedLaunch["source"], string> = {
  "launch-unsuccessful": "EC2 Instance Launch Unsuccessful",
  "unhealthy-replaced": "EC2 Instance Terminate Successful (replaced for failing health checks)",
  "instance-refresh": "instance failed during an instance refresh",
};

export function formatFailedLaunchMessage(
  failure: FailedLaunch,
  log: UserDataLog,
  diagnosis: Diagnosis,
  logLines: number,
): OnCallMessage {
  const where = failure.availabilityZone ?? "unknown AZ";
  const unhealthy = failure.source === "unhealthy-replaced";
  const what = unhealthy ? "Unhealthy sensor replaced" : "Sensor launch failed";
  const subject = subjectWithOptional(
    `[Spanless] ${what} in ${where}: ${diagnosis.cause}${diagnosis.failingStep ? ` at ${diagnosis.failingStep}` : ""}`,
    `(${failure.autoScalingGroupName})`,
  );
  const body = [
    `Spanless sensor ${unhealthy ? "REPLACED AS UNHEALTHY" : "launch FAILED"} — ${diagnosis.title}`,
    "",
    ...diagnosisLines(diagnosis),
    "",
    `Instance:      ${failure.instanceId ?? "(none — EC2 did not create one)"}`,
    `AZ / subnet:   ${where}${failure.subnetId ? ` / ${failure.subnetId}` : ""}`,
    `ASG:           ${failure.autoScalingGroupName}`,
    `Account:       ${failure.account || "?"}  Region: ${failure.region || "?"}`,
    `Event:         ${SOURCE_TEXT[failure.source]} at ${failure.eventTime || "?"}`,
    ...(failure.statusMessage ? [`ASG says:      ${messageSafeLine(failure.statusMessage, 600)}`] : []),
    // Why Auto Scaling launched it (scale-out, replacement, instance refresh): tells a rollout from a scale event.
    ...(failure.activityCause ? [`Launched for:  ${messageSafeLine(failure.activityCause)}`] : []),
    ...logLocation(log, failure.region || "<region>"),
    ...tail(log, logLines),
    ...(diagnosis.markerProblems.length
      ? ["", `Malformed boot markers (boot script bug): ${diagnosis.markerProblems.slice(0, 5).join("; ")}`]
      : []),
    "",
    unhealthy
      ? "Auto Scaling has launched a replacement; if it is replaced again, the cause is in the sensor or its configuration."
      : "Auto Scaling replaces the instance on its own; every replacement fails the same way until the cause is fixed.",
    "",
  ].join("\n");
  return {
    subject,
    body: bound(body),
    attributes: {
      kind: unhealthy ? "unhealthy-replaced" : "launch-failure",
      cause: diagnosis.cause,
      autoScalingGroupName: failure.autoScalingGroupName,
      ...(failure.availabilityZone ? { availabilityZone: failure.availabilityZone } : {}),
      ...(diagnosis.failingStep ? { failingStep: diagnosis.failingStep } : {}),
    },
  };
}

const OUTCOME_TEXT: Record<RefreshProblem["outcome"], string> = {
  Failed: "FAILED",
  RollbackStarted: "is ROLLING BACK",
  RollbackSucceeded: "was ROLLED BACK",
  RollbackFailed: "ROLLBACK FAILED",
};

const OUTCOME_ADVICE: Record<RefreshProblem["outcome"], string> = {
  Failed:
    "The group keeps the instances it has; new launches use the configuration the refresh was moving to. Fix the cause, then update a parameter to start a new validated rollout.",
  RollbackStarted:
    "Auto Scaling is restoring the previous launch template version; sensors keep running on the old configuration. Fix the cause before the next rollout.",
  RollbackSucceeded:
    "The group is back on the previous configuration and healthy per Auto Scaling. The new configuration never took: fix the cause, then update a parameter to roll again.",
  RollbackFailed:
    "Auto Scaling could not restore the previous configuration: the group may be mixed or short of sensors. Check healthy sensors per AZ now (NLB target health); cross-zone off means an AZ without a healthy sensor loses its mirrored traffic.",
};

export interface InstanceFinding {
  failure: FailedLaunch;
  log: UserDataLog;
  diagnosis: Diagnosis;
}

export function formatRefreshMessage(
  problem: RefreshProblem,
  facts: RefreshFacts,
  findings: readonly InstanceFinding[],
  logLines: number,
): OnCallMessage {
  const lead = findings[0]?.diagnosis;
  const subject = subjectWithOptional(
    `[Spanless] Instance refresh ${OUTCOME_TEXT[problem.outcome].toLowerCase()}${lead ? `: ${lead.cause}` : ""}`,
    `(${problem.autoScalingGroupName})`,
  );
  const body = [
    `Spanless config rollout (instance refresh) ${OUTCOME_TEXT[problem.outcome]}`,
    "",
    `What now:      ${OUTCOME_ADVICE[problem.outcome]}`,
    ...(lead
      ? diagnosisLines(lead)
      : ["Cause:         no failed sensor launch found; see the refresh status reason."]),
    "",
    `ASG:           ${problem.autoScalingGroupName}`,
    `Refresh:       ${problem.instanceRefreshId} (event at ${problem.eventTime || "?"})`,
    ...(facts.status
      ? [
          `Status:        ${facts.status}${facts.percentageComplete !== undefined ? ` at ${facts.percentageComplete}%` : ""}`,
        ]
      : []),
    ...(facts.statusReason ? [`Reason:        ${messageSafeLine(facts.statusReason, 600)}`] : []),
    ...(facts.rollbackReason ? [`Rollback:      ${messageSafeLine(facts.rollbackReason, 600)}`] : []),
    ...(facts.desiredLaunchTemplate ? [`Rolling to:    ${facts.desiredLaunchTemplate}`] : []),
    ...(facts.describeProblem ? [`Refresh state: unavailable (${facts.describeProblem})`] : []),
    ...findings.flatMap((f, i) => [
      "",
      `Failed instance ${i + 1}: ${f.failure.instanceId ?? "(none)"} in ${f.failure.availabilityZone ?? "unknown AZ"} — ${f.diagnosis.cause}${f.diagnosis.failingStep ? ` at ${f.diagnosis.failingStep}` : ""}`,
      ...(f.diagnosis.evidence ? [`  Evidence: ${f.diagnosis.evidence}`] : []),
      ...logLocation(f.log, problem.region || "<region>").map((l) => `  ${l}`),
      ...(i === 0 ? tail(f.log, logLines) : []),
    ]),
    "",
  ].join("\n");
  return {
    subject,
    body: bound(body),
    attributes: {
      kind: "refresh-problem",
      outcome: problem.outcome,
      cause: lead?.cause ?? "unknown",
      autoScalingGroupName: problem.autoScalingGroupName,
    },
  };
}
