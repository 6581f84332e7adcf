import type { Kysely } from "kysely";
import { inTransaction } from "../store/in-transaction.ts";
import { PayoutsRepository } from "../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../store/repositories/tasks-repository.ts";
import { TasksRepository } from "../store/repositories/tasks-repository.ts";
import type { Database, TaskStatus } from "../store/schema.ts";
import { coordinatorActor, settlementStepCompleted, taskStatusChanged } from "./audit-events.ts";
import { AuditLog } from "./audit-log.ts";

/**
 * The settle pipeline's one audit hook, called with the transaction that
 * moves its checkpoint past a finished step: logs `settlement.<step>` with
 * the step's facts and the task's payout lines, and `task.<status>` when the
 * step moved the task (training → settling, settling → settled or disputed).
 * Steps themselves stay free of logging; a step re-run after a crash is
 * logged once, when its checkpoint finally moves.
 */
export async function logSettlementStep(
  trx: Kysely<Database>,
  before: TaskRecord,
  step: string,
  facts: Record<string, unknown>,
): Promise<void> {
  const task = await logTaskStatusChange(trx, before, step);
  const payouts = await new PayoutsRepository(trx).listForTask(task.id);
  await new AuditLog(trx).append(...settlementStepCompleted(task, step, facts, payouts));
}

/**
 * Logs `task.<status>` when the task is no longer in the status the log last
 * recorded for it (or, with nothing recorded, the status it began `step`
 * in). Also called when a step fails after moving the task (a dispute).
 * Compared with the log, not only with the step's start: a step that moved
 * the task and crashed before its checkpoint runs again on a moved task.
 */
export async function logTaskStatusChange(
  db: Kysely<Database>,
  before: TaskRecord,
  step: string,
): Promise<TaskRecord> {
  return inTransaction(db, async (trx) => {
    const task = await new TasksRepository(trx).get(before.id);
    const from = (await lastLoggedStatus(trx, task.id)) ?? before.status;
    if (task.status !== from) {
      await new AuditLog(trx).append(...taskStatusChanged(from, task, coordinatorActor, { step }));
    }
    return task;
  });
}

/** The status the task's latest `task.*` entry left it in, if the log has one. */
async function lastLoggedStatus(
  trx: Kysely<Database>,
  taskId: string,
): Promise<TaskStatus | undefined> {
  const latest = await trx
    .selectFrom("audit_events")
    .select(["kind", "payload"])
    .where("task_id", "=", taskId)
    .where("kind", "like", "task.%")
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  if (latest === undefined) return undefined;
  if (latest.kind === "task.posted") return "draft";
  const to = latest.payload.to;
  return typeof to === "string" ? (to as TaskStatus) : undefined;
}
