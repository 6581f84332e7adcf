import { taskStatusChanged } from "../../audit/audit-events.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { TaskStatus } from "../../store/schema.ts";
import type { MarketRepositories } from "../market-repositories.ts";
import { transitionTask } from "../task-state-machine.ts";

/**
 * Moves a task through the state machine and logs the move (`task.<to>`) in
 * the same transaction: a status the database shows always has its audit
 * entry, and a failed move leaves none. `details` say what justified it;
 * `changes` are columns written with the move (the escrow task's id).
 */
export function recordedTransition(
  repos: MarketRepositories,
  task: Pick<TaskRecord, "id" | "status">,
  to: TaskStatus,
  actor: string,
  details: Record<string, unknown> = {},
  changes?: Parameters<typeof transitionTask>[3],
): Promise<TaskRecord> {
  return repos.transaction(async (trx) => {
    const moved = await transitionTask(trx.tasks, task, to, changes);
    await trx.audit.append(...taskStatusChanged(task.status, moved, actor.toLowerCase(), details));
    return moved;
  });
}
