import pg from "pg";
import { type OpenDatabase, openDatabase } from "../../services/store/database.ts";
import { migrateToLatest } from "../../services/store/migrate.ts";
import { testPostgresUrl, uniqueName } from "./environment.ts";

/** A database a suite can run against, opened fresh and migrated. */
export interface DatabaseBackend {
  name: "pglite" | "postgres";
  /** Why the backend is unavailable, when it is; the suite is then skipped. */
  skip: string | false;
  open(): Promise<TestDatabase>;
}

export interface TestDatabase extends OpenDatabase {
  /** Closes the database and removes what the test created. */
  dispose(): Promise<void>;
}

async function postgresAnswers(url: string): Promise<string | false> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return false;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * PGlite in memory, and the PostgreSQL server in a schema of its own. CI sets
 * AGORA_REQUIRE_POSTGRES=1, so an unreachable server fails there rather than
 * quietly skipping half the suite.
 */
export async function databaseBackends(): Promise<DatabaseBackend[]> {
  const url = testPostgresUrl();
  const unreachable = await postgresAnswers(url);
  if (unreachable && process.env.AGORA_REQUIRE_POSTGRES === "1") {
    throw new Error(`PostgreSQL at ${url} is required but unreachable: ${unreachable}`);
  }
  return [
    {
      name: "pglite",
      skip: false,
      async open() {
        const database = await openDatabase({});
        await migrateToLatest(database.db);
        return { ...database, dispose: () => database.close() };
      },
    },
    {
      name: "postgres",
      skip: unreachable && `PostgreSQL unreachable: ${unreachable}`,
      async open() {
        const schema = uniqueName("agora_test");
        const database = await openDatabase({ url, schema, maxConnections: 4 });
        await migrateToLatest(database.db);
        return {
          ...database,
          async dispose() {
            await database.close();
            await dropSchema(url, schema);
          },
        };
      },
    },
  ];
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await admin.end();
  }
}
