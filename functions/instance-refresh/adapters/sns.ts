// Publishes notices to the on-call SNS topic. `kind`, `stage` and `asg` travel as message attributes so
// subscribers can filter (e.g. page only on ConfigInvalid and RefreshRollbackFailed, e-mail the rest).
import type { SNSClient } from "@aws-sdk/client-sns";
import { publishToTopic } from "../../shared/sns.js";
import { NotificationError } from "../errors.js";
import type { Notice, Notifier, Settings } from "../types.js";

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly settings: Settings,
  ) {}

  async publish(notice: Notice): Promise<void> {
    try {
      await publishToTopic(this.sns, this.settings.topicArn, {
        subject: notice.subject,
        body: notice.body,
        attributes: { kind: notice.kind, stage: this.settings.stage, asg: this.settings.asgName },
      });
    } catch (cause) {
      throw new NotificationError(`could not publish a ${notice.kind} notice to ${this.settings.topicArn}`, {
        cause,
      });
    }
  }
}
