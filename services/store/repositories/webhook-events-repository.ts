import type { Kysely } from "kysely";
import type { Database } from "../schema.ts";

/**
 * Webhook providers deliver at least once. Recording each event id before
 * acting on it turns redelivery into a no-op.
 */
export class WebhookEventsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Returns `true` the first time an event is seen, `false` for a redelivery. */
  async markProcessed(
    provider: string,
    eventId: string,
    eventType: string,
    payloadHash: string,
  ): Promise<boolean> {
    const inserted = await this.#db
      .insertInto("processed_webhook_events")
      .values({
        provider,
        event_id: eventId,
        event_type: eventType,
        payload_hash: payloadHash,
      })
      .onConflict((oc) => oc.columns(["provider", "event_id"]).doNothing())
      .executeTakeFirst();
    return inserted.numInsertedOrUpdatedRows === 1n;
  }

  async wasProcessed(provider: string, eventId: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom("processed_webhook_events")
      .select("event_id")
      .where("provider", "=", provider)
      .where("event_id", "=", eventId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
