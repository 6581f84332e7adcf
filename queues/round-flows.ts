import { FlowProducer, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { AgoraError } from "../services/errors/agora-error.ts";
import type { ModelKind } from "../services/learning/models/architecture.ts";
import type {
  RoundBook,
  RoundKey,
  RoundPlan,
  RoundResult,
} from "../services/learning/rounds/round-book.ts";
import type { StrategySpec } from "../services/learning/strategies/create-strategy.ts";
import { createStrategy } from "../services/learning/strategies/create-strategy.ts";
import { sampleWithoutReplacement, seededRng } from "../services/learning/util/random.ts";
import { queueNames, trainQueueName } from "./names.ts";
import {
  type AggregateJob,
  aggregateJobId,
  type CloseTrigger,
  closeRoundJobId,
  type TrainJobInput,
  trainJobId,
} from "./payloads.ts";
import type { RoundProgressChannel } from "./round-progress.ts";

/** What the agreement fixes for every round of a task. */
export interface TaskTraining {
  taskId: string;
  model: ModelKind;
  strategy: StrategySpec;
  localEpochs: number;
  batchSize: number;
  learningRate: number;
  /** Model tier per holder (absent: full model). */
  tiers?: Record<string, number>;
  dp: TrainJobInput["dp"];
  /** Attempts per train job before the holder counts as failed for the round. */
  trainAttempts?: number;
}

/** One round to start: who trains, from which model, until when. */
export interface RoundStart extends TaskTraining {
  round: number;
  globalModelHash: string;
  holders: string[];
  /** Close as soon as this many updates arrived; default: all holders. */
  targetUpdates?: number;
  minUpdates: number;
  /** Unix ms. */
  deadline: number;
}

/** A whole task: the rounds are started one after another by the aggregate worker. */
export interface TaskPlan extends TaskTraining {
  rounds: number;
  /** Holders that signed the agreement; each round samples from them unless `schedule` says who. */
  holders: string[];
  /**
   * Who is invited to each round, as the market planned it and each holder's
   * agreement states (`roundsInvited`). When present it replaces the seeded
   * random sample, so the holders train in the rounds they sold, and the
   * participation the auditor checks is the participation that was signed.
   */
  schedule?: string[][];
  /** Updates wanted per round (C × K in McMahan's notation). */
  clientsPerRound: number;
  /** Extra holders asked per round, as a fraction (0.3 asks 30% more and keeps the first to finish). */
  overcommit: number;
  minUpdates: number;
  roundDurationMs: number;
  seed: string;
  /**
   * Training stops after this many failed rounds in a row (too few updates
   * by the deadline). Fewer are skipped: the next round starts from the model
   * the failed one started from. Default `defaultFailedRoundsInARow`.
   */
  maxFailedRoundsInARow?: number;
}

/**
 * One failed round is a bad moment (holders offline at once, a deadline too
 * tight); two in a row say the task cannot gather its quorum, and going on
 * would only burn the holders' time.
 */
const defaultFailedRoundsInARow = 2;

/** What follows a closed round: its task's plan and, while training goes on, the next round. */
export interface AfterRound {
  plan?: TaskPlan;
  /** The round to start and the model it starts from. */
  next?: { round: number; modelHash: string };
}

export interface RoundFlowsOptions {
  /** A `producer` or `worker` connection. */
  connection: Redis;
  prefix: string;
  book: RoundBook;
  /** The `aggregate` queue, for deadline and quorum jobs. */
  aggregateQueue: Queue;
  progress: RoundProgressChannel;
}

/**
 * Starts rounds as BullMQ flows: a parent `aggregate` job on the aggregate
 * queue and one `train` child per holder on `train.<holderId>`. Children
 * that fail are set aside (`ignoreDependencyOnFailure`) so the parent still
 * runs; a delayed `close-round` job closes the round at its deadline with
 * whatever arrived, so a straggler never holds it up. Every job id is
 * derived from (task, round, holder), so starting a round twice adds nothing.
 */
export class RoundFlows {
  readonly #options: RoundFlowsOptions;
  readonly #producer: FlowProducer;

  constructor(options: RoundFlowsOptions) {
    this.#options = options;
    this.#producer = new FlowProducer({ connection: options.connection, prefix: options.prefix });
  }

  #taskKey(taskId: string): string {
    return `${this.#options.prefix}:fl:task:${taskId}`;
  }

  async startRound(start: RoundStart): Promise<RoundPlan> {
    if (start.holders.length === 0) {
      throw new AgoraError("invalid", "A round needs at least one holder");
    }
    const strategy = createStrategy(start.strategy, start.taskId);
    const instructions = new Map(
      strategy.configureRound(start.round, start.holders).map((i) => [i.holderId, i]),
    );
    const targetUpdates = Math.min(
      start.targetUpdates ?? start.holders.length,
      start.holders.length,
    );
    if (start.minUpdates > targetUpdates) {
      throw new AgoraError("invalid", "Minimum updates exceeds the round's target", {
        detail: `min ${start.minUpdates}, target ${targetUpdates}.`,
      });
    }
    const plan: RoundPlan = {
      taskId: start.taskId,
      round: start.round,
      model: start.model,
      globalModelHash: start.globalModelHash,
      holders: [...start.holders],
      targetUpdates,
      minUpdates: start.minUpdates,
      deadline: start.deadline,
      strategy: start.strategy,
      startedAt: Date.now(),
    };
    // The plan that won is ours unless the round was started before: read it back only then.
    const opened = await this.#options.book.openRound(plan);
    const stored = opened ? plan : ((await this.#options.book.getPlan(plan)) ?? plan);
    const aggregate: AggregateJob = {
      taskId: stored.taskId,
      round: stored.round,
      strategy: start.strategy.name,
      minUpdates: stored.minUpdates,
      deadline: stored.deadline,
    };
    const flow = this.#producer.add({
      name: "aggregate",
      queueName: queueNames.aggregate,
      data: aggregate,
      opts: { jobId: aggregateJobId(aggregate) },
      children: stored.holders.map((holderId) => {
        const data: TrainJobInput = {
          taskId: stored.taskId,
          round: stored.round,
          holderId,
          globalModelHash: stored.globalModelHash,
          localEpochs: start.localEpochs,
          batchSize: start.batchSize,
          modelTier: start.tiers?.[holderId] ?? 0,
          deadline: stored.deadline,
          dp: start.dp,
          model: start.model,
          learningRate: start.learningRate,
          proximalMu: instructions.get(holderId)?.proximalMu ?? 0,
        };
        return {
          name: "train",
          queueName: trainQueueName(holderId),
          data,
          opts: {
            jobId: trainJobId(data),
            attempts: start.trainAttempts ?? 2,
            backoff: { type: "fixed", delay: 250 },
            ignoreDependencyOnFailure: true,
          },
        };
      }),
    });
    // The deadline job does not depend on the flow: both go out in one round trip's time.
    await Promise.all([
      flow,
      this.requestClose(aggregate, "deadline", Math.max(0, stored.deadline - Date.now())),
    ]);
    return stored;
  }

  /** Queues a `close-round` job (idempotent per trigger). */
  async requestClose(key: RoundKey, trigger: CloseTrigger, delay = 0): Promise<void> {
    const job: AggregateJob = {
      taskId: key.taskId,
      round: key.round,
      strategy: "close",
      minUpdates: 1,
      deadline: Date.now() + delay + 1,
    };
    await this.#options.aggregateQueue.add("close-round", job, {
      jobId: closeRoundJobId(key, trigger),
      delay,
    });
  }

  /** Stores the task plan (first write wins) and starts round 0 from `initialModelHash`. */
  async startTask(plan: TaskPlan, initialModelHash: string): Promise<RoundPlan> {
    await this.#options.connection.set(this.#taskKey(plan.taskId), JSON.stringify(plan), "NX");
    return this.startRound(this.#roundOf(plan, 0, initialModelHash));
  }

  async getTask(taskId: string): Promise<TaskPlan | undefined> {
    const raw = await this.#options.connection.get(this.#taskKey(taskId));
    return raw === null ? undefined : (JSON.parse(raw) as TaskPlan);
  }

  /**
   * What follows a closed round, read once: the task's plan (undefined for a
   * round of no stored task) and the next round to start, from the model the
   * closed one produced or, if it failed, the model it started from
   * (`startedFrom`). No next round when training is over: the last round
   * closed, or too many failed in a row.
   */
  async afterRound(result: RoundResult, startedFrom: string): Promise<AfterRound> {
    const plan = await this.getTask(result.taskId);
    if (plan === undefined || result.round + 1 >= plan.rounds) return { plan };
    if (result.status === "aggregated") {
      return result.modelHash === undefined
        ? { plan }
        : { plan, next: { round: result.round + 1, modelHash: result.modelHash } };
    }
    const limit = plan.maxFailedRoundsInARow ?? defaultFailedRoundsInARow;
    let failedInARow = 1;
    for (let round = result.round - 1; round >= 0 && failedInARow < limit; round--) {
      const earlier = await this.#options.book.getResult({ taskId: result.taskId, round });
      if (earlier?.status !== "failed") break;
      failedInARow += 1;
    }
    if (failedInARow >= limit) return { plan };
    return { plan, next: { round: result.round + 1, modelHash: startedFrom } };
  }

  /**
   * After a round closes: start the next one (`afterRound`'s), or report the
   * task finished when its last round aggregated.
   */
  async continueTask(result: RoundResult, after: AfterRound): Promise<void> {
    const { plan, next } = after;
    if (plan === undefined) return;
    if (next !== undefined) {
      await this.startRound(this.#roundOf(plan, next.round, next.modelHash));
      return;
    }
    if (
      result.round + 1 < plan.rounds ||
      result.status !== "aggregated" ||
      result.modelHash === undefined
    ) {
      return;
    }
    await this.#options.progress.publish({
      taskId: plan.taskId,
      round: result.round,
      status: "task-completed",
      participants: result.participants,
      dropped: result.dropped,
      failed: result.failures.map((f) => f.holderId),
      modelHash: result.modelHash,
      ...(result.accuracy !== undefined && { accuracy: result.accuracy }),
      at: Date.now(),
    });
  }

  #roundOf(plan: TaskPlan, round: number, globalModelHash: string): RoundStart {
    const asked = Math.min(
      plan.holders.length,
      Math.ceil(plan.clientsPerRound * (1 + plan.overcommit)),
    );
    const scheduled = plan.schedule?.[round];
    const holders = (
      scheduled ??
      sampleWithoutReplacement(plan.holders, asked, seededRng(`select|${plan.seed}|${round}`))
    ).toSorted();
    return {
      ...plan,
      round,
      globalModelHash,
      holders,
      targetUpdates: Math.min(plan.clientsPerRound, holders.length),
      deadline: Date.now() + plan.roundDurationMs,
    };
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
