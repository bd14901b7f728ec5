// Boot log lines (+ Auto Scaling's status message) → the failing step, the cause and a fix hint.
// Pure. The boot markers say *where* the boot stopped; the cause comes from the failing marker's reason
// first (read against `spanless bootstrap`'s own wording at that step, then against the signature
// rules), then from the command output just before it, then from the step itself.
import {
  BOOT_STEP_DESCRIPTIONS,
  type BootMarker,
  type BootProgress,
  bootProgress,
  isKnownBootStep,
  type ParsedBootLog,
  parseBootLog,
  parseBootMarkerLine,
} from "../../../contracts/boot/markers.js";
import { messageSafeLine } from "../redact.js";
import type { Diagnosis, KnownCause, LaunchStatusCause } from "../types.js";

/** Lines before the failing marker searched for the error that explains it. */
const EVIDENCE_WINDOW_LINES = 40;

interface CauseRule {
  cause: KnownCause;
  title: string;
  /** The boot step this cause shows up in when nothing in the text is more specific. */
  step?: string;
  patterns: RegExp[];
  fixHint: string;
}

const INSTANCE_TOO_SMALL: CauseRule = {
  cause: "instance-too-small",
  title: "The instance type has too little memory for a sensor",
  // contracts/host's MemoryPlanError, which `spanless bootstrap` reports at write-config.
  patterns: [/choose a larger instance type/i, /\bMemoryPlanError\b/, /a sensor needs at least \d+ MiB/i],
  fixHint:
    "The instance's memory is below what a sensor needs (the evidence gives both numbers): the boot " +
    "refuses to start a sensor that could not hold its rings and one engine. Choose an instance type with " +
    "more memory: sensors.instanceType in spanless.config.<stage>.json, then sst deploy (and check the " +
    "launch template or a mixed instances policy was not changed by hand). Every launch of this type fails " +
    "the same way; no parameter change helps.",
};

// Order matters: the first rule whose pattern matches wins, so the most specific signatures come
// first (a KMS denial is also an AccessDenied; a proxy refusal is also a refused connection).
const CAUSE_RULES: readonly CauseRule[] = [
  INSTANCE_TOO_SMALL,
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

const RULE_BY_STEP = new Map(
  CAUSE_RULES.flatMap((rule) => (rule.step === undefined ? [] : [[rule.step, rule] as const])),
);

/** Where the sensor's own output is, for the hints below (the message names the boot log's group). */
const SENSOR_LOG =
  "the sensor's own log, stream <instance-id>-sensor in the log group named below (aws logs tail " +
  "<log group> --log-stream-names <instance-id>-sensor)";

/** How to look at a replacement while its boot still waits for the sensor. */
const LIVE_REPLACEMENT =
  "To watch a replacement while its boot waits (Pending:Wait, up to 10 minutes), open a shell with " +
  "Session Manager (aws ssm start-session --target <instance-id> --document-name " +
  "spanless-<stage>-session-preferences)";

/**
 * Causes `spanless bootstrap` names in its own words at one of its steps. At these steps the failing
 * marker's reason is read first, before the signature rules above: it is the bootstrap's wording, and
 * words those rules look for appear in it for other reasons (a schema message about the push-token
 * parameter says "token" and "invalid", the metadata service refuses a connection with ECONNREFUSED,
 * the sensor's own handshake error quotes a 401). A reason none of them recognises falls through to
 * the signature rules, then to the step's hint.
 */
interface StepCauseRule {
  cause: KnownCause;
  title: string;
  /** The steps whose failing (or stuck) marker's reason this rule reads. */
  steps: readonly string[];
  /** What the reason says; one match is enough. */
  reasons: RegExp[];
  fixHint: string;
}

const STEP_CAUSE_RULES: readonly StepCauseRule[] = [
  {
    cause: "config-invalid",
    title: "A configuration parameter fails the sensor configuration schema",
    steps: ["validate-config"],
    // The bootstrap starts the reason with CONFIG_REFUSED_REASON_PREFIX (contracts/boot: "sensor
    // configuration schema refused: "), then formatProblem's `<parameter>: <what is wrong>` joined by
    // "; ". Logs without the prefix: the schema's verbs. A bug's `TypeError: Cannot …` is neither.
    reasons: [
      /(?:^|; )[^\s;]+: (?:must|is|has|holds|contains|uses|may|does not|was not|points)\b/,
      /sensor configuration schema/i,
    ],
    fixHint:
      "The parameter named in the evidence holds a value the sensor configuration schema refuses; the text " +
      "after its name says which rule and how to fix it (values are never shown). Put a corrected value: " +
      "aws ssm put-parameter --name <parameter> --type SecureString (String for the collector URL) " +
      "--overwrite --value file:///dev/stdin; the instance-refresh function validates it and rolls it out. " +
      "That function would have refused this value, so the pinned version came another way: check whether " +
      "someone edited the launch template's pins (SPANLESS_CONFIG_* in its user data) by hand, whether a " +
      "sensor launched in the minute after a stack deploy (which pins sensors.initialVersions until the " +
      "instance-refresh function re-pins the current versions), or whether a newer AMI's schema is " +
      "stricter than the one that validated it.",
  },
  {
    cause: "user-data-invalid",
    title: "The launch template's user data has no valid pin block or boot line",
    steps: ["read-user-data"],
    reasons: [
      /\b(?:UserDataFormatError|PinFormatError)\b/,
      /pin block|spanless-config-pins|pinned parameter reference/i,
      /no user data|user data has no|bootstrap line/i,
    ],
    fixHint:
      "The instance's user data is not what the stack renders: the pin block (# >>> spanless-config-pins … " +
      "<<<, one SPANLESS_CONFIG_<KEY>=name:version or none per parameter) or the line exec " +
      "/usr/local/bin/spanless bootstrap … is missing or malformed (the evidence says which). The launch " +
      "template's user data was replaced or edited by hand, or the group runs a launch template version " +
      "neither the stack nor the instance-refresh function created. Read it: aws ec2 " +
      "describe-launch-template-versions --launch-template-name <template> --versions <version> --query " +
      "'LaunchTemplateVersions[0].LaunchTemplateData.UserData' --output text | base64 -d; then point the " +
      "group at a version the stack or instance-refresh created, or redeploy the stack.",
  },
  {
    cause: "metadata-unavailable",
    title: "The instance metadata service did not give the boot what it needs",
    steps: ["read-user-data"],
    reasons: [/\bImdsError\b/, /instance metadata service|IMDSv2|\/latest\/(?:api\/token|meta-data)/i],
    fixHint:
      "The boot reads the instance ID, zone, region and user data from IMDSv2 and got no answer or a " +
      "refusal (the evidence says which request). Check the launch template's metadata options: " +
      "HttpEndpoint enabled, HttpTokens required, HttpPutResponseHopLimit at least 1 (the stack sets " +
      "enabled, required, 1), and that nothing in the image intercepts 169.254.169.254. The CloudWatch " +
      "agent needs the metadata service too, so more launches may fail without any boot log.",
  },
  {
    cause: "config-write-failed",
    title: "The sensor's configuration could not be written on the instance",
    steps: ["write-config"],
    reasons: [
      /\bE(?:ACCES|PERM|ROFS|NOSPC|DQUOT|IO|NOENT|NOTDIR|ISDIR|EXIST|MFILE|NFILE)\b/,
      /no space left|read-only file system|permission denied|operation not permitted/i,
      /sensor user \S+ does not exist/i,
      /systemctl daemon-reload/,
    ],
    fixHint:
      "The boot could not write /etc/spanless/sensor.json, the sensor's memory drop-in or its directories, " +
      "or systemctl daemon-reload failed; the evidence names the file and the error. ENOSPC: the root " +
      "volume is full or too small (the launch template's block device size). EROFS or EIO: the volume is " +
      "unhealthy. EACCES or EPERM, a missing spanless user or a failing daemon-reload: the AMI is not an " +
      "intact Spanless sensor image (compare the launch template's image with sensors.amiId). The " +
      "configuration parameters are not the cause.",
  },
  {
    cause: "sensor-start-failed",
    title: "The sensor service did not start or stopped while starting",
    steps: ["sensor-start", "health-check"],
    reasons: [/\bsystemctl (?:enable|restart|start)\b/, /service stopped while starting/i],
    fixHint:
      "systemd could not start spanless-sensor.service, or the sensor exited right after it started. Read " +
      `${SENSOR_LOG}: its first error says why (a configuration file it refuses, a missing native addon, ` +
      "memory above MemoryMax). A systemctl error such as 'Unit … not found' means the image is broken: " +
      `check the launch template's AMI against sensors.amiId. ${LIVE_REPLACEMENT} and run journalctl -u ` +
      "spanless-sensor and systemctl status spanless-sensor.",
  },
  {
    cause: "sensor-not-accepted",
    title: "The sensor runs but the collector never accepted its push token",
    steps: ["health-check"],
    reasons: [/collector has not accepted the sensor/i],
    fixHint:
      "The boot's own collector checks passed (see the boot steps), then the sensor's handshake at start " +
      "did not succeed before the boot's deadline; the parenthesis in the evidence is the sensor's own " +
      "error. A 401 or 403 means the push token was revoked or rotated on the collector in between: update " +
      "the push-token parameter with a token the collector knows. A connection error means the collector " +
      `(or the proxy) stopped answering: check it is up. Read the ship: lines in ${SENSOR_LOG}. ` +
      `${LIVE_REPLACEMENT} and run spanless health: collector_connectivity says what the sensor sees.`,
  },
  {
    cause: "sensor-unhealthy",
    title: "The sensor started but never passed its health check",
    steps: ["health-check"],
    reasons: [/\/healthcheck answered \d{3}/i, /health port \S+ did not answer/i],
    fixHint:
      "The sensor ran, but /healthcheck on its health port did not answer 200 before the boot's deadline; " +
      "the evidence names the first failing check (receiver, output, all_services, …) or says nothing " +
      `answered. Read ${SENSOR_LOG} for its errors. ${LIVE_REPLACEMENT} and run spanless health: every ` +
      "check with its reason. A port that never answers usually means the sensor keeps restarting (memory, " +
      "a configuration it refuses) or listens elsewhere; the health port in /etc/spanless/sensor.json must " +
      "be the target group's health check port.",
  },
  {
    cause: "lifecycle-complete-failed",
    title: "The boot passed but could not complete the launch lifecycle action",
    steps: ["lifecycle-complete"],
    reasons: [/CompleteLifecycleAction \w+ for \S+ failed/, /no Auto Scaling client/i],
    fixHint:
      "Every boot step passed, but CompleteLifecycleAction CONTINUE failed, so Auto Scaling ends the launch " +
      "at the hook's heartbeat timeout. AccessDenied: allow autoscaling:CompleteLifecycleAction on the " +
      "sensor group for the sensor instance role. ValidationError: the boot line's --auto-scaling-group and " +
      "--lifecycle-hook must name the stack's group and hook (a hand-edited launch template). A timeout or " +
      "connection error: the instance needs a route to the Auto Scaling API (NAT gateway or an autoscaling " +
      "VPC endpoint).",
  },
];

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

/** The bootstrap's own cause for a marker of one of its steps, read from the marker's reason. */
function matchStepRule(marker: BootMarker): StepCauseRule | undefined {
  const reason = marker.reason;
  if (reason === undefined) return undefined;
  return STEP_CAUSE_RULES.find(
    (rule) => rule.steps.includes(marker.step) && rule.reasons.some((p) => p.test(reason)),
  );
}

/** The nearest line above `endLine` that some cause rule recognises. */
function searchBackwards(
  lines: readonly string[],
  endLine: number,
  window: number,
): { rule: CauseRule; line: string } | undefined {
  for (let i = endLine - 1; i >= 0 && i >= endLine - window; i--) {
    const rule = matchRule(searchableText(lines[i]));
    if (rule) return { rule, line: lines[i] };
  }
  return undefined;
}

/**
 * What of a line is evidence: a marker's reason only, because its other fields are not (the timestamp
 * in `ts=2026-11-24T02:05:31.407Z step=proxy-check` is no proxy's 407); any other line whole.
 */
function searchableText(line: string): string {
  const parsed = parseBootMarkerLine(line);
  return parsed.kind === "marker" ? (parsed.marker.reason ?? "") : line;
}

/**
 * The steps in log order. A step that finished after the failing one (the bootstrap's
 * `lifecycle-complete ok` with ABANDON) comes after it.
 */
function stepSummary(
  parsed: ParsedBootLog,
  progress: BootProgress,
  stopped?: BootMarker & { line: number },
): string | undefined {
  const lastLine = new Map(parsed.markers.map((m) => [m.step, m.line]));
  const parts = progress.completed.map((step) => ({ line: lastLine.get(step) ?? -1, text: `${step} ok` }));
  if (stopped) {
    parts.push({
      line: stopped.line,
      text: `${stopped.step} ${stopped.status === "fail" ? "FAIL" : "STUCK"}`,
    });
  }
  parts.sort((a, b) => a.line - b.line);
  return parts.length ? parts.map((p) => p.text).join(" · ") : undefined;
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
    const fromStep = matchStepRule(stopped);
    const fromReason = fromStep || !stopped.reason ? undefined : matchRule(stopped.reason);
    const fromOutput =
      fromStep || fromReason ? undefined : searchBackwards(lines, stopped.line, EVIDENCE_WINDOW_LINES);
    const stepRule = RULE_BY_STEP.get(stopped.step);
    const textRule = fromReason ?? fromOutput?.rule;
    // A refused or timed-out connection while checking the proxy is the proxy's fault, even when the
    // error text (ECONNREFUSED 10.0.0.5:3128) does not say "proxy".
    const rule =
      fromStep ??
      (textRule?.cause === "collector-unreachable" && stepRule?.cause === "proxy-refused"
        ? stepRule
        : (textRule ?? stepRule));
    const evidenceText = fromOutput?.line ?? stopped.reason;
    const evidence = evidenceText ? messageSafeLine(evidenceText) : undefined;
    const summary = stepSummary(parsed, progress, stopped);
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

  const summary = stepSummary(parsed, progress);
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
