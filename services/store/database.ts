import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { AgoraError } from "../errors/agora-error.ts";
import { isUniqueViolation } from "./database-errors.ts";
import type { Database } from "./schema.ts";

export type DatabaseKind = "postgres" | "pglite";

/** An open database: the typed query builder plus what operations need. */
export interface OpenDatabase {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string. Unset selects embedded PGlite. */
  url?: string | undefined;
  /** PGlite data directory; unset keeps PGlite in memory (tests). */
  dataDir?: string | undefined;
  /**
   * PostgreSQL schema to work in, created if missing. Tests give every run its
   * own so runs against a shared server never see each other's rows.
   */
  schema?: string | undefined;
  /** Largest pool size for a PostgreSQL server. Default: 10. */
  maxConnections?: number;
}

const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/;

// int8 (OID 20) comes back as a string from `pg` and as a lossy number from
// PGlite; both drivers are told to return bigint so the row types agree.
// numeric (money, as numeric(78,0)) stays a string in both and is converted by
// the repositories, which reject anything that is not an integer.
const INT8_OID = 20;
const parseInt8 = (value: string): bigint => BigInt(value);

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<OpenDatabase> {
  const schema = options.schema;
  if (schema !== undefined && !schemaNamePattern.test(schema)) {
    throw new AgoraError("invalid", "Invalid database schema name", {
      detail: `"${schema}" must match ${schemaNamePattern}.`,
    });
  }
  return options.url === undefined
    ? openPglite(options.dataDir, schema)
    : openPostgres(options.url, schema, options.maxConnections ?? 10);
}

async function openPostgres(url: string, schema: string | undefined, max: number) {
  if (schema !== undefined) {
    // Create the schema on a throwaway connection, then pin every pooled
    // connection to it, migrations' own bookkeeping tables included.
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`create schema if not exists "${schema}"`);
    } catch (error) {
      // `if not exists` is not atomic: two processes creating the schema at
      // once can still collide on the catalog's unique index. Either way it exists.
      if (!isUniqueViolation(error)) throw error;
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max,
    ...(schema !== undefined && { options: `-c search_path="${schema}"` }),
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return wrap(db, "postgres");
}

async function openPglite(dataDir: string | undefined, schema: string | undefined) {
  // PGlite creates only the last path segment itself.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(dataDir !== undefined && { dataDir }),
    parsers: { [INT8_OID]: parseInt8 },
  });
  if (schema !== undefined) {
    await pglite.exec(`create schema if not exists "${schema}"; set search_path to "${schema}"`);
  }
  // One embedded backend: Kysely's PGlite adapter declares a single
  // connection, so Kysely hands the session to one caller (or transaction) at a time.
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return wrap(db, "pglite");
}

function wrap(db: Kysely<Database>, kind: DatabaseKind): OpenDatabase {
  return {
    db,
    kind,
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
