import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { openDatabase } from "../../services/store/database.ts";
import { migrateToLatest, migrations } from "../../services/store/migrate.ts";
import { databaseBackends, dropSchema, type TestDatabase } from "../support/databases.ts";
import { testPostgresUrl, uniqueName } from "../support/environment.ts";

const backends = await databaseBackends();
const coreTables = [
  "agreements",
  "audit_events",
  "bids",
  "contributions",
  "holders",
  "idempotency_keys",
  "ledger_journal",
  "ledger_postings",
  "payouts",
  "processed_webhook_events",
  "rounds",
  "tasks",
  "updates",
];

for (const backend of backends) {
  describe(`migrations on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    before(async () => {
      database = await backend.open();
    });
    after(() => database?.dispose());

    it("creates every core table", async () => {
      const rows = await sql<{ table_name: string }>`
        select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'
      `.execute(database.db);
      const tables = rows.rows.map((row) => row.table_name);
      for (const table of coreTables) assert.ok(tables.includes(table), `missing table ${table}`);
    });

    it("is idempotent: a second run applies nothing", async () => {
      assert.deepEqual(await migrateToLatest(database.db), []);
    });

    it("records every migration as applied, in order", async () => {
      const rows = await sql<{ name: string }>`
        select name from kysely_migration order by name
      `.execute(database.db);
      assert.deepEqual(
        rows.rows.map((row) => row.name),
        Object.keys(migrations),
      );
    });

    it("answers a ping", async () => {
      await database.ping();
    });
  });
}

const postgres = backends.find((backend) => backend.name === "postgres");
describe("migrations racing on one PostgreSQL schema", { skip: postgres?.skip ?? true }, () => {
  it("two processes migrating a fresh schema at once apply each migration exactly once", async () => {
    const schema = uniqueName("agora_race");
    const url = testPostgresUrl();
    const handles = await Promise.all([
      openDatabase({ url, schema, maxConnections: 2 }),
      openDatabase({ url, schema, maxConnections: 2 }),
    ]);
    try {
      const results = await Promise.all(handles.map((handle) => migrateToLatest(handle.db)));
      assert.deepEqual(results.flat().sort(), Object.keys(migrations).sort());
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
      await dropSchema(url, schema);
    }
  });

  it("migrates while other deployments' schemas are dropped around it", async () => {
    // Kysely's check for its bookkeeping tables scans every schema on the
    // server; one dropped mid-scan used to fail an unrelated migration.
    const url = testPostgresUrl();
    const churner = new pg.Client({ connectionString: url });
    await churner.connect();
    let churning = true;
    const churn = (async () => {
      while (churning) {
        const other = uniqueName("agora_churn");
        await churner.query(`create schema "${other}"; create table "${other}".t (id serial)`);
        await churner.query(`drop schema "${other}" cascade`);
      }
    })();
    const schemas = Array.from({ length: 6 }, () => uniqueName("agora_migrate"));
    try {
      for (const schema of schemas) {
        const handle = await openDatabase({ url, schema, maxConnections: 1 });
        try {
          assert.deepEqual(await migrateToLatest(handle.db), Object.keys(migrations));
        } finally {
          await handle.close();
        }
      }
    } finally {
      churning = false;
      await churn;
      await churner.end();
      for (const schema of schemas) await dropSchema(url, schema);
    }
  });
});
