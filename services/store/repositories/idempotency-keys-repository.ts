import type { Kysely } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { jsonValue } from "../json-value.ts";
import type { Database } from "../schema.ts";

/** What a caller should do with a request that carries an idempotency key. */
export type IdempotencyClaim =
  /** First time: do the work, then `complete`. */
  | { state: "new" }
  /** Done before: answer with the stored response, do nothing again. */
  | { state: "replay"; responseCode: number; response: Record<string, unknown> };

/**
 * Idempotency keys for side-effecting requests (`Idempotency-Key` header, as
 * Stripe uses it). The first request with a key claims it; a repeat with the
 * same body gets the stored response; a repeat with a different body, or while
 * the first is still running, is a conflict.
 */
export class IdempotencyKeysRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async claim(
    scope: string,
    key: string,
    requestHash: string,
    ttlMs = 24 * 3_600_000,
  ): Promise<IdempotencyClaim> {
    const now = new Date();
    // An expired key is free again.
    await this.#db
      .deleteFrom("idempotency_keys")
      .where("scope", "=", scope)
      .where("key", "=", key)
      .where("expires_at", "<", now)
      .execute();
    const inserted = await this.#db
      .insertInto("idempotency_keys")
      .values({
        scope,
        key,
        request_hash: requestHash,
        expires_at: new Date(now.getTime() + ttlMs),
      })
      .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
      .executeTakeFirst();
    if (inserted.numInsertedOrUpdatedRows === 1n) return { state: "new" };

    const existing = await this.#db
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("scope", "=", scope)
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    if (existing.request_hash !== requestHash) {
      throw new AgoraError("conflict", "Idempotency key reused with a different request", {
        detail: `Key ${key} was first used for another request body.`,
      });
    }
    if (existing.status !== "completed" || existing.response_code === null) {
      throw new AgoraError("conflict", "Request with this idempotency key is in progress", {
        detail: `Key ${key}: retry after the first request finishes.`,
      });
    }
    return {
      state: "replay",
      responseCode: existing.response_code,
      response: existing.response ?? {},
    };
  }

  async complete(
    scope: string,
    key: string,
    responseCode: number,
    response: Record<string, unknown>,
  ): Promise<void> {
    await this.#db
      .updateTable("idempotency_keys")
      .set({ status: "completed", response_code: responseCode, response: jsonValue(response) })
      .where("scope", "=", scope)
      .where("key", "=", key)
      .execute();
  }

  /** Frees a key whose request failed before any effect, so a retry can run. */
  async release(scope: string, key: string): Promise<void> {
    await this.#db
      .deleteFrom("idempotency_keys")
      .where("scope", "=", scope)
      .where("key", "=", key)
      .where("status", "=", "started")
      .execute();
  }
}
