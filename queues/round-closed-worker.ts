import { type Job, type Queue, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { ZodError } from "zod";
import { contributionsScored, roundClosed } from "../services/audit/audit-events.ts";
import type { AuditLog } from "../services/audit/audit-log.ts";
import { AgoraError, isAgoraError } from "../services/errors/agora-error.ts";
import type { BlobStore } from "../services/learning/blobs/blob-store.ts";
import { CachedBlobStore } from "../services/learning/blobs/cached-blob-store.ts";
import { parseContributionInputs } from "../services/learning/contribution/contribution-inputs.ts";
import { assessRoundStanding } from "../services/learning/contribution/round-standing.ts";
import {
  type ContributionSettings,
  resolveMethod,
  scoreRound,
} from "../services/learning/contribution/score-round.ts";
import type { ValidationSet } from "../services/learning/contribution/validation-reference.ts";
import { datasetSize } from "../services/learning/data/dataset.ts";
import { assertModelKind } from "../services/learning/models/architecture.ts";
import type {
  ClosedRound,
  RoundBook,
  RoundKey,
  RoundPlan,
  RoundResult,
  UpdateRecord,
} from "../services/learning/rounds/round-book.ts";
import {
  createStrategy,
  strategySpecSchema,
} from "../services/learning/strategies/create-strategy.ts";
import type { Strategy } from "../services/learning/strategies/strategy.ts";
import type { ContributionsRepository } from "../services/store/repositories/contributions-repository.ts";
import type { RoundsRepository } from "../services/store/repositories/rounds-repository.ts";
import { inArrivalOrder } from "./aggregate-worker.ts";
import { queueNames, stalledCheckIntervalMs } from "./names.ts";
import {
  type RoundClosedJob,
  roundClosedJobSchema,
  type SettleJob,
  settleJobId,
  settleJobSchema,
} from "./payloads.ts";

export interface RoundClosedWorkerDeps {
  /** Where the closed round's plan, updates and result are (Redis). */
  book: RoundBook;
  /** The round's starting model and update blobs, for scoring. */
  blobs: BlobStore;
  rounds: RoundsRepository;
  contributions: ContributionsRepository;
  /** The `settle` queue, fed once per task after its last round. */
  settle: Queue;
  /** The owner's validation set of a task, with the reference an auditor resolves again. */
  validationFor: (taskId: string) => ValidationSet | Promise<ValidationSet>;
  /** How a task's rounds are scored. Default: `auto` (exact Shapley up to 10 holders a round, GTG-Shapley above). */
  settingsFor?: (
    taskId: string,
  ) => ContributionSettings | undefined | Promise<ContributionSettings | undefined>;
  /** Where the round's result and scores are logged (`round.closed`, `contributions.scored`). Default: not logged. */
  audit?: AuditLog;
}

export interface RoundClosedOutcome extends RoundKey {
  status: RoundResult["status"];
  /** Updates newly written to the database by this run (0 on a retry). */
  updatesArchived: number;
  /** The method the round is scored under, and whether this run scored it (false: already stored). */
  contributions: { method: string; scoredNow: boolean; recorded: number } | null;
  settleQueued: boolean;
}

/** Job options the `round-closed` queue should default to: scoring can fail on a busy blob store, so retry. */
export const roundClosedJobOptions = {
  attempts: 8,
  backoff: { type: "exponential", delay: 1_000 },
} as const;

/** Re-exported for callers that look a task's settle job up. */
export { settleJobId };

/**
 * What happens once a round closes, off the aggregation path: the round and
 * its updates are archived from the round book into the database, the
 * round's contributions are scored from its real updates and stored with
 * their inputs, and after the task's last round the `settle` job is queued.
 *
 * Every step is idempotent, so a retried or duplicated job converges to the
 * same rows: opening and recording are first-write-wins, scores already
 * stored are never recomputed (and would be kept if they were), and the
 * database round is closed last, after its contributions, so a closed round
 * in the database means a fully archived one.
 */
export async function processRoundClosed(
  raw: unknown,
  deps: RoundClosedWorkerDeps,
): Promise<RoundClosedOutcome> {
  const job: RoundClosedJob = roundClosedJobSchema.parse(raw);
  const key = { taskId: job.taskId, round: job.round };
  const [plan, result] = await Promise.all([deps.book.getPlan(key), deps.book.getResult(key)]);
  if (plan === undefined || result === undefined) {
    throw new AgoraError("not_found", "Closed round not in the round book", {
      detail: `${job.taskId} round ${job.round}: ${plan ? "no result" : "no plan"}.`,
    });
  }
  const stored = await deps.rounds.open({
    taskId: plan.taskId,
    round: plan.round,
    globalModelHash: plan.globalModelHash,
    strategy: strategyName(plan),
    minUpdates: plan.minUpdates,
    deadline: new Date(plan.deadline),
    openedAt: new Date(plan.startedAt),
  });
  let updatesArchived = 0;
  // The round is closed: collecting it again closes nothing and reads what the aggregator read.
  const closed = await deps.book.closeAndCollect(key);
  for (const update of closed.updates) {
    const recorded = await deps.rounds.recordUpdate(
      {
        taskId: plan.taskId,
        round: plan.round,
        holderId: update.holderId,
        blobHash: update.updateHash,
        samples: update.samples,
        loss: update.loss,
        trainMs: Math.round(update.trainSeconds * 1000),
        backend: update.backend,
      },
      new Date(update.receivedAt),
    );
    if (recorded) updatesArchived += 1;
  }

  const contributions =
    result.status === "aggregated" ? await scoreOnce(plan, result, closed, deps) : null;

  if (stored.status === "open") await closeArchivedRound(result, deps.rounds);
  // Logged on every run, retries included: the entries are keyed by round, so a run that died
  // after archiving but before logging logs now, and any other run finds them there.
  await logClosedRound(plan, result, closed, contributions?.method, deps);

  let settleQueued = false;
  if (job.lastRound) {
    await assertEarlierRoundsArchived(job, deps.rounds);
    const settle: SettleJob = settleJobSchema.parse({ taskId: job.taskId });
    await deps.settle.add("settle", settle, { jobId: settleJobId(settle) });
    settleQueued = true;
  }
  return {
    taskId: job.taskId,
    round: job.round,
    status: result.status,
    updatesArchived,
    contributions,
    settleQueued,
  };
}

/** Scores the round unless its scores are stored already (a retry): stored scores are final. */
async function scoreOnce(
  plan: RoundPlan,
  result: RoundResult,
  closed: ClosedRound,
  deps: RoundClosedWorkerDeps,
): Promise<NonNullable<RoundClosedOutcome["contributions"]>> {
  const settings = (await deps.settingsFor?.(plan.taskId)) ?? {};
  // By the holders asked, not those that answered: every round of a task then
  // uses one method, and the task's totals add up scores of one kind.
  const method = resolveMethod(settings.method ?? "auto", plan.holders.length);
  const existing = await deps.contributions.forRound(plan.taskId, plan.round, method);
  if (existing.length > 0) return { method, scoredNow: false, recorded: 0 };
  const strategy = strategySpecSchema.parse(plan.strategy);
  const participants = new Set(result.participants);
  const onTime = aggregationOrder(
    closed.updates.filter((update) => participants.has(update.holderId)),
    closed.arrivals,
    createStrategy(strategy, plan.taskId),
  );
  const validation = await deps.validationFor(plan.taskId);
  // Scoring and the standing both read the round's model and every update: read and verify
  // each blob once, held only while this round is scored (up to 256 MiB: a 2NN round of 300
  // holders, a CNN round of 38; larger rounds read the rest twice).
  const roundBlobs = new CachedBlobStore(deps.blobs, { maxBytes: 256 * 1024 * 1024 });
  const scores = await scoreRound(
    {
      taskId: plan.taskId,
      round: plan.round,
      model: assertModelKind(plan.model),
      strategy,
      startingModelHash: plan.globalModelHash,
      updates: onTime,
      failures: result.failures,
    },
    { blobs: roundBlobs, validation },
    { ...settings, method },
  );
  // Attacker and free-rider flags, stored with the inputs they were derived from.
  const standing = await assessRoundStanding(
    parseContributionInputs(scores.inputs),
    scores.scores,
    roundBlobs,
    datasetSize(validation.data),
  );
  const recorded = await deps.contributions.record(
    [...scores.scores].map(([holderId, score]) => ({
      taskId: plan.taskId,
      round: plan.round,
      holderId,
      method: scores.method,
      score,
      inputs: { ...scores.inputs, standing },
    })),
  );
  return { method, scoredNow: true, recorded };
}

async function logClosedRound(
  plan: RoundPlan,
  result: RoundResult,
  closed: ClosedRound,
  method: string | undefined,
  deps: RoundClosedWorkerDeps,
): Promise<void> {
  if (deps.audit === undefined) return;
  if (method !== undefined) {
    const scores = await deps.contributions.forRound(plan.taskId, plan.round, method);
    await deps.audit.append(...contributionsScored(plan.taskId, plan.round, method, scores));
  }
  await deps.audit.append(
    ...roundClosed({
      taskId: plan.taskId,
      round: plan.round,
      status: result.status,
      startingModelHash: plan.globalModelHash,
      modelHash: result.modelHash,
      accuracy: result.accuracy,
      loss: result.loss,
      participants: result.participants,
      dropped: result.dropped,
      failures: result.failures.map(({ holderId, reason }) => ({ holderId, reason })),
      updates: closed.updates.map(({ holderId, updateHash, samples, loss }) => ({
        holderId,
        updateHash,
        samples,
        loss,
      })),
      closedAt: result.closedAt,
    }),
  );
}

/**
 * The order the aggregator combined the updates in, so that the coalition of
 * everyone is the round's model bit for bit (float sums depend on order):
 * rules that fold updates one by one took them in arrival order when the
 * book records it, the others the book's holder-id order.
 */
function aggregationOrder(
  updates: UpdateRecord[],
  arrivals: string[] | undefined,
  strategy: Strategy,
): UpdateRecord[] {
  return strategy.beginRound === undefined ? updates : inArrivalOrder(updates, arrivals);
}

async function closeArchivedRound(result: RoundResult, rounds: RoundsRepository): Promise<void> {
  const outcome =
    result.status === "aggregated" && result.modelHash !== undefined
      ? {
          status: "aggregated" as const,
          resultModelHash: result.modelHash,
          accuracy: result.accuracy,
          loss: result.loss,
        }
      : { status: "failed" as const };
  try {
    await rounds.close(result.taskId, result.round, outcome, new Date(result.closedAt));
  } catch (error) {
    // A concurrent copy of this job closed it first: the same result, nothing to do.
    if (!(isAgoraError(error) && error.kind === "conflict")) throw error;
  }
}

/**
 * Settlement reads every round's scores, so it waits until all rounds before
 * the last are archived; a `round-closed` job that is still being retried
 * holds it back (this job fails and is retried after it).
 */
async function assertEarlierRoundsArchived(job: RoundClosedJob, rounds: RoundsRepository) {
  const archived = await rounds.listForTask(job.taskId);
  const closed = new Set(archived.filter((r) => r.status !== "open").map((r) => r.round));
  const missing: number[] = [];
  for (let round = 0; round <= job.round; round++) if (!closed.has(round)) missing.push(round);
  if (missing.length > 0) {
    throw new AgoraError("conflict", "Earlier rounds are not archived yet", {
      detail: `${job.taskId}: round(s) ${missing.join(", ")} still to archive before settling.`,
    });
  }
}

const strategyName = (plan: RoundPlan): string => {
  const parsed = strategySpecSchema.safeParse(plan.strategy);
  return parsed.success ? parsed.data.name : String(plan.strategy);
};

export interface RoundClosedWorkerOptions extends RoundClosedWorkerDeps {
  /** A `worker` connection (blocking commands). */
  connection: Redis;
  prefix: string;
}

/**
 * The BullMQ processor: a malformed job or round fails at once; anything
 * else (a database or blob store hiccup, earlier rounds still pending) is
 * retried with the queue's backoff.
 */
export function roundClosedProcessor(deps: RoundClosedWorkerDeps) {
  return async (job: Job): Promise<RoundClosedOutcome> => {
    try {
      return await processRoundClosed(job.data, deps);
    } catch (error) {
      const permanent =
        error instanceof ZodError || (isAgoraError(error) && error.kind === "invalid");
      if (permanent) throw new UnrecoverableError((error as Error).message);
      throw error;
    }
  };
}

/**
 * Consumes `round-closed`. One job at a time: scoring saturates a core, and
 * rounds are archived in the order they closed.
 */
export function startRoundClosedWorker(options: RoundClosedWorkerOptions): Worker {
  return new Worker(queueNames.roundClosed, roundClosedProcessor(options), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: 1,
    stalledInterval: stalledCheckIntervalMs,
  });
}
