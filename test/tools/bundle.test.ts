// The per-deployable bundles (tools/bundle.mjs): each holds what its deployable imports and nothing
// else, and each runs; the sensor's as the image installs it, one file and its addon alone in a
// directory with no node_modules above it. Read from esbuild's own metafile, so a new import that drags the AWS SDK
// into the sensor, or the sensor into a Lambda, fails here.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SENSOR_BUNDLE } from "../../contracts/host/paths.js";
import { ADDON_FILE } from "../../sensor-ami/src/capture/udp/native.js";
import { startSensor, waitForDatagrams } from "../daemon/support/live.js";

const ROOT = join(import.meta.dirname, "..", "..");
const FUNCTIONS = ["mirror-on-launch", "instance-refresh", "health"];
const DEMO = join(ROOT, "sensor-ami", "samples", "demo.pcap");
/** tools/bundle.mjs's sensor output, installed as SENSOR_BUNDLE. */
const SENSOR_FILE = "spanless.mjs";
/**
 * The AWS SDK clients the sensor may carry, each imported lazily where it is used: S3 (collector
 * sink, PCAP ring), SSM and Auto Scaling (`spanless bootstrap`). Their dependencies come with them.
 */
const SENSOR_AWS_CLIENTS = ["@aws-sdk/client-s3", "@aws-sdk/client-ssm", "@aws-sdk/client-auto-scaling"];

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<
    string,
    {
      bytes: number;
      entryPoint?: string;
      inputs?: Record<string, unknown>;
      imports?: { path: string; kind: string }[];
    }
  >;
}

const installedPackage = (name: string) => existsSync(join(ROOT, "node_modules", name, "package.json"));

/** A package and everything it depends on, transitively, as installed in node_modules. */
function dependencyClosure(name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (pkg: string) => {
    if (seen.has(pkg)) return;
    seen.add(pkg);
    const manifest = JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8"));
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep);
  };
  visit(name);
  return seen;
}

let out: string;
/** The sensor bundle as the image installs it: spanless.mjs and its addon alone in a directory. */
let installed: string;

const meta = (dir: string): Metafile => JSON.parse(readFileSync(join(out, dir, "meta.json"), "utf8"));
const inputs = (dir: string) => Object.keys(meta(dir).inputs);
const packagesIn = (files: string[]) =>
  new Set(
    files
      .map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1])
      .filter((p): p is string => p !== undefined),
  );

function run(args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT) {
  return spawnSync(process.execPath, args, { cwd, encoding: "utf8", env, timeout: 120_000 });
}

/** Runs the installed copy from its own directory, with no NODE_PATH or NODE_OPTIONS to lean on. */
function runInstalled(args: string[]) {
  return run([join(installed, SENSOR_FILE), ...args], { PATH: process.env.PATH ?? "" }, installed);
}

/** Any node_modules directory in `dir` or above it (module resolution would find it). */
function nodeModulesAbove(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, "node_modules"))) return join(d, "node_modules");
    if (dirname(d) === d) return undefined;
  }
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "spanless-bundle-"));
  const built = run([join(ROOT, "tools", "bundle.mjs"), "--out", out]);
  expect(built.stderr).toBe("");
  expect(built.status).toBe(0);
  installed = mkdtempSync(join(tmpdir(), "spanless-installed-"));
  for (const file of [SENSOR_FILE, ADDON_FILE])
    copyFileSync(join(out, "sensor", file), join(installed, file));
});

afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(installed, { recursive: true, force: true });
});

describe("sensor bundle", () => {
  it("is one file (with its source map and licence notes), named as the host contract installs it", () => {
    // Prepare / Act
    const outputs = Object.keys(meta("sensor").outputs).map((o) => basename(o));

    // Assess
    expect(SENSOR_BUNDLE.endsWith(`/${SENSOR_FILE}`)).toBe(true);
    expect(outputs.filter((o) => !o.endsWith(".map") && !o.endsWith(".LEGAL.txt"))).toEqual([SENSOR_FILE]);
    expect(existsSync(join(out, "sensor", ADDON_FILE)), "npm ci builds the addon").toBe(true);
  });

  it("holds the sensor and the contracts, of the AWS SDK only the clients allowed, no Powertools or function code", () => {
    // Prepare / Act
    const files = inputs("sensor");

    // Assess
    expect(files.some((f) => f.startsWith("sensor-ami/src/engine/"))).toBe(true);
    expect(files.filter((f) => f.startsWith("functions/"))).toEqual([]);
    const packages = [...packagesIn(files)];
    // The collector's S3 sink and the PCAP ring need @aws-sdk/client-s3, `spanless bootstrap` reads
    // its parameters with SSM and completes the lifecycle action with Auto Scaling (ARCHITECTURE.md);
    // any other AWS package in the sensor came in by accident.
    const allowed = new Set(
      SENSOR_AWS_CLIENTS.filter(installedPackage).flatMap((c) => [...dependencyClosure(c)]),
    );
    const aws = packages.filter((p) => /^@(aws-sdk|smithy|aws-crypto|aws-lambda-powertools)\//.test(p));
    expect(aws).toContain("@aws-sdk/client-s3");
    expect(aws.filter((p) => !allowed.has(p))).toEqual([]);
  });

  it("evaluates AWS SDK code only when it is used: nothing the CLI imports statically holds any", () => {
    // Prepare: without splitting, a module behind a dynamic import() is inlined but evaluated only
    // when that import runs; what main.ts reaches through static imports is what `analyze` runs
    const { inputs: graph } = meta("sensor") as unknown as {
      inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
    };

    // Act
    const eager = new Set<string>();
    const visit = (input: string) => {
      if (eager.has(input) || graph[input] === undefined) return;
      eager.add(input);
      for (const i of graph[input].imports) if (i.kind !== "dynamic-import" && !i.external) visit(i.path);
    };
    visit("sensor-ami/src/cli/main.ts");

    // Assess
    expect(eager.size).toBeGreaterThan(10);
    expect([...packagesIn([...eager])].filter((p) => /^@(aws-sdk|smithy|aws-crypto)\//.test(p))).toEqual([]);
    expect([...eager].filter((f) => f.startsWith("sensor-ami/src/daemon/"))).toEqual([]);
  });

  it("starts from a directory with no node_modules anywhere above it", () => {
    // Prepare
    expect(nodeModulesAbove(installed)).toBeUndefined();
    expect(readdirSync(installed).sort()).toEqual([SENSOR_FILE, ADDON_FILE].sort());

    // Act
    const help = runInstalled(["--help"]);

    // Assess
    expect([help.status, help.stderr]).toEqual([0, ""]);
    expect(help.stdout).toMatch(/^usage: spanless analyze/);
  });

  it("writes the same logs as the development build", () => {
    // Prepare
    const bundled = join(out, "logs-bundled");
    const dev = join(out, "logs-dev");

    // Act
    const a = runInstalled(["analyze", DEMO, "--out", bundled, "--seed", "1", "-q"]);
    const b = run([
      join(ROOT, "sensor-ami", "bin", "spanless.js"),
      "analyze",
      DEMO,
      "--out",
      dev,
      "--seed",
      "1",
      "-q",
    ]);

    // Assess
    expect([a.status, a.stderr]).toEqual([0, ""]);
    expect([b.status, b.stderr]).toEqual([0, ""]);
    const logs = readdirSync(dev).sort();
    expect(logs).toContain("conn.log");
    expect(readdirSync(bundled).sort()).toEqual(logs);
    for (const log of logs) {
      expect(readFileSync(join(bundled, log), "utf8"), log).toBe(readFileSync(join(dev, log), "utf8"));
    }
  });
});

describe("sensor bundle, live", () => {
  it("runs spanless sensor with its engine threads (started from the same file) and the addon beside it", async () => {
    // Prepare
    const logs = join(out, "live-logs");
    const sensor = await startSensor(["--out", logs, "--workers", "2"], {
      program: { node: process.execPath, script: join(installed, SENSOR_FILE) },
      cwd: installed,
      env: { PATH: process.env.PATH ?? "" },
    });

    // Act
    const sent = runInstalled(["replay", DEMO, "--to", `127.0.0.1:${sensor.port}`, "--top", "-q"]);
    await waitForDatagrams(sensor, 1);
    const code = await sensor.stop();
    const stderr = sensor.stderr();

    // Assess
    expect([sent.status, sent.stderr]).toEqual([0, ""]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/with 2 engine worker\(s\), receive path recvmmsg/);
    expect(stderr).toMatch(/records: .*conn [1-9]/);
    expect(readdirSync(logs)).toContain("conn.log");
  }, 30_000);
});

describe.each(FUNCTIONS)("function bundle %s", (fn) => {
  it("holds no sensor code and no test or benchmark package", () => {
    // Prepare / Act
    const files = inputs(join("functions", fn));

    // Assess
    expect(files.filter((f) => f.startsWith("sensor-ami/"))).toEqual([]);
    expect(
      files.filter(
        (f) =>
          f.startsWith("functions/") &&
          !f.startsWith(`functions/${fn}/`) &&
          !f.startsWith("functions/shared/"),
      ),
    ).toEqual([]);
    const packages = packagesIn(files);
    for (const devOnly of ["vitest", "fast-check", "aws-sdk-client-mock", "esbuild", "typescript"]) {
      expect(packages.has(devOnly), devOnly).toBe(false);
    }
  });

  it("loads on its own and exports its handler", () => {
    // Prepare: the bundle alone, outside the repository's node_modules
    const file = pathToFileURL(join(out, "functions", fn, "index.mjs")).href;
    const probe = `const m = await import(${JSON.stringify(file)}); console.log(JSON.stringify(Object.keys(m).filter((k) => typeof m[k] === "function").sort()));`;

    // Act
    const loaded = run(["--input-type=module", "-e", probe], {
      PATH: process.env.PATH,
      AWS_REGION: "us-east-1",
      NODE_PATH: "",
    });

    // Assess
    expect(loaded.stderr).toBe("");
    expect(loaded.status).toBe(0);
    expect(JSON.parse(loaded.stdout)).toContain("handler");
  });
});
