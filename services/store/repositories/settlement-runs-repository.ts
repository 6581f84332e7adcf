import type { ColumnType, Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { jsonValue } from "../json-value.ts";
import type { Database, Rail } from "../schema.ts";

/** The `settlement_runs` table (migration 0004), kept beside its only repository. */
export interface SettlementRunsTable {
  task_id: string;
  rail: Rail;
  step: string;
  state: ColumnType<Record<string, unknown>, unknown, unknown>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  started_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  completed_at: Date | null;
}

/** A task's settlement checkpoint: the last finished step and what the steps so far recorded. */
export interface SettlementRunRecord {
  taskId: string;
  rail: Rail;
  /** The last step that finished; `started` before any. */
  step: string;
  /** JSON facts earlier steps hand to later ones (report hash, chain task id, reconciliation). */
  state: Record<string, unknown>;
  /** How many times the pipeline has run for this task, the first run included. */
  attempts: number;
  lastError: string | null;
  startedAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

export const firstSettlementStep = "started";

const toRecord = (row: Selectable<SettlementRunsTable>): SettlementRunRecord => ({
  taskId: row.task_id,
  rail: row.rail,
  step: row.step,
  state: row.state,
  attempts: row.attempts,
  lastError: row.last_error,
  startedAt: row.started_at,
  updatedAt: row.updated_at,
  completedAt: row.completed_at,
});

export class SettlementRunsRepository {
  readonly #db: Kysely<Database & { settlement_runs: SettlementRunsTable }>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<{ settlement_runs: SettlementRunsTable }>();
  }

  /** Opens the task's run, or resumes the existing one and counts the attempt. */
  async startOrResume(taskId: string, rail: Rail): Promise<SettlementRunRecord> {
    const inserted = await this.#db
      .insertInto("settlement_runs")
      .values({ task_id: taskId, rail, step: firstSettlementStep, state: jsonValue({}) })
      .onConflict((oc) => oc.column("task_id").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return toRecord(inserted);
    const resumed = await this.#db
      .updateTable("settlement_runs")
      .set((eb) => ({ attempts: eb("attempts", "+", 1), updated_at: new Date() }))
      .where("task_id", "=", taskId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRecord(resumed);
  }

  async find(taskId: string): Promise<SettlementRunRecord | undefined> {
    const row = await this.#db
      .selectFrom("settlement_runs")
      .selectAll()
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Records that `step` finished after `previous`, merging `facts` into the
   * state. Compare-and-set on `previous`: if another run moved the checkpoint
   * first, this one learns it instead of overwriting it.
   */
  async completeStep(
    taskId: string,
    previous: string,
    step: string,
    facts: Record<string, unknown>,
    options: { final?: boolean } = {},
  ): Promise<SettlementRunRecord> {
    const current = await this.find(taskId);
    if (current === undefined || current.step !== previous) {
      throw new AgoraError("conflict", "Settlement moved on concurrently", {
        detail: `Task ${taskId} is at step ${current?.step ?? "none"}, not ${previous}.`,
      });
    }
    const row = await this.#db
      .updateTable("settlement_runs")
      .set({
        step,
        state: jsonValue({ ...current.state, ...facts }),
        last_error: null,
        updated_at: new Date(),
        ...(options.final && { completed_at: new Date() }),
      })
      .where("task_id", "=", taskId)
      .where("step", "=", previous)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      throw new AgoraError("conflict", "Settlement moved on concurrently", {
        detail: `Task ${taskId} left step ${previous} while ${step} ran.`,
      });
    }
    return toRecord(row);
  }

  /** Keeps the last failure beside the checkpoint, for operators. */
  async recordError(taskId: string, message: string): Promise<void> {
    await this.#db
      .updateTable("settlement_runs")
      .set({ last_error: message.slice(0, 2_000), updated_at: new Date() })
      .where("task_id", "=", taskId)
      .execute();
  }
}
