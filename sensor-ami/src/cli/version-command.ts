// `spanless version [--json] [--manifest <file>]`: the sensor's version, the Node.js it runs on and,
// on a sensor image, the image manifest (what went into the AMI, with checksums).

import { arch, platform } from "node:os";
import { parseArgs } from "node:util";
import { IMAGE_MANIFEST } from "../../../contracts/host/paths.js";
import { type ImageManifest, ImageManifestError, readImageManifest } from "./image-manifest.js";
import { SPANLESS_VERSION } from "./version.js";

const EXIT_OK = 0;
const EXIT_USAGE = 64;
const EXIT_BAD_INPUT = 65;

/** Overrides the manifest's path (tests, and a look at another image's manifest). */
export const IMAGE_MANIFEST_ENV = "SPANLESS_IMAGE_MANIFEST";

export const VERSION_USAGE = `usage: spanless version [--json] [--manifest <file>]

Prints the sensor's version and the Node.js runtime it runs on and, on a sensor image, the image
manifest: when it was built, from which commit and source image, and each component's version and
SHA-256 checksum.

options:
  --json                 one JSON object: {spanless, node, platform, manifestPath, manifest}
                         (manifest null when there is none)
  --manifest <file>      the manifest to read (default ${IMAGE_MANIFEST}, or $${IMAGE_MANIFEST_ENV})
`;

function formatManifest(path: string, m: ImageManifest): string {
  const lines = [
    `image: ${path}`,
    `  built ${m.builtAt} for ${m.architecture} from ${m.sourceImage}, commit ${m.gitCommit}, spanless ${m.spanlessVersion}`,
  ];
  const width = Math.max(...[...m.components, ...m.omitted].map((c) => c.name.length));
  const versionWidth = Math.max(...m.components.map((c) => c.version.length));
  for (const c of m.components) {
    lines.push(`  ${c.name.padEnd(width)}  ${c.version.padEnd(versionWidth)}  sha256:${c.sha256}  ${c.path}`);
  }
  for (const o of m.omitted) lines.push(`  ${o.name.padEnd(width)}  not installed: ${o.reason}`);
  return `${lines.join("\n")}\n`;
}

export async function runVersion(argv: string[]): Promise<number> {
  let values: { json?: boolean; manifest?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean", default: false },
        manifest: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    process.stderr.write(`spanless version: ${(err as Error).message}\n\n${VERSION_USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    process.stdout.write(VERSION_USAGE);
    return EXIT_OK;
  }
  const path = values.manifest ?? process.env[IMAGE_MANIFEST_ENV] ?? IMAGE_MANIFEST;
  let manifest: ImageManifest | undefined;
  try {
    manifest = readImageManifest(path);
  } catch (err) {
    if (!(err instanceof ImageManifestError)) throw err;
    process.stderr.write(`spanless version: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const runtime = `${platform()}-${arch()}`;
  if (values.json) {
    const doc = {
      spanless: SPANLESS_VERSION,
      node: process.version,
      platform: runtime,
      manifestPath: path,
      manifest: manifest ?? null,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return EXIT_OK;
  }
  process.stdout.write(`spanless ${SPANLESS_VERSION}\nnode ${process.version} (${runtime})\n`);
  process.stdout.write(
    manifest === undefined
      ? `image: no manifest at ${path} (not a sensor image)\n`
      : formatManifest(path, manifest),
  );
  return EXIT_OK;
}
