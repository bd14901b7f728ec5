// Durable rollout state in DynamoDB: the debounce buffer, a lease so only one invocation rolls out at a time,
// the last notice fingerprint, and one record per started refresh (so outcome events can say what changed).
// Every write is a single conditional UpdateItem, so concurrent invocations cannot lose a change.
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { StateStoreError } from "../errors.js";
import type { RefreshRecord, RolloutState, RolloutStore, SettledPins } from "../types.js";

/** Refresh records are kept for 90 days (DynamoDB TTL on `expiresAt`); DescribeInstanceRefreshes keeps six weeks. */
const REFRESH_RECORD_TTL_SECONDS = 90 * 24 * 3600;
/** The table's only key attribute (string). */
const PARTITION_KEY = "pk";

export class DynamoRolloutStore implements RolloutStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly groupKey: string;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    asgName: string,
    private readonly now: () => number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.groupKey = `asg#${asgName}`;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new StateStoreError(`could not ${what} in DynamoDB table ${this.tableName}`, { cause });
    }
  }

  async get(): Promise<RolloutState> {
    const out = await this.call("read the rollout state", () =>
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          ConsistentRead: true,
        }),
      ),
    );
    const item = out.Item ?? {};
    const pending = item.pendingParameters;
    return {
      pendingParameters: pending instanceof Set ? [...pending].map(String).sort() : [],
      firstChangeAt: typeof item.firstChangeAt === "number" ? item.firstChangeAt : undefined,
      lastChangeAt: typeof item.lastChangeAt === "number" ? item.lastChangeAt : undefined,
      changeSeq: typeof item.changeSeq === "number" ? item.changeSeq : 0,
      leaseUntil: typeof item.leaseUntil === "number" ? item.leaseUntil : undefined,
      lastNoticeFingerprint: typeof item.noticeFingerprint === "string" ? item.noticeFingerprint : undefined,
      settled: readSettled(item.settledPins),
    };
  }

  async recordChange(parameterName: string, now: number): Promise<void> {
    await this.call("record a parameter change", () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          UpdateExpression:
            "ADD pendingParameters :names, changeSeq :one SET lastChangeAt = :now, firstChangeAt = if_not_exists(firstChangeAt, :now)",
          ExpressionAttributeValues: { ":names": new Set([parameterName]), ":one": 1, ":now": now },
        }),
      ),
    );
  }

  async acquireLease(now: number, leaseMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          UpdateExpression: "SET leaseUntil = :until",
          ConditionExpression: "attribute_not_exists(leaseUntil) OR leaseUntil < :now",
          ExpressionAttributeValues: { ":until": now + leaseMs, ":now": now },
        }),
      );
      return true;
    } catch (cause) {
      if (
        cause instanceof ConditionalCheckFailedException ||
        (cause as Error).name === "ConditionalCheckFailedException"
      ) {
        return false;
      }
      throw new StateStoreError(`could not take the rollout lease in DynamoDB table ${this.tableName}`, {
        cause,
      });
    }
  }

  async releaseLease(): Promise<void> {
    await this.call("release the rollout lease", () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          UpdateExpression: "REMOVE leaseUntil",
        }),
      ),
    );
  }

  async clearPending(changeSeq: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          UpdateExpression: "REMOVE pendingParameters, firstChangeAt, lastChangeAt",
          ConditionExpression: "changeSeq = :seq",
          ExpressionAttributeValues: { ":seq": changeSeq },
        }),
      );
      return true;
    } catch (cause) {
      if ((cause as Error).name === "ConditionalCheckFailedException") return false;
      throw new StateStoreError(`could not clear the debounce buffer in DynamoDB table ${this.tableName}`, {
        cause,
      });
    }
  }

  async setNoticeFingerprint(fingerprint: string | undefined): Promise<void> {
    await this.call("store the notice fingerprint", () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          ...(fingerprint === undefined
            ? { UpdateExpression: "REMOVE noticeFingerprint" }
            : {
                UpdateExpression: "SET noticeFingerprint = :f",
                ExpressionAttributeValues: { ":f": fingerprint },
              }),
        }),
      ),
    );
  }

  async setSettled(settled: SettledPins | undefined): Promise<void> {
    await this.call("store the settled pins", () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: this.groupKey },
          ...(settled === undefined
            ? { UpdateExpression: "REMOVE settledPins" }
            : {
                UpdateExpression: "SET settledPins = :s",
                // The document client refuses undefined attribute values: leave an unset version out.
                ExpressionAttributeValues: {
                  ":s": {
                    pins: settled.pins,
                    reason: settled.reason,
                    ...(settled.launchTemplateVersion === undefined
                      ? {}
                      : { launchTemplateVersion: settled.launchTemplateVersion }),
                  },
                },
              }),
        }),
      ),
    );
  }

  async saveRefresh(record: RefreshRecord): Promise<void> {
    const expiresAt = Math.floor(this.now() / 1000) + REFRESH_RECORD_TTL_SECONDS;
    await this.call("save the refresh record", () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { [PARTITION_KEY]: `refresh#${record.refreshId}`, record, expiresAt },
        }),
      ),
    );
  }

  async getRefresh(refreshId: string): Promise<RefreshRecord | undefined> {
    const out = await this.call("read the refresh record", () =>
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [PARTITION_KEY]: `refresh#${refreshId}` },
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item?.record as RefreshRecord | undefined;
  }
}

/** The `settledPins` map as stored; anything malformed reads as "nothing settled" (the safe default is a check). */
function readSettled(value: unknown): SettledPins | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.pins !== "string") return undefined;
  return {
    pins: v.pins,
    launchTemplateVersion: typeof v.launchTemplateVersion === "number" ? v.launchTemplateVersion : undefined,
    reason: typeof v.reason === "string" ? v.reason : "",
  };
}
