// Wiring: the token file, the TLS identity, the sink and the ledger around the HTTPS server. Everything
// the collector keeps lives in the store directory unless given elsewhere:
//   <store>/tokens.json              labels and derived keys (0600)
//   <store>/.collector/tls/          the self-signed certificate and its key (0600), when none is given
//   <store>/.collector/batches/      one marker per stored batch (the idempotency record)
//   <store>/<log>/dt=…/…             the batches, with the directory sink
// Athena and `aws s3 sync` skip names that start with a dot, so the state never mixes with the data.
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { loadTlsIdentity, type TlsIdentity } from "./certificate.js";
import { DuplicateIndex, type DuplicateLimits } from "./duplicates.js";
import { BatchLedger } from "./ledger.js";
import { type CollectorLimits, type CollectorLog, createCollectorServer } from "./server.js";
import { type BatchSink, DirectorySink, parseS3Url, S3Sink, type S3SinkOptions } from "./sinks.js";
import { TokenStore } from "./tokens.js";

export const STATE_DIR = ".collector";
export const TOKEN_FILE = "tokens.json";

export const defaultTokenFile = (store: string) => join(store, TOKEN_FILE);

export interface CollectorConfig {
  host: string;
  port: number;
  store: string;
  /** `s3://bucket/prefix`; absent: batches go to the store directory. */
  s3?: string;
  s3Options?: S3SinkOptions;
  tlsCert?: string;
  tlsKey?: string;
  tokens?: string;
  log: CollectorLog;
  now?: () => number;
  limits?: Partial<CollectorLimits>;
  /** Bounds of the in-memory index of recent conn records that finds duplicates across sensors. */
  duplicates?: Partial<DuplicateLimits>;
}

export interface RunningCollector {
  url: string;
  port: number;
  tls: TlsIdentity;
  sink: BatchSink;
  tokens: TokenStore;
  duplicates: DuplicateIndex;
  close(): Promise<void>;
}

export async function startCollector(config: CollectorConfig): Promise<RunningCollector> {
  const state = join(config.store, STATE_DIR);
  const tls = loadTlsIdentity({
    certPath: config.tlsCert,
    keyPath: config.tlsKey,
    stateDir: join(state, "tls"),
    listenHost: config.host,
  });
  const tokens = new TokenStore(config.tokens ?? defaultTokenFile(config.store));
  tokens.list(); // a broken token file is a start-up error, not a 500 on the first batch
  const sink = config.s3
    ? await S3Sink.create(parseS3Url(config.s3), config.s3Options)
    : new DirectorySink(config.store);
  const ledger = new BatchLedger(join(state, "batches"));
  const duplicates = new DuplicateIndex(config.duplicates);
  const server = createCollectorServer({
    tls,
    tokens,
    sink,
    ledger,
    duplicates,
    log: config.log,
    now: config.now,
    limits: config.limits,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `https://${host}:${port}`,
    port,
    tls,
    sink,
    tokens,
    duplicates,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          if (sink instanceof S3Sink) sink.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
