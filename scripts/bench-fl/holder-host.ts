/**
 * A process that hosts several holders' train workers for the overhead
 * benchmark, apart from the coordinator (aggregator and flows), as they run
 * in production: a holder's worker never shares a process with the
 * aggregator. Started by `startHolderHosts` with a JSON spec as its only
 * argument; says "ready" once its workers listen, answers for its CPU time
 * (in all and thread by thread) and for a bare training pass (the
 * calibration of the overhead figure), and closes its workers on "stop".
 */
import { fork } from "node:child_process";
import { Queue } from "bullmq";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { RoundFlows } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import { chooseBackend } from "../../services/learning/backend/choose-backend.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { getWeights } from "../../services/learning/blobs/weight-blobs.ts";
import type { ModelKind } from "../../services/learning/models/architecture.ts";
import { trainLocally } from "../../services/learning/training/local-train.ts";
import { benchSplit, startHolderWorkers } from "./bench-holders.ts";
import { SwitchableTrainer, type TrainerKind } from "./switchable-trainer.ts";
import { readThreadTimes, type ThreadTimes, threadTimesSince } from "./thread-times.ts";

export interface HolderHostSpec {
  redisUrl: string;
  prefix: string;
  blobDir: string;
  blobThreads: number;
  model: ModelKind;
  /** Every holder of the split (the data cut depends on all of them). */
  allHolders: string[];
  /** The holders whose workers this process runs. */
  hosted: string[];
  validationSize: number;
  testSize: number;
  seed: string;
}

/** What one training pass without orchestration cost this host. */
export interface BareTraining {
  /** Wall time of the pass (this host's holders back to back). */
  wall_s: number;
  /** CPU time of this host (every thread) during the pass: the trainings, called on its main thread. */
  cpu_s: number;
  /** Summed `trainSeconds`, as the train jobs report them. */
  train_s: number;
  /** Thread by thread during the pass (Linux): the trainings ran on the event loop's thread. */
  threads?: ThreadTimes;
}

/** A host's counters at one moment. */
export interface HostTimes {
  /** CPU time of the host so far, every thread. */
  cpu_s: number;
  /** The same split by thread, with time spent waiting for a core (Linux). */
  threads?: ThreadTimes;
}

/** The same local training the round's train jobs ran, called directly. */
export interface BareRequest {
  holders: string[];
  globalModelHash: string;
  batchSize: number;
  learningRate: number;
  taskId: string;
  round: number;
}

export interface HolderHost {
  /** The host's CPU time (every thread: queue work, training thread, blob thread) since it started. */
  times(): Promise<HostTimes>;
  /** Trains the given holders (those hosted here) once more, without any orchestration. */
  bare(request: BareRequest): Promise<BareTraining>;
  /** Where the host's workers train from the next job on. */
  useTrainer(kind: TrainerKind): Promise<void>;
  stop(): Promise<void>;
}

type HostRequest =
  | { op: "times" }
  | ({ op: "bare" } & BareRequest)
  | { op: "trainer"; kind: TrainerKind }
  | { op: "stop" };

/** Starts one child process per group of holders and waits until all of them listen. */
export async function startHolderHosts(specs: HolderHostSpec[]): Promise<HolderHost[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const child = fork(new URL(import.meta.url), [JSON.stringify(spec)], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      await new Promise<void>((resolve, reject) => {
        child.once("message", (message) =>
          message === "ready" ? resolve() : reject(new Error(`holder host said ${message}`)),
        );
        void exited.then((code) => reject(new Error(`holder host exited with ${code}`)));
      });
      const ask = <T>(request: HostRequest) =>
        new Promise<T>((resolve, reject) => {
          child.once("message", (reply) => resolve(reply as T));
          void exited.then((code) => reject(new Error(`holder host exited with ${code}`)));
          child.send(request);
        });
      return {
        times: () => ask<HostTimes>({ op: "times" }),
        bare: (request) => ask<BareTraining>({ op: "bare", ...request }),
        useTrainer: (kind) => ask<void>({ op: "trainer", kind }),
        async stop() {
          child.send({ op: "stop" });
          const code = await exited;
          if (code !== 0) throw new Error(`holder host exited with ${code}`);
        },
      };
    }),
  );
}

/** Every thread's: the train jobs' trainings run on the training thread, their queue work beside it. */
const processCpu = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};

async function host(spec: HolderHostSpec): Promise<void> {
  await chooseBackend({ models: [spec.model], forced: process.env.AGORA_TF_BACKEND });
  const client = createRedisConnection({ url: spec.redisUrl, role: "client" });
  const shared = createRedisConnection({ url: spec.redisUrl, role: "worker" });
  const { prefix } = spec;
  const blobs = new FileBlobStore(spec.blobDir, { threads: spec.blobThreads });
  const book = new RedisRoundBook(client, prefix);
  const progress = new RoundProgressChannel(client, prefix);
  const aggregateQueue = new Queue(queueNames.aggregate, { connection: shared, prefix });
  const flows = new RoundFlows({ connection: shared, prefix, book, aggregateQueue, progress });
  const data = benchSplit(spec.allHolders, spec);
  const trainer = new SwitchableTrainer();
  const workers = startHolderWorkers(spec.hosted, {
    connection: shared,
    prefix,
    blobs,
    book,
    data,
    flows,
    trainer,
  });
  await Promise.all([waitUntilReady(client), ...workers.map((worker) => worker.waitUntilReady())]);
  const hosted = new Set(spec.hosted);
  async function bare(request: BareRequest): Promise<BareTraining> {
    const global = await getWeights(blobs, request.globalModelHash);
    const threads = readThreadTimes();
    const cpu = processCpu();
    const started = performance.now();
    let train = 0;
    for (const holderId of request.holders.filter((holder) => hosted.has(holder))) {
      const trained = await trainLocally({
        kind: spec.model,
        tier: 0,
        global,
        data: await data.load(holderId),
        epochs: 1,
        batchSize: request.batchSize,
        learningRate: request.learningRate,
        seed: `${request.taskId}|${request.round}|${holderId}`,
      });
      train += trained.trainSeconds;
    }
    const wall = (performance.now() - started) / 1000;
    const cpuUsed = processCpu() - cpu;
    const threadsAfter = readThreadTimes();
    return {
      wall_s: wall,
      cpu_s: cpuUsed,
      train_s: train,
      ...(threads !== undefined &&
        threadsAfter !== undefined && { threads: threadTimesSince(threads, threadsAfter) }),
    };
  }
  process.send?.("ready");
  await new Promise<void>((resolve) => {
    process.on("message", (request: HostRequest) => {
      if (request.op === "times") {
        const threads = readThreadTimes();
        process.send?.({
          cpu_s: processCpu(),
          ...(threads !== undefined && { threads }),
        } satisfies HostTimes);
      } else if (request.op === "bare") void bare(request).then((reply) => process.send?.(reply));
      else if (request.op === "trainer") {
        trainer.current = request.kind;
        process.send?.("ok");
      } else resolve();
    });
  });
  await Promise.all(workers.map((worker) => worker.close()));
  await trainer.close();
  await flows.close();
  await aggregateQueue.close();
  await blobs.close();
  await client.quit();
  await shared.quit();
  process.disconnect?.();
}

if (import.meta.main) {
  host(JSON.parse(process.argv[2] ?? "{}") as HolderHostSpec).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
