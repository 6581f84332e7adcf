import { randomUUID } from "node:crypto";
import { z } from "zod";
import { taskPosted } from "../../audit/audit-events.ts";
import { AgoraError } from "../../errors/agora-error.ts";
import type { TaskRecord, TasksRepository } from "../../store/repositories/tasks-repository.ts";
import type { MarketRepositories } from "../market-repositories.ts";
import { type TaskSpec, taskSpecSchema } from "../task-spec.ts";

export const minorUnits = z
  .string()
  .regex(/^\d{1,78}$/, "a decimal string of minor units")
  .transform((value) => BigInt(value));

/** What an owner sends to post a task. */
export const postTaskSchema = z.object({
  spec: taskSpecSchema,
  budget: minorUnits.refine((value) => value > 0n, "the budget must be positive"),
  currency: z.string().min(1).max(16),
  rail: z.enum(["chain", "stripe", "sandbox"]),
  deadline: z.iso.datetime(),
});
export type PostTask = z.infer<typeof postTaskSchema>;

/** Reads a stored spec back; a stored task always passed the schema. */
export const specOf = (task: TaskRecord): TaskSpec => taskSpecSchema.parse(task.spec);

/** Posts a task as a draft (logged as `task.posted`); it takes bids only once funded. */
export async function postTask(
  repos: Pick<MarketRepositories, "transaction">,
  owner: string,
  input: PostTask,
  now = new Date(),
): Promise<TaskRecord> {
  const deadline = new Date(input.deadline);
  if (deadline.getTime() <= now.getTime()) {
    throw new AgoraError("invalid", "Deadline in the past", {
      issues: [{ pointer: "/deadline", message: "must be in the future" }],
    });
  }
  if (input.spec.minHolders > input.spec.holdersPerRound) {
    throw new AgoraError("invalid", "Inconsistent holder counts", {
      issues: [{ pointer: "/spec/minHolders", message: "must not exceed holdersPerRound" }],
    });
  }
  if (input.spec.model.minTier > input.spec.model.maxTier) {
    throw new AgoraError("invalid", "Inconsistent model tiers", {
      issues: [{ pointer: "/spec/model/minTier", message: "must not exceed maxTier" }],
    });
  }
  return repos.transaction(async (trx) => {
    const task = await trx.tasks.create({
      id: `task-${randomUUID()}`,
      ownerAddress: owner,
      rail: input.rail,
      currency: input.currency,
      budget: input.budget,
      spec: input.spec as unknown as Record<string, unknown>,
      deadline,
    });
    await trx.audit.append(...taskPosted(task));
    return task;
  });
}

/** The task, if the caller owns it; 403 otherwise. */
export async function ownedTask(
  tasks: TasksRepository,
  taskId: string,
  caller: string,
): Promise<TaskRecord> {
  const task = await tasks.get(taskId);
  if (task.ownerAddress !== caller.toLowerCase()) {
    throw new AgoraError("forbidden", "Not your task", {
      detail: `Task ${taskId} belongs to another owner.`,
    });
  }
  return task;
}
