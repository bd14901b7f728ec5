// The CloudWatch agent's configuration on a sensor. The image carries the agent; the log group is the
// stage's, so `spanless bootstrap` writes this file (its first step, so even a boot that fails at the
// next step ships its log) and tells the agent to load it. `{instance_id}` is the agent's own
// placeholder, expanded on the host.

import { SENSOR_LOG_DIR, SENSOR_METRICS_FILE, USER_DATA_LOG } from "./paths.js";
import { METRICS_STREAM_SUFFIX, SENSOR_STREAM_SUFFIX, USER_DATA_STREAM_SUFFIX } from "./streams.js";

/** Where the bootstrap writes the agent's configuration. */
export const CLOUDWATCH_AGENT_CONFIG_FILE = "/opt/aws/amazon-cloudwatch-agent/etc/spanless.json";
/** The agent's control script (from Amazon's package). */
export const CLOUDWATCH_AGENT_CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl";
/** The sensor's own log (stdout/stderr of the unit, through journald's file copy). */
export const SENSOR_SERVICE_LOG = `${SENSOR_LOG_DIR}/sensor.log`;

export interface CloudWatchAgentConfig {
  agent: { run_as_user: string; logfile: string };
  logs: {
    logs_collected: {
      files: {
        collect_list: Array<{
          file_path: string;
          log_group_name: string;
          log_stream_name: string;
          timestamp_format?: string;
          retention_in_days?: number;
        }>;
      };
    };
    force_flush_interval: number;
  };
}

/** The agent's JSON for the stage's log group: boot log, sensor log and the EMF metrics file. */
export function cloudWatchAgentConfig(logGroup: string): CloudWatchAgentConfig {
  const stream = (suffix: string) => `{instance_id}-${suffix}`;
  return {
    agent: {
      run_as_user: "root",
      logfile: "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log",
    },
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            {
              file_path: USER_DATA_LOG,
              log_group_name: logGroup,
              log_stream_name: stream(USER_DATA_STREAM_SUFFIX),
            },
            {
              file_path: SENSOR_SERVICE_LOG,
              log_group_name: logGroup,
              log_stream_name: stream(SENSOR_STREAM_SUFFIX),
            },
            // EMF lines in a log group become metrics; the agent ships them as they are.
            {
              file_path: SENSOR_METRICS_FILE,
              log_group_name: logGroup,
              log_stream_name: stream(METRICS_STREAM_SUFFIX),
            },
          ],
        },
      },
      // Five seconds: a failing boot's last lines reach the health function before Auto Scaling's event.
      force_flush_interval: 5,
    },
  };
}
