import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isUniqueViolation } from "../database-errors.ts";
import { jsonValue } from "../json-value.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database, Rail, TaskStatus, TasksTable } from "../schema.ts";

/** A task as the rest of Agora sees it: money as bigint minor units. */
export interface TaskRecord {
  id: string;
  ownerAddress: string;
  status: TaskStatus;
  rail: Rail;
  currency: string;
  budget: bigint;
  spec: Record<string, unknown>;
  termsHash: string | null;
  chainTaskId: string | null;
  deadline: Date;
  /** Bumped on every change; compare-and-set updates use it. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewTask = Pick<
  TaskRecord,
  "id" | "ownerAddress" | "rail" | "currency" | "budget" | "spec" | "deadline"
> & { termsHash?: string | null };

const toRecord = (row: Selectable<TasksTable>): TaskRecord => ({
  id: row.id,
  ownerAddress: row.owner_address,
  status: row.status,
  rail: row.rail,
  currency: row.currency,
  budget: moneyFromColumn(row.budget),
  spec: row.spec,
  termsHash: row.terms_hash,
  chainTaskId: row.chain_task_id,
  deadline: row.deadline,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class TasksRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(task: NewTask): Promise<TaskRecord> {
    try {
      const row = await this.#db
        .insertInto("tasks")
        .values({
          id: task.id,
          owner_address: task.ownerAddress.toLowerCase(),
          rail: task.rail,
          currency: task.currency,
          budget: moneyToColumn(task.budget),
          spec: jsonValue(task.spec),
          terms_hash: task.termsHash ?? null,
          deadline: task.deadline,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AgoraError("conflict", "Task already exists", { detail: `Task ${task.id}.` });
      }
      throw error;
    }
  }

  async find(id: string): Promise<TaskRecord | undefined> {
    const row = await this.#db
      .selectFrom("tasks")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async get(id: string): Promise<TaskRecord> {
    const task = await this.find(id);
    if (!task) throw new AgoraError("not_found", "Task not found", { detail: `Task ${id}.` });
    return task;
  }

  async listByStatus(status: TaskStatus, limit = 100): Promise<TaskRecord[]> {
    const rows = await this.#db
      .selectFrom("tasks")
      .selectAll()
      .where("status", "=", status)
      .orderBy("created_at")
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Moves a task from one status to the next only if nobody moved it first:
   * the update matches on the status (and version) the caller read, so two
   * racing transitions cannot both win. The legality of the transition itself
   * is the market's state machine's business.
   */
  async transition(
    id: string,
    from: TaskStatus,
    to: TaskStatus,
    changes: { chainTaskId?: string; termsHash?: string } = {},
  ): Promise<TaskRecord> {
    const row = await this.#db
      .updateTable("tasks")
      .set((eb) => ({
        status: to,
        version: eb("version", "+", 1),
        updated_at: new Date(),
        ...(changes.chainTaskId !== undefined && { chain_task_id: changes.chainTaskId }),
        ...(changes.termsHash !== undefined && { terms_hash: changes.termsHash }),
      }))
      .where("id", "=", id)
      .where("status", "=", from)
      .returningAll()
      .executeTakeFirst();
    if (row) return toRecord(row);
    const current = await this.get(id);
    throw new AgoraError("conflict", "Task is not in the expected status", {
      detail: `Task ${id} is ${current.status}, not ${from}; cannot move it to ${to}.`,
    });
  }
}
