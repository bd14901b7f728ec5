// Reads the tail of a sensor's boot log (`<instance-id>-userdata`) from CloudWatch Logs. A missing
// stream or group is an answer, not an error: the on-call message says so.
import {
  type CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { userDataLogStream } from "../../../contracts/host/index.js";
import { awsErrorCode, describeError } from "../../shared/errors.js";
import type { UserDataLog } from "../types.js";

/** Log events read from the end of the stream: a whole boot, with room for retry loops. */
const MAX_LOG_EVENTS_READ = 500;

/** GetLogEvents says ResourceNotFound for both a missing group and a missing stream; this tells them apart. */
async function whichIsMissing(
  logs: CloudWatchLogsClient,
  logGroup: string,
  logStream: string,
): Promise<"missing-group" | "missing-stream"> {
  try {
    await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: logGroup, logStreamNamePrefix: logStream, limit: 1 }),
    );
    return "missing-stream";
  } catch (error) {
    return awsErrorCode(error) === "ResourceNotFoundException" ? "missing-group" : "missing-stream";
  }
}

export async function readUserDataLog(
  logs: CloudWatchLogsClient,
  logGroup: string,
  instanceId: string | undefined,
): Promise<UserDataLog> {
  if (!instanceId) return { status: "no-instance", logGroup };
  const logStream = userDataLogStream(instanceId);
  try {
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: logGroup,
        logStreamName: logStream,
        startFromHead: false,
        limit: MAX_LOG_EVENTS_READ,
      }),
    );
    const lines = (out.events ?? [])
      .sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))
      .flatMap((e) => (e.message ?? "").replace(/\r?\n$/, "").split(/\r?\n/));
    return { status: "found", logGroup, logStream, lines };
  } catch (error) {
    if (awsErrorCode(error) === "ResourceNotFoundException") {
      return { status: await whichIsMissing(logs, logGroup, logStream), logGroup, logStream };
    }
    return { status: "unreadable", logGroup, logStream, problem: describeError(error) };
  }
}
