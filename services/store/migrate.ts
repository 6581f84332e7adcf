import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationProvider, Migrator } from "kysely/migration";
import { AgoraError } from "../errors/agora-error.ts";
import * as coreEntities from "./migrations/0001-core-entities.ts";
import * as marketNegotiation from "./migrations/0002-market-negotiation.ts";
import * as settlementSteps from "./migrations/0004-settlement-steps.ts";
import * as auditDedupe from "./migrations/0005-audit-dedupe.ts";

/**
 * Every migration, in order. Listed in code rather than read from a folder so
 * that bundles (a worker shipped to a GPU node) carry them too. Append only:
 * an applied migration is never edited.
 */
export const migrations: Record<string, Migration> = {
  "0001-core-entities": coreEntities,
  "0002-market-negotiation": marketNegotiation,
  "0004-settlement-steps": settlementSteps,
  "0005-audit-dedupe": auditDedupe,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Applies every pending migration and returns the names applied. Safe to call
 * from several processes at once: Kysely serialises runs with a lock table,
 * and each migration runs in its own transaction.
 */
export async function migrateToLatest<Schema>(db: Kysely<Schema>): Promise<string[]> {
  // Name the schema the bookkeeping tables live in: without it Kysely looks for
  // them in every schema of the server, and another schema's tables (a second
  // deployment, another test run) would make it skip creating ours.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrationTableSchema = rows[0]?.schema;
  const migrator = new Migrator({
    db,
    provider,
    ...(migrationTableSchema !== undefined && { migrationTableSchema }),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error === undefined) {
      return results.filter((result) => result.status === "Success").map((r) => r.migrationName);
    }
    if (attempt < maxAttempts && isOtherSchemaVanishing(error, migrationTableSchema)) {
      // Drops come in bursts (a test run tearing down): wait a little longer each time.
      await new Promise((resolve) => setTimeout(resolve, attempt * 25));
      continue;
    }
    const failed = results.find((result) => result.status === "Error")?.migrationName;
    throw new AgoraError("internal", "Database migration failed", {
      detail: `${failed ?? "a migration"}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}

const maxAttempts = 10;

/**
 * Kysely checks for its bookkeeping tables by introspecting every schema of
 * the database, calling catalog functions on schema names as text; a schema
 * another deployment drops during that scan makes the query fail with
 * "schema … does not exist" (or "relation … does not exist"). Nothing of ours
 * was touched and each migration runs in its own transaction, so running
 * again is safe.
 */
function isOtherSchemaVanishing(error: unknown, ours: string | undefined): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== "3F000" && code !== "42P01") return false;
  return typeof message === "string" && (ours === undefined || !message.includes(`"${ours}`));
}
