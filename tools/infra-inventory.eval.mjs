// The inside of `npm run infra:inventory`: bundled by tools/infra-inventory.mjs together with sst.config.ts and
// SST's platform sources (the way the SST CLI bundles a deploy), then run by Node. It sets up what the SST CLI
// would (the `$app`/`$cli`/`$dev` globals, `aws` and `sst`, the shim's `$interpolate`… injected by esbuild,
// an answer to the `Runtime.Build` RPC), replaces the Pulumi engine with mocks, runs the real `run()` inside a
// Pulumi stack and prints every registered resource as one JSON line: {"type","name","inputs"}, sorted.
// A StackConfigError (or any error) goes to stderr and exits 1.
//
// Mocked answers are deterministic (IDs and addresses derive from a hash of type and name), so two runs of the
// same config print the same bytes.
import crypto, { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { dirname, join, posix } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { run as sstRun } from "../.sst/platform/src/auto/run.ts";
import * as sstAws from "../.sst/platform/src/components/aws/index.ts";
import { mockHash, mockId } from "./infra-mock-ids.mjs";

const ROOT = process.env.SPANLESS_INVENTORY_ROOT;
const STAGE = process.env.SPANLESS_INVENTORY_STAGE ?? "dev";
const REGION = process.env.SPANLESS_INVENTORY_REGION ?? "us-east-1";
const ACCOUNT = process.env.SPANLESS_INVENTORY_ACCOUNT ?? "123456789012";
const PLATFORM = join(ROOT, ".sst", "platform");
const WORK = join(ROOT, ".sst", "inventory");

const hex = mockHash;

/** `aws:ec2/vpc:Vpc` → { service: "ec2", kind: "vpc" } */
function tokenParts(type) {
  const match = /^aws:([a-zA-Z0-9]+)\/([a-zA-Z0-9]+):/.exec(type);
  return match ? { service: match[1].toLowerCase(), kind: match[2].toLowerCase() } : undefined;
}

/** What the provider would compute for a resource: its ID and the outputs the stack reads. */
function mockState(args) {
  const { type, name, inputs } = args;
  const h = hex(type, name);
  const parts = tokenParts(type);
  const physical = inputs.name ?? `${name.toLowerCase().slice(0, 40)}-${h.slice(0, 7)}`;
  const state = { ...inputs };
  let id = mockId(type, name) ?? physical;
  const arnOf = (service, resource) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:ec2/eip:Eip": {
      const n = Number.parseInt(h.slice(0, 4), 16);
      state.publicIp = `198.51.100.${(n % 254) + 1}`;
      state.allocationId = id;
      break;
    }
    case "aws:lb/loadBalancer:LoadBalancer":
      state.name = physical;
      state.arnSuffix = `net/${physical}/${h.slice(0, 16)}`;
      state.arn = arnOf("elasticloadbalancing", `loadbalancer/${state.arnSuffix}`);
      state.dnsName = `${physical}-${h.slice(0, 16)}.elb.${REGION}.amazonaws.com`;
      state.zoneId = "Z26RNL4JYFTOTI";
      id = state.arn;
      break;
    case "aws:lb/targetGroup:TargetGroup":
      state.name = physical;
      state.arnSuffix = `targetgroup/${physical}/${h.slice(0, 16)}`;
      state.arn = arnOf("elasticloadbalancing", state.arnSuffix);
      id = state.arn;
      break;
    case "aws:lb/listener:Listener":
      state.arn = arnOf("elasticloadbalancing", `listener/net/${h.slice(0, 16)}`);
      id = state.arn;
      break;
    case "aws:ec2/launchTemplate:LaunchTemplate":
      state.latestVersion = 1;
      state.defaultVersion = 1;
      break;
    case "aws:kms/key:Key": {
      const u = hex(type, name, "uuid");
      state.keyId = `${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20, 32)}`;
      state.arn = arnOf("kms", `key/${state.keyId}`);
      id = state.keyId;
      break;
    }
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = inputs.bucket ?? `${name.toLowerCase().slice(0, 40)}-${h.slice(0, 8)}`;
      state.bucket = bucket;
      state.arn = `arn:aws:s3:::${bucket}`;
      state.bucketDomainName = `${bucket}.s3.amazonaws.com`;
      state.bucketRegionalDomainName = `${bucket}.s3.${REGION}.amazonaws.com`;
      id = bucket;
      break;
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      state.name = physical;
      state.arn = arnOf("logs", `log-group:${physical}`);
      id = physical;
      break;
    case "aws:iam/role:Role":
    case "aws:iam/policy:Policy":
    case "aws:iam/instanceProfile:InstanceProfile":
    case "aws:iam/user:User": {
      const kind = parts.kind === "instanceprofile" ? "instance-profile" : parts.kind;
      state.name = physical;
      state.arn = `arn:aws:iam::${ACCOUNT}:${kind}/${physical}`;
      state.uniqueId = `AROA${h.slice(0, 17).toUpperCase()}`;
      id = physical;
      break;
    }
    case "aws:sns/topic:Topic":
      state.name = physical;
      state.arn = arnOf("sns", physical);
      id = state.arn;
      break;
    case "aws:sqs/queue:Queue":
      state.name = physical;
      state.arn = arnOf("sqs", physical);
      state.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physical}`;
      id = state.url;
      break;
    case "aws:lambda/function:Function":
      state.name = physical;
      state.arn = arnOf("lambda", `function:${physical}`);
      state.invokeArn = `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${state.arn}/invocations`;
      id = physical;
      break;
    case "aws:autoscaling/group:Group":
      state.name = physical;
      state.arn = arnOf("autoscaling", `autoScalingGroup:${h.slice(0, 8)}:autoScalingGroupName/${physical}`);
      id = physical;
      break;
    case "aws:ssm/document:Document":
      state.name = physical;
      state.arn = arnOf("ssm", `document/${physical}`);
      id = physical;
      break;
    case "aws:glue/catalogDatabase:CatalogDatabase":
      state.name = physical;
      state.arn = arnOf("glue", `database/${physical}`);
      id = `${ACCOUNT}:${physical}`;
      break;
    case "aws:athena/workgroup:Workgroup":
      state.name = physical;
      state.arn = arnOf("athena", `workgroup/${physical}`);
      id = physical;
      break;
    default:
      if (parts && state.arn === undefined) {
        state.arn = arnOf(parts.service, `${parts.kind}/${id}`);
      }
      if (state.name === undefined) state.name = physical;
  }
  if (state.arn === undefined && parts) state.arn = arnOf(parts.service, `${parts.kind}/${id}`);
  state.id = id;
  return { id, state };
}

/**
 * What EC2 "says" about an existing VPC and its subnets: by default exactly what the config file claims (the
 * inventory shows the stack for a correct config); SPANLESS_INVENTORY_EC2 (JSON {"vpc-…": {...}, "subnet-…":
 * {...}}) overrides fields, so a test can play a VPC that disagrees with its config.
 */
function existingNetwork() {
  const answers = {};
  try {
    const config = JSON.parse(readFileSync(process.env.SPANLESS_STACK_CONFIG, "utf8"));
    const vpc = config?.vpc;
    if (vpc?.mode === "existing") {
      answers[vpc.vpcId] = { id: vpc.vpcId, cidrBlock: vpc.cidr };
      for (const s of vpc.sensorSubnets ?? []) {
        if (s.id) answers[s.id] = { id: s.id, vpcId: vpc.vpcId, availabilityZone: s.az, cidrBlock: s.cidr };
      }
    }
  } catch {
    // an unreadable config is reported by the stack itself
  }
  const overrides = JSON.parse(process.env.SPANLESS_INVENTORY_EC2 || "{}");
  for (const [id, fields] of Object.entries(overrides)) answers[id] = { ...answers[id], id, ...fields };
  return answers;
}

function mockCall({ token, inputs }) {
  switch (token) {
    case "aws:ec2/getVpc:getVpc":
    case "aws:ec2/getSubnet:getSubnet": {
      const found = existingNetwork()[inputs.id];
      if (found === undefined) throw new Error(`${inputs.id} does not exist (inventory mock of ${token})`);
      return found;
    }
    case "aws:index/getRegion:getRegion":
      return {
        name: REGION,
        region: REGION,
        id: REGION,
        description: REGION,
        endpoint: `ec2.${REGION}.amazonaws.com`,
      };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: ACCOUNT,
        arn: `arn:aws:iam::${ACCOUNT}:user/inventory`,
        userId: "AIDAINVENTORY",
        id: ACCOUNT,
      };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        names: ["a", "b", "c"].map((s) => `${REGION}${s}`),
        zoneIds: ["az1", "az2", "az3"],
        id: REGION,
      };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // SST components build policies this way; a faithful enough rendering for reading the inventory.
      return {
        json: JSON.stringify({ Version: "2012-10-17", Statement: inputs.statements ?? [] }),
        id: "policy",
      };
    default:
      return { ...inputs, id: inputs.id ?? token };
  }
}

/** Answers the SST CLI RPCs that components make while being declared (sst.aws.Function's build). */
function startRpcServer() {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const { method, params } = JSON.parse(body);
      const input = params?.[0] ?? {};
      let result = null;
      let error = null;
      if (method === "Runtime.Build") {
        // No real build: an inventory only needs a bundle directory holding the handler file.
        const out = join(WORK, "functions", String(input.functionID ?? "function"));
        const parsed = posix.parse(String(input.handler ?? "index.handler"));
        const file = join(out, parsed.dir, `${parsed.name}.mjs`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, "// placeholder bundle written by npm run infra:inventory\n");
        result = { handler: input.handler, out, errors: [], sourcemaps: [] };
      } else if (method === "Provider.Aws.Bootstrap") {
        // The SST bootstrap bucket/registry a deploy uploads function bundles to.
        result = {
          asset: `sst-asset-${hex(ACCOUNT, REGION).slice(0, 12)}`,
          assetEcrRegistryId: ACCOUNT,
          assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`,
          state: `sst-state-${hex(ACCOUNT, REGION).slice(0, 12)}`,
          appsyncHttp: "",
          appsyncRealtime: "",
        };
      } else if (method === "Provider.Aws.Appsync") {
        result = { http: "", realtime: "" };
      } else if (method?.startsWith("Runtime.") || method?.startsWith("Resource.")) {
        result = {};
      } else {
        error = `rpc: can't find method ${method}`;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: null, result, error }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/** Inputs as JSON: resources referenced as inputs are printed as their URN. */
function plain(value) {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(plain);
  if (pulumi.Resource.isInstance?.(value) || value.__pulumiResource) return "<resource>";
  const out = {};
  for (const key of Object.keys(value).sort()) {
    if (key.startsWith("__")) continue;
    out[key] = plain(value[key]);
  }
  return out;
}

async function main() {
  const recorded = [];
  const server = await startRpcServer();
  process.env.SST_SERVER = `http://127.0.0.1:${server.address().port}`;
  try {
    // SST suffixes physical names with crypto.randomBytes; a counter-seeded sequence keeps the output stable.
    let draws = 0;
    crypto.randomBytes = (size) => {
      const out = Buffer.alloc(size);
      for (let at = 0; at < size; at += 32)
        createHash("sha256").update(`inventory-${draws++}`).digest().copy(out, at);
      return out;
    };
    globalThis.$dev = false;
    globalThis.$cli = {
      command: "deploy",
      rpc: process.env.SST_SERVER,
      paths: { home: join(ROOT, ".sst"), root: ROOT, work: WORK, platform: PLATFORM },
      state: { version: {} },
    };
    globalThis.aws = aws;
    globalThis.sst = { aws: sstAws };
    globalThis.$util = pulumi;

    pulumi.runtime.setMocks(
      {
        newResource(args) {
          recorded.push(args);
          return mockState(args);
        },
        call: mockCall,
      },
      "spanless",
      STAGE,
      false,
    );

    const config = (await import("../sst.config.ts")).default;
    const app = await config.app({ stage: STAGE });
    globalThis.$app = {
      name: app.name,
      stage: STAGE,
      removal: app.removal ?? "retain",
      providers: app.providers ?? {},
      protect: app.protect ?? false,
    };
    const outputs = await pulumi.runtime.runInPulumiStack(() => sstRun(config.run));
    if (typeof pulumi.runtime.waitForRPCs === "function") await pulumi.runtime.waitForRPCs();
    // Let the last registrations land (apply callbacks can declare resources late).
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));

    const lines = recorded
      .filter((r) => r.type !== "pulumi:pulumi:Stack")
      .map((r) => ({ type: r.type, name: r.name, inputs: plain(r.inputs) }))
      .sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : 1) : a.type < b.type ? -1 : 1));
    lines.push({ type: "spanless:stack:Outputs", name: "outputs", inputs: plain(outputs ?? {}) });
    process.stdout.write(`${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  } finally {
    server.close();
  }
}

// An error thrown inside run() reaches us twice (the stack's outputs and Pulumi's own promise): report once.
let reported = false;
function fail(err) {
  if (!reported) {
    reported = true;
    const message = err?.name === "StackConfigError" ? err.message : (err?.stack ?? String(err));
    // Nothing more to print once the run has failed; Pulumi's pending registrations would keep Node alive.
    process.stderr.write(`infra-inventory: ${message}\n`, () => process.exit(1));
  }
  process.exitCode = 1;
}
process.on("unhandledRejection", fail);
// A registration that never settles (an error Pulumi swallowed) must not hang CI: give up loudly.
setTimeout(
  () => fail(new Error("the evaluation did not finish within 120 s (a resource never registered)")),
  120_000,
).unref();
process.on("uncaughtException", fail);
try {
  await main();
} catch (err) {
  fail(err);
}
