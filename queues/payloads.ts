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
    .object({ clipNorm: z.number().positive(), noiseMultiplier: z.number().nonnegative() })
    .nullable(),
});
export type TrainJob = z.infer<typeof trainJobSchema>;

export const aggregateJobSchema = z.object({
  taskId: id,
  round: z.number().int().nonnegative(),
  strategy: z.string().min(1),
  minUpdates: z.number().int().positive(),
  deadline: z.number().int().positive(),
});
export type AggregateJob = z.infer<typeof aggregateJobSchema>;

export const settleJobSchema = z.object({ taskId: id });
export type SettleJob = z.infer<typeof settleJobSchema>;

export const railEventJobSchema = z.object({
  rail: z.enum(["stripe", "chain"]),
  eventId: z.string().min(1),
});
export type RailEventJob = z.infer<typeof railEventJobSchema>;

/** Deterministic job id, so that enqueueing the same work twice is a no-op. */
export const trainJobId = (job: Pick<TrainJob, "taskId" | "round" | "holderId">): string =>
  `train|${job.taskId}|${job.round}|${job.holderId}`;
