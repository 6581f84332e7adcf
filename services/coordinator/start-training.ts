import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { RoundFlows } from "../../queues/round-flows.ts";
import { coordinatorActor } from "../audit/audit-events.ts";
import { AgoraError, isAgoraError } from "../errors/agora-error.ts";
import type { BlobStore } from "../learning/blobs/blob-store.ts";
import { putWeights } from "../learning/blobs/weight-blobs.ts";
import { initialWeights } from "../learning/models/build-model.ts";
import type { RoundBook } from "../learning/rounds/round-book.ts";
import { createMarketRepositories } from "../market/market-repositories.ts";
import { recordedTransition } from "../market/tasks/recorded-transition.ts";
import { AgreementsRepository } from "../store/repositories/agreements-repository.ts";
import { TaskSelectionsRepository } from "../store/repositories/task-selections-repository.ts";
import { TasksRepository } from "../store/repositories/tasks-repository.ts";
import type { Database, TaskStatus } from "../store/schema.ts";
import { taskPlanFor } from "./training-plan.ts";

export interface StartTrainingDeps {
  db: Kysely<Database>;
  blobs: BlobStore;
  book: RoundBook;
  flows: RoundFlows;
}

export interface TrainingStart {
  taskId: string;
  status: TaskStatus;
  /** False when an earlier call had started it already: nothing was queued this time. */
  started: boolean;
  rounds?: number;
  holders?: string[];
  initialModelHash?: string;
}

/** A task's initial weights are seeded by its id, so a retried start stores the very same model. */
const modelSeedOf = (taskId: string): number =>
  createHash("sha256").update(`initial-model|${taskId}`).digest().readUInt32BE(0);

const afterTraining: readonly TaskStatus[] = ["settling", "settled", "disputed"];

/**
 * Step 5 begins: an `agreed` task becomes `training` (compare-and-set, so
 * two callers cannot both move it) and its round 0 is queued from the
 * agreement's plan and a fresh initial model in the blob store.
 *
 * Idempotent. A task whose round 0 is in the round book is left alone; a
 * task found `training` without it (a crash between the status change and
 * the enqueue) is started again, which is safe because the plan is stored
 * first-write-wins and every job id is derived from (task, round, holder).
 */
export async function startTraining(
  deps: StartTrainingDeps,
  taskId: string,
): Promise<TrainingStart> {
  const tasks = new TasksRepository(deps.db);
  let task = await tasks.get(taskId);
  if (afterTraining.includes(task.status)) return { taskId, status: task.status, started: false };
  if (task.status !== "agreed" && task.status !== "training") {
    throw new AgoraError("conflict", "Task is not ready to train", {
      detail: `Task ${taskId} is ${task.status}; training starts once every agreement is signed (agreed).`,
    });
  }
  const plan = taskPlanFor(
    task,
    await new AgreementsRepository(deps.db).listForTask(taskId),
    await new TaskSelectionsRepository(deps.db).find(taskId),
  );
  if (task.status === "agreed") {
    try {
      task = await recordedTransition(
        createMarketRepositories(deps.db),
        task,
        "training",
        coordinatorActor,
        { rounds: plan.rounds, holders: plan.holders },
      );
    } catch (error) {
      // Someone else started it between our read and our write: carry on from what they left.
      if (!(isAgoraError(error) && error.kind === "conflict")) throw error;
      task = await tasks.get(taskId);
      if (task.status !== "training") return { taskId, status: task.status, started: false };
    }
  }
  const queued = await deps.book.getPlan({ taskId, round: 0 });
  if (queued !== undefined && (await deps.flows.getTask(taskId)) !== undefined) {
    return { taskId, status: task.status, started: false };
  }
  const initialModelHash = await putWeights(
    deps.blobs,
    initialWeights(plan.model, modelSeedOf(taskId)),
  );
  await deps.flows.startTask(plan, initialModelHash);
  return {
    taskId,
    status: task.status,
    started: true,
    rounds: plan.rounds,
    holders: plan.holders,
    initialModelHash,
  };
}
