// Loads the health fixtures: EventBridge events (shapes from the AWS event reference) and real-looking
// sensor user-data logs.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function loadEvent(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(`${dir}events/${name}.json`, "utf8"));
}

export function loadLog(name: string): string[] {
  return readFileSync(`${dir}logs/${name}.log`, "utf8").replace(/\n$/, "").split("\n");
}

export const SENSOR_ASG = "spanless-sensors";
