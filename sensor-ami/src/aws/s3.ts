// The sensor's one way to the AWS SDK's S3 client. Three parts use S3 (the collector's S3 sink, the
// PCAP ring's upload, the VNI map's fetch), and each loads the client only when it first needs it
// (`await import()`), so `spanless analyze` and a sensor without S3 never load the AWS SDK
// (test/tools/bundle.test.ts).

export type S3Module = typeof import("@aws-sdk/client-s3");
export type S3Client = InstanceType<S3Module["S3Client"]>;

/** Used when neither AWS_REGION nor AWS_DEFAULT_REGION is set; S3 redirects to the bucket's own. */
export const FALLBACK_REGION = "us-east-1";

export class S3LoadError extends Error {
  override readonly name = "S3LoadError";
}

/**
 * Node gives a CommonJS package's exports as named exports of a dynamic import; esbuild's bundle
 * (tools/bundle.mjs) gives them only as `default`. Take whichever holds the client, so S3 works both in
 * a checkout and in the AMI's bundle.
 */
export function s3Exports<M extends { S3Client: unknown }>(loaded: M | { default: M }): M {
  if ("S3Client" in loaded && typeof loaded.S3Client === "function") return loaded;
  const fallback = (loaded as { default?: M }).default;
  if (fallback && typeof fallback.S3Client === "function") return fallback;
  throw new S3LoadError("@aws-sdk/client-s3 did not load: no S3Client export");
}

/** The S3 module, imported on first use. */
export async function loadS3(): Promise<S3Module> {
  return s3Exports(await import("@aws-sdk/client-s3"));
}

/**
 * A sensor-side client on the default credential chain (the instance role): region from the
 * environment or FALLBACK_REGION with redirects followed; an endpoint (S3-compatible stores, tests'
 * moto_server) is addressed path-style.
 */
export async function sensorS3Client(
  options: { endpoint?: string; maxAttempts?: number } = {},
): Promise<{ module: S3Module; client: S3Client }> {
  const module = await loadS3();
  const client = new module.S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? FALLBACK_REGION,
    followRegionRedirects: true,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
  });
  return { module, client };
}
