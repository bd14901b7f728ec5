// Shapes shared by the instance-refresh modules: settings, durable rollout state, the ports the handler
// talks to (so tests can aim them at moto_server), and the decisions the pure functions return.
import type {
  ConfigPins,
  ConfigProblem,
  SensorConfigInput,
  SensorConfigKey,
} from "../../contracts/config/index.js";

export interface Settings {
  stage: string;
  /** SSM prefix, `/spanless/<stage>` unless CONFIG_PARAMETER_PREFIX overrides it. */
  parameterPrefix: string;
  asgName: string;
  stateTableName: string;
  topicArn: string;
  debounceWindowMs: number;
  /** Longest a rollout may be postponed by a steady trickle of changes. */
  maxDebounceDelayMs: number;
  alarmNames: string[];
  crossZoneEnabled: boolean;
  /** When set, parameters are read as `name:label` (e.g. `live`), so moving a label is what releases a config. */
  parameterLabel: string | undefined;
  instanceWarmupSeconds: number | undefined;
}

/** What the DynamoDB state item says about one Auto Scaling group. */
export interface RolloutState {
  /** Parameter names changed since the last rollout decision (the debounce buffer). */
  pendingParameters: string[];
  /** When the first and the latest buffered change arrived (epoch ms). */
  firstChangeAt: number | undefined;
  lastChangeAt: number | undefined;
  /** Incremented by every change; a rollout clears the buffer only if no change arrived while it worked. */
  changeSeq: number;
  leaseUntil: number | undefined;
  /** Fingerprint of the last problem notice, so the same problem is announced once, not every minute. */
  lastNoticeFingerprint: string | undefined;
  /** A pin set the function will not roll again by itself at that launch-template version (README "Drift"). */
  settled: SettledPins | undefined;
}

/**
 * Parameter versions that were found invalid (at any launch-template version), or whose refresh failed, was
 * cancelled or rolled back while the group ran `launchTemplateVersion`. Neither the drift check nor a re-delivered
 * change event rolls exactly these pins onto that version again (no rollout loop); a new parameter version
 * (other pins) or, for a failed refresh, another launch-template version (a deploy) is a new situation.
 */
export interface SettledPins {
  /** `pinSetKey()` of the pins: `name:version` (or `none`) per key, in key order. */
  pins: string;
  /** The version in service when the pins failed; undefined for an invalid pin set (invalid at every version). */
  launchTemplateVersion: number | undefined;
  /** Why, for logs: `invalid` or `refresh <id> <phase>`. */
  reason: string;
}

/** What a rollout started, kept per refresh id so outcome events can say what changed. */
export interface RefreshRecord {
  refreshId: string;
  asgName: string;
  startedAt: number;
  launchTemplateId: string;
  launchTemplateVersion: number;
  previousLaunchTemplateVersion: number;
  changedKeys: SensorConfigKey[];
  /** `name:version` for every pinned parameter, `none` for absent optional ones. */
  pins: Record<SensorConfigKey, string>;
  triggeredBy: string[];
  /** `pin-drift` when the drift check started it (no parameter change); absent for parameter changes. */
  trigger?: "pin-drift";
}

export interface FetchedParameters {
  input: SensorConfigInput;
  /** Versions of the parameters that exist (for pinning). */
  versions: Partial<Record<SensorConfigKey, number>>;
}

export interface AsgInstance {
  instanceId: string;
  availabilityZone: string;
  lifecycleState: string;
  healthStatus: string;
}

export interface LaunchTemplateRef {
  /** The group names its template by id or by name; AWS returns both, callers may have only one. */
  launchTemplateId: string | undefined;
  launchTemplateName: string | undefined;
  /** As written on the group: a number, `$Latest` or `$Default`. */
  versionSpec: string;
}

export interface AsgView {
  name: string;
  availabilityZones: string[];
  desiredCapacity: number;
  instances: AsgInstance[];
  /** undefined when the group uses a launch configuration or a mixed instances policy. */
  launchTemplate: LaunchTemplateRef | undefined;
  usesMixedInstancesPolicy: boolean;
}

export interface LaunchTemplateVersionView {
  launchTemplateId: string;
  versionNumber: number;
  userData: string;
  imageId: string | undefined;
}

export interface ActiveRefresh {
  refreshId: string;
  status: string;
}

export interface RefreshStatusView {
  refreshId: string;
  status: string;
  statusReason: string | undefined;
  percentageComplete: number | undefined;
}

export interface RefreshOverview {
  active: ActiveRefresh | undefined;
  latest: RefreshStatusView | undefined;
}

/** Ports: the handler depends on these, the adapters implement them over SDK clients. */
export interface ParameterReader {
  /** Values (decrypted), types and versions: for validation, only when a rollout is being decided. */
  fetch(): Promise<FetchedParameters>;
  /** Versions only, without decryption (no KMS call): the drift check's cheap read. */
  versions(): Promise<Partial<Record<SensorConfigKey, number>>>;
}

export interface Fleet {
  describeGroup(): Promise<AsgView>;
  /** Resolves `$Latest`/`$Default` to a number and returns that version's user data (decoded) and image id. */
  describeLaunchTemplateVersion(ref: LaunchTemplateRef): Promise<LaunchTemplateVersionView>;
  createLaunchTemplateVersion(
    source: LaunchTemplateVersionView,
    userData: string,
    description: string,
  ): Promise<number>;
  findActiveRefresh(): Promise<ActiveRefresh | undefined>;
  /** One DescribeInstanceRefreshes: the active refresh (if any) and the newest one (by start time). */
  refreshOverview(): Promise<RefreshOverview>;
  describeRefresh(refreshId: string): Promise<RefreshStatusView | undefined>;
  /** Returns the new refresh id, or `{ inProgress }` when AWS says another refresh is active. */
  startRefresh(
    launchTemplateId: string,
    version: number,
  ): Promise<{ refreshId: string } | { inProgress: true }>;
}

export interface Notice {
  /** Machine-readable kind, also sent as the `kind` message attribute for SNS filter policies. */
  kind: NoticeKind;
  subject: string;
  body: string;
}

export type NoticeKind =
  | "ConfigInvalid"
  | "RolloutBlocked"
  | "RolloutError"
  | "RefreshStarted"
  | "RefreshSucceeded"
  | "RefreshFailed"
  | "RefreshCancelled"
  | "RefreshRollbackStarted"
  | "RefreshRolledBack"
  | "RefreshRollbackFailed";

export interface Notifier {
  publish(notice: Notice): Promise<void>;
}

export interface RolloutStore {
  get(): Promise<RolloutState>;
  recordChange(parameterName: string, now: number): Promise<void>;
  /** Conditional claim so two invocations never roll out at once; false when someone else holds it. */
  acquireLease(now: number, leaseMs: number): Promise<boolean>;
  releaseLease(): Promise<void>;
  /** Clears the debounce buffer unless a change arrived after `changeSeq`; returns whether it cleared. */
  clearPending(changeSeq: number): Promise<boolean>;
  setNoticeFingerprint(fingerprint: string | undefined): Promise<void>;
  setSettled(settled: SettledPins | undefined): Promise<void>;
  saveRefresh(record: RefreshRecord): Promise<void>;
  getRefresh(refreshId: string): Promise<RefreshRecord | undefined>;
}

export type TickDecision =
  | { action: "idle" }
  | { action: "wait"; dueAt: number }
  | { action: "evaluate"; reason: "quiet-window-elapsed" | "max-delay-reached" };

export interface RolloutFacts {
  problems: ConfigProblem[];
  activeRefresh: ActiveRefresh | undefined;
  currentPins: ConfigPins | undefined;
  newPins: ConfigPins;
  blockers: string[];
  /** The new pins are the group's settled pin set at its current version (`isSettled`): never rolled again. */
  settled: boolean;
}

export type RolloutDecision =
  | { kind: "invalid"; problems: ConfigProblem[] }
  | { kind: "blocked"; reasons: string[] }
  | { kind: "queued"; activeRefresh: ActiveRefresh }
  | { kind: "unchanged" }
  | { kind: "settled"; changedKeys: SensorConfigKey[] }
  | { kind: "roll"; changedKeys: SensorConfigKey[] };

/** What the drift check (no change buffered) makes of the group's pins and the current parameter versions. */
export type DriftDecision =
  /** A change is buffered: the debounced rollout owns it. */
  | { action: "buffered" }
  /** Another invocation holds the rollout lease. */
  | { action: "busy" }
  /** No launch template, or its version has no (or a malformed) pin block: a blocker every rollout reports. */
  | { action: "no-pins" }
  | { action: "in-sync" }
  /** The pins differ, but this pin set was found invalid or failed at this version: not rolled again. */
  | { action: "settled"; changedKeys: SensorConfigKey[] }
  | { action: "drift"; changedKeys: SensorConfigKey[] };

export interface DriftFacts {
  state: RolloutState;
  now: number;
  /** The pins of the group's launch-template version; undefined when it has no valid pin block. */
  groupPins: ConfigPins | undefined;
  groupVersion: number;
  /** Pins of the current parameter versions (read without decryption). */
  parameterPins: ConfigPins;
}
