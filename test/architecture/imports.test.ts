// ARCHITECTURE.md's import rules, checked on every source file: which part may import which, and
// which packages each deployable may pull in. A rule broken here is a deployable that would ship
// code (or an SDK) it should not, or a contract that grew a dependency on a runtime.
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

interface ImportEdge {
  /** Repository-relative path of the importing file. */
  file: string;
  /** What the import statement names. */
  specifier: string;
  /** Repository-relative target for a relative specifier, the package name otherwise. */
  target: string;
  kind: "local" | "builtin" | "package";
}

/** Each part: where its files are, which local parts it may import, which packages and built-ins. */
interface PartRule {
  name: string;
  root: string;
  mayImport: string[];
  packages: (name: string) => boolean;
  builtins: (name: string) => boolean;
}

const ANY = () => true;
const NONE = () => false;
/** Bytes and addresses as text (hex, latin1, IP): a leaf every sensor layer may use. */
const TEXT = "sensor-ami/src/text";
/** The lazily loaded S3 client (loader and client options) the collector, PCAP ring and VNI map fetch share. */
const AWS_S3 = "sensor-ami/src/aws";
const FUNCTION_PACKAGES = (p: string) =>
  p.startsWith("@aws-sdk/") || p.startsWith("@aws-lambda-powertools/") || p === "zod" || p === "aws-lambda";

const FUNCTIONS = ["mirror-on-launch", "instance-refresh", "health"];
/** The sensor CLI's AWS SDK clients, each imported lazily where it is used (ARCHITECTURE.md). */
const SENSOR_AWS_PACKAGES = new Set([
  "@aws-sdk/client-s3",
  "@aws-sdk/client-ssm",
  "@aws-sdk/client-auto-scaling",
]);

const RULES: PartRule[] = [
  {
    name: "contracts",
    root: "contracts",
    mayImport: ["contracts"],
    packages: (p) => p === "zod",
    // Formats and checks only: no files, sockets or processes. Hashing (the push-token signature) is allowed.
    builtins: (b) => b === "crypto" || b === "buffer",
  },
  {
    name: "sensor",
    root: "sensor-ami/src",
    mayImport: ["sensor-ami/src", "contracts"],
    // The S3 client, added deliberately (ARCHITECTURE.md): the collector's S3 sink loads it lazily, and
    // so do the boot's SSM and Auto Scaling clients; nothing else of the AWS SDK may follow them in.
    packages: (p) => p === "zod" || SENSOR_AWS_PACKAGES.has(p),
    builtins: ANY,
  },
  {
    name: "sensor/collector",
    root: "sensor-ami/src/collector",
    // The reference collector shares the CLI, not the engine: it verifies and stores batches, so the
    // upload contract is all it needs of the rest.
    mayImport: ["sensor-ami/src/collector", AWS_S3, "contracts"],
    packages: (p) => p === "zod" || p === "@aws-sdk/client-s3",
    builtins: ANY,
  },
  // Inside the sensor, data flows one way: capture -> engine -> inspect -> protocols -> logs.
  {
    name: "sensor/capture",
    root: "sensor-ami/src/capture",
    // Frame sources produce the engine's Frame and know nothing else of it.
    mayImport: ["sensor-ami/src/capture", "sensor-ami/src/engine/frame", TEXT],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/daemon",
    root: "sensor-ami/src/daemon",
    // The live sensor wires sources, engines, inspection and log output; only the CLI sits above it.
    mayImport: [
      "sensor-ami/src/daemon",
      "sensor-ami/src/ship",
      "sensor-ami/src/pcap",
      "sensor-ami/src/capture",
      "sensor-ami/src/engine",
      "sensor-ami/src/inspect",
      "sensor-ami/src/logs",
      AWS_S3,
      TEXT,
      "contracts",
    ],
    // The VNI map's fetch from S3 (daemon/vni-map-fetch.ts) loads the S3 client lazily, as the PCAP ring does.
    packages: (p) => p === "zod" || p === "@aws-sdk/client-s3",
    builtins: ANY,
  },
  {
    name: "sensor/decode",
    root: "sensor-ami/src/decode",
    mayImport: ["sensor-ami/src/decode", "sensor-ami/src/capture/link-types", TEXT],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/engine",
    root: "sensor-ami/src/engine",
    // The inspector is reached through engine/hooks.ts, never imported.
    mayImport: ["sensor-ami/src/engine", "sensor-ami/src/decode", "sensor-ami/src/logs", TEXT],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/inspect",
    root: "sensor-ami/src/inspect",
    mayImport: [
      "sensor-ami/src/inspect",
      "sensor-ami/src/engine",
      "sensor-ami/src/protocols",
      "sensor-ami/src/logs",
      TEXT,
    ],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/protocols",
    root: "sensor-ami/src/protocols",
    // An analyzer sees its connection only through AnalyzerContext (protocols/types.ts).
    mayImport: ["sensor-ami/src/protocols", "sensor-ami/src/logs", TEXT],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/logs",
    root: "sensor-ami/src/logs",
    mayImport: ["sensor-ami/src/logs", TEXT],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/ship",
    root: "sensor-ami/src/ship",
    // Batches, the disk spool and the push-token upload: it takes the logs' chunks and speaks the
    // upload contract; the daemon wires it, so it never reaches into the engine or the daemon.
    mayImport: ["sensor-ami/src/ship", "sensor-ami/src/logs", TEXT, "contracts"],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor/pcap",
    root: "sensor-ami/src/pcap",
    // The PCAP ring writes, uploads and searches its own files: frames come in as bytes from the
    // daemon's workers, so it needs nothing of the engine; the S3 client is loaded lazily.
    mayImport: ["sensor-ami/src/pcap", AWS_S3, TEXT, "contracts"],
    packages: (p) => p === "@aws-sdk/client-s3",
    builtins: ANY,
  },
  {
    name: "sensor/bootstrap",
    root: "sensor-ami/src/bootstrap",
    // First boot of a sensor instance: reads SSM, proves the collector path with the shipper's own code,
    // writes the sensor's config and completes the launch; it never touches the engine or the daemon.
    mayImport: ["sensor-ami/src/bootstrap", "sensor-ami/src/ship", TEXT, "contracts"],
    packages: (p) => p === "zod" || p === "@aws-sdk/client-ssm" || p === "@aws-sdk/client-auto-scaling",
    builtins: ANY,
  },
  {
    name: "sensor/aws",
    root: AWS_S3,
    mayImport: [AWS_S3],
    packages: (p) => p === "@aws-sdk/client-s3",
    builtins: NONE,
  },
  {
    name: "sensor/text",
    root: TEXT,
    mayImport: [TEXT],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "sensor tools",
    root: "sensor-ami/bench",
    mayImport: ["sensor-ami/src", "sensor-ami/bench", "contracts"],
    packages: ANY,
    builtins: ANY,
  },
  {
    name: "sensor fuzzing",
    root: "sensor-ami/fuzz",
    mayImport: ["sensor-ami/src", "sensor-ami/fuzz", "contracts"],
    packages: ANY,
    builtins: ANY,
  },
  {
    name: "sensor image build",
    root: "sensor-ami/image",
    // write-manifest.mjs runs on the image build instance on the pinned Node.js alone: no package, and
    // no sensor code (the manifest's reader is the CLI's, and test/image checks the two agree).
    mayImport: ["sensor-ami/image"],
    packages: NONE,
    builtins: ANY,
  },
  {
    name: "functions/shared",
    root: "functions/shared",
    mayImport: ["functions/shared", "contracts"],
    packages: FUNCTION_PACKAGES,
    builtins: ANY,
  },
  ...FUNCTIONS.map(
    (fn): PartRule => ({
      name: `functions/${fn}`,
      root: `functions/${fn}`,
      mayImport: [`functions/${fn}`, "functions/shared", "contracts"],
      // A function's benchmark (functions/<fn>/bench) may use dev-only packages; it is not in the build.
      packages: FUNCTION_PACKAGES,
      builtins: ANY,
    }),
  ),
];

const BENCH_PACKAGES = new Set(["aws-sdk-client-mock", "fast-check"]);

function subfolders(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `${dir}/${e.name}`);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "fixtures") out.push(...sourceFiles(path));
    } else if (/\.(ts|mjs|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(path);
    }
  }
  return out;
}

// Static imports, re-exports, side-effect imports and dynamic imports with a literal specifier.
const IMPORT_PATTERN = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

function importsOf(file: string, text: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(IMPORT_PATTERN)) {
    const specifier = match[1];
    if (specifier.startsWith(".")) {
      const target = normalize(relative(ROOT, join(ROOT, dirname(file), specifier)))
        .split(sep)
        .join("/")
        .replace(/\.(js|mjs|ts)$/, "");
      edges.push({ file, specifier, target, kind: "local" });
    } else if (specifier.startsWith("node:") || builtinModules.includes(specifier)) {
      edges.push({ file, specifier, target: specifier.replace(/^node:/, ""), kind: "builtin" });
    } else {
      const parts = specifier.split("/");
      const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
      edges.push({ file, specifier, target: name, kind: "package" });
    }
  }
  return edges;
}

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

interface SourceFile {
  path: string;
  text: string;
}

const read = (path: string): SourceFile => ({ path, text: readFileSync(join(ROOT, path), "utf8") });

function violations(rule: PartRule, files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const { path: file, text } of files) {
    const isBench = file.includes("/bench/");
    for (const edge of importsOf(file, text)) {
      const where = `${edge.file} imports "${edge.specifier}"`;
      if (edge.kind === "local" && !rule.mayImport.some((dir) => within(edge.target, dir))) {
        problems.push(`${where}: ${rule.name} may import only ${rule.mayImport.join(", ")}`);
      } else if (edge.kind === "builtin" && !rule.builtins(edge.target)) {
        problems.push(`${where}: ${rule.name} may not use Node's ${edge.target}`);
      } else if (edge.kind === "package" && !rule.packages(edge.target)) {
        if (!(isBench && BENCH_PACKAGES.has(edge.target))) {
          problems.push(`${where}: ${rule.name} may not depend on ${edge.target}`);
        }
      }
    }
  }
  return problems;
}

describe("import rules (ARCHITECTURE.md)", () => {
  it.each(RULES.map((r) => [r.name, r] as const))("%s imports only what it may", (_name, rule) => {
    // Prepare
    const files = sourceFiles(rule.root).map(read);

    // Act
    const problems = violations(rule, files);

    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it("every source folder of a deployable is covered by a rule", () => {
    // Prepare
    const folders = [
      "contracts",
      ...subfolders("functions"),
      ...subfolders("sensor-ami").filter((d) => !d.endsWith("/bin") && !d.endsWith("/samples")),
      ...subfolders("sensor-ami/src"),
    ];

    // Act
    const uncovered = folders.filter(
      (d) => sourceFiles(d).length > 0 && !RULES.some((r) => within(d, r.root)),
    );

    // Assess
    expect(uncovered).toEqual([]);
  });

  it("reports planted violations with the file, the import and the rule", () => {
    // Prepare
    const rule = (name: string) => RULES.find((r) => r.name === name)!;
    const planted = (path: string, line: string): SourceFile => ({ path, text: `${line}\n` });

    // Act
    const health = violations(rule("functions/health"), [
      planted("functions/health/x.ts", 'import { Engine } from "../../sensor-ami/src/engine/engine.js";'),
      planted("functions/health/y.ts", 'export { plan } from "../mirror-on-launch/decide.js";'),
      planted("functions/health/z.ts", 'const m = await import("fast-check");'),
    ]);
    const contracts = violations(rule("contracts"), [
      planted("contracts/a/x.ts", 'import { readFile } from "node:fs/promises";'),
      planted("contracts/a/y.ts", 'import { S3Client } from "@aws-sdk/client-s3";'),
      planted("contracts/a/z.ts", 'import { z } from "zod";'),
    ]);
    const sensor = violations(rule("sensor"), [
      planted("sensor-ami/src/cli/x.ts", 'import "../../../functions/shared/aws.js";'),
    ]);

    // Assess
    expect(health).toHaveLength(3);
    expect(health[0]).toContain("functions/health/x.ts imports");
    expect(contracts).toEqual([
      expect.stringContaining("may not use Node's fs/promises"),
      expect.stringContaining("may not depend on @aws-sdk/client-s3"),
    ]);
    expect(sensor).toHaveLength(1);
  });
});
