// Benchmark: reconcile a 1,000-instance / 1,500-ENI region against an in-memory EC2 with realistic
// per-call latency (aws-sdk-client-mock in front of the real SDK client), then reconcile again.
// Prints wall time and AWS calls by API, and checks the bar from issue 4:
//   <= 60 s, and no more than one describe page per 1,000 resources plus one mutating call per action.
// Run: npm run build && node dist/functions/mirror-on-launch/bench/reconcile.js

import {
  CreateTagsCommand,
  CreateTrafficMirrorSessionCommand,
  DeleteTrafficMirrorSessionCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeTrafficMirrorFiltersCommand,
  DescribeTrafficMirrorSessionsCommand,
  DescribeTrafficMirrorTargetsCommand,
  EC2Client,
  type Instance,
  ModifyTrafficMirrorSessionCommand,
  type TrafficMirrorSession,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { sdkClientConfig } from "../../shared/aws.js";
import { parsePolicy, parseRuntimeConfig } from "../config.js";
import { vniForVpc } from "../decide/vni.js";
import { type RunSummary, runPass } from "../handler.js";
import { DESCRIBE_PAGE_SIZE, OWNER_TAG_KEY } from "../limits.js";
import { createTelemetry } from "../metrics.js";

const INSTANCES = 1_000;
/** Every other instance gets a secondary ENI: 1,500 ENIs. */
const SECONDARY_EVERY = 2;
const BAR_WALL_MS = 60_000;
/** Per-call latency (ms) of the simulated EC2 API: a describe page costs more than a mutation. */
const LATENCY_MS: Record<string, number> = {
  DescribeInstances: 1_200,
  DescribeTrafficMirrorSessions: 400,
  DescribeTrafficMirrorTargets: 150,
  DescribeTrafficMirrorFilters: 150,
  DescribeNetworkInterfaces: 200,
  CreateTrafficMirrorSession: 150,
  ModifyTrafficMirrorSession: 120,
  DeleteTrafficMirrorSession: 120,
  CreateTags: 100,
};
const DESCRIBE_APIS = [
  "DescribeInstances",
  "DescribeTrafficMirrorSessions",
  "DescribeTrafficMirrorTargets",
  "DescribeTrafficMirrorFilters",
  "DescribeNetworkInterfaces",
];

const ACCOUNT = "123456789012";
const TARGET = "tmt-0be7c4a1b2c3d4e5f";
const FILTER = "tmf-0a1b2c3d4e5f60718";
const VPCS = ["vpc-0a1b2c3d4e5f60718", "vpc-0f9e8d7c6b5a49382", "vpc-01234567890abcdef"];
const AZS = ["us-east-1a", "us-east-1b", "us-east-1c"];
const TYPES = ["m5.large", "c5.xlarge", "r5.large", "t3.medium", "m6i.large"];

const hex = (n: number) => n.toString(16).padStart(17, "0");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A region with a realistic mix: sensors, stopped and opted-out instances, owned, drifted and foreign sessions. */
function buildRegion(): { instances: Instance[]; sessions: Map<string, TrafficMirrorSession> } {
  const instances: Instance[] = [];
  const sessions = new Map<string, TrafficMirrorSession>();
  let eni = 0;
  let sessionSeq = 0;
  const addSession = (s: TrafficMirrorSession) => {
    sessionSeq += 1;
    const id = `tms-${hex(sessionSeq)}`;
    sessions.set(id, { ...s, TrafficMirrorSessionId: id, OwnerId: ACCOUNT });
  };
  for (let n = 0; n < INSTANCES; n += 1) {
    const vpcId = VPCS[n % VPCS.length];
    const az = AZS[n % AZS.length];
    const tags = [{ Key: "env", Value: n % 4 === 0 ? "dev" : "prod" }];
    if (n < 20) tags.push({ Key: "aws:autoscaling:groupName", Value: "spanless-sensors" });
    if (n % 97 === 0) tags.push({ Key: "spanless:mirror", Value: "off" });
    const enis = [0, ...(n % SECONDARY_EVERY === 0 ? [1] : [])].map((deviceIndex) => {
      eni += 1;
      return {
        NetworkInterfaceId: `eni-${hex(eni)}`,
        InterfaceType: "interface",
        Attachment: { DeviceIndex: deviceIndex },
        VpcId: vpcId,
        SubnetId: `subnet-${hex(n % 12)}`,
        PrivateIpAddress: `10.${n % 3}.${(eni >> 8) & 255}.${eni & 255}`,
      };
    });
    instances.push({
      InstanceId: `i-${hex(n + 1)}`,
      InstanceType: TYPES[n % TYPES.length] as Instance["InstanceType"],
      State: { Name: n % 50 === 7 ? "stopped" : "running" },
      VpcId: vpcId,
      SubnetId: enis[0].SubnetId,
      Placement: { AvailabilityZone: az },
      LaunchTime: new Date(Date.UTC(2026, 10, 1, 0, 0, n)),
      Tags: tags,
      NetworkInterfaces: enis,
    });
    const primary = enis[0].NetworkInterfaceId;
    const owned = [{ Key: OWNER_TAG_KEY, Value: "spanless" }];
    if (n % 5 === 1) {
      addSession({
        NetworkInterfaceId: primary,
        TrafficMirrorTargetId: TARGET,
        TrafficMirrorFilterId: FILTER,
        SessionNumber: 1,
        VirtualNetworkId: vniForVpc(vpcId),
        Tags: owned,
      });
    }
    if (n % 20 === 3) {
      addSession({
        NetworkInterfaceId: primary,
        TrafficMirrorTargetId: "tmt-0old0old0old0old0",
        TrafficMirrorFilterId: FILTER,
        SessionNumber: 1,
        VirtualNetworkId: 12,
        Tags: owned,
      });
    }
    if (n % 10 === 2) {
      addSession({
        NetworkInterfaceId: primary,
        TrafficMirrorTargetId: "tmt-0vendor0000000001",
        SessionNumber: 1,
        Tags: [],
      });
    }
  }
  return { instances, sessions };
}

function page<T>(items: T[], nextToken: string | undefined, size: number): { items: T[]; next?: string } {
  const start = nextToken ? Number(nextToken) : 0;
  const next = start + size < items.length ? String(start + size) : undefined;
  return { items: items.slice(start, start + size), next };
}

function simulatedEc2(region: ReturnType<typeof buildRegion>, calls: Record<string, number>): EC2Client {
  const client = new EC2Client({ region: "us-east-1", ...sdkClientConfig() });
  const mock = mockClient(client);
  const call = async <T>(api: string, answer: () => T): Promise<T> => {
    calls[api] = (calls[api] ?? 0) + 1;
    await sleep(LATENCY_MS[api] ?? 100);
    return answer();
  };
  let created = 0;
  mock.on(DescribeInstancesCommand).callsFake((input) =>
    call("DescribeInstances", () => {
      const p = page(region.instances, input.NextToken, input.MaxResults ?? DESCRIBE_PAGE_SIZE);
      return { Reservations: [{ OwnerId: ACCOUNT, Instances: p.items }], NextToken: p.next };
    }),
  );
  mock.on(DescribeTrafficMirrorSessionsCommand).callsFake((input) =>
    call("DescribeTrafficMirrorSessions", () => {
      const p = page([...region.sessions.values()], input.NextToken, input.MaxResults ?? DESCRIBE_PAGE_SIZE);
      return { TrafficMirrorSessions: p.items, NextToken: p.next };
    }),
  );
  mock.on(DescribeTrafficMirrorTargetsCommand).callsFake(() =>
    call("DescribeTrafficMirrorTargets", () => ({
      TrafficMirrorTargets: [{ TrafficMirrorTargetId: TARGET }],
    })),
  );
  mock.on(DescribeTrafficMirrorFiltersCommand).callsFake(() =>
    call("DescribeTrafficMirrorFilters", () => ({
      TrafficMirrorFilters: [{ TrafficMirrorFilterId: FILTER }],
    })),
  );
  mock
    .on(DescribeNetworkInterfacesCommand)
    .callsFake(() => call("DescribeNetworkInterfaces", () => ({ NetworkInterfaces: [] })));
  mock.on(CreateTrafficMirrorSessionCommand).callsFake((input) =>
    call("CreateTrafficMirrorSession", () => {
      created += 1;
      const id = `tms-new${created.toString(16).padStart(14, "0")}`;
      const s: TrafficMirrorSession = {
        TrafficMirrorSessionId: id,
        OwnerId: ACCOUNT,
        NetworkInterfaceId: input.NetworkInterfaceId,
        TrafficMirrorTargetId: input.TrafficMirrorTargetId,
        TrafficMirrorFilterId: input.TrafficMirrorFilterId,
        SessionNumber: input.SessionNumber,
        VirtualNetworkId: input.VirtualNetworkId,
        PacketLength: input.PacketLength,
        Tags: (input.TagSpecifications ?? []).flatMap(
          (t: { Tags?: { Key?: string; Value?: string }[] }) => t.Tags ?? [],
        ),
      };
      region.sessions.set(id, s);
      return { TrafficMirrorSession: s, ClientToken: input.ClientToken };
    }),
  );
  mock.on(ModifyTrafficMirrorSessionCommand).callsFake((input) =>
    call("ModifyTrafficMirrorSession", () => {
      const s = region.sessions.get(input.TrafficMirrorSessionId ?? "");
      if (s) {
        s.TrafficMirrorTargetId = input.TrafficMirrorTargetId ?? s.TrafficMirrorTargetId;
        s.TrafficMirrorFilterId = input.TrafficMirrorFilterId ?? s.TrafficMirrorFilterId;
        s.VirtualNetworkId = input.VirtualNetworkId ?? s.VirtualNetworkId;
      }
      return { TrafficMirrorSession: s };
    }),
  );
  mock.on(DeleteTrafficMirrorSessionCommand).callsFake((input) =>
    call("DeleteTrafficMirrorSession", () => {
      region.sessions.delete(input.TrafficMirrorSessionId ?? "");
      return { TrafficMirrorSessionId: input.TrafficMirrorSessionId };
    }),
  );
  mock.on(CreateTagsCommand).callsFake(() => call("CreateTags", () => ({})));
  return client;
}

interface PassReport {
  label: string;
  wallMs: number;
  calls: Record<string, number>;
  summary: RunSummary;
  describeBudget: number;
  describeCalls: number;
  mutatingCalls: number;
  actions: number;
}

async function pass(
  label: string,
  ec2: EC2Client,
  calls: Record<string, number>,
  regionSize: () => Record<string, number>,
) {
  for (const k of Object.keys(calls)) delete calls[k];
  const sizes = regionSize();
  const env = { MIRROR_TARGET_ID: TARGET, MIRROR_FILTER_ID: FILTER, SENSOR_ASG_NAMES: "spanless-sensors" };
  const started = performance.now();
  const summary = await runPass(
    {
      ec2,
      ...createTelemetry({ POWERTOOLS_METRICS_NAMESPACE: "SpanlessBench" }),
      policy: parsePolicy(env),
      runtime: parseRuntimeConfig(env),
    },
    { kind: "all" },
  );
  const wallMs = performance.now() - started;
  // One page per started 1,000 resources of each kind, at least one page per describe API.
  const describeBudget =
    Math.max(1, Math.ceil(sizes.instances / DESCRIBE_PAGE_SIZE)) +
    Math.max(1, Math.ceil(sizes.sessions / DESCRIBE_PAGE_SIZE)) +
    1 /* targets */ +
    1; /* filters */
  const describeCalls = DESCRIBE_APIS.reduce((n, api) => n + (calls[api] ?? 0), 0);
  const mutatingCalls = Object.entries(calls)
    .filter(([api]) => !DESCRIBE_APIS.includes(api))
    .reduce((n, [, c]) => n + c, 0);
  const actions = summary.planned.create + summary.planned.modify + summary.planned.delete;
  const report: PassReport = {
    label,
    wallMs,
    calls: { ...calls },
    summary,
    describeBudget,
    describeCalls,
    mutatingCalls,
    actions,
  };
  return report;
}

function print(r: PassReport): boolean {
  const wallOk = r.wallMs <= BAR_WALL_MS;
  const describeOk = r.describeCalls <= r.describeBudget;
  const mutateOk = r.mutatingCalls <= r.actions;
  console.log(`\n== ${r.label}`);
  console.log(
    `wall time: ${(r.wallMs / 1000).toFixed(2)} s  (bar <= ${BAR_WALL_MS / 1000} s: ${wallOk ? "PASS" : "FAIL"})`,
  );
  console.log("AWS calls by API:");
  for (const [api, n] of Object.entries(r.calls).sort()) console.log(`  ${api.padEnd(32)} ${n}`);
  console.log(
    `planned actions: ${r.actions} (create ${r.summary.planned.create}, modify ${r.summary.planned.modify}, delete ${r.summary.planned.delete}); done ${r.summary.done}, failed ${r.summary.failed}, skipped ENIs ${r.summary.skipped}`,
  );
  console.log(
    `coverage: ${r.summary.mirroredEnis}/${r.summary.eligibleEnis} eligible ENIs; quota headroom ${r.summary.quotaHeadroom}`,
  );
  console.log(
    `describe pages: ${r.describeCalls} (bar <= ${r.describeBudget}: ${describeOk ? "PASS" : "FAIL"})`,
  );
  console.log(
    `mutating calls: ${r.mutatingCalls} (bar <= ${r.actions} actions: ${mutateOk ? "PASS" : "FAIL"})`,
  );
  return wallOk && describeOk && mutateOk;
}

async function main(): Promise<void> {
  // Decision log lines and EMF output would drown the report.
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  const region = buildRegion();
  const calls: Record<string, number> = {};
  const ec2 = simulatedEc2(region, calls);
  const eniCount = region.instances.reduce((n, i) => n + (i.NetworkInterfaces?.length ?? 0), 0);
  console.log(
    `region: ${region.instances.length} instances, ${eniCount} ENIs, ${region.sessions.size} existing sessions; latency per call (ms): ${JSON.stringify(LATENCY_MS)}; concurrency ${parseRuntimeConfig({}).concurrency}`,
  );
  const sizes = () => ({ instances: region.instances.length, sessions: region.sessions.size });
  const first = await pass("backfill (first reconcile)", ec2, calls, sizes);
  const second = await pass("steady state (second reconcile)", ec2, calls, sizes);
  const ok = [print(first), print(second)].every(Boolean) && second.actions === 0;
  console.log(
    `\nsecond pass planned ${second.actions} actions (idempotence: ${second.actions === 0 ? "PASS" : "FAIL"})`,
  );
  console.log(ok ? "\nRESULT: PASS" : "\nRESULT: FAIL");
  process.exitCode = ok ? 0 : 1;
}

await main();
