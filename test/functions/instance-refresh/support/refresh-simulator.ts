// moto 5.2.1 does not implement StartInstanceRefresh / DescribeInstanceRefreshes (checked in
// moto/autoscaling/responses.py), so these two calls are answered by aws-sdk-client-mock with the response
// shapes of the Amazon EC2 Auto Scaling API reference (StartInstanceRefresh -> { InstanceRefreshId };
// DescribeInstanceRefreshes -> { InstanceRefreshes: InstanceRefresh[] }, newest first; a second start while one
// is active fails with InstanceRefreshInProgress). Every other Auto Scaling call is forwarded to moto_server,
// and a successful refresh applies its desired launch template to the group in moto, as AWS does.
import { randomUUID } from "node:crypto";
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  DescribeInstanceRefreshesCommand,
  type DescribeInstanceRefreshesCommandInput,
  type InstanceRefresh,
  InstanceRefreshInProgressFault,
  StartInstanceRefreshCommand,
  type StartInstanceRefreshCommandInput,
  UpdateAutoScalingGroupCommand,
} from "@aws-sdk/client-auto-scaling";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";

const ACTIVE = new Set(["Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"]);

export class RefreshSimulator {
  readonly client: AutoScalingClient;
  readonly mock: AwsClientStub<AutoScalingClient>;
  readonly refreshes: InstanceRefresh[] = [];
  readonly startRequests: StartInstanceRefreshCommandInput[] = [];
  /** Makes the next StartInstanceRefresh fail as if another refresh had just been started elsewhere. */
  rejectNextStart = false;
  /** When set, DescribeInstanceRefreshes fails with this error (throttling, access denied...). */
  failDescribe: Error | undefined;

  constructor(
    clientConfig: Record<string, unknown>,
    private readonly motoClient: AutoScalingClient,
  ) {
    this.client = new AutoScalingClient(clientConfig);
    this.mock = mockClient(this.client);
    this.mock
      .on(DescribeAutoScalingGroupsCommand)
      .callsFake((input: DescribeAutoScalingGroupsCommandInput) =>
        this.motoClient.send(new DescribeAutoScalingGroupsCommand(input)),
      );
    this.mock
      .on(StartInstanceRefreshCommand)
      .callsFake((input: StartInstanceRefreshCommandInput) => this.start(input));
    this.mock
      .on(DescribeInstanceRefreshesCommand)
      .callsFake((input: DescribeInstanceRefreshesCommandInput) => this.describe(input));
  }

  private start(input: StartInstanceRefreshCommandInput) {
    this.startRequests.push(input);
    if (this.rejectNextStart || this.refreshes.some((r) => ACTIVE.has(r.Status ?? ""))) {
      this.rejectNextStart = false;
      throw new InstanceRefreshInProgressFault({
        message:
          "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.",
        $metadata: { httpStatusCode: 400 },
      });
    }
    const refresh: InstanceRefresh = {
      InstanceRefreshId: randomUUID(),
      AutoScalingGroupName: input.AutoScalingGroupName,
      Status: "Pending",
      StartTime: new Date(),
      PercentageComplete: 0,
      InstancesToUpdate: 2,
      Preferences: input.Preferences,
      DesiredConfiguration: input.DesiredConfiguration,
    };
    this.refreshes.unshift(refresh);
    return { InstanceRefreshId: refresh.InstanceRefreshId, $metadata: { httpStatusCode: 200 } };
  }

  private describe(input: DescribeInstanceRefreshesCommandInput) {
    if (this.failDescribe) throw this.failDescribe;
    const ids = input.InstanceRefreshIds;
    const found = this.refreshes.filter(
      (r) =>
        r.AutoScalingGroupName === input.AutoScalingGroupName &&
        (!ids || ids.includes(r.InstanceRefreshId ?? "")),
    );
    return { InstanceRefreshes: found, $metadata: { httpStatusCode: 200 } };
  }

  /** Starts a refresh that Spanless did not start (an operator in the console). */
  startExternal(asgName: string): string {
    return this.start({ AutoScalingGroupName: asgName }).InstanceRefreshId ?? "";
  }

  setStatus(refreshId: string, status: string, reason?: string): void {
    const r = this.refreshes.find((x) => x.InstanceRefreshId === refreshId);
    if (!r) throw new Error(`no simulated refresh ${refreshId}`);
    r.Status = status as InstanceRefresh["Status"];
    r.StatusReason = reason;
    if (!ACTIVE.has(status)) r.EndTime = new Date();
  }

  /** Marks the refresh Successful and, as AWS does, makes its desired configuration the group's configuration. */
  async succeed(refreshId: string): Promise<void> {
    this.setStatus(refreshId, "Successful");
    const r = this.refreshes.find((x) => x.InstanceRefreshId === refreshId)!;
    r.PercentageComplete = 100;
    r.InstancesToUpdate = 0;
    const lt = r.DesiredConfiguration?.LaunchTemplate;
    if (lt) {
      await this.motoClient.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: r.AutoScalingGroupName,
          LaunchTemplate: lt,
        }),
      );
    }
  }
}
