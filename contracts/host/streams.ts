// CloudWatch Logs stream names in the sensors' log group.

/**
 * CloudWatch Logs streams the image's CloudWatch agent writes in the sensors' log group. The
 * userdata stream is the one the health function reads (`functions/health`).
 */
export const USER_DATA_STREAM_SUFFIX = "userdata";
export const SENSOR_STREAM_SUFFIX = "sensor";
export const METRICS_STREAM_SUFFIX = "metrics";

export function userDataLogStream(instanceId: string): string {
  return `${instanceId}-${USER_DATA_STREAM_SUFFIX}`;
}
export function sensorLogStream(instanceId: string): string {
  return `${instanceId}-${SENSOR_STREAM_SUFFIX}`;
}
export function metricsLogStream(instanceId: string): string {
  return `${instanceId}-${METRICS_STREAM_SUFFIX}`;
}
