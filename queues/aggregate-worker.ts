import { type Job, type Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { BlobStore } from "../services/learning/blobs/blob-store.ts";
import { getWeights, putWeights } from "../services/learning/blobs/weight-blobs.ts";
import { assertModelKind } from "../services/learning/models/architecture.ts";
import type {
  ArrivalWatch,
  RoundBook,
  RoundKey,
  RoundResult,
  UpdateRecord,
} from "../services/learning/rounds/round-book.ts";
import { loadReply, UpdatePrefetch } from "../services/learning/rounds/update-prefetch.ts";
import { createStrategy } from "../services/learning/strategies/create-strategy.ts";
import type { AggregateOutcome, FitReply } from "../services/learning/strategies/strategy.ts";
import type { Evaluation } from "../services/learning/training/evaluate.ts";
import { queueNames, stalledCheckIntervalMs } from "./names.ts";
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
  /**
   * Updates read (and, for sums, folded) as they were recorded, fed by the
   * book's arrival announcements; `startAggregateWorker` sets one up when
   * the book announces arrivals. Without it the round is read at close.
   */
  prefetch?: UpdatePrefetch;
}

/** The on-time updates in the order the book recorded them (holder-id order without one). */
export function inArrivalOrder(
  updates: UpdateRecord[],
  arrivals: string[] | undefined,
): UpdateRecord[] {
  if (arrivals === undefined) return updates;
  const position = new Map(arrivals.map((holderId, i) => [holderId, i]));
  const at = (u: UpdateRecord) => position.get(u.holderId) ?? Number.MAX_SAFE_INTEGER;
  return [...updates].sort((a, b) => at(a) - at(b) || a.holderId.localeCompare(b.holderId));
}

/** Whether what was folded ahead is exactly the start of what the round accepts, in order. */
function isPrefix(
  folded: Pick<UpdateRecord, "holderId" | "updateHash">[],
  ordered: UpdateRecord[],
): boolean {
  if (folded.length > ordered.length) return false;
  return folded.every(
    (f, i) => f.holderId === ordered[i]?.holderId && f.updateHash === ordered[i]?.updateHash,
  );
}

/**
 * Closes a round and aggregates what arrived by its deadline. Three jobs
 * may call this for one round (the flow parent when all children are done,
 * the deadline job, the quorum job); the first closes it, the result is
 * stored once, and the others find it and return it.
 */
export async function closeRound(key: RoundKey, deps: AggregateWorkerDeps): Promise<RoundResult> {
  // Both reads in one round trip's time: a close sits on the round's critical path.
  const [done, plan] = await Promise.all([deps.book.getResult(key), deps.book.getPlan(key)]);
  if (done !== undefined) return done;
  if (plan === undefined) throw new Error(`no plan for round ${key.taskId}/${key.round}`);
  const started = performance.now();
  const closed = await deps.book.closeAndCollect(key);
  const { updates: arrived, failures } = closed;
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
    const prefetched = await deps.prefetch?.take(key);
    const global = prefetched?.global ?? (await getWeights(deps.blobs, plan.globalModelHash));
    const strategy = createStrategy(plan.strategy, key.taskId);
    const read = (update: UpdateRecord): Promise<FitReply> => {
      const kept = prefetched?.replies.get(update.holderId);
      return kept?.updateHash === update.updateHash
        ? Promise.resolve(kept.reply)
        : loadReply(deps.blobs, update, plan, global);
    };
    let outcome: AggregateOutcome;
    if (strategy.beginRound !== undefined) {
      // A sum: fold in the recorded arrival order, after what was folded while holders trained.
      const ordered = inArrivalOrder(onTime, closed.arrivals);
      const headStart = prefetched?.running !== undefined && isPrefix(prefetched.folded, ordered);
      const running =
        headStart && prefetched?.running
          ? prefetched.running
          : strategy.beginRound(key.round, global);
      const rest = ordered.slice(headStart ? (prefetched?.folded.length ?? 0) : 0);
      for (const reply of await Promise.all(rest.map(read))) running.add(reply);
      outcome = running.finish();
    } else {
      const replies = await Promise.all(onTime.map(read));
      outcome = strategy.aggregate(key.round, replies, failures, global);
    }
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
  const after = await deps.flows.afterRound(stored, plan.globalModelHash);
  if (deps.roundClosed) {
    const job: RoundClosedJob = {
      taskId: stored.taskId,
      round: stored.round,
      status: stored.status,
      lastRound: after.next === undefined,
    };
    await deps.roundClosed.add("round-closed", job, { jobId: roundClosedJobId(job) });
  }
  await deps.flows.continueTask(stored, after);
  return stored;
}

export interface AggregateWorkerOptions extends AggregateWorkerDeps {
  connection: Redis;
  prefix: string;
  /**
   * Read updates as they are recorded (when the book announces arrivals).
   * @default true
   */
  prefetchUpdates?: boolean;
}

/** The aggregate worker, which also stops watching arrivals when it closes. */
class AggregateWorker extends Worker {
  #watch: Promise<ArrivalWatch | undefined> = Promise.resolve(undefined);

  watch(watching: Promise<ArrivalWatch | undefined>): void {
    // Without the watch the worker still aggregates; it only loses the head start.
    this.#watch = watching.catch(() => undefined);
  }

  override async close(force = false): Promise<void> {
    await super.close(force);
    await (await this.#watch)?.stop();
  }
}

/** Processes `aggregate` (flow parents) and `close-round` (deadline, quorum) jobs. */
export function startAggregateWorker(options: AggregateWorkerOptions): Worker {
  const watchArrivals = options.book.watchArrivals?.bind(options.book);
  const prefetch =
    options.prefetch ??
    (options.prefetchUpdates !== false && watchArrivals !== undefined
      ? new UpdatePrefetch({ blobs: options.blobs, book: options.book })
      : undefined);
  const deps: AggregateWorkerDeps = { ...options, ...(prefetch && { prefetch }) };
  const worker = new AggregateWorker(
    queueNames.aggregate,
    async (job: Job) => {
      const data = aggregateJobSchema.parse(job.data);
      return closeRound({ taskId: data.taskId, round: data.round }, deps);
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 1,
      stalledInterval: stalledCheckIntervalMs,
    },
  );
  if (prefetch !== undefined && options.prefetch === undefined && watchArrivals !== undefined) {
    worker.watch(watchArrivals((arrival) => prefetch.onArrival(arrival)));
  }
  return worker;
}
