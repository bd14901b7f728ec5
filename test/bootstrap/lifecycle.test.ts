// CompleteLifecycleAction's outcomes as the boot reads them (aws-sdk-client-mock: moto has no lifecycle
// actions): completed; no active action (an instance Auto Scaling did not launch, or a second
// completion) is not a failure; throttling is retried; a permission problem is not.
import { AutoScalingClient, CompleteLifecycleActionCommand } from "@aws-sdk/client-auto-scaling";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { completeLifecycle } from "../../sensor-ami/src/bootstrap/lifecycle.js";

const client = new AutoScalingClient({
  region: "eu-west-1",
  credentials: { accessKeyId: "x", secretAccessKey: "y" },
});
const mock = mockClient(client);
const TARGET = {
  autoScalingGroup: "spanless-prod",
  lifecycleHook: "launch",
  instanceId: "i-0123456789abcdef0",
};
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

afterEach(() => mock.reset());

describe("completeLifecycle", () => {
  it("sends the decision for the instance", async () => {
    // Prepare
    mock.on(CompleteLifecycleActionCommand).resolves({});

    // Act
    const outcome = await completeLifecycle(client, TARGET, "ABANDON");

    // Assess
    expect(outcome).toEqual({ kind: "completed" });
    expect(mock.commandCalls(CompleteLifecycleActionCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupName: "spanless-prod",
      LifecycleHookName: "launch",
      InstanceId: "i-0123456789abcdef0",
      LifecycleActionResult: "ABANDON",
    });
  });

  it("reads 'no active lifecycle action' as nothing to complete", async () => {
    // Prepare
    mock
      .on(CompleteLifecycleActionCommand)
      .rejects(
        awsError("ValidationError", "No active Lifecycle Action found with instance ID i-0123456789abcdef0"),
      );

    // Act
    const outcome = await completeLifecycle(client, TARGET, "CONTINUE");

    // Assess
    expect(outcome.kind).toBe("no-action");
    expect(mock.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(1);
  });

  it("retries throttling, and gives up at once on a permission problem", async () => {
    // Prepare
    mock.on(CompleteLifecycleActionCommand).rejectsOnce(awsError("Throttling", "Rate exceeded")).resolves({});

    // Act
    const throttled = await completeLifecycle(client, TARGET, "CONTINUE", { retryDelayMs: 1 });
    mock.reset();
    mock
      .on(CompleteLifecycleActionCommand)
      .rejects(
        awsError("AccessDenied", "User is not authorized to perform: autoscaling:CompleteLifecycleAction"),
      );
    const refused = await completeLifecycle(client, TARGET, "CONTINUE", { retryDelayMs: 1 });

    // Assess
    expect(throttled).toEqual({ kind: "completed" });
    expect(refused).toMatchObject({ kind: "failed", detail: expect.stringContaining("AccessDenied") });
    expect(mock.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(1);
  });
});
