import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingGate } from "../funding/funding-gate.ts";
import type { MarketRepositories } from "../market-repositories.ts";
import { transitionTask } from "../task-state-machine.ts";
import { ownedTask } from "./post-task.ts";

/**
 * Confirms the task's funding through its gate and opens bidding. Safe to
 * retry: the gate is idempotent, a funded task only moves on to bidding, and
 * a task already taking bids is returned as it is.
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
    await repos.taskFundings.confirm({ taskId, ...confirmation });
    task = await transitionTask(repos.tasks, task, "funded");
  }
  return transitionTask(repos.tasks, task, "bidding");
}
