// Where batches land: a directory or an S3 prefix, the same layout under both (contracts/upload
// `storageKey`), the body stored exactly as received. The S3 client is imported only when an S3 sink is
// made, so the sensor bundle loads the AWS SDK only in a collector that writes to S3.
import { join, resolve, sep } from "node:path";
import { type S3Client, type S3Module, s3Exports as sharedS3Exports } from "../aws/s3.js";
import { CollectorConfigError, SinkWriteError } from "./errors.js";
import { writeFileAtomic } from "./files.js";

export interface BatchSink {
  /** For the start-up line: `dir:/var/lib/spanless` or `s3://bucket/prefix`. */
  readonly description: string;
  /** Stores `body` under the layout key `key`, durably, replacing an object of the same key. */
  put(key: string, body: Uint8Array): Promise<void>;
}

export class DirectorySink implements BatchSink {
  readonly root: string;
  readonly description: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `dir:${this.root}`;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = resolve(join(this.root, key));
    // storageKey cannot produce "..", but the sink must not rely on every caller having used it.
    if (!path.startsWith(this.root + sep)) throw new SinkWriteError(`key ${key} leaves ${this.root}`);
    try {
      await writeFileAtomic(path, body);
    } catch (cause) {
      throw new SinkWriteError(`cannot write ${path}`, { cause });
    }
  }
}

export interface S3Location {
  bucket: string;
  /** Without leading or trailing slash; empty for the bucket's root. */
  prefix: string;
}

/** `s3://bucket[/prefix]` → bucket and prefix. */
export function parseS3Url(text: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (!match) throw new CollectorConfigError(`--s3 must be s3://bucket[/prefix] with a valid bucket name`);
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { bucket: match[1]!, prefix };
}

/** What the S3 client needs beyond the default chain: an endpoint for S3-compatible stores and tests. */
export interface S3SinkOptions {
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The shared loader's export check, failing as a collector configuration problem (exit status of a bad --s3). */
export function s3Exports<M extends { S3Client: unknown }>(loaded: M | { default: M }): M {
  try {
    return sharedS3Exports(loaded);
  } catch (error) {
    throw new CollectorConfigError((error as Error).message, { cause: error });
  }
}

export class S3Sink implements BatchSink {
  readonly description: string;

  private constructor(
    private readonly location: S3Location,
    private readonly s3: S3Module,
    private readonly client: S3Client,
  ) {
    this.description = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}`;
  }

  static async create(location: S3Location, options: S3SinkOptions = {}): Promise<S3Sink> {
    const s3 = s3Exports(await import("@aws-sdk/client-s3"));
    const client = new s3.S3Client({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint
        ? { endpoint: options.endpoint, forcePathStyle: options.forcePathStyle ?? true }
        : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    return new S3Sink(location, s3, client);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const objectKey = this.location.prefix ? `${this.location.prefix}/${key}` : key;
    try {
      // No Content-Encoding: the object IS a .json.gz file (Athena reads it by its suffix), and a download
      // must give the bytes the sensor sent, not a transparently inflated copy.
      await this.client.send(
        new this.s3.PutObjectCommand({
          Bucket: this.location.bucket,
          Key: objectKey,
          Body: body,
          ContentType: "application/gzip",
        }),
      );
    } catch (cause) {
      throw new SinkWriteError(`cannot put s3://${this.location.bucket}/${objectKey}`, { cause });
    }
  }

  close(): void {
    this.client.destroy();
  }
}
