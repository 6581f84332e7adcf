import { type Kysely, sql } from "kysely";

/**
 * An optional idempotency key per audit entry. Producers that run under retry
 * (queue jobs, webhook redeliveries, settlement steps resumed after a crash)
 * append with a key naming the fact they record; a second append with the
 * same key finds the first entry instead of chaining a duplicate. Entries
 * appended without a key (null) are never deduplicated.
 */
const statements = [`alter table audit_events add column dedupe_key text unique`];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw("alter table audit_events drop column dedupe_key").execute(db);
}
