import { AgoraError } from "../errors/agora-error.ts";
import type { TaskRecord, TasksRepository } from "../store/repositories/tasks-repository.ts";
import type { TaskStatus } from "../store/schema.ts";

/**
 * The life of a task: draft → funded → bidding → negotiating → agreed →
 * training → settling → settled. A task may be cancelled until training
 * starts (escrow refunds it), and disputed once money is about to move.
 * A dispute ends in settlement (after resolution) or cancellation.
 */
export const taskTransitions: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  draft: ["funded", "cancelled"],
  funded: ["bidding", "cancelled"],
  bidding: ["negotiating", "cancelled"],
  negotiating: ["agreed", "cancelled"],
  agreed: ["training", "cancelled"],
  training: ["settling", "disputed"],
  settling: ["settled", "disputed"],
  disputed: ["settling", "cancelled"],
  settled: [],
  cancelled: [],
};

export const canTransition = (from: TaskStatus, to: TaskStatus): boolean =>
  taskTransitions[from].includes(to);

/** Throws a 409 naming the legal next states when `from → to` is not a transition. */
export function assertTransition(taskId: string, from: TaskStatus, to: TaskStatus): void {
  if (canTransition(from, to)) return;
  const allowed = taskTransitions[from];
  throw new AgoraError("conflict", "Illegal task transition", {
    detail: `Task ${taskId} is ${from}; it cannot become ${to}. ${
      allowed.length === 0
        ? `${from} is final.`
        : `From ${from} it can become ${allowed.join(" or ")}.`
    }`,
  });
}

/** Checks the transition, then applies it with the repository's compare-and-set. */
export async function transitionTask(
  tasks: TasksRepository,
  task: Pick<TaskRecord, "id" | "status">,
  to: TaskStatus,
  changes?: Parameters<TasksRepository["transition"]>[3],
): Promise<TaskRecord> {
  assertTransition(task.id, task.status, to);
  return tasks.transition(task.id, task.status, to, changes);
}
