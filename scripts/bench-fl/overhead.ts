/**
 * Orchestration overhead of real BullMQ round flows (bench:fl, section 3).
 *
 * What is measured, per round: `wall` runs from `startRound` until the
 * round's result is stored and published (the flow is enqueued, every train
 * job is picked up, trained, stored as a blob and recorded, the aggregator
 * reads and folds every update, closes the round and stores the new global
 * model). `critical` is the training the round could not do without: the
 * holders' workers of one process train one after another (their trainings
 * take turns on one thread), so a process's training is the sum of its
 * holders' `trainSeconds` (busy compute time of local training, see
 * `trainLocally`), and the round cannot end before its busiest process
 * finishes training. overhead = (wall − critical) / wall: everything the
 * orchestration adds to the round on top of the training, i.e. enqueueing,
 * job hand-off, blob hashing, writes and reads, round-book calls, folding,
 * closing, and any training that was held up by it.
 *
 * Holder workers train on a training thread (as deployed) or on their event
 * loop's thread (`AGORA_TRAINING_THREAD=off`). With `trainers` naming both,
 * rounds alternate between them on the same workers, so the two are
 * measured side by side in one run; the first named is the headline.
 *
 * Where the holders run in processes of their own (as deployed: a holder's
 * worker never shares a process with the aggregator), each round is followed
 * by a calibration that is not part of its wall time: the same holders'
 * local training from the same global model, called directly in the same
 * processes (no queues, blobs or Redis). `overhead_vs_bare` compares the
 * round with that pass's wall time, and the processes' CPU counters give the
 * orchestration work done on the training thread per train job, a figure
 * that, unlike wall times, other load on the machine hardly moves.
 * `versus_bare` splits the round's extra time into orchestration on the
 * critical path and the same trainings running slower, and the scheduler's
 * per-thread counters (thread-times.ts) say how much of that slowdown the
 * training spent waiting for a core while orchestration ran beside it.
 */
import { rm } from "node:fs/promises";
import { Queue, type Worker } from "bullmq";
import { startAggregateWorker } from "../../queues/aggregate-worker.ts";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { RoundFlows } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import type { ModelKind } from "../../services/learning/models/architecture.ts";
import type { UpdateRecord } from "../../services/learning/rounds/round-book.ts";
import { sampleWithoutReplacement, seededRng } from "../../services/learning/util/random.ts";
import { benchSplit, startHolderWorkers } from "./bench-holders.ts";
import { type HostTimes, startHolderHosts } from "./holder-host.ts";
import { SwitchableTrainer, type TrainerKind } from "./switchable-trainer.ts";
import {
  addThreadTimes,
  readThreadTimes,
  type ThreadTimes,
  threadTimesSince,
} from "./thread-times.ts";

export interface OverheadOptions {
  perRound: number;
  rounds: number;
  /** Rounds run first and reported apart: the process's first model builds and data cuts. */
  warmupRounds: number;
  /** All holders of the split; each round samples `perRound` of them. */
  holders: number;
  model: ModelKind;
  initial: Float32Array;
  batchSize: number;
  learningRate: number;
  validationSize: number;
  testSize: number;
  seed: string;
  blobThreads: number;
  /**
   * Processes that host the holders' workers, apart from the coordinator
   * (aggregator, flows), holders dealt out in turn; 0 runs every worker in
   * this process, the aggregator's included.
   */
  holderProcesses: number;
  /** Where holder workers train, in turn round by round; the first is the headline figure. */
  trainers: readonly TrainerKind[];
  redisUrl?: string;
}

export interface OverheadRound {
  trainer: TrainerKind;
  wall_s: number;
  /** Sum of every holder's training time. */
  train_s: number;
  /** Training on the critical path: the busiest process's summed training. */
  critical_s: number;
  aggregate_s: number;
  /** From `startRound` until the first update was recorded, less that update's training. */
  first_update_s: number;
  /** From the last update recorded until the result was stored. */
  close_s: number;
  overhead_ratio: number;
  /** Holder processes only: CPU of the holder processes (every thread) during the round. */
  holder_cpu_s?: number;
  /** CPU of this process (aggregator, flows, blob threads) during the round. */
  coordinator_cpu_s: number;
  /** This process's threads during the round: time on a core and time waiting for one (Linux). */
  coordinator_threads?: ThreadTimes;
  /** Holder processes only, summed over them: their threads during the round (Linux). */
  holder_threads?: ThreadTimes;
  /**
   * Seconds the thread that trained (the training thread, or the event loop's
   * with in-process training) was runnable but had no core, during the round
   * and during the bare pass: a training that waits for a core is slower
   * without doing more work.
   */
  training_wait_s?: { round: number; bare: number };
  /** Holder processes only: the round's trainings again, called directly (calibration). */
  bare?: BarePass;
  /** (wall − bare.wall), split: see VersusBare. */
  versus_bare?: VersusBare;
  /** (holder_cpu − bare.cpu) per train job: orchestration work in the holder processes. */
  holder_orchestration_cpu_ms_per_job?: number;
  /** (wall − bare.wall) / wall: the overhead against a bare pass instead of `critical`. */
  overhead_vs_bare?: number;
}

/** The calibration pass after a round, over every holder process. */
export interface BarePass {
  /** The slowest process's pass. */
  wall_s: number;
  cpu_s: number;
  /** Summed `trainSeconds`. */
  train_s: number;
  /** The busiest process's summed `trainSeconds`, as `critical_s` is for the round. */
  critical_s: number;
  threads?: ThreadTimes;
}

/**
 * Where a round's time beyond the bare pass went, in seconds; the two parts
 * add up to wall − bare.wall. Orchestration that runs beside the training
 * (the holder's queue work on its event loop, blob threads, the
 * coordinator, Redis) is not on the critical path, but on a machine without
 * a spare core it slows the training down: `training_slowdown_s` holds that,
 * and `training_extra_wait_s` the part of it the training spent waiting for
 * a core (scheduler counters; the rest is the same work running slower).
 */
export interface VersusBare {
  /** (wall − critical) − (bare wall − bare critical): orchestration on the critical path. */
  not_overlapped_s: number;
  /** critical − bare critical: the same trainings, slower in the round. */
  training_slowdown_s: number;
  /** Runqueue wait of the training in the round less in the bare pass (Linux). */
  training_extra_wait_s?: number;
  /**
   * (not_overlapped + training_extra_wait) / wall: the share of the round
   * orchestration took on the critical path or by keeping the training from
   * a core. What is left of the slowdown is the same work running slower on
   * a core, which in-process rounds show too, with no holder work beside
   * their training.
   */
  orchestration_ratio?: number;
}

/** The rounds of one way of training, and their means. */
export interface TrainerOverhead {
  trainer: TrainerKind;
  warmup: OverheadRound[];
  rounds: OverheadRound[];
  /** The same mean with the warm-up rounds counted, for comparison. */
  overhead_ratio_with_warmup: number;
  wall_s: number;
  train_s: number;
  critical_s: number;
  aggregate_s: number;
  overhead_ratio: number;
  holder_orchestration_cpu_ms_per_job?: number;
  overhead_vs_bare?: number;
  /** Means of the rounds' `versus_bare`. */
  versus_bare?: VersusBare;
}

/** The headline trainer's figures, and those of the others measured beside it. */
export interface OverheadSummary extends TrainerOverhead {
  per_round: number;
  holder_processes: number;
  compared: TrainerOverhead[];
}

/** The holder processes' threads during a round, summed; undefined without their counters. */
function holderThreadsDuring(before: HostTimes[], after: HostTimes[]): ThreadTimes | undefined {
  if (before.length === 0) return undefined;
  const spans: ThreadTimes[] = [];
  for (const [i, end] of after.entries()) {
    const start = before[i]?.threads;
    if (start === undefined || end.threads === undefined) return undefined;
    spans.push(threadTimesSince(start, end.threads));
  }
  return addThreadTimes(spans);
}

/** Where a round's time beyond its bare pass went (see VersusBare). */
function versusBare(
  wall: number,
  critical: number,
  bare: BarePass,
  trainingWait: OverheadRound["training_wait_s"],
): VersusBare {
  const notOverlapped = wall - critical - (bare.wall_s - bare.critical_s);
  const split: VersusBare = {
    not_overlapped_s: notOverlapped,
    training_slowdown_s: critical - bare.critical_s,
  };
  if (trainingWait === undefined) return split;
  const extraWait = trainingWait.round - trainingWait.bare;
  return {
    ...split,
    training_extra_wait_s: extraWait,
    orchestration_ratio: (notOverlapped + extraWait) / wall,
  };
}

/** Critical-path training: holders of one process train one after another. */
export function criticalTraining(
  updates: UpdateRecord[],
  processOf: (holderId: string) => number,
): number {
  const byProcess = new Map<number, number>();
  for (const update of updates) {
    const host = processOf(update.holderId);
    byProcess.set(host, (byProcess.get(host) ?? 0) + update.trainSeconds);
  }
  return Math.max(0, ...byProcess.values());
}

export async function measureOverhead(options: OverheadOptions): Promise<OverheadSummary> {
  const prefix = `agora_bench_fl_${process.pid}_${options.perRound}`;
  const blobDir = `/tmp/${prefix}_blobs`;
  const url = options.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const client = createRedisConnection({ url, role: "client" });
  const shared = createRedisConnection({ url, role: "worker" });
  // Hashing and file calls on a thread of their own, as an aggregator deploys
  // the store (it verifies every update of a round).
  const blobs = new FileBlobStore(blobDir, { threads: options.blobThreads });
  const trainer = new SwitchableTrainer();
  const book = new RedisRoundBook(client, prefix);
  const progress = new RoundProgressChannel(client, prefix);
  const aggregateQueue = new Queue(queueNames.aggregate, { connection: shared, prefix });
  const flows = new RoundFlows({ connection: shared, prefix, book, aggregateQueue, progress });
  const holderIds = Array.from({ length: options.holders }, (_, i) => `holder-${i}`);
  const hostOf = (holderId: string) =>
    options.holderProcesses === 0 ? 0 : holderIds.indexOf(holderId) % options.holderProcesses;
  const hosts = await startHolderHosts(
    Array.from({ length: options.holderProcesses }, (_, host) => ({
      redisUrl: url,
      prefix,
      blobDir,
      blobThreads: options.blobThreads,
      model: options.model,
      allHolders: holderIds,
      hosted: holderIds.filter((holderId) => hostOf(holderId) === host),
      validationSize: options.validationSize,
      testSize: options.testSize,
      seed: options.seed,
    })),
  );
  const workers: Worker[] = [
    startAggregateWorker({ connection: shared, prefix, blobs, book, flows, progress }),
    // With no holder processes, the holders' workers run here too.
    ...(options.holderProcesses > 0
      ? []
      : startHolderWorkers(holderIds, {
          connection: shared,
          prefix,
          blobs,
          book,
          data: benchSplit(holderIds, options),
          flows,
          trainer,
        })),
  ];
  let global = await putWeights(blobs, options.initial);
  await waitUntilReady(client);
  // Wait for each result on the progress channel (published right after it is
  // stored) rather than polling: polling would load the event loop being measured.
  const subscriber = client.duplicate({ enableOfflineQueue: true });
  const published = new Map<number, () => void>();
  subscriber.on("message", (_channel: string, body: string) => {
    const line = JSON.parse(body) as { taskId: string; round: number };
    if (line.taskId === "bench") published.get(line.round)?.();
  });
  await subscriber.subscribe(progress.channel);
  const rounds: OverheadRound[] = [];
  const warmup: OverheadRound[] = [];
  const { trainers } = options;
  const warmupRounds = options.warmupRounds * trainers.length;
  for (let round = 0; round < warmupRounds + options.rounds; round++) {
    const kind = trainers[round % trainers.length] as TrainerKind;
    trainer.current = kind;
    await Promise.all(hosts.map((host) => host.useTrainer(kind)));
    const holders = sampleWithoutReplacement(holderIds, options.perRound, seededRng(`oh|${round}`));
    const stored = new Promise<void>((resolve) => published.set(round, resolve));
    const hostTimes = () => Promise.all(hosts.map((host) => host.times()));
    const holderBefore = await hostTimes();
    const coordinatorCpu = process.cpuUsage();
    const coordinatorThreads = readThreadTimes();
    const roundGlobal = global;
    const startedAt = Date.now();
    const t0 = performance.now();
    await flows.startRound({
      taskId: "bench",
      round,
      model: options.model,
      strategy: { name: "fedavg" },
      localEpochs: 1,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      dp: null,
      globalModelHash: global,
      holders,
      minUpdates: options.perRound,
      deadline: Date.now() + 600_000,
    });
    await stored;
    const wall = (performance.now() - t0) / 1000;
    // Let the last completions settle before the CPU counters are read.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const coordinatorUsed = process.cpuUsage(coordinatorCpu);
    const coordinatorThreadsAfter = readThreadTimes();
    const holderAfter = await hostTimes();
    const holderUsed =
      hosts.length > 0
        ? holderAfter.reduce(
            (sum, after, i) => sum + after.cpu_s - (holderBefore[i]?.cpu_s ?? 0),
            0,
          )
        : undefined;
    const holderThreads = holderThreadsDuring(holderBefore, holderAfter);
    const bares = await Promise.all(
      hosts.map((host) =>
        host.bare({
          holders,
          globalModelHash: roundGlobal,
          batchSize: options.batchSize,
          learningRate: options.learningRate,
          taskId: "bench",
          round,
        }),
      ),
    );
    const bareThreads = bares.every((b) => b.threads !== undefined)
      ? addThreadTimes(bares.map((b) => b.threads as ThreadTimes))
      : undefined;
    const bare: BarePass | undefined =
      bares.length === 0
        ? undefined
        : {
            wall_s: Math.max(...bares.map((b) => b.wall_s)),
            cpu_s: bares.reduce((sum, b) => sum + b.cpu_s, 0),
            train_s: bares.reduce((sum, b) => sum + b.train_s, 0),
            critical_s: Math.max(...bares.map((b) => b.train_s)),
            ...(bareThreads !== undefined && { threads: bareThreads }),
          };
    const result = await book.getResult({ taskId: "bench", round });
    if (result === undefined) throw new Error(`round ${round} published but not stored`);
    const updates = await book.listUpdates({ taskId: "bench", round });
    if (updates.length !== options.perRound) {
      throw new Error(`round ${round}: ${updates.length} updates of ${options.perRound}`);
    }
    const critical = criticalTraining(updates, hostOf);
    const trainingWait =
      holderThreads !== undefined && bareThreads !== undefined
        ? {
            round: (kind === "thread" ? holderThreads.training : holderThreads.event_loop).wait_s,
            bare: bareThreads.event_loop.wait_s,
          }
        : undefined;
    const first = updates.reduce((a, b) => (b.receivedAt < a.receivedAt ? b : a));
    const last = Math.max(...updates.map((u) => u.receivedAt));
    (round < warmupRounds ? warmup : rounds).push({
      trainer: kind,
      wall_s: wall,
      train_s: updates.reduce((sum, u) => sum + u.trainSeconds, 0),
      critical_s: critical,
      aggregate_s: result.aggregationSeconds,
      first_update_s: (first.receivedAt - startedAt) / 1000 - first.trainSeconds,
      close_s: (result.closedAt - last) / 1000,
      overhead_ratio: (wall - critical) / wall,
      coordinator_cpu_s: (coordinatorUsed.user + coordinatorUsed.system) / 1e6,
      ...(coordinatorThreads !== undefined &&
        coordinatorThreadsAfter !== undefined && {
          coordinator_threads: threadTimesSince(coordinatorThreads, coordinatorThreadsAfter),
        }),
      ...(holderThreads !== undefined && { holder_threads: holderThreads }),
      ...(trainingWait !== undefined && { training_wait_s: trainingWait }),
      ...(holderUsed !== undefined &&
        bare !== undefined && {
          holder_cpu_s: holderUsed,
          bare,
          holder_orchestration_cpu_ms_per_job:
            ((holderUsed - bare.cpu_s) / options.perRound) * 1000,
          overhead_vs_bare: (wall - bare.wall_s) / wall,
          versus_bare: versusBare(wall, critical, bare, trainingWait),
        }),
    });
    global = result.modelHash ?? global;
  }
  await Promise.all([
    ...hosts.map((host) => host.stop()),
    ...workers.map((worker) => worker.close()),
  ]);
  await trainer.close();
  await flows.close();
  await aggregateQueue.close();
  await subscriber.quit();
  await blobs.close();
  const keys = await client.keys(`${prefix}:*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
  await shared.quit();
  await rm(blobDir, { recursive: true, force: true });
  const [headline, ...others] = trainers.map((kind) =>
    summarize(
      kind,
      warmup.filter((round) => round.trainer === kind),
      rounds.filter((round) => round.trainer === kind),
    ),
  );
  if (headline === undefined) throw new Error("measureOverhead needs at least one trainer");
  return {
    per_round: options.perRound,
    holder_processes: options.holderProcesses,
    ...headline,
    compared: others,
  };
}

function summarize(
  trainer: TrainerKind,
  warmup: OverheadRound[],
  rounds: OverheadRound[],
): TrainerOverhead {
  const all = [...warmup, ...rounds];
  const calibrated = rounds.some((round) => round.bare !== undefined);
  const splits = rounds.flatMap((round) => round.versus_bare ?? []);
  const meanOf = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const mean = (key: keyof OverheadRound) =>
    meanOf(rounds.map((r) => Number(r[key] ?? Number.NaN)));
  const waits = splits.flatMap((split) => split.training_extra_wait_s ?? []);
  const shares = splits.flatMap((split) => split.orchestration_ratio ?? []);
  return {
    trainer,
    warmup,
    rounds,
    overhead_ratio_with_warmup: all.reduce((sum, r) => sum + r.overhead_ratio, 0) / all.length,
    wall_s: mean("wall_s"),
    train_s: mean("train_s"),
    critical_s: mean("critical_s"),
    aggregate_s: mean("aggregate_s"),
    overhead_ratio: mean("overhead_ratio"),
    ...(calibrated && {
      holder_orchestration_cpu_ms_per_job: mean("holder_orchestration_cpu_ms_per_job"),
      overhead_vs_bare: mean("overhead_vs_bare"),
    }),
    ...(splits.length === rounds.length &&
      splits.length > 0 && {
        versus_bare: {
          not_overlapped_s: meanOf(splits.map((split) => split.not_overlapped_s)),
          training_slowdown_s: meanOf(splits.map((split) => split.training_slowdown_s)),
          ...(waits.length === splits.length && { training_extra_wait_s: meanOf(waits) }),
          ...(shares.length === splits.length && { orchestration_ratio: meanOf(shares) }),
        },
      }),
  };
}

/** One line for logs and tables: the overhead, and where the round's time beyond a bare pass went. */
export function describeOverhead(figures: TrainerOverhead): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const line = `${pct(figures.overhead_ratio)} (wall ${figures.wall_s.toFixed(3)} s, critical training ${figures.critical_s.toFixed(3)} s`;
  const split = figures.versus_bare;
  if (figures.overhead_vs_bare === undefined || split === undefined) return `${line})`;
  const wait =
    split.training_extra_wait_s === undefined || split.orchestration_ratio === undefined
      ? ""
      : `, ${split.training_extra_wait_s.toFixed(3)} s of it waiting for a core; orchestration with that wait ${pct(split.orchestration_ratio)}`;
  return `${line}; vs bare pass ${pct(figures.overhead_vs_bare)}: ${split.not_overlapped_s.toFixed(3)} s orchestration not overlapped + ${split.training_slowdown_s.toFixed(3)} s slower training${wait})`;
}
