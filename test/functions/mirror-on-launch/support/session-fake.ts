// In-memory stand-in for the four Traffic Mirror session APIs moto lacks. Response shapes and error
// codes follow the EC2 API reference (CreateTrafficMirrorSession returns { TrafficMirrorSession,
// ClientToken }, Describe pages with NextToken, Delete returns { TrafficMirrorSessionId }); the
// per-ENI limit, session-number uniqueness and ClientToken idempotency are enforced like EC2 does.
import {
  type CreateTrafficMirrorSessionCommandInput,
  type CreateTrafficMirrorSessionCommandOutput,
  type DeleteTrafficMirrorSessionCommandInput,
  type DescribeTrafficMirrorSessionsCommandInput,
  type DescribeTrafficMirrorSessionsCommandOutput,
  EC2ServiceException,
  type ModifyTrafficMirrorSessionCommandInput,
  type TrafficMirrorSession,
} from "@aws-sdk/client-ec2";

export const ACCOUNT_ID = "123456789012";

export function ec2Error(name: string, message: string): EC2ServiceException {
  return new EC2ServiceException({ name, $fault: "client", message, $metadata: { httpStatusCode: 400 } });
}

export interface SessionFakeOptions {
  /** Existence checks against the real (moto) inventory. */
  targetExists?: (id: string) => Promise<boolean>;
  filterExists?: (id: string) => Promise<boolean>;
}

export class SessionFake {
  readonly sessions = new Map<string, TrafficMirrorSession>();
  readonly calls: Record<string, number> = {};
  /** Inject a failure for the next matching call (consumed once unless `sticky`). */
  failures: Array<{ op: string; eniId?: string; error: Error; sticky?: boolean }> = [];
  /** Runs before a create is applied (to model a racing tool). */
  beforeCreate?: (input: CreateTrafficMirrorSessionCommandInput) => void;
  /** Answer `tag:` filters with InvalidParameterValue (the API reference does not list them). */
  rejectTagFilters = false;
  private readonly tokens = new Map<string, { input: string; sessionId: string }>();
  private seq = 0;

  constructor(private readonly options: SessionFakeOptions = {}) {}

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  private takeFailure(op: string, eniId?: string): void {
    const i = this.failures.findIndex((f) => f.op === op && (f.eniId === undefined || f.eniId === eniId));
    if (i < 0) return;
    const f = this.failures[i];
    if (!f.sticky) this.failures.splice(i, 1);
    throw f.error;
  }

  /** Adds a session directly (someone else's, or a leftover), as if created earlier. */
  seed(
    s: Omit<TrafficMirrorSession, "TrafficMirrorSessionId" | "OwnerId"> & { TrafficMirrorSessionId?: string },
  ) {
    this.seq += 1;
    const id = s.TrafficMirrorSessionId ?? `tms-0${this.seq.toString(16).padStart(16, "0")}`;
    const session: TrafficMirrorSession = { ...s, TrafficMirrorSessionId: id, OwnerId: ACCOUNT_ID };
    this.sessions.set(id, session);
    return session;
  }

  async create(
    input: CreateTrafficMirrorSessionCommandInput,
  ): Promise<CreateTrafficMirrorSessionCommandOutput> {
    this.count("CreateTrafficMirrorSession");
    this.takeFailure("create", input.NetworkInterfaceId);
    const { ClientToken, ...params } = input;
    const fingerprint = JSON.stringify(params);
    if (ClientToken) {
      const seen = this.tokens.get(ClientToken);
      if (seen && seen.input !== fingerprint) {
        throw ec2Error(
          "IdempotentParameterMismatch",
          "The client token you have provided is associated with a resource that is already deleted or has different parameters.",
        );
      }
      if (seen && this.sessions.has(seen.sessionId)) {
        return { TrafficMirrorSession: this.sessions.get(seen.sessionId), ClientToken, $metadata: {} };
      }
    }
    if (this.options.targetExists && !(await this.options.targetExists(input.TrafficMirrorTargetId ?? ""))) {
      throw ec2Error(
        "InvalidTrafficMirrorTargetId.NotFound",
        `The traffic mirror target '${input.TrafficMirrorTargetId}' does not exist.`,
      );
    }
    if (this.options.filterExists && !(await this.options.filterExists(input.TrafficMirrorFilterId ?? ""))) {
      throw ec2Error(
        "InvalidTrafficMirrorFilterId.NotFound",
        `The traffic mirror filter '${input.TrafficMirrorFilterId}' does not exist.`,
      );
    }
    this.beforeCreate?.(input);
    const onEni = [...this.sessions.values()].filter(
      (s) => s.NetworkInterfaceId === input.NetworkInterfaceId,
    );
    if (onEni.length >= 3) {
      throw ec2Error(
        "TrafficMirrorSessionsPerInterfaceLimitExceeded",
        `The network interface '${input.NetworkInterfaceId}' already has the maximum number of traffic mirror sessions.`,
      );
    }
    if (onEni.some((s) => s.SessionNumber === input.SessionNumber)) {
      throw ec2Error(
        "InvalidParameterValue",
        `Session number ${input.SessionNumber} is already in use on this interface.`,
      );
    }
    const tags = (input.TagSpecifications ?? []).flatMap((t) => t.Tags ?? []);
    const session = this.seed({
      TrafficMirrorTargetId: input.TrafficMirrorTargetId,
      TrafficMirrorFilterId: input.TrafficMirrorFilterId,
      NetworkInterfaceId: input.NetworkInterfaceId,
      SessionNumber: input.SessionNumber,
      VirtualNetworkId: input.VirtualNetworkId ?? 1_000_000 + this.seq,
      PacketLength: input.PacketLength,
      Description: input.Description,
      Tags: tags,
    });
    if (ClientToken)
      this.tokens.set(ClientToken, { input: fingerprint, sessionId: session.TrafficMirrorSessionId ?? "" });
    return { TrafficMirrorSession: session, ClientToken, $metadata: {} };
  }

  async describe(
    input: DescribeTrafficMirrorSessionsCommandInput,
  ): Promise<DescribeTrafficMirrorSessionsCommandOutput> {
    this.count("DescribeTrafficMirrorSessions");
    this.takeFailure("describe");
    let list = [...this.sessions.values()];
    for (const f of input.Filters ?? []) {
      const values = new Set(f.Values ?? []);
      if (f.Name === "network-interface-id")
        list = list.filter((s) => values.has(s.NetworkInterfaceId ?? ""));
      else if (f.Name?.startsWith("tag:")) {
        if (this.rejectTagFilters)
          throw ec2Error("InvalidParameterValue", `The filter '${f.Name}' is invalid`);
        const key = f.Name.slice(4);
        list = list.filter((s) => (s.Tags ?? []).some((t) => t.Key === key && values.has(t.Value ?? "")));
      } else throw ec2Error("InvalidParameterValue", `The filter '${f.Name}' is invalid`);
    }
    const size = input.MaxResults ?? 1000;
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = list.slice(start, start + size);
    const next = start + size < list.length ? String(start + size) : undefined;
    return { TrafficMirrorSessions: page, NextToken: next, $metadata: {} };
  }

  async modify(input: ModifyTrafficMirrorSessionCommandInput) {
    this.count("ModifyTrafficMirrorSession");
    const s = this.sessions.get(input.TrafficMirrorSessionId ?? "");
    this.takeFailure("modify", s?.NetworkInterfaceId);
    if (!s) {
      throw ec2Error(
        "InvalidTrafficMirrorSessionId.NotFound",
        `The traffic mirror session '${input.TrafficMirrorSessionId}' does not exist.`,
      );
    }
    if (input.TrafficMirrorTargetId) s.TrafficMirrorTargetId = input.TrafficMirrorTargetId;
    if (input.TrafficMirrorFilterId) s.TrafficMirrorFilterId = input.TrafficMirrorFilterId;
    if (input.VirtualNetworkId !== undefined) s.VirtualNetworkId = input.VirtualNetworkId;
    if (input.PacketLength !== undefined) s.PacketLength = input.PacketLength;
    if (input.SessionNumber !== undefined) s.SessionNumber = input.SessionNumber;
    if (input.RemoveFields?.includes("packet-length")) s.PacketLength = undefined;
    return { TrafficMirrorSession: s, $metadata: {} };
  }

  async delete(input: DeleteTrafficMirrorSessionCommandInput) {
    this.count("DeleteTrafficMirrorSession");
    const s = this.sessions.get(input.TrafficMirrorSessionId ?? "");
    this.takeFailure("delete", s?.NetworkInterfaceId);
    if (!s) {
      throw ec2Error(
        "InvalidTrafficMirrorSessionId.NotFound",
        `The traffic mirror session '${input.TrafficMirrorSessionId}' does not exist.`,
      );
    }
    this.sessions.delete(input.TrafficMirrorSessionId ?? "");
    return { TrafficMirrorSessionId: input.TrafficMirrorSessionId, $metadata: {} };
  }

  onEni(eniId: string): TrafficMirrorSession[] {
    return [...this.sessions.values()].filter((s) => s.NetworkInterfaceId === eniId);
  }
}
