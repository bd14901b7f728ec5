// The image manifest (contracts/host IMAGE_MANIFEST): what the image build put into a sensor AMI, with
// versions and SHA-256 checksums. sensor-ami/image/write-manifest.mjs writes it at the end of the build;
// `spanless version` reads it back through this schema, so a manifest the reader cannot show fails the
// image's own test (test/image) instead of an operator's look at a running sensor.

import { readFileSync } from "node:fs";
import { z } from "zod";

/** The manifest format this reader knows; the writer's `format` field. */
export const IMAGE_MANIFEST_FORMAT = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, { message: "must be a SHA-256 in lower-case hex" });

const componentSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  sha256,
  /** Where it is installed on the host. */
  path: z.string().startsWith("/"),
  /** Where the build took it from (a download address, or the input file's name). */
  source: z.string().optional(),
});

export const imageManifestSchema = z.object({
  format: z.literal(IMAGE_MANIFEST_FORMAT),
  builtAt: z.iso.datetime(),
  architecture: z.enum(["x86_64", "arm64"]),
  /** The AMI the build started from, or "scratch-root" for a test build into a directory. */
  sourceImage: z.string().min(1),
  /** The repository commit the image was built from ("-dirty" when it had uncommitted changes). */
  gitCommit: z.string().min(1),
  spanlessVersion: z.string().min(1),
  components: z.array(componentSchema).min(1),
  /** What a build left out, and why (a scratch-root build has no CloudWatch agent). */
  omitted: z.array(z.object({ name: z.string(), reason: z.string() })).default([]),
});

export type ImageManifest = z.infer<typeof imageManifestSchema>;
export type ImageComponent = z.infer<typeof componentSchema>;

export class ImageManifestError extends Error {
  override readonly name = "ImageManifestError";
}

/** The manifest at `path`; undefined when there is no such file (not an image install). */
export function readImageManifest(path: string): ImageManifest | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ImageManifestError(`cannot read the image manifest ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ImageManifestError(`the image manifest ${path} is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = imageManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new ImageManifestError(
      `the image manifest ${path} is not one this sensor can read (${problems.join("; ")}); ` +
        "it is written by sensor-ami/image/write-manifest.mjs at image build time",
    );
  }
  return parsed.data;
}
