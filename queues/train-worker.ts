import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { AgoraError, isAgoraError } from "../services/errors/agora-error.ts";
import type { BackendLogger } from "../services/learning/backend/choose-backend.ts";
import type { BlobStore } from "../services/learning/blobs/blob-store.ts";
import { getWeights, putWeights } from "../services/learning/blobs/weight-blobs.ts";
import type { HolderDataSource } from "../services/learning/data/holder-data-source.ts";
import { extractTier } from "../services/learning/models/tier-mapping.ts";
import { privatizeDelta } from "../services/learning/privacy/clip-and-noise.ts";
import type { RoundBook } from "../services/learning/rounds/round-book.ts";
import type { Trainer } from "../services/learning/training/trainer.ts";
import { sharedTrainingThread } from "../services/learning/training/training-thread.ts";
import { seededRng } from "../services/learning/util/random.ts";
import { add, subtract } from "../services/learning/weights/vector-math.ts";
import { stalledCheckIntervalMs, trainQueueName } from "./names.ts";
import { type TrainJob, trainJobSchema } from "./payloads.ts";
import type { RoundFlows } from "./round-flows.ts";

export interface TrainWorkerDeps {
  /** The only holder whose jobs (and data) this worker touches. */
  holderId: string;
  blobs: BlobStore;
  book: RoundBook;
  data: HolderDataSource;
  /** To ask for an early close once the round's target is reached (over-commit). */
  flows: RoundFlows;
  /** `AGORA_TF_BACKEND`, if set. */
  forcedBackend?: string | undefined;
  /** Where trainings run; default: the process's training thread. */
  trainer?: Trainer;
  logger?: BackendLogger;
  /**
   * Simulated holder behaviour (the demo, fault tests): gets the trained
   * weights and the weights training started from (at the holder's tier) and
   * returns what the holder sends, after any delay it likes. Default: none,
   * the trained weights are sent as they are.
   */
  simulate?: UpdateSimulation;
}

/** What a simulated holder sends instead of its trained weights (a slow device, a free rider, an attacker). */
export type UpdateSimulation = (input: {
  job: TrainJob;
  trained: Float32Array;
  start: Float32Array;
}) => Promise<Float32Array>;

export interface TrainJobResult {
  status: "recorded" | "duplicate" | "late" | "closed";
  updateHash?: string;
  samples?: number;
  loss?: number;
  trainSeconds?: number;
  backend?: string;
}

let lastGlobal: { hash: string; weights: Promise<Float32Array> } | undefined;

/**
 * The round's global model, read and verified once per process: every train
 * job of a round starts from it, and training only reads it (tiers and DP
 * work on copies), so jobs share one array instead of each copying
 * megabytes. A failed read is not remembered.
 */
function globalModel(blobs: BlobStore, hash: string): Promise<Float32Array> {
  if (lastGlobal?.hash === hash) return lastGlobal.weights;
  const entry = { hash, weights: getWeights(blobs, hash) };
  lastGlobal = entry;
  entry.weights.catch(() => {
    if (lastGlobal === entry) lastGlobal = undefined;
  });
  return entry.weights;
}

/**
 * One train job: fetch the global model by hash, train E local epochs on this
 * holder's data, clip and noise when the agreement asks, store the update and
 * record it once. A job for a round that is closed or past its deadline is
 * dropped without training.
 */
export async function runTrainJob(raw: unknown, deps: TrainWorkerDeps): Promise<TrainJobResult> {
  const job: TrainJob = trainJobSchema.parse(raw);
  if (job.holderId !== deps.holderId) {
    throw new AgoraError("forbidden", "Train job for another holder", {
      detail: `this worker serves ${deps.holderId}, the job names ${job.holderId}.`,
    });
  }
  const key = { taskId: job.taskId, round: job.round };
  // The round's global model is read and verified while the book answers (the first job of
  // a round waits for both); a read for a job that is then dropped is not wasted on the next.
  const reading = globalModel(deps.blobs, job.globalModelHash);
  reading.catch(() => undefined);
  const { update: existing, closed } = await deps.book.standing(key, job.holderId);
  if (existing !== undefined) {
    return { status: "duplicate", updateHash: existing.updateHash, samples: existing.samples };
  }
  if (Date.now() > job.deadline || closed) return { status: "late" };

  const global = await reading;
  const data = await deps.data.load(job.holderId);
  const seed = `${job.taskId}|${job.round}|${job.holderId}`;
  const trained = await (deps.trainer ?? sharedTrainingThread()).train({
    kind: job.model,
    tier: job.modelTier,
    global,
    globalHash: job.globalModelHash,
    data,
    epochs: job.localEpochs,
    batchSize: job.batchSize,
    learningRate: job.learningRate,
    proximalMu: job.proximalMu,
    seed,
    forcedBackend: deps.forcedBackend,
  });
  if (trained.backendChoice !== undefined) {
    const { backend, attempts } = trained.backendChoice;
    deps.logger?.info({ backend, attempts }, "training backend chosen");
  }
  let update = trained.weights;
  if (deps.simulate !== undefined) {
    const start = extractTier(global, job.model, job.modelTier);
    update = await deps.simulate({ job, trained: update, start });
  }
  if (job.dp !== null) {
    const start = extractTier(global, job.model, job.modelTier);
    const delta = privatizeDelta(subtract(update, start), job.dp, seededRng(`dp|${seed}`));
    update = add(start, delta);
  }
  // Nobody reads the update after this (a simulation may return an array it keeps, so
  // not then): the store may move its buffer to a blob thread instead of copying it.
  const updateHash = await putWeights(deps.blobs, update, {
    handOver: deps.simulate === undefined,
  });
  const receipt = await deps.book.recordUpdate(key, {
    holderId: job.holderId,
    updateHash,
    tier: job.modelTier,
    samples: trained.samples,
    loss: trained.loss,
    trainSeconds: trained.trainSeconds,
    backend: trained.backend,
    receivedAt: Date.now(),
  });
  const report = {
    updateHash,
    samples: trained.samples,
    loss: trained.loss,
    trainSeconds: trained.trainSeconds,
    backend: trained.backend,
  };
  // The book counts the round's updates as it records them: no job lists the round.
  if (receipt.reachedTarget) await deps.flows.requestClose(key, "quorum");
  return { status: receipt.outcome, ...report };
}

/** The BullMQ processor: records the holder's failure once its last attempt fails. */
export function trainProcessor(deps: TrainWorkerDeps) {
  return async (job: Job): Promise<TrainJobResult> => {
    try {
      return await runTrainJob(job.data, deps);
    } catch (error) {
      // Bad input or missing data will not fix itself: fail now instead of retrying.
      const permanent =
        isAgoraError(error) && ["invalid", "not_found", "forbidden"].includes(error.kind);
      const lastAttempt = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const data = job.data as Partial<TrainJob>;
      if (lastAttempt && typeof data.taskId === "string" && typeof data.round === "number") {
        await deps.book.recordFailure(
          { taskId: data.taskId, round: data.round },
          { holderId: deps.holderId, reason: (error as Error).message, at: Date.now() },
        );
      }
      if (permanent) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  };
}

export interface TrainWorkerOptions extends TrainWorkerDeps {
  /** A `worker` connection (blocking commands). */
  connection: Redis;
  prefix: string;
}

/** Starts the worker of one holder's queue (`train.<holderId>`). */
export function startTrainWorker(options: TrainWorkerOptions): Worker {
  return new Worker(trainQueueName(options.holderId), trainProcessor(options), {
    connection: options.connection,
    prefix: options.prefix,
    // One job at a time: training saturates the holder's machine anyway.
    concurrency: 1,
    stalledInterval: stalledCheckIntervalMs,
  });
}
