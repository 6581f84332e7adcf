/**
 * `agora worker --holder <id>`: runs one holder's train worker. It consumes
 * only `train.<holderId>`, and loads only that holder's data (for the demo,
 * its share of MNIST split among AGORA_FL_DEMO_HOLDERS holders `holder-0`…).
 */
import { parseArgs } from "node:util";
import { Queue, type Worker } from "bullmq";
import pino from "pino";
import { loadConfig } from "../services/config/config.ts";
import { CachedBlobStore } from "../services/learning/blobs/cached-blob-store.ts";
import { FileBlobStore } from "../services/learning/blobs/file-blob-store.ts";
import {
  type HolderDataSource,
  MnistDemoDataSource,
} from "../services/learning/data/holder-data-source.ts";
import { chooseTrainer } from "../services/learning/training/choose-trainer.ts";
import { createRedisConnection } from "./connection.ts";
import { queueNames } from "./names.ts";
import { RedisRoundBook } from "./redis-round-book.ts";
import { RoundFlows } from "./round-flows.ts";
import { RoundProgressChannel } from "./round-progress.ts";
import { startTrainWorker, type UpdateSimulation } from "./train-worker.ts";

export interface HolderWorkerOptions {
  holderId: string;
  env?: NodeJS.ProcessEnv;
  /** The holder's data; defaults to the MNIST demo split. */
  data?: HolderDataSource;
  /** Simulated behaviour (demo, fault tests); see `TrainWorkerDeps.simulate`. */
  simulate?: UpdateSimulation;
}

/** The MNIST demo split every demo process agrees on (same holders, same seed). */
export function demoDataSource(env: NodeJS.ProcessEnv = process.env): MnistDemoDataSource {
  const holders = Number(env.AGORA_FL_DEMO_HOLDERS ?? 100);
  return new MnistDemoDataSource(
    Array.from({ length: holders }, (_, i) => `holder-${i}`),
    {
      scheme: { kind: "shards", shardsPerHolder: 2 },
      validationSize: 1000,
      testSize: 1000,
      seed: env.AGORA_FL_DEMO_SEED ?? "agora-demo",
    },
  );
}

/** Starts a holder's worker; `stop()` closes it and its connections. */
export async function startHolderWorker(options: HolderWorkerOptions) {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const logger = pino({ level: config.LOG_LEVEL, name: `agora-worker-${options.holderId}` });
  // Both connections wait out a Redis restart instead of failing fast: nobody waits on a
  // worker for an answer, and an update trained while Redis is away must be recorded when it
  // is back. Failing fast would spend the job's attempts during the outage and lose it.
  const client = createRedisConnection({
    url: config.REDIS_URL,
    role: "worker",
    connectionName: "agora-worker-book",
  });
  const blocking = createRedisConnection({ url: config.REDIS_URL, role: "worker" });
  // ioredis and BullMQ report connection trouble as events; unheard, each one is printed as
  // unhandled. A worker rides out a Redis restart, so a warning is all it deserves.
  const warn = (error: Error) => logger.warn({ err: error.message }, "redis connection error");
  client.on("error", warn);
  blocking.on("error", warn);
  const prefix = config.AGORA_QUEUE_PREFIX;
  const book = new RedisRoundBook(client, prefix);
  const progress = new RoundProgressChannel(client, prefix);
  const aggregateQueue = new Queue(queueNames.aggregate, { connection: blocking, prefix });
  const flows = new RoundFlows({ connection: blocking, prefix, book, aggregateQueue, progress });
  const worker: Worker = startTrainWorker({
    holderId: options.holderId,
    connection: blocking,
    prefix,
    // A holder trains every round from a global model it fetched once and verified.
    blobs: new CachedBlobStore(FileBlobStore.inDataDir(config.AGORA_DATA_DIR)),
    book,
    data: options.data ?? demoDataSource(env),
    flows,
    forcedBackend: env.AGORA_TF_BACKEND,
    trainer: chooseTrainer(env.AGORA_TRAINING_THREAD),
    logger,
    ...(options.simulate !== undefined && { simulate: options.simulate }),
  });
  worker.on("error", warn);
  aggregateQueue.on("error", warn);
  worker.on("completed", (job, result) => logger.info({ jobId: job.id, result }, "train job done"));
  worker.on("failed", (job, error) =>
    logger.warn({ jobId: job?.id, err: error.message }, "train job failed"),
  );
  logger.info({ holderId: options.holderId, prefix }, "holder worker started");
  return {
    worker,
    async stop(): Promise<void> {
      await worker.close();
      await flows.close();
      await aggregateQueue.close();
      await client.quit();
      await blocking.quit();
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { holder: { type: "string" } } });
  if (values.holder === undefined) {
    console.error("usage: node queues/worker-main.ts --holder <id>");
    process.exit(2);
  }
  const running = await startHolderWorker({ holderId: values.holder });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void running.stop().then(() => process.exit(0)));
  }
}
