// The stack's configuration, one JSON file per stage (`spanless.config.<stage>.json` beside sst.config.ts;
// examples in examples/stack/). Validated with zod before any resource is declared, so a bad file stops
// `sst deploy` (and `npm run infra:inventory`) with every problem at once, each naming the field and the fix.
// Only this module knows the file's shape; the rest of the stack reads the parsed `StackConfig`.
import { z } from "zod";
import {
  checkPrefix,
  SENSOR_CONFIG_KEYS,
  type SensorConfigKey,
  sensorConfigPrefixForStage,
  sensorParameterNames,
} from "../../contracts/config/names.js";

/** Filter rules per Traffic Mirror filter (traffic-mirroring-quotas; not adjustable). */
export const MIRROR_FILTER_RULE_QUOTA = 10;
/** The filter always has four accept rules: inbound and outbound, IPv4 and IPv6. */
export const MIRROR_ACCEPT_RULES = 4;

// CloudWatch Logs accepts only these retention values (PutRetentionPolicy API reference).
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** An IPv4 CIDR as [network as uint32, prefix length], or undefined when it is not one. */
export function parseCidr(text: string): [number, number] | undefined {
  const m = IPV4_CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return [address, bits];
}

function isNetworkAddress([address, bits]: [number, number]): boolean {
  const size = 2 ** (32 - bits);
  return address % size === 0;
}

export function formatCidr(address: number, bits: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
  return `${octets.join(".")}/${bits}`;
}

/** Whether `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || i[1] < o[1]) return false;
  const size = 2 ** (32 - o[1]);
  return Math.floor(i[0] / size) === Math.floor(o[0] / size);
}

const cidr = (what: string, minBits: number, maxBits: number) =>
  z.string().superRefine((text, ctx) => {
    const parsed = parseCidr(text);
    if (!parsed) {
      ctx.addIssue({
        code: "custom",
        message: `"${text}" is not an IPv4 CIDR such as 10.40.0.0/16 (${what})`,
      });
      return;
    }
    if (!isNetworkAddress(parsed)) {
      ctx.addIssue({
        code: "custom",
        message: `"${text}" has host bits set; use the network address (e.g. ${formatCidr(parsed[0] - (parsed[0] % 2 ** (32 - parsed[1])), parsed[1])})`,
      });
    }
    if (parsed[1] === 0) {
      ctx.addIssue({
        code: "custom",
        message: `${text} would open this to every address; name the ranges that need it (${what})`,
      });
    } else if (parsed[1] < minBits || parsed[1] > maxBits) {
      ctx.addIssue({ code: "custom", message: `"${text}" must be a /${minBits} to /${maxBits} (${what})` });
    }
  });

const AZ_NAME = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;
const azName = z.string().regex(AZ_NAME, {
  message: "must be an Availability Zone name such as us-east-1a (not a zone ID like use1-az1)",
});

const awsId = (prefix: string, example: string) =>
  z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`), {
    message: `must be an ID such as ${example}`,
  });

const newVpc = z
  .object({
    mode: z.literal("new"),
    /** The VPC's CIDR; its lower half holds the private (sensor) subnets, the upper half the public ones. */
    cidr: cidr("the new VPC's address range", 16, 24),
    /** One private and one public subnet, and one NAT gateway, per AZ. */
    azs: z.array(azName).min(1, { message: "must list at least one AZ (two or more recommended)" }).max(4, {
      message: "at most 4 AZs: the VPC CIDR is split into 8 equal subnets (4 private, 4 public)",
    }),
  })
  .strict();

const existingSubnet = z
  .object({
    /** Use this subnet as it is; without `id` the stack creates a subnet of `cidr` in `az`. */
    id: awsId("subnet", "subnet-0123456789abcdef0").optional(),
    az: azName,
    cidr: cidr("the sensor subnet", 16, 28),
    /** Created subnets only: the route table to associate (it needs a route to the collector, e.g. a NAT). */
    routeTableId: awsId("rtb", "rtb-0123456789abcdef0").optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.id !== undefined && s.routeTableId !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["routeTableId"],
        message: "only for subnets the stack creates (no id); an existing subnet keeps its own route table",
      });
    }
    if (s.id === undefined && s.routeTableId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["routeTableId"],
        message:
          "is required for a subnet the stack creates: name the route table whose default route reaches the collector (a NAT gateway or proxy route)",
      });
    }
  });

const existingVpc = z
  .object({
    mode: z.literal("existing"),
    vpcId: awsId("vpc", "vpc-0123456789abcdef0"),
    /** The VPC's primary CIDR: the default mirrored range (the sensors accept VXLAN from it). */
    cidr: cidr("the existing VPC's primary range", 16, 28),
    sensorSubnets: z.array(existingSubnet).min(1, { message: "must list at least one sensor subnet" }),
  })
  .strict()
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.sensorSubnets.forEach((s, i) => {
      if (seen.has(s.az)) {
        ctx.addIssue({
          code: "custom",
          path: ["sensorSubnets", i, "az"],
          message: `${s.az} is listed twice: give one sensor subnet per AZ (an NLB takes one subnet per AZ)`,
        });
      }
      seen.add(s.az);
      if (!cidrContains(v.cidr, s.cidr)) {
        ctx.addIssue({
          code: "custom",
          path: ["sensorSubnets", i, "cidr"],
          message: `${s.cidr} is not inside the VPC's ${v.cidr}`,
        });
      }
    });
  });

const initialVersion = z.number().int().min(1);

const sensors = z
  .object({
    /** The Spanless sensor AMI (packer/README.md builds it). */
    amiId: awsId("ami", "ami-0123456789abcdef0"),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "must be an EC2 instance type such as c6in.large" }),
    min: z.number().int().min(0),
    desired: z.number().int().min(0),
    max: z.number().int().min(1),
    /**
     * NLB cross-zone load balancing. Off (the default, no cross-AZ data charges): each AZ's NLB node
     * sends only to sensors in its own AZ, so min and desired must cover every AZ.
     */
    crossZone: z.boolean().default(false),
    rootVolumeGiB: z.number().int().min(8).max(16384).default(20),
    /**
     * The AMI's root device, so the encrypted gp3 mapping replaces the root volume instead of adding one:
     * /dev/sda1 for the Ubuntu-based Spanless image (packer/).
     */
    rootDeviceName: z
      .string()
      .regex(/^\/dev\/[a-z0-9]+$/, { message: "must be a device name such as /dev/sda1 or /dev/xvda" })
      .default("/dev/sda1"),
    /**
     * The parameter versions the stack's own launch-template version pins (contracts/config pins). The
     * instance-refresh function pins the current versions on every rollout; the stack only renders the
     * first block. An optional key left out is pinned as `none`.
     */
    initialVersions: z
      .object({
        "collector-url": initialVersion.default(1),
        "push-token": initialVersion.default(1),
        proxy: initialVersion.optional(),
        "os-sensor-hmac": initialVersion.optional(),
      })
      .strict()
      .default({ "collector-url": 1, "push-token": 1 }),
  })
  .strict();

const parameters = z
  .object({
    /** Default `/spanless/<stage>` (contracts/config). */
    prefix: z.string().optional(),
    /** A customer-managed key the SecureStrings are encrypted with; default: the AWS managed aws/ssm key. */
    kmsKeyArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, {
        message: "must be a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/<uuid>",
      })
      .optional(),
  })
  .strict()
  .default({});

const tagSelector = z
  .string()
  .regex(/^[^,=]+(=[^,]+)?$/, { message: 'must be "key" or "key=v1|v2" (no commas)' });

const mirror = z
  .object({
    /** Source CIDRs the sensors accept VXLAN from; default: the VPC's CIDR. */
    sourceCidrs: z
      .array(cidr("a mirrored source range", 1, 32))
      .min(1)
      .optional(),
    /** Mirror Amazon DNS (Route 53 Resolver) traffic too (the filter's amazon-dns network service). */
    amazonDns: z.boolean().default(false),
    includeVpcIds: z.array(awsId("vpc", "vpc-0123456789abcdef0")).default([]),
    excludeVpcIds: z.array(awsId("vpc", "vpc-0123456789abcdef0")).default([]),
    includeSubnetIds: z.array(awsId("subnet", "subnet-0123456789abcdef0")).default([]),
    excludeSubnetIds: z.array(awsId("subnet", "subnet-0123456789abcdef0")).default([]),
    selectTags: z.array(tagSelector).default([]),
    selectTagsMode: z.enum(["all", "any"]).default("all"),
    optOutTag: tagSelector.optional(),
    eniScope: z.enum(["primary", "all"]).default("all"),
    packetLength: z.number().int().min(1).max(8500).optional(),
    removeOnStop: z.boolean().default(true),
    /** How often the reconciler sweeps the region (EventBridge Scheduler rate, minutes). */
    reconcileEveryMinutes: z.number().int().min(1).max(1440).default(15),
  })
  .strict()
  .default({
    amazonDns: false,
    includeVpcIds: [],
    excludeVpcIds: [],
    includeSubnetIds: [],
    excludeSubnetIds: [],
    selectTags: [],
    selectTagsMode: "all",
    eniScope: "all",
    removeOnStop: true,
    reconcileEveryMinutes: 15,
  });

const alarms = z
  .object({
    /** Subscribed to the stack's on-call topic (the address must confirm the subscription). */
    email: z.email({ message: "must be an e-mail address" }).optional(),
    /** An existing topic to publish to instead of creating one. */
    topicArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
        message: "must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:oncall",
      })
      .optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.email === undefined && a.topicArn === undefined) {
      ctx.addIssue({
        code: "custom",
        message:
          "set alarms.email (a topic is created and the address subscribed) or alarms.topicArn (an existing on-call topic): alarms and launch-failure pages need somewhere to go",
      });
    }
  });

const collector = z
  .object({
    /** Deploy the reference collector (`spanless collector`) in the account, writing to the records bucket. */
    enabled: z.boolean().default(false),
    instanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "must be an EC2 instance type such as t3.small" })
      .default("t3.small"),
    /** The collector's AMI: default the sensor AMI (the collector ships in the same bundle). */
    amiId: awsId("ami", "ami-0123456789abcdef0").optional(),
    /** internet-facing NLB in the public subnets (new-VPC mode only) instead of an internal one. */
    public: z.boolean().default(false),
    /** The name sensors use (collector-url https://<domainName>/); point it (CNAME) at the CollectorLoadBalancerDns output. */
    domainName: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
        message: "must be a DNS name such as collector.example.com",
      })
      .optional(),
    /** ACM certificate for domainName: the NLB terminates TLS with it (sensors verify the name). */
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, {
        message:
          "must be an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/<uuid>",
      })
      .optional(),
    /** CIDRs allowed to reach the collector's TLS port; default the VPC's CIDR (required when public). */
    allowedCidrs: z
      .array(cidr("a range allowed to reach the collector", 1, 32))
      .min(1)
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    if (c.domainName === undefined || c.certificateArn === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [c.domainName === undefined ? "domainName" : "certificateArn"],
        message:
          "an enabled collector needs domainName and certificateArn (an ACM certificate for that name): sensors verify the collector's certificate against the name in collector-url, so the load balancer terminates TLS with a certificate for it",
      });
    }
    if (c.public && c.allowedCidrs === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["allowedCidrs"],
        message:
          "a public collector needs allowedCidrs: the sending deployments' NAT addresses (their NatPublicIps output), never the whole internet",
      });
    }
  })
  .default({ enabled: false, instanceType: "t3.small", public: false });

export const stackConfigSchema = z
  .object({
    $schema: z.string().optional(),
    vpc: z.discriminatedUnion("mode", [newVpc, existingVpc], {
      message:
        'vpc.mode must be "new" (with cidr and azs) or "existing" (with vpcId, cidr and sensorSubnets)',
    }),
    sensors,
    parameters,
    /** Days a PCAP file stays under pcaps/ in the bucket (lifecycle expiration). */
    pcapRetentionDays: z.number().int().min(1).max(3650).default(14),
    /** Days the collector's records stay under records/; absent: kept until deleted. */
    recordsRetentionDays: z.number().int().min(1).max(36500).optional(),
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `must be one of CloudWatch Logs' retention values: ${LOG_RETENTION_DAYS.join(", ")}`,
      })
      .default(30),
    mirror,
    alarms,
    collector,
  })
  .strict()
  .superRefine((c, ctx) => {
    const azs = c.vpc.mode === "new" ? c.vpc.azs : c.vpc.sensorSubnets.map((s) => s.az);
    if (new Set(azs).size !== azs.length && c.vpc.mode === "new") {
      ctx.addIssue({ code: "custom", path: ["vpc", "azs"], message: "lists an AZ twice" });
    }
    const { min, desired, max } = c.sensors;
    if (desired < min) {
      ctx.addIssue({
        code: "custom",
        path: ["sensors", "desired"],
        message: `must be at least sensors.min (${min})`,
      });
    }
    if (max < desired) {
      ctx.addIssue({
        code: "custom",
        path: ["sensors", "max"],
        message: `must be at least sensors.desired (${desired})`,
      });
    }
    if (!c.sensors.crossZone) {
      // The seed's rule: with cross-zone off, each AZ's NLB node delivers only to sensors in its own AZ.
      const n = azs.length;
      for (const field of ["min", "desired"] as const) {
        if (c.sensors[field] < n) {
          ctx.addIssue({
            code: "custom",
            path: ["sensors", field],
            message:
              `is ${c.sensors[field]} but must be at least ${n}, one sensor per AZ (${azs.join(", ")}), while sensors.crossZone is false: ` +
              "each AZ's load balancer node sends mirrored traffic only to sensors in its own AZ, so the traffic " +
              `of an AZ without a sensor is dropped without an error. Raise sensors.min and sensors.desired to ${n}, ` +
              "or set sensors.crossZone to true (cross-AZ data transfer is then charged)",
          });
        }
      }
    }
    const rejectRules = 2 * sensorSubnetCidrs(c).length;
    if (rejectRules + MIRROR_ACCEPT_RULES > MIRROR_FILTER_RULE_QUOTA) {
      ctx.addIssue({
        code: "custom",
        path: ["vpc", "sensorSubnets"],
        message: `${rejectRules / 2} sensor subnet ranges need ${rejectRules} reject rules plus ${MIRROR_ACCEPT_RULES} accept rules, more than the ${MIRROR_FILTER_RULE_QUOTA} rules a Traffic Mirror filter allows: use at most 3 sensor subnets`,
      });
    }
    if (c.collector.enabled && c.collector.public && c.vpc.mode !== "new") {
      ctx.addIssue({
        code: "custom",
        path: ["collector", "public"],
        message: "a public collector needs the public subnets of a new VPC (vpc.mode new); set it to false",
      });
    }
    if (c.parameters.prefix !== undefined) {
      try {
        checkPrefix(c.parameters.prefix);
      } catch (err) {
        ctx.addIssue({ code: "custom", path: ["parameters", "prefix"], message: (err as Error).message });
      }
    }
  });

export type StackConfigInput = z.input<typeof stackConfigSchema>;
type ParsedConfig = z.output<typeof stackConfigSchema>;

/** The parsed file plus what the stage decides (parameter names). */
export type StackConfig = ParsedConfig & {
  stage: string;
  parameterNames: Readonly<Record<SensorConfigKey, string>>;
  /** One per AZ, in config order. */
  azs: string[];
};

/**
 * New VPC: the VPC CIDR split into 8 equal subnets; the first `azs.length` are the private (sensor)
 * subnets, subnets 4..7 the public ones. Keeping every sensor subnet in the lower half lets one filter
 * rule per direction reject the sensors' own traffic.
 */
export function newVpcLayout(vpcCidr: string, azs: readonly string[]) {
  const parsed = parseCidr(vpcCidr);
  if (!parsed) throw new Error(`not a CIDR: ${vpcCidr}`);
  const [base, bits] = parsed;
  const subnetBits = bits + 3;
  const size = 2 ** (32 - subnetBits);
  return {
    private: azs.map((az, i) => ({ az, cidr: formatCidr(base + i * size, subnetBits) })),
    public: azs.map((az, i) => ({ az, cidr: formatCidr(base + (4 + i) * size, subnetBits) })),
    /** The lower half: every private subnet (and nothing else). */
    sensorRange: formatCidr(base, bits + 1),
  };
}

/** The ranges the mirror filter rejects: the sensors' own subnets. */
export function sensorSubnetCidrs(c: Pick<ParsedConfig, "vpc">): string[] {
  return c.vpc.mode === "new"
    ? [newVpcLayout(c.vpc.cidr, c.vpc.azs).sensorRange]
    : c.vpc.sensorSubnets.map((s) => s.cidr);
}

/** AZs of the config that are not in the region the stack deploys to (checked once the region is known). */
export function regionProblems(config: Pick<StackConfig, "vpc" | "azs">, region: string): string[] {
  const field = config.vpc.mode === "new" ? "vpc.azs" : "vpc.sensorSubnets";
  return config.azs.flatMap((az, i) => {
    // An AZ name is its region's name plus one letter (us-east-1a).
    if (az.slice(0, -1) === region) return [];
    const where = config.vpc.mode === "new" ? `${field}[${i}]` : `${field}[${i}].az`;
    return [
      `${where}: ${az} is not in the region being deployed to, ${region}: use ${region}'s zones (${region}a, ${region}b, …) or deploy to ${az.slice(0, -1)} (AWS_REGION or your profile's region)`,
    ];
  });
}

export function finishConfig(parsed: ParsedConfig, stage: string): StackConfig {
  const prefix = parsed.parameters.prefix ?? sensorConfigPrefixForStage(stage);
  const names = sensorParameterNames(prefix);
  const azs = parsed.vpc.mode === "new" ? [...parsed.vpc.azs] : parsed.vpc.sensorSubnets.map((s) => s.az);
  return { ...parsed, stage, parameterNames: names, azs };
}

export { SENSOR_CONFIG_KEYS };
