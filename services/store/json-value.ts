import { type RawBuilder, sql } from "kysely";

/**
 * A value for a jsonb column. `pg` and PGlite serialise JavaScript values for
 * jsonb parameters differently (arrays become Postgres arrays in `pg`; strings
 * are stringified again by PGlite), so the value is sent as text and cast on
 * the server, which reads the same in both.
 */
export function jsonValue<T>(value: T): RawBuilder<T> {
  return sql<T>`cast(${JSON.stringify(value)} as jsonb)`;
}
