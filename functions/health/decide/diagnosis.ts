// Boot log lines (+ Auto Scaling's status message) → the failing step, the cause and a fix hint.
// Pure. The boot markers say *where* the boot stopped; the cause comes from the failing marker's reason
// first, then from the command output just before it, then from the step itself.
import {
  BOOT_STEP_DESCRIPTIONS,
  type BootMarker,
  type BootProgress,
  bootProgress,
  isKnownBootStep,
  parseBootLog,
} from "../../../contracts/boot/markers.js";
import { messageSafeLine } from "../redact.js";
import type { Diagnosis, KnownCause, LaunchStatusCause } from "../types.js";

/** Lines before the failing marker searched for the error that explains it. */
const EVIDENCE_WINDOW_LINES = 40;

interface CauseRule {
  cause: KnownCause;
  title: string;
  /** The boot step this cause shows up in when nothing in the text is more specific. */
  step: string;
  patterns: RegExp[];
  fixHint: string;
}

// Order matters: the first rule whose pattern matches wins, so the most specific signatures come
// first (a KMS denial is also an AccessDenied; a proxy refusal is also a refused connection).
const CAUSE_RULES: readonly CauseRule[] = [
  {
    cause: "kms-access-denied",
    title: "KMS access denied while decrypting the configuration",
    step: "kms-decrypt",
    patterns: [
      /not authorized to perform:?\s*kms:Decrypt/i,
      /KMS\.?AccessDenied/i,
      /AccessDenied\w*[^\n]{0,200}\bkms\b/i,
      /\bkms\b[^\n]{0,200}AccessDenied/i,
      /KMS\.?(?:Disabled|KeyUnavailable|NotFound|InvalidState)Exception/i,
      // The AWS CLI's wording when SSM relays KMS's denial of a SecureString decrypt.
      /Service: AWSKMS[^\n]{0,120}AccessDenied/i,
    ],
    fixHint:
      "The sensor instance role cannot decrypt the SecureString parameters. Allow kms:Decrypt on the " +
      "parameters' KMS key for the sensor instance role in BOTH the key policy and the role's IAM policy " +
      "(if you use a kms:ViaService condition it must name ssm.<region>.amazonaws.com), and check the key is " +
      "enabled. New instances pick the fix up on their next launch; no config rollout is needed.",
  },
  {
    cause: "parameter-missing",
    title: "A configuration parameter is missing",
    step: "fetch-config",
    patterns: [
      /ParameterNotFound/i,
      /ParameterVersionNotFound/i,
      /InvalidParameters?\b[^\n]{0,40}[[/]/,
      /parameter[^\n]{0,80}(?:not found|does not exist|is missing)/i,
    ],
    fixHint:
      "A sensor configuration parameter (or the pinned version the launch template names) does not exist " +
      "in SSM Parameter Store. Create it as a SecureString under the configured name (the log line names it); " +
      "updating it starts a validated rollout. If a pinned version was deleted, update the parameter so a new " +
      "launch template version pins an existing one.",
  },
  {
    cause: "proxy-refused",
    title: "The HTTPS proxy refused the connection",
    step: "proxy-check",
    patterns: [
      /proxy[^\n]{0,120}(?:ECONNREFUSED|refused|407|403|denied|CONNECT[^\n]{0,40}fail)/i,
      /(?:ECONNREFUSED|refused|407|CONNECT tunnel failed)[^\n]{0,120}proxy/i,
      /Proxy Authentication Required/i,
      /Received HTTP code \d{3} from proxy/i,
    ],
    fixHint:
      "The proxy in the proxy parameter refused the sensor. Check its URL and port, its credentials (407), and " +
      "that it allows CONNECT to the collector host on 443 from the sensor subnets; if the sensors need no " +
      "proxy, set the proxy parameter to `none`.",
  },
  {
    cause: "invalid-token",
    title: "The collector rejected the push token",
    step: "push-token-auth",
    patterns: [
      /\b(?:HTTP\/\d(?:\.\d)?\s+|status(?:\s*code)?[=:\s]+)(?:401|403)\b/i,
      /\b401 Unauthorized\b/i,
      /invalid (?:push )?token/i,
      /(?:push )?token[^\n]{0,60}(?:rejected|invalid|revoked|expired|unauthori[sz]ed)/i,
      /authentication failed/i,
    ],
    fixHint:
      "The collector answered 401/403 to the push token. Check the push token parameter holds `label:secret` " +
      "exactly as issued by the collector (no spaces or newline) and that the token was not revoked or rotated " +
      "on the collector side; update the parameter and the instance-refresh function validates it and rolls " +
      "it out with no outage.",
  },
  {
    cause: "collector-unreachable",
    title: "The collector is unreachable",
    step: "collector-reachable",
    patterns: [
      /ETIMEDOUT|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET/,
      /ENOTFOUND|EAI_AGAIN|Could not resolve host|Name or service not known/i,
      /Connection timed out|Failed to connect to|Connection refused|No route to host/i,
      /certificate (?:has expired|verify failed)|unable to verify the first certificate|SSL_ERROR|handshake failure/i,
    ],
    fixHint:
      "The sensor could not open a TLS connection to the collector. Check the collector URL parameter " +
      "(https://host[:port]), that the host resolves from the sensor subnets, that security groups / NACLs / " +
      "route tables allow egress to it on the port, that the collector is up and its certificate valid, and — " +
      "if egress must go through a proxy — that the proxy parameter is set.",
  },
];

const RULE_BY_STEP = new Map(CAUSE_RULES.map((rule) => [rule.step, rule]));

const STATUS_RULES: ReadonlyArray<{
  cause: LaunchStatusCause;
  pattern: RegExp;
  title: string;
  fixHint: string;
}> = [
  {
    cause: "failed-health-check",
    pattern: /health check failure|status checks? failure|user health-check/i,
    title: "The sensor failed its health check and was replaced",
    fixHint:
      "It stopped passing the target group health check (TCP/HTTPS on the health port) or the EC2 status " +
      "checks. If the boot steps below are all ok, the sensor broke after boot: check the sensor service log " +
      "on a replacement (journalctl -u spanless-sensor), CPU/memory saturation against the mirrored traffic " +
      "volume, and the target group's health check port and path. Many replacements at once after a rollout " +
      "point at the new configuration (compare ConfigVersionInService).",
  },
  {
    cause: "lifecycle-heartbeat-timeout",
    pattern: /Heartbeat Timeout/i,
    title: "The boot did not finish before the launch lifecycle hook timed out",
    fixHint:
      "The boot script neither completed nor abandoned the launch lifecycle action in time; if the boot was " +
      "still making progress when it was cut off, raise the hook's HeartbeatTimeout.",
  },
  {
    cause: "lifecycle-abandoned",
    pattern: /ABANDON/i,
    title: "The launch was abandoned by the boot script",
    fixHint:
      "The boot script abandoned the launch after a failed step; its boot log (named below) says which step and why.",
  },
  {
    cause: "ec2-capacity",
    pattern: /InsufficientInstanceCapacity|sufficient .{0,40}capacity|Spot .{0,40}capacity/i,
    title: "EC2 has no capacity for the sensor instance type in this Availability Zone",
    fixHint:
      "Auto Scaling keeps retrying. If it persists, allow more instance types (mixed instances policy) or " +
      "another subnet/AZ; while it lasts, mirrored traffic for this AZ needs cross-zone load balancing.",
  },
  {
    cause: "ec2-launch-rejected",
    pattern: /Launching EC2 instance failed|Invalid|not authorized|does not exist|not supported/i,
    title: "EC2 refused to launch the sensor instance",
    fixHint:
      "No instance was created, so there is no boot log. Fix what Auto Scaling's message names: launch template " +
      "(AMI, instance profile, security groups, key pair), subnet, or the service-linked role's permissions.",
  },
];

/** What to check when a step without a cause rule fails or hangs. */
const STEP_HINTS: Readonly<Record<string, string>> = {
  "fetch-config":
    "Check that the instance role allows ssm:GetParameters on the parameter ARNs and that every name:version " +
    "in the launch template's user data exists.",
  "validate-config":
    "A parameter value breaks the sensor configuration schema; the reason names the parameter and the rule. " +
    "Fix the parameter: instance-refresh validates before it rolls out, so a bad value on a sensor means it " +
    "changed outside that path or the schema changed in a newer AMI.",
  "sensor-start":
    "The sensor service did not start. On a replacement (or a detached instance) read journalctl -u " +
    "spanless-sensor and systemctl status spanless-sensor; after a rollout, suspect the new configuration.",
  "health-check":
    "The sensor started but did not answer its local health check. Read journalctl -u spanless-sensor, check " +
    "that the health port in the configuration matches the target group's health check, and that the " +
    "instance size fits the mirrored traffic.",
};

const UNKNOWN_HINT =
  "No known cause matched. Read the last log lines below and the full log stream. To keep a failing " +
  "instance for debugging, detach it from the group: aws autoscaling detach-instances --instance-ids <id> " +
  "--auto-scaling-group-name <group> --no-should-decrement-desired-capacity.";

function matchRule(text: string): CauseRule | undefined {
  return CAUSE_RULES.find((rule) => rule.patterns.some((p) => p.test(text)));
}

/** The nearest line above `endLine` that some cause rule recognises. */
function searchBackwards(
  lines: readonly string[],
  endLine: number,
  window: number,
): { rule: CauseRule; line: string } | undefined {
  for (let i = endLine - 1; i >= 0 && i >= endLine - window; i--) {
    const rule = matchRule(lines[i]);
    if (rule) return { rule, line: lines[i] };
  }
  return undefined;
}

function stepSummary(progress: BootProgress, stopped?: BootMarker): string | undefined {
  const parts = progress.completed.map((step) => `${step} ok`);
  if (stopped) parts.push(`${stopped.step} ${stopped.status === "fail" ? "FAIL" : "STUCK"}`);
  return parts.length ? parts.join(" · ") : undefined;
}

export function classifyStatusMessage(statusMessage: string | undefined) {
  if (!statusMessage) return undefined;
  return STATUS_RULES.find((rule) => rule.pattern.test(statusMessage));
}

/**
 * Diagnoses one failed or stuck boot from its log lines (undefined when there is no log) and Auto
 * Scaling's status message.
 */
export function diagnoseBoot(lines: readonly string[] | undefined, statusMessage?: string): Diagnosis {
  const statusRule = classifyStatusMessage(statusMessage);
  const parsed = parseBootLog(lines ?? []);
  const progress = bootProgress(parsed);
  const markerProblems = parsed.malformed.map((m) => `line ${m.line + 1}: ${m.problem}`);
  const stopped = progress.failed ?? progress.unfinished;

  if (lines && stopped) {
    const fromReason = stopped.reason ? matchRule(stopped.reason) : undefined;
    const fromOutput = fromReason ? undefined : searchBackwards(lines, stopped.line, EVIDENCE_WINDOW_LINES);
    const stepRule = RULE_BY_STEP.get(stopped.step);
    const textRule = fromReason ?? fromOutput?.rule;
    // A refused or timed-out connection while checking the proxy is the proxy's fault, even when the
    // error text (ECONNREFUSED 10.0.0.5:3128) does not say "proxy".
    const rule =
      textRule?.cause === "collector-unreachable" && stepRule?.cause === "proxy-refused"
        ? stepRule
        : (textRule ?? stepRule);
    const evidenceText = fromOutput?.line ?? stopped.reason;
    const evidence = evidenceText ? messageSafeLine(evidenceText) : undefined;
    const summary = stepSummary(progress, stopped);
    const base = {
      failingStep: stopped.step,
      ...(evidence ? { evidence } : {}),
      ...(summary ? { stepSummary: summary } : {}),
      markerProblems,
    };
    if (rule) return { cause: rule.cause, title: rule.title, fixHint: rule.fixHint, ...base };
    const what = isKnownBootStep(stopped.step) ? ` (${BOOT_STEP_DESCRIPTIONS[stopped.step]})` : "";
    const verb = stopped.status === "fail" ? "failed" : "never finished";
    return {
      cause: statusRule?.cause ?? "unknown",
      title: `Boot step ${stopped.step} ${verb}`,
      fixHint: [
        `The boot step ${stopped.step}${what} ${verb}.`,
        STEP_HINTS[stopped.step],
        statusRule?.fixHint ?? (STEP_HINTS[stopped.step] ? undefined : UNKNOWN_HINT),
      ]
        .filter(Boolean)
        .join(" "),
      ...base,
    };
  }

  // No marker at all (old AMI, or the script died before its first marker): look for a known error
  // anywhere in the log tail. With markers that all finished, earlier errors were retried successfully
  // and would mislead, so they are not searched.
  if (lines?.length && parsed.markers.length === 0) {
    const found = searchBackwards(lines, lines.length, lines.length);
    if (found) {
      return {
        cause: found.rule.cause,
        title: found.rule.title,
        evidence: messageSafeLine(found.line),
        fixHint: found.rule.fixHint,
        markerProblems,
      };
    }
  }

  const summary = stepSummary(progress);
  if (statusRule) {
    return {
      cause: statusRule.cause,
      title: statusRule.title,
      fixHint: statusRule.fixHint,
      ...(summary ? { stepSummary: summary } : {}),
      markerProblems,
    };
  }
  return {
    cause: "unknown",
    title: "Sensor launch failed for an unknown reason",
    fixHint: UNKNOWN_HINT,
    ...(summary ? { stepSummary: summary } : {}),
    markerProblems,
  };
}
