import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingGate } from "../funding/funding-gate.ts";
import type { MarketRepositories } from "../market-repositories.ts";
import { ownedTask } from "./post-task.ts";
import { recordedTransition } from "./recorded-transition.ts";

/**
 * Confirms the task's funding through its gate and opens bidding. Safe to
 * retry: the gate is idempotent, a funded task only moves on to bidding, and
 * a task already taking bids is returned as it is. Both moves are logged,
 * `task.funded` with the gate's confirmation (a chain deposit's transaction,
 * a ledger reference).
 */
export async function fundTask(
  repos: MarketRepositories,
  gate: FundingGate,
  taskId: string,
  caller: string,
): Promise<TaskRecord> {
  let task = await ownedTask(repos.tasks, taskId, caller);
  if (task.status === "bidding") return task;
  if (task.status === "draft") {
    const confirmation = await gate.confirm(task);
    const draft = task;
    // The funding record, the move and its audit entry (with the gate's proof) commit together.
    task = await repos.transaction(async (trx) => {
      const { chainTaskId, ...funding } = confirmation;
      await trx.taskFundings.confirm({ taskId, ...funding });
      // The dashboard, the auditor and the claim proofs name the escrow task by this id,
      // written with the move (a draft is funded once).
      return recordedTransition(
        trx,
        draft,
        "funded",
        caller,
        { funding: confirmation },
        chainTaskId === undefined ? {} : { chainTaskId },
      );
    });
  }
  return recordedTransition(repos, task, "bidding", caller);
}
