// The query path: a Glue database with one table per log (the collector's DDL, partition projection, so no
// crawler and no ADD PARTITION) over s3://<bucket>/records/, and an Athena workgroup whose results are written
// encrypted with the stack key under athena-results/. `SELECT … FROM spanless_conn WHERE dt = … AND sensor = …`
// works right after deploy, once the collector has stored a batch.
import type { Storage } from "../context.js";
import { ATHENA_RESULTS_PREFIX, RECORDS_PREFIX, type StackNames } from "../names.js";
import { collectorTables, LOCATION_PLACEHOLDER } from "./ddl.js";

/** A runaway query stops after scanning this much (10 GiB): Athena bills per byte scanned. */
export const BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

export function queryPath(names: StackNames, store: Storage) {
  const database = new aws.glue.CatalogDatabase("GlueDatabase", {
    name: names.glueDatabase,
    description: "Spanless records written by the collector (one table per log)",
  });
  const records = $interpolate`s3://${store.bucket.bucket}/${RECORDS_PREFIX.slice(0, -1)}`;
  for (const def of collectorTables()) {
    const properties = Object.fromEntries(
      Object.entries(def.properties).map(([k, v]) => [
        k,
        v.includes(LOCATION_PLACEHOLDER)
          ? records.apply((r) => v.replaceAll(LOCATION_PLACEHOLDER, r))
          : $output(v),
      ]),
    );
    new aws.glue.CatalogTable(`GlueTable-${def.log}`, {
      name: def.table,
      databaseName: database.name,
      tableType: "EXTERNAL_TABLE",
      parameters: { EXTERNAL: "TRUE", classification: "json", ...properties },
      partitionKeys: def.partitionKeys,
      storageDescriptor: {
        location: $interpolate`${records}/${def.locationSuffix}`,
        inputFormat: def.inputFormat,
        outputFormat: def.outputFormat,
        serDeInfo: { serializationLibrary: def.serde, parameters: def.serdeParameters },
        columns: def.columns,
      },
    });
  }
  const workgroup = new aws.athena.Workgroup("AthenaWorkgroup", {
    name: names.athenaWorkgroup,
    description: "Spanless records: results encrypted with the stack key",
    forceDestroy: true,
    configuration: {
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
      resultConfiguration: {
        outputLocation: $interpolate`s3://${store.bucket.bucket}/${ATHENA_RESULTS_PREFIX}`,
        encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: store.kmsKey.arn },
      },
    },
  });
  return { database, workgroup };
}
