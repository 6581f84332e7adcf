import { Queue, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { startAggregateWorker } from "../../queues/aggregate-worker.ts";
import { type AuditAnchoring, startAuditAnchoring } from "../../queues/audit-anchor-worker.ts";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { startLateClaimsBooking } from "../../queues/late-claims-worker.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { roundClosedJobOptions, startRoundClosedWorker } from "../../queues/round-closed-worker.ts";
import { RoundFlows } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import type { ScheduledPasses } from "../../queues/scheduled-passes.ts";
import { startSettleWorker } from "../../queues/settle-worker.ts";
import { AuditAnchorer } from "../audit/anchor/audit-anchorer.ts";
import { AuditLog } from "../audit/audit-log.ts";
import type { Config } from "../config/config.ts";
import { AgoraError } from "../errors/agora-error.ts";
import { ensureBackend } from "../learning/backend/ensure-backend.ts";
import type { BlobStore } from "../learning/blobs/blob-store.ts";
import { FileBlobStore } from "../learning/blobs/file-blob-store.ts";
import {
  mnistDemoValidation,
  type ValidationSet,
} from "../learning/contribution/validation-reference.ts";
import { assertModelKind } from "../learning/models/architecture.ts";
import { evaluateWeights } from "../learning/training/evaluate.ts";
import { AuditAnchorClient } from "../settlement/chain/audit-anchor-client.ts";
import type { LateClaimsPass } from "../settlement/pipeline/late-claims.ts";
import { createRepositories } from "../store/repositories.ts";
import type { Database, Rail } from "../store/schema.ts";
import { connectSettlementRails, type SettlementRails } from "./settlement-rails.ts";
import { startTraining, type TrainingStart } from "./start-training.ts";

export interface CoordinatorDependencies {
  db: Kysely<Database>;
  logger: Logger;
  /** Where models and updates live; default: `AGORA_DATA_DIR/blobs`, the holders' workers' store. */
  blobs?: BlobStore;
  /**
   * The owner's validation set, for evaluating each round's model and
   * scoring contributions. Default: the MNIST demo split's (AGORA_FL_DEMO_SEED,
   * 1,000 examples), loaded on first use, until owners bring their own.
   */
  validation?: () => ValidationSet;
  /**
   * The rails to settle on, when the process already connected them (the API
   * shares its one chain client with its funding gates); their owner closes
   * them. Default: connected here from the configuration and closed with the
   * coordinator.
   */
  rails?: SettlementRails;
}

/** The coordinator side of Agora, running inside the API process. */
export interface Coordinator {
  /** The rails settle jobs can pay out on. */
  rails: readonly Rail[];
  /** Moves an `agreed` task to `training` and queues its round 0; idempotent. */
  startTraining(taskId: string): Promise<TrainingStart>;
  /** Stops the workers (letting running jobs finish) and closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** Loads the validation set on first use: most API processes never score anything. */
function lazily<T>(load: () => T): () => T {
  let value: { loaded: T } | undefined;
  return () => {
    value ??= { loaded: load() };
    return value.loaded;
  };
}

/**
 * Starts the three coordinator workers on the configured Redis prefix: the
 * aggregate worker (closes rounds, evaluates on the owner's validation set,
 * announces each closed round on `round-closed`, starts the next round),
 * the round-closed worker (archives rounds into the database, scores
 * contributions, queues `settle` after the last round) and the settle
 * worker (pays out on the rails the configuration allows). With the chain
 * rail and AGORA_AUDIT_ANCHOR_ADDRESS it also anchors the audit log's head
 * every AGORA_AUDIT_ANCHOR_EVERY_S (`audit-anchor` job scheduler), and with
 * the chain rail it books escrow claims made after their task settled every
 * AGORA_LATE_CLAIMS_EVERY_S (`late-claims`). Holders' train workers run
 * elsewhere, on their own machines.
 */
export async function startCoordinator(
  config: Config,
  deps: CoordinatorDependencies,
): Promise<Coordinator> {
  const { logger } = deps;
  const prefix = config.AGORA_QUEUE_PREFIX;
  const connections: Redis[] = [];
  const connect = (role: "worker" | "producer" | "client") => {
    const redis = createRedisConnection({
      url: config.REDIS_URL,
      role,
      connectionName: `agora-coordinator-${role}`,
    });
    // ioredis reports connection trouble as events; unheard, they would crash the process.
    redis.on("error", (error) => logger.warn({ err: error.message }, "coordinator redis error"));
    connections.push(redis);
    return redis;
  };
  const ownsRails = deps.rails === undefined;
  const rails = deps.rails ?? (await connectSettlementRails(config, deps.db, logger));
  const closeRails = () => (ownsRails ? rails.close() : Promise.resolve());
  const client = connect("client");
  const producer = connect("producer");
  const blobs = deps.blobs ?? FileBlobStore.inDataDir(config.AGORA_DATA_DIR);
  const validation =
    deps.validation ??
    lazily(() => mnistDemoValidation({ seed: config.AGORA_FL_DEMO_SEED, validationSize: 1000 }));
  const book = new RedisRoundBook(client, prefix);
  const progress = new RoundProgressChannel(client, prefix);
  const aggregateQueue = new Queue(queueNames.aggregate, { connection: producer, prefix });
  const roundClosed = new Queue(queueNames.roundClosed, {
    connection: producer,
    prefix,
    defaultJobOptions: roundClosedJobOptions,
  });
  const settle = new Queue(queueNames.settle, { connection: producer, prefix });
  for (const queue of [aggregateQueue, roundClosed, settle]) {
    queue.on("error", (error) =>
      logger.warn({ queue: queue.name, err: error.message }, "queue error"),
    );
  }
  const flows = new RoundFlows({ connection: producer, prefix, book, aggregateQueue, progress });
  const repos = createRepositories(deps.db);

  const startWorkers = (): Record<string, Worker> => {
    const workers: Record<string, Worker> = {
      aggregate: startAggregateWorker({
        connection: connect("worker"),
        prefix,
        blobs,
        book,
        flows,
        progress,
        roundClosed,
        evaluate: async (model, weights) => {
          const kind = assertModelKind(model);
          // Trainings run on the holders' threads; this thread evaluates on a backend of its own.
          await ensureBackend(kind);
          return evaluateWeights(kind, weights, validation().data);
        },
      }),
      "round-closed": startRoundClosedWorker({
        connection: connect("worker"),
        prefix,
        book,
        blobs,
        rounds: repos.rounds,
        contributions: repos.contributions,
        audit: new AuditLog(deps.db),
        settle,
        validationFor: () => validation(),
      }),
      settle: startSettleWorker({
        connection: connect("worker"),
        prefix,
        settlement: rails.settlement,
      }),
    };
    for (const [name, worker] of Object.entries(workers)) {
      worker.on("failed", (job, error) =>
        logger.warn({ worker: name, jobId: job?.id, err: error.message }, "coordinator job failed"),
      );
      worker.on("error", (error) =>
        logger.warn({ worker: name, err: error.message }, "coordinator worker error"),
      );
    }
    logger.info({ prefix, rails: rails.rails }, "coordinator started");
    return workers;
  };

  // The workers start once Redis answers: started against a Redis that is down, BullMQ (and
  // the arrivals subscription) would wait for it forever, shutdown included. Until then the
  // API still serves, and /readyz reports Redis.
  let workers: Record<string, Worker> | undefined;
  let closing: Promise<void> | undefined;
  // A scheduled pass that starts or not without stopping the coordinator: its failures are logged,
  // and `report` says when a pass did something worth a line.
  const startPasses = async <Outcome>(
    label: string,
    start: () => Promise<ScheduledPasses>,
    report: (outcome: Outcome) => string | undefined,
  ): Promise<ScheduledPasses | undefined> => {
    try {
      const started = await start();
      started.worker.on("failed", (job, error) =>
        logger.warn({ jobId: job?.id, err: error.message }, `${label} pass failed`),
      );
      started.worker.on("completed", (_job, outcome: Outcome) => {
        const line = report(outcome);
        if (line !== undefined) logger.info({ outcome }, line);
      });
      return started;
    } catch (error) {
      logger.warn({ err: (error as Error).message }, `${label} could not start`);
      return undefined;
    }
  };
  // Anchoring the audit log needs the chain rail's sender and an anchor contract.
  let anchoring: Promise<AuditAnchoring | undefined> = Promise.resolve(undefined);
  const startAnchoring = async (): Promise<AuditAnchoring | undefined> => {
    const address = config.AGORA_AUDIT_ANCHOR_ADDRESS;
    if (address === undefined) return undefined;
    const sender = rails.chainSender;
    if (sender === undefined) {
      logger.warn("audit anchoring off: AGORA_AUDIT_ANCHOR_ADDRESS needs the chain rail");
      return undefined;
    }
    const started = await startPasses(
      "audit anchoring",
      async () =>
        startAuditAnchoring({
          producer,
          worker: connect("worker"),
          prefix,
          anchorer: new AuditAnchorer(
            new AuditLog(deps.db),
            await AuditAnchorClient.at(address, sender),
          ),
          everyMs: config.AGORA_AUDIT_ANCHOR_EVERY_S * 1_000,
        }),
      (outcome: { kind: string }) =>
        outcome.kind === "anchored" ? "audit log anchored" : undefined,
    );
    if (started !== undefined) {
      logger.info({ address, everyS: config.AGORA_AUDIT_ANCHOR_EVERY_S }, "audit anchoring on");
    }
    return started;
  };
  // Claims made after a task settled are booked by a pass of their own (chain rail only).
  let lateClaims: Promise<ScheduledPasses | undefined> = Promise.resolve(undefined);
  const startLateClaims = async (): Promise<ScheduledPasses | undefined> => {
    const chain = rails.settlement.chain;
    if (chain === undefined) return undefined;
    return startPasses(
      "late-claims booking",
      () =>
        startLateClaimsBooking({
          producer,
          worker: connect("worker"),
          prefix,
          db: deps.db,
          chain,
          everyMs: config.AGORA_LATE_CLAIMS_EVERY_S * 1_000,
        }),
      (outcome: LateClaimsPass) => (outcome.claimsBooked > 0 ? "late claims booked" : undefined),
    );
  };
  const startAll = () => {
    workers = startWorkers();
    anchoring = startAnchoring();
    lateClaims = startLateClaims();
  };
  try {
    await waitUntilReady(client, 2_000);
    startAll();
  } catch {
    logger.warn("redis not ready: the coordinator starts its workers when it answers");
    client.once("ready", () => {
      if (closing === undefined) startAll();
    });
  }

  return {
    rails: rails.rails,
    async startTraining(taskId) {
      if (workers === undefined) {
        throw new AgoraError("unavailable", "Coordinator not running", {
          detail: "Redis has not answered yet; training can start once it does.",
        });
      }
      return startTraining({ db: deps.db, blobs, book, flows }, taskId);
    },
    close() {
      closing ??= (async () => {
        if (workers === undefined) {
          // Redis never answered: nothing was queued or started, so there is nothing to drain.
          for (const redis of connections) redis.disconnect();
          await closeRails();
          return;
        }
        await Promise.all(Object.values(workers).map((worker) => worker.close()));
        await (await anchoring)?.close();
        await (await lateClaims)?.close();
        await flows.close();
        await Promise.all([aggregateQueue.close(), roundClosed.close(), settle.close()]);
        await Promise.all(connections.map((redis) => redis.quit().catch(() => redis.disconnect())));
        await closeRails();
      })();
      return closing;
    },
  };
}
