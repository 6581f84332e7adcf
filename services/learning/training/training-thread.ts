import { Worker } from "node:worker_threads";
import { AgoraError } from "../../errors/agora-error.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Trainer, TrainingJob, TrainingOutcome } from "./trainer.ts";
import type { ThreadReply, ThreadRequest } from "./training-thread-worker.ts";

type Pending = { resolve: (outcome: TrainingOutcome) => void; reject: (error: Error) => void };

/**
 * Trains on a thread of its own, so the holder's event loop never waits for
 * an epoch. On the event loop's thread a CPU epoch of the CNN takes minutes,
 * and for all that time BullMQ could not renew the job's lock (the job would
 * be taken for stalled and run twice) and Redis replies would queue up; with
 * many holders in one process, every job's queue work would also wait
 * between trainings. Here the next training starts as soon as one ends, and
 * the queue work of the others runs beside it.
 *
 * Inputs cross once: a dataset the first time a job names it (dropped on the
 * thread when the caller's copy is collected), a global model when its hash
 * differs from the last one sent. The trained weights come back by transfer.
 * Jobs run one at a time, in the order they were asked for. A thread keeps
 * the process alive only while it has work; if it dies, pending jobs fail
 * and the next job starts a new one.
 */
export class TrainingThread implements Trainer {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #sentGlobal: string | undefined;
  #dataIds = new WeakMap<Dataset, number>();
  #nextDataId = 1;
  readonly #forgotten = new FinalizationRegistry<{ worker: Worker; dataId: number }>(
    ({ worker, dataId }) => {
      if (worker === this.#worker) worker.postMessage({ op: "forget", dataId } as ThreadRequest);
    },
  );

  train(job: TrainingJob): Promise<TrainingOutcome> {
    const worker = this.#worker ?? this.#start();
    const { global, data, globalHash, forcedBackend, ...options } = job;
    let dataId = this.#dataIds.get(data);
    const firstSight = dataId === undefined;
    if (dataId === undefined) {
      dataId = this.#nextDataId++;
      this.#dataIds.set(data, dataId);
      this.#forgotten.register(data, { worker, dataId });
    }
    const sendGlobal = this.#sentGlobal !== globalHash;
    this.#sentGlobal = globalHash;
    const id = this.#nextId++;
    if (this.#pending.size === 0) worker.ref();
    return new Promise<TrainingOutcome>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const request: ThreadRequest = {
        op: "train",
        id,
        options,
        forcedBackend,
        global: { hash: globalHash, ...(sendGlobal && { weights: global }) },
        data: { id: dataId, ...(firstSight && { dataset: data }) },
      };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#abandon(new Error("training thread closed"));
    await worker?.terminate();
  }

  #start(): Worker {
    // Named, so `top -H` and the scheduler's per-thread counters tell it apart.
    const worker = new Worker(new URL("./training-thread-worker.ts", import.meta.url), {
      name: "agora-training",
    });
    worker.unref();
    worker.on("message", (reply: ThreadReply) => this.#settle(worker, reply));
    worker.on("error", (error) => {
      if (worker === this.#worker) this.#abandon(error);
    });
    worker.on("exit", (code) => {
      if (worker === this.#worker) this.#abandon(new Error(`training thread exited with ${code}`));
    });
    this.#worker = worker;
    return worker;
  }

  #settle(worker: Worker, reply: ThreadReply): void {
    const pending = this.#pending.get(reply.id);
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) worker.unref();
    if (pending === undefined) return;
    if ("outcome" in reply) {
      pending.resolve(reply.outcome);
      return;
    }
    const { kind, title, detail } = reply.error;
    pending.reject(
      kind === undefined
        ? new Error(title)
        : new AgoraError(kind, title, detail === undefined ? {} : { detail }),
    );
  }

  /** The thread is gone: fail what it held, and start afresh (nothing sent to it survives). */
  #abandon(error: Error): void {
    this.#worker = undefined;
    this.#sentGlobal = undefined;
    this.#dataIds = new WeakMap();
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

let shared: TrainingThread | undefined;

/** One training thread per process, shared by every holder worker in it: they take turns anyway. */
export function sharedTrainingThread(): TrainingThread {
  shared ??= new TrainingThread();
  return shared;
}
