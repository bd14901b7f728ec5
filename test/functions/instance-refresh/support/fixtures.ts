// Loads the committed EventBridge fixtures, optionally overriding detail fields (e.g. another parameter name).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

export type EventFixture = {
  "detail-type": string;
  source: string;
  time: string;
  resources: string[];
  detail: Record<string, unknown>;
} & Record<string, unknown>;

export function loadEvent(name: string, detail: Record<string, unknown> = {}): EventFixture {
  const event = JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), "utf8")) as EventFixture;
  return { ...event, detail: { ...event.detail, ...detail } };
}

/** A Parameter Store Change event for any sensor parameter, built from the committed Update fixture. */
export function parameterChange(name: string, operation = "Update"): EventFixture {
  const event = loadEvent("parameter-store-change-update", { name, operation });
  return { ...event, resources: [`arn:aws:ssm:us-east-1:123456789012:parameter${name}`] };
}

export function refreshEvent(phase: string, refreshId: string): EventFixture {
  return loadEvent(`instance-refresh-${phase}`, { InstanceRefreshId: refreshId });
}
