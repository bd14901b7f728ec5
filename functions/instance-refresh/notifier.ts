// Publishes notices to the on-call SNS topic. `kind` and `stage` travel as message attributes so subscribers can
// filter (e.g. page only on ConfigInvalid and RefreshRollbackFailed, e-mail the rest).
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { InstanceRefreshError } from "./errors.js";
import type { Notice, Notifier, Settings } from "./types.js";

export class NotificationError extends InstanceRefreshError {}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly settings: Settings,
  ) {}

  async publish(notice: Notice): Promise<void> {
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.settings.topicArn,
          Subject: notice.subject,
          Message: notice.body,
          MessageAttributes: {
            kind: { DataType: "String", StringValue: notice.kind },
            stage: { DataType: "String", StringValue: this.settings.stage },
            asg: { DataType: "String", StringValue: this.settings.asgName },
          },
        }),
      );
    } catch (cause) {
      throw new NotificationError(`could not publish a ${notice.kind} notice to ${this.settings.topicArn}`, {
        cause,
      });
    }
  }
}
