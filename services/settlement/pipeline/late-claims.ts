import type { Kysely } from "kysely";
import { SettlementRunsRepository } from "../../store/repositories/settlement-runs-repository.ts";
import { TasksRepository } from "../../store/repositories/tasks-repository.ts";
import type { Database } from "../../store/schema.ts";
import { bookChainEvents } from "./chain-bookkeeping.ts";
import { chainTaskIdIn } from "./chain-context.ts";
import type { ChainSettlement } from "./settlement-dependencies.ts";

export interface LateClaimsPass {
  /** Settled chain tasks that still had unclaimed payouts when the pass began. */
  tasks: number;
  /** Claims booked by this pass (already-booked ones are not counted). */
  claimsBooked: number;
}

/**
 * Books claims made after their task settled. Holders claim from the escrow
 * whenever they like, often after the settle job's last bookkeeping step,
 * so without this the ledger and the payout table would show them unpaid
 * for good. One pass reads the escrow events of every settled chain task
 * with a payout still `committed` (a leaf nobody has booked as claimed).
 * Idempotent: entries are keyed by the event, so overlapping passes, or a
 * pass racing the settle job, post each claim once.
 */
export async function bookLateClaims(
  db: Kysely<Database>,
  chain: ChainSettlement,
): Promise<LateClaimsPass> {
  const open = await db
    .selectFrom("payouts")
    .innerJoin("tasks", "tasks.id", "payouts.task_id")
    .select("payouts.task_id")
    .distinct()
    .where("payouts.rail", "=", "chain")
    .where("payouts.status", "=", "committed")
    .where("tasks.status", "=", "settled")
    .orderBy("payouts.task_id")
    .execute();
  const tasks = new TasksRepository(db);
  const runs = new SettlementRunsRepository(db);
  let claimsBooked = 0;
  for (const { task_id: taskId } of open) {
    const run = await runs.find(taskId);
    if (run === undefined) continue;
    const unclaimed = await countUnclaimed(db, taskId);
    await bookChainEvents(db, chain, await tasks.get(taskId), chainTaskIdIn(run.state));
    claimsBooked += unclaimed - (await countUnclaimed(db, taskId));
  }
  return { tasks: open.length, claimsBooked };
}

async function countUnclaimed(db: Kysely<Database>, taskId: string): Promise<number> {
  const row = await db
    .selectFrom("payouts")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("task_id", "=", taskId)
    .where("rail", "=", "chain")
    .where("status", "=", "committed")
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
