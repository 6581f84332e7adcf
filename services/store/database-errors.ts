/**
 * PostgreSQL error codes the repositories turn into domain outcomes. Both `pg`
 * and PGlite surface the server's SQLSTATE as `code`.
 */
const sqlState = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;

/** 23505: a unique or primary-key constraint refused a duplicate. */
export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === "23505";

/** 23503: a row refers to one that does not exist. */
export const isForeignKeyViolation = (error: unknown): boolean => sqlState(error) === "23503";

/** 23514: a check constraint (or the ledger's balance rule) refused the row. */
export const isCheckViolation = (error: unknown): boolean => sqlState(error) === "23514";
