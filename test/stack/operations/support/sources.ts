// What the operations tests check the stack against: the metric names the functions and the sensor really
// publish (imported from their sources, not copied), the functions' README IAM policies (parsed from the
// Markdown, placeholders filled in), and a small EventBridge pattern matcher.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { METRIC as HEALTH_METRIC } from "../../../../functions/health/metrics.js";
import { METRIC as REFRESH_METRIC } from "../../../../functions/instance-refresh/metrics.js";
import { METRIC as MIRROR_METRIC } from "../../../../functions/mirror-on-launch/metrics.js";
import { METRICS_NAMESPACE } from "../../../../functions/shared/telemetry.js";
import { EMF_NAMESPACE, SENSOR_METRICS } from "../../../../sensor-ami/src/daemon/metrics/emf.js";
import { AWS_METRIC } from "../../../../stack/operations/catalog.js";
import type { PolicyDocument, Statement } from "../../../../stack/operations/policies.js";
import { EXTRA_ACTIONS } from "../../../../stack/operations/policies.js";

export const ROOT = join(import.meta.dirname, "..", "..", "..", "..");

/** namespace → metric names that exist (functions and sensor from source; AWS ones from the catalog). */
export function knownMetrics(): Map<string, Set<string>> {
  return new Map<string, Set<string>>([
    [
      METRICS_NAMESPACE,
      new Set([
        ...Object.values(MIRROR_METRIC),
        ...Object.values(REFRESH_METRIC),
        ...Object.values(HEALTH_METRIC),
      ]),
    ],
    [EMF_NAMESPACE, new Set(SENSOR_METRICS.map((m) => m.name))],
    [AWS_METRIC.nlb.namespace, new Set([AWS_METRIC.nlb.healthy, AWS_METRIC.nlb.unhealthy])],
    [
      AWS_METRIC.lambda.namespace,
      new Set([AWS_METRIC.lambda.errors, AWS_METRIC.lambda.throttles, AWS_METRIC.lambda.invocations]),
    ],
    [AWS_METRIC.sqs.namespace, new Set([AWS_METRIC.sqs.visible])],
  ]);
}

/** `SELECT FN(Metric) FROM SCHEMA("Namespace", …)` → [namespace, metric]. */
export function insightsMetric(query: string): [string, string] | undefined {
  const m = /^SELECT\s+[A-Z]+\((\w+)\)\s+FROM\s+SCHEMA\(\s*"([^"]+)"/.exec(query);
  return m ? [m[2], m[1]] : undefined;
}

export function readme(fn: "mirror-on-launch" | "instance-refresh" | "health"): string {
  return readFileSync(join(ROOT, "functions", fn, "README.md"), "utf8");
}

/** The JSON policy block under the README's IAM heading, with the placeholders replaced. */
export function readmePolicy(
  fn: "mirror-on-launch" | "instance-refresh" | "health",
  placeholders: Record<string, string>,
): PolicyDocument {
  const text = readme(fn);
  const heading = text.search(/^## .*IAM policy/im);
  if (heading < 0) throw new Error(`${fn} README has no IAM policy section`);
  const block = /```json\n([\s\S]*?)```/.exec(text.slice(heading));
  if (!block) throw new Error(`${fn} README's IAM section has no JSON block`);
  let json = block[1];
  for (const [name, value] of Object.entries(placeholders)) json = json.split(name).join(value);
  const leftover = /\$\{\w+\}|<[a-z-]+>/.exec(json);
  if (leftover) throw new Error(`${fn} README placeholder ${leftover[0]} has no test value`);
  const doc = JSON.parse(json) as {
    Statement: Array<Statement & { Action: string | string[]; Resource: string | string[] }>;
  };
  return {
    Version: "2012-10-17",
    Statement: doc.Statement.map((s) => ({ ...s, Action: list(s.Action), Resource: list(s.Resource) })),
  };
}

export const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** IAM-style wildcard match: does `pattern` (with * and ?) cover `value` entirely? */
export function covers(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  // A wildcard in the value is only covered by the same or a wider wildcard.
  return re.test(value);
}

/** Every condition of `looser` is also in `stricter`, with values inside the looser ones. */
export function conditionsAtLeast(stricter: Statement["Condition"], looser: Statement["Condition"]): boolean {
  for (const [op, keys] of Object.entries(looser ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      const mine = stricter?.[op]?.[key];
      if (mine === undefined) return false;
      if (!list(mine).every((v) => list(values).some((p) => (op.includes("Like") ? covers(p, v) : p === v))))
        return false;
    }
  }
  return true;
}

/** A minimal EventBridge matcher: value lists, `prefix` and `anything-but`, nested objects. */
export function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return pattern.some((p) =>
      values.some((v) => {
        if (p !== null && typeof p === "object") {
          const rule = p as Record<string, unknown>;
          if ("prefix" in rule) return typeof v === "string" && v.startsWith(String(rule.prefix));
          if ("anything-but" in rule)
            return v !== undefined && !list(rule["anything-but"] as string[]).includes(v);
          throw new Error(`unsupported pattern rule ${JSON.stringify(p)}`);
        }
        return p === v;
      }),
    );
  }
  if (pattern !== null && typeof pattern === "object") {
    if (event === null || typeof event !== "object") return false;
    return Object.entries(pattern).every(([k, p]) => matches(p, (event as Record<string, unknown>)[k]));
  }
  throw new Error(`a pattern leaf must be an array, not ${JSON.stringify(pattern)}`);
}

export function fixture(
  fn: "mirror-on-launch" | "instance-refresh" | "health",
  file: string,
): Record<string, unknown> {
  const dir = fn === "health" ? join("fixtures", "events") : "fixtures";
  return JSON.parse(readFileSync(join(ROOT, "test", "functions", fn, dir, file), "utf8")) as Record<
    string,
    unknown
  >;
}

const extras = new Set<string>(Object.values(EXTRA_ACTIONS).flat());

/** README grants the stack's policy lacks: action + README resource with no granted resource inside it. */
export function missing(mine: PolicyDocument, theirs: PolicyDocument): string[] {
  const out: string[] = [];
  for (const r of theirs.Statement) {
    for (const action of r.Action) {
      for (const resource of r.Resource) {
        const granted = mine.Statement.some(
          (m) =>
            m.Effect === "Allow" &&
            m.Action.includes(action) &&
            m.Resource.some((res) => covers(resource, res)) &&
            conditionsAtLeast(m.Condition, r.Condition),
        );
        if (!granted) out.push(`${r.Sid}: ${action} on ${resource}`);
      }
    }
  }
  return out;
}

/** The stack's grants that no README statement allows (and that are not a named addition). */
export function beyond(mine: PolicyDocument, theirs: PolicyDocument): string[] {
  const out: string[] = [];
  for (const m of mine.Statement) {
    for (const action of m.Action) {
      for (const resource of m.Resource) {
        const allowed = theirs.Statement.some(
          (r) =>
            r.Action.includes(action) &&
            r.Resource.some((p) => covers(p, resource)) &&
            conditionsAtLeast(m.Condition, r.Condition),
        );
        if (!allowed && !(extras.has(action) && resource !== "*"))
          out.push(`${m.Sid}: ${action} on ${resource}`);
      }
    }
  }
  return out;
}
