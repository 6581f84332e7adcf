import { type Job, type Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { BlobStore } from "../services/learning/blobs/blob-store.ts";
import { getWeights, putWeights } from "../services/learning/blobs/weight-blobs.ts";
import { assertModelKind } from "../services/learning/models/architecture.ts";
import { embedTier } from "../services/learning/models/tier-mapping.ts";
import type { RoundBook, RoundKey, RoundResult } from "../services/learning/rounds/round-book.ts";
import { createStrategy } from "../services/learning/strategies/create-strategy.ts";
import type { FitReply } from "../services/learning/strategies/strategy.ts";
import type { Evaluation } from "../services/learning/training/evaluate.ts";
import { queueNames } from "./names.ts";
import { aggregateJobSchema, type RoundClosedJob, roundClosedJobId } from "./payloads.ts";
import type { RoundFlows } from "./round-flows.ts";
import type { RoundProgressChannel } from "./round-progress.ts";

export interface AggregateWorkerDeps {
  blobs: BlobStore;
  book: RoundBook;
  flows: RoundFlows;
  progress: RoundProgressChannel;
  /** Scores a new global model on the owner's validation set. */
  evaluate?: (model: string, weights: Float32Array) => Evaluation | Promise<Evaluation>;
  /**
   * The `round-closed` queue: when given, every closed round is announced
   * there once (deterministic job id), for the consumer that archives it in
   * the database, scores contributions and settles after the last round.
   */
  roundClosed?: Queue;
}

/**
 * Closes a round and aggregates what arrived by its deadline. Three jobs
 * may call this for one round (the flow parent when all children are done,
 * the deadline job, the quorum job); the first closes it, the result is
 * stored once, and the others find it and return it.
 */
export async function closeRound(key: RoundKey, deps: AggregateWorkerDeps): Promise<RoundResult> {
  const done = await deps.book.getResult(key);
  if (done !== undefined) return done;
  const plan = await deps.book.getPlan(key);
  if (plan === undefined) throw new Error(`no plan for round ${key.taskId}/${key.round}`);
  const started = performance.now();
  const { updates: arrived, failures } = await deps.book.closeAndCollect(key);
  const onTime = arrived.filter((update) => update.receivedAt <= plan.deadline);
  const onTimeHolders = new Set(onTime.map((u) => u.holderId));
  const dropped = plan.holders.filter((h) => !onTimeHolders.has(h));
  const base = {
    taskId: key.taskId,
    round: key.round,
    participants: onTime.map((u) => u.holderId),
    dropped,
    failures,
  };
  let result: RoundResult;
  if (onTime.length < plan.minUpdates) {
    result = {
      ...base,
      status: "failed",
      reason: `${onTime.length} updates by the deadline, at least ${plan.minUpdates} needed`,
      aggregationSeconds: (performance.now() - started) / 1000,
      closedAt: Date.now(),
    };
  } else {
    const model = assertModelKind(plan.model);
    const global = await getWeights(deps.blobs, plan.globalModelHash);
    const replies: FitReply[] = await Promise.all(
      onTime.map(async (update) => {
        const sub = await getWeights(deps.blobs, update.updateHash);
        if (update.tier === 0) {
          return { holderId: update.holderId, weights: sub, samples: update.samples };
        }
        const { weights, coverage } = embedTier(sub, global, model, update.tier);
        return { holderId: update.holderId, weights, samples: update.samples, coverage };
      }),
    );
    const strategy = createStrategy(plan.strategy, key.taskId);
    const outcome = strategy.aggregate(key.round, replies, failures, global);
    const modelHash = await putWeights(deps.blobs, outcome.weights);
    const evaluation = deps.evaluate ? await deps.evaluate(model, outcome.weights) : undefined;
    result = {
      ...base,
      status: "aggregated",
      modelHash,
      ...(evaluation && { accuracy: evaluation.accuracy, loss: evaluation.loss }),
      aggregationSeconds: (performance.now() - started) / 1000,
      closedAt: Date.now(),
    };
  }
  const stored = await deps.book.saveResult(result);
  if (stored.closedAt === result.closedAt) {
    await deps.progress.publish({
      taskId: stored.taskId,
      round: stored.round,
      status: stored.status,
      participants: stored.participants,
      dropped: stored.dropped,
      failed: stored.failures.map((f) => f.holderId),
      ...(stored.modelHash !== undefined && { modelHash: stored.modelHash }),
      ...(stored.accuracy !== undefined && { accuracy: stored.accuracy }),
      at: Date.now(),
    });
  }
  if (deps.roundClosed) {
    const task = await deps.flows.getTask(stored.taskId);
    const job: RoundClosedJob = {
      taskId: stored.taskId,
      round: stored.round,
      status: stored.status,
      lastRound:
        stored.status === "failed" || task === undefined || stored.round + 1 >= task.rounds,
    };
    await deps.roundClosed.add("round-closed", job, { jobId: roundClosedJobId(job) });
  }
  await deps.flows.continueTask(stored);
  return stored;
}

export interface AggregateWorkerOptions extends AggregateWorkerDeps {
  connection: Redis;
  prefix: string;
}

/** Processes `aggregate` (flow parents) and `close-round` (deadline, quorum) jobs. */
export function startAggregateWorker(options: AggregateWorkerOptions): Worker {
  return new Worker(
    queueNames.aggregate,
    async (job: Job) => {
      const data = aggregateJobSchema.parse(job.data);
      return closeRound({ taskId: data.taskId, round: data.round }, options);
    },
    { connection: options.connection, prefix: options.prefix, concurrency: 1 },
  );
}
