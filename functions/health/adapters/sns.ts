// Publishes an on-call message to the SNS topic. A failure is thrown as NotificationPublishError so
// the asynchronous invocation is retried (and lands in the DLQ): losing a page silently is worse.
import type { SNSClient } from "@aws-sdk/client-sns";
import { describeError } from "../../shared/errors.js";
import { publishToTopic } from "../../shared/sns.js";
import { NotificationPublishError } from "../errors.js";
import type { OnCallMessage } from "../types.js";

export async function publishOnCall(
  sns: SNSClient,
  topicArn: string,
  message: OnCallMessage,
): Promise<string> {
  try {
    return await publishToTopic(sns, topicArn, message);
  } catch (error) {
    throw new NotificationPublishError(
      `could not publish "${message.subject}" to ${topicArn}: ${describeError(error)}`,
      { cause: error },
    );
  }
}
