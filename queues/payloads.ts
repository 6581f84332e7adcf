import { z } from "zod";

/**
 * Job payload schemas. Producers parse before enqueueing and workers parse
 * before acting, so a malformed job fails loudly at either end. Ids are
 * strings without `:` (BullMQ job ids may not contain it).
 */
const id = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, "ids use letters, digits, _ . - only");
const contentHash = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

export const trainJobSchema = z.object({
  taskId: id,
  round: z.number().int().nonnegative(),
  holderId: id,
  /** Content hash of the global model this round starts from. */
  globalModelHash: contentHash,
  localEpochs: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  /** Model-size tier the holder agreed to train. */
  modelTier: z.number().int().nonnegative(),
  /** Unix ms after which the aggregate ignores this update. */
  deadline: z.number().int().positive(),
  dp: z
    .object({
      clipNorm: z.number().positive(),
      noiseMultiplier: z.number().nonnegative(),
      /** Where the Gaussian noise is added, as the agreement says. */
      noiseAt: z.enum(["holder", "aggregator"]).default("holder"),
    })
    .nullable(),
  /** Model to train (see services/learning/models/architecture.ts). */
  model: z.enum(["mnist-2nn", "mnist-cnn"]).default("mnist-2nn"),
  /** Local SGD learning rate. */
  learningRate: z.number().positive().default(0.05),
  /** FedProx proximal coefficient μ from the strategy's round configuration. */
  proximalMu: z.number().nonnegative().default(0),
});
export type TrainJob = z.infer<typeof trainJobSchema>;
/** What a producer writes; defaults are filled in when the worker parses it. */
export type TrainJobInput = z.input<typeof trainJobSchema>;

export const aggregateJobSchema = z.object({
  taskId: id,
  round: z.number().int().nonnegative(),
  strategy: z.string().min(1),
  minUpdates: z.number().int().positive(),
  deadline: z.number().int().positive(),
});
export type AggregateJob = z.infer<typeof aggregateJobSchema>;

/** A round closed (aggregated or failed); `lastRound` marks the task's final round. */
export const roundClosedJobSchema = z.object({
  taskId: id,
  round: z.number().int().nonnegative(),
  status: z.enum(["aggregated", "failed"]),
  lastRound: z.boolean(),
});
export type RoundClosedJob = z.infer<typeof roundClosedJobSchema>;

/** Deterministic id of a round's `round-closed` job. */
export const roundClosedJobId = (job: Pick<RoundClosedJob, "taskId" | "round">): string =>
  `closed|${job.taskId}|${job.round}`;

export const settleJobSchema = z.object({ taskId: id });
export type SettleJob = z.infer<typeof settleJobSchema>;

/** Deterministic id of a task's `settle` job: a task is settled by one job, however often it is queued. */
export const settleJobId = (job: Pick<SettleJob, "taskId">): string => `settle|${job.taskId}`;

export const railEventJobSchema = z.object({
  rail: z.enum(["stripe", "chain"]),
  eventId: z.string().min(1),
});
export type RailEventJob = z.infer<typeof railEventJobSchema>;

/** Deterministic job id, so that enqueueing the same work twice is a no-op. */
export const trainJobId = (job: Pick<TrainJob, "taskId" | "round" | "holderId">): string =>
  `train|${job.taskId}|${job.round}|${job.holderId}`;

/** Deterministic id of a round's parent `aggregate` job. */
export const aggregateJobId = (job: Pick<AggregateJob, "taskId" | "round">): string =>
  `aggregate|${job.taskId}|${job.round}`;

/** Why a `close-round` job closes a round early: the deadline passed, or enough updates arrived. */
export type CloseTrigger = "deadline" | "quorum";

/** Deterministic id of a round's `close-round` job, one per trigger. */
export const closeRoundJobId = (
  job: Pick<AggregateJob, "taskId" | "round">,
  trigger: CloseTrigger,
): string => `close|${job.taskId}|${job.round}|${trigger}`;
