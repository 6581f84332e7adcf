import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { openDatabase } from "../../services/store/database.ts";
import { migrateToLatest, migrations } from "../../services/store/migrate.ts";
import { databaseBackends, dropSchema, type TestDatabase } from "../support/databases.ts";
import { testPostgresUrl, uniqueName } from "../support/environment.ts";

const backends = await databaseBackends();

/** A pg pool whose first catalog scans fail as when a schema is dropped mid-scan. */
class ScanFailingPool extends pg.Pool {
  failed = 0;
  readonly #message: string;
  #failuresLeft: number;
  readonly #patched = new WeakSet<pg.PoolClient>();

  constructor(config: pg.PoolConfig, message: string, failures: number) {
    super(config);
    this.#message = message;
    this.#failuresLeft = failures;
  }

  override async connect(): Promise<pg.PoolClient> {
    const client = await super.connect();
    if (!this.#patched.has(client)) {
      this.#patched.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        const text = typeof args[0] === "string" ? args[0] : "";
        if (text.includes("has_schema_privilege") && this.#failuresLeft > 0) {
          this.#failuresLeft -= 1;
          this.failed += 1;
          return Promise.reject(Object.assign(new Error(this.#message), { code: "3F000" }));
        }
        return query(...args);
      };
    }
    return client;
  }
}
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

  it("rides out another schema vanishing while Kysely scans the catalog, but not its own", async () => {
    // Seen in CI: Kysely looks for its bookkeeping tables across every schema,
    // calling has_schema_privilege() on each name, and a schema another test
    // dropped mid-scan failed an unrelated migration with PostgreSQL's 3F000.
    // The race is too narrow to hit on demand, so the scan fails on purpose,
    // with the error PostgreSQL raised, on a real pool against the real server.
    const url = testPostgresUrl();
    const migrateWithVanishing = async (vanished: (ours: string) => string, failures: number) => {
      const schema = uniqueName("agora_vanish");
      const setup = await openDatabase({ url, schema, maxConnections: 1 });
      await setup.close(); // creates the schema
      const pool = new ScanFailingPool(
        { connectionString: url, max: 1, options: `-c search_path="${schema}"` },
        `schema "${vanished(schema)}" does not exist`,
        failures,
      );
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
      try {
        return { applied: await migrateToLatest(db), scansFailed: pool.failed };
      } finally {
        await db.destroy();
        await dropSchema(url, schema);
      }
    };
    const other = await migrateWithVanishing(() => uniqueName("agora_gone"), 3);
    assert.deepEqual(other, { applied: Object.keys(migrations), scansFailed: 3 });
    await assert.rejects(
      migrateWithVanishing((ours) => ours, 1),
      {
        message: "Database migration failed",
      },
    );
  });
});
