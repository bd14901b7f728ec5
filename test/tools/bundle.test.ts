// The per-deployable bundles (tools/bundle.mjs): each holds what its deployable imports and nothing
// else, and each runs. Read from esbuild's own metafile, so a new import that drags the AWS SDK
// into the sensor, or the sensor into a Lambda, fails here.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const FUNCTIONS = ["mirror-on-launch", "instance-refresh", "health"];
const DEMO = join(ROOT, "sensor-ami", "samples", "demo.pcap");

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

const meta = (dir: string): Metafile => JSON.parse(readFileSync(join(out, dir, "meta.json"), "utf8"));
const inputs = (dir: string) => Object.keys(meta(dir).inputs);
const packagesIn = (files: string[]) =>
  new Set(
    files
      .map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1])
      .filter((p): p is string => p !== undefined),
  );

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env, timeout: 120_000 });
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "spanless-bundle-"));
  const built = run([join(ROOT, "tools", "bundle.mjs"), "--out", out]);
  expect(built.stderr).toBe("");
  expect(built.status).toBe(0);
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("sensor bundle", () => {
  it("holds the sensor and the contracts, of the AWS SDK only the S3 client, no Powertools or function code", () => {
    // Prepare / Act
    const files = inputs("sensor");

    // Assess
    expect(files.some((f) => f.startsWith("sensor-ami/src/engine/"))).toBe(true);
    expect(files.filter((f) => f.startsWith("functions/"))).toEqual([]);
    const packages = [...packagesIn(files)];
    // The collector's S3 sink (and next the PCAP ring) needs @aws-sdk/client-s3, added deliberately
    // (ARCHITECTURE.md); any other AWS package in the sensor came in by accident.
    const s3 = dependencyClosure("@aws-sdk/client-s3");
    const aws = packages.filter((p) => /^@(aws-sdk|smithy|aws-crypto|aws-lambda-powertools)\//.test(p));
    expect(aws).toContain("@aws-sdk/client-s3");
    expect(aws.filter((p) => !s3.has(p))).toEqual([]);
  });

  it("loads the S3 client only lazily: nothing the CLI entry imports statically holds AWS SDK code", () => {
    // Prepare
    const { outputs } = meta("sensor");
    const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === "sensor-ami/src/cli/main.ts");

    // Act: every output reachable from the entry through static imports (what `spanless analyze` loads)
    const eager = new Set<string>();
    const visit = (output: string) => {
      if (eager.has(output)) return;
      eager.add(output);
      for (const i of outputs[output]?.imports ?? []) if (i.kind === "import-statement") visit(i.path);
    };
    visit(entry!);
    const eagerPackages = packagesIn([...eager].flatMap((o) => Object.keys(outputs[o]?.inputs ?? {})));

    // Assess
    expect(eager.size).toBeGreaterThan(0);
    expect([...eagerPackages].filter((p) => /^@(aws-sdk|smithy|aws-crypto)\//.test(p))).toEqual([]);
  });

  it("writes the same logs as the development build", () => {
    // Prepare
    const bundled = join(out, "logs-bundled");
    const dev = join(out, "logs-dev");

    // Act
    const a = run([
      join(out, "sensor", "bin", "spanless.js"),
      "analyze",
      DEMO,
      "--out",
      bundled,
      "--seed",
      "1",
      "-q",
    ]);
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
  it("runs spanless sensor with its engine threads and the batched-receive addon", async () => {
    // Prepare
    const logs = join(out, "live-logs");
    const sensor = spawn(
      process.execPath,
      [
        join(out, "sensor", "bin", "spanless.js"),
        "sensor",
        "--listen",
        "127.0.0.1:0",
        "--health-port",
        "0",
        "--health-host",
        "127.0.0.1",
        "--out",
        logs,
        "--workers",
        "2",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    sensor.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => sensor.on("exit", resolve));
    for (let i = 0; i < 300 && !/listening on [^ ]+:\d+ /.test(stderr); i++)
      await new Promise((r) => setTimeout(r, 20));
    const port = Number(/listening on [^ ]+:(\d+) /.exec(stderr)?.[1]);

    // Act
    const sent = run([
      join(out, "sensor", "bin", "spanless.js"),
      "replay",
      DEMO,
      "--to",
      `127.0.0.1:${port}`,
      "--top",
      "-q",
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    sensor.kill("SIGTERM");
    const code = await exited;

    // Assess
    expect([sent.status, sent.stderr]).toEqual([0, ""]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/receive path recvmmsg/);
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
