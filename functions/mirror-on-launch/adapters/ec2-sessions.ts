// Applies planned actions to EC2: deletes first (they free session slots and quota), then modifies,
// then creates; each phase with bounded concurrency. A failed call is classified and reported,
// never thrown, so one bad ENI cannot stop the rest of the plan.
import {
  CreateTagsCommand,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  type EC2Client,
  ModifyTrafficMirrorSessionCommand,
} from "@aws-sdk/client-ec2";
import { mapWithConcurrency } from "../../shared/concurrency.js";
import { type ClassifiedError, classifyError } from "../errors.js";
import { INSTANCE_TAG_KEY, OWNER_TAG_KEY, UNSUPPORTED_MARK_TAG_KEY } from "../limits.js";
import type { Action, CreateAction, DeleteAction, ModifyAction } from "../types.js";

export interface ActionOutcome {
  action: Action;
  status: "done" | "failed" | "deferred";
  /** The session the action produced or touched. */
  sessionId?: string;
  error?: ClassifiedError;
}

export interface ExecuteOptions {
  ownerTagValue: string;
  concurrency: number;
  /** Instance types of the instances in the plan, to mark the ones EC2 refuses as sources. */
  instanceTypes: ReadonlyMap<string, string>;
  /** Milliseconds left before the Lambda deadline; actions not started by then are deferred. */
  remainingTimeMs?: () => number;
  /** Stop starting new calls when less than this is left (a call plus its retries must fit). */
  safetyMarginMs?: number;
}

const DEFAULT_SAFETY_MARGIN_MS = 10_000;

function describeSession(a: CreateAction): string {
  return `Spanless mirror of ${a.eniId} (${a.instanceId})`;
}

async function create(ec2: EC2Client, a: CreateAction, owner: string): Promise<string | undefined> {
  const out = await ec2.send(
    new CreateTrafficMirrorSessionCommand({
      NetworkInterfaceId: a.eniId,
      TrafficMirrorTargetId: a.targetId,
      TrafficMirrorFilterId: a.filterId,
      SessionNumber: a.sessionNumber,
      VirtualNetworkId: a.vni,
      PacketLength: a.packetLength,
      ClientToken: a.clientToken,
      Description: describeSession(a),
      TagSpecifications: [
        {
          ResourceType: "traffic-mirror-session",
          Tags: [
            { Key: OWNER_TAG_KEY, Value: owner },
            { Key: INSTANCE_TAG_KEY, Value: a.instanceId },
          ],
        },
      ],
    }),
  );
  return out.TrafficMirrorSession?.TrafficMirrorSessionId;
}

async function modify(ec2: EC2Client, a: ModifyAction): Promise<string> {
  const c = a.changes;
  await ec2.send(
    new ModifyTrafficMirrorSessionCommand({
      TrafficMirrorSessionId: a.sessionId,
      TrafficMirrorTargetId: c.targetId,
      TrafficMirrorFilterId: c.filterId,
      VirtualNetworkId: c.vni,
      PacketLength: c.packetLength,
      RemoveFields: c.removePacketLength ? ["packet-length"] : undefined,
    }),
  );
  return a.sessionId;
}

async function remove(ec2: EC2Client, a: DeleteAction): Promise<string> {
  await ec2.send(new DeleteTrafficMirrorSessionCommand({ TrafficMirrorSessionId: a.sessionId }));
  return a.sessionId;
}

/** Remember on the instance that EC2 refused its type, so later plans skip it instead of retrying. */
async function markUnsupported(ec2: EC2Client, instanceId: string, instanceType: string): Promise<void> {
  await ec2.send(
    new CreateTagsCommand({
      Resources: [instanceId],
      Tags: [{ Key: UNSUPPORTED_MARK_TAG_KEY, Value: instanceType }],
    }),
  );
}

export async function executeActions(
  ec2: EC2Client,
  actions: readonly Action[],
  options: ExecuteOptions,
): Promise<ActionOutcome[]> {
  const margin = options.safetyMarginMs ?? DEFAULT_SAFETY_MARGIN_MS;
  const outOfTime = () => options.remainingTimeMs !== undefined && options.remainingTimeMs() < margin;
  const markedInstances = new Set<string>();

  const run = async (action: Action): Promise<ActionOutcome> => {
    if (outOfTime()) return { action, status: "deferred" };
    try {
      let sessionId: string | undefined;
      if (action.kind === "create") sessionId = await create(ec2, action, options.ownerTagValue);
      else if (action.kind === "modify") sessionId = await modify(ec2, action);
      else sessionId = await remove(ec2, action);
      return { action, status: "done", sessionId };
    } catch (error) {
      const classified = classifyError(error);
      // Deleting a session that is already gone reached the desired state.
      if (action.kind === "delete" && classified.code === "InvalidTrafficMirrorSessionId.NotFound") {
        return { action, status: "done", sessionId: action.sessionId };
      }
      if (action.kind === "create" && classified.failureClass === "unsupported-source") {
        const type = options.instanceTypes.get(action.instanceId);
        if (type !== undefined && !markedInstances.has(action.instanceId)) {
          markedInstances.add(action.instanceId);
          try {
            await markUnsupported(ec2, action.instanceId, type);
          } catch {
            // Without the mark the next plan tries once more and fails the same way; not worth failing for.
          }
        }
      }
      return { action, status: "failed", error: classified };
    }
  };

  const phases: Action["kind"][] = ["delete", "modify", "create"];
  const outcomes: ActionOutcome[] = [];
  for (const kind of phases) {
    const batch = actions.filter((a) => a.kind === kind);
    outcomes.push(...(await mapWithConcurrency(batch, options.concurrency, run)));
  }
  return outcomes;
}
