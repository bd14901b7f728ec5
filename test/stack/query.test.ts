// The query path: one Glue table per collector log with exactly the columns, partitions, SerDe and partition
// projection of the collector's generated DDL (sensor-ami/src/collector/athena/*.sql, read here with an
// independent reader), located under s3://<bucket>/records/<log>/, and an Athena workgroup with encrypted results.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { baseConfig, type Inventory, inventory } from "./support/inventory.js";

const DDL_DIR = join("sensor-ami", "src", "collector", "athena");
const RECORDS = "s3://spanless-dev-123456789012-us-east-1/records";

/** `name type` pairs between the table's opening parenthesis and PARTITIONED BY. */
function ddlColumns(sql: string): { name: string; type: string }[] {
  const body = sql.split("CREATE EXTERNAL TABLE")[1].split("PARTITIONED BY")[0];
  return [...body.matchAll(/^\s+`([^`]+)`\s+([^,\n]+?),?$/gm)].map((m) => ({ name: m[1], type: m[2] }));
}

function ddlProperties(sql: string): Record<string, string> {
  const body = sql.split("TBLPROPERTIES")[1];
  return Object.fromEntries([...body.matchAll(/'([^']+)' = '([^']*)'/g)].map((m) => [m[1], m[2]]));
}

const LOGS = readdirSync(DDL_DIR)
  .filter((f) => f.endsWith(".sql"))
  .map((f) => f.replace(/\.sql$/, ""))
  .sort();

let inv: Inventory;
beforeAll(async () => {
  inv = await inventory(baseConfig());
});

describe("Glue tables", () => {
  it("exist once per collector log, in the stage's database", () => {
    // Act
    const tables = inv.ofType("aws:glue/catalogTable:CatalogTable");

    // Assess
    expect(LOGS).toContain("conn");
    expect(LOGS).toContain("conn_dup");
    expect(tables.map((t) => t.inputs.name).sort()).toEqual(LOGS.map((l) => `spanless_${l}`));
    expect(tables.every((t) => t.inputs.databaseName === "spanless_dev")).toBe(true);
    expect(inv.one("aws:glue/catalogDatabase:CatalogDatabase").inputs.name).toBe("spanless_dev");
  });

  it.each(LOGS)("spanless_%s matches the collector's DDL", (log) => {
    // Prepare
    const sql = readFileSync(join(DDL_DIR, `${log}.sql`), "utf8");
    const expectedProperties = Object.fromEntries(
      Object.entries(ddlProperties(sql)).map(([k, v]) => [k, v.replaceAll("__LOCATION__", RECORDS)]),
    );

    // Act
    const table = inv.named("aws:glue/catalogTable:CatalogTable", `GlueTable-${log}`);
    const sd = table.inputs.storageDescriptor;

    // Assess
    expect(sd.columns).toEqual(ddlColumns(sql));
    expect(table.inputs.partitionKeys).toEqual([
      { name: "dt", type: "string" },
      { name: "hour", type: "string" },
      { name: "sensor", type: "string" },
    ]);
    expect(table.inputs.tableType).toBe("EXTERNAL_TABLE");
    expect(table.inputs.parameters).toEqual({
      EXTERNAL: "TRUE",
      classification: "json",
      ...expectedProperties,
    });
    expect(table.inputs.parameters["storage.location.template"]).toBe(
      `${RECORDS}/${log}/dt=\${dt}/hour=\${hour}/sensor=\${sensor}/`,
    );
    expect(sd.location).toBe(`${RECORDS}/${log}/`);
    expect(sd.serDeInfo).toEqual({
      serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
      parameters: { "dots.in.keys": "true", "case.insensitive": "true", "ignore.malformed.json": "false" },
    });
    expect(sd.inputFormat).toBe("org.apache.hadoop.mapred.TextInputFormat");
  });
});

describe("Athena workgroup", () => {
  it("writes results encrypted with the stack key under athena-results/ and enforces that", () => {
    // Act
    const wg = inv.one("aws:athena/workgroup:Workgroup");

    // Assess
    expect(wg.inputs.name).toBe("spanless-dev");
    expect(wg.inputs.configuration).toMatchObject({
      enforceWorkgroupConfiguration: true,
      resultConfiguration: {
        outputLocation: "s3://spanless-dev-123456789012-us-east-1/athena-results/",
        encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: inv.outputs.KmsKeyArn },
      },
    });
    expect(inv.outputs.AthenaWorkgroup).toBe("spanless-dev");
  });
});
