import type { Kysely } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isUniqueViolation } from "../database-errors.ts";
import { jsonValue } from "../json-value.ts";
import type { Database } from "../schema.ts";

/** The stored outcome of a task's auction (winners, payments, metrics), as JSON with money as decimal strings. */
export class TaskSelectionsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores a task's selection once; a second selection for the same task is a conflict. */
  async save(taskId: string, summary: Record<string, unknown>): Promise<void> {
    try {
      await this.#db
        .insertInto("task_selections")
        .values({ task_id: taskId, summary: jsonValue(summary) })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AgoraError("conflict", "Task already cleared", {
          detail: `Task ${taskId} has a selection already.`,
        });
      }
      throw error;
    }
  }

  async find(taskId: string): Promise<Record<string, unknown> | undefined> {
    const row = await this.#db
      .selectFrom("task_selections")
      .select("summary")
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return row?.summary;
  }
}
