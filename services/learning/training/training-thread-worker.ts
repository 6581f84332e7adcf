/**
 * Body of the training thread (see training-thread.ts): keeps the datasets
 * and the global model it was sent, chooses a backend, and trains one job at
 * a time in the order they came. Failures go back as plain fields the caller
 * turns into the same AgoraError training on its own thread would throw.
 */
import { parentPort } from "node:worker_threads";
import { AgoraError, type ErrorKind, isAgoraError } from "../../errors/agora-error.ts";
import { ensureBackend } from "../backend/ensure-backend.ts";
import type { Dataset } from "../data/dataset.ts";
import { type LocalTrainOptions, trainLocally } from "./local-train.ts";
import type { TrainingOutcome } from "./trainer.ts";

export type ThreadRequest =
  | {
      op: "train";
      id: number;
      options: Omit<LocalTrainOptions, "global" | "data">;
      forcedBackend: string | undefined;
      /** `weights` only when the thread has not been sent this hash last. */
      global: { hash: string; weights?: Float32Array };
      /** `dataset` only the first time the thread hears of this id. */
      data: { id: number; dataset?: Dataset };
    }
  /** The caller's copy of a dataset is gone: no later job can name it. */
  | { op: "forget"; dataId: number };

export type ThreadReply =
  | { id: number; outcome: TrainingOutcome }
  | { id: number; error: { kind?: ErrorKind; title: string; detail?: string } };

let global: { hash: string; weights: Float32Array } | undefined;
const datasets = new Map<number, Dataset>();

async function train(request: Extract<ThreadRequest, { op: "train" }>): Promise<TrainingOutcome> {
  if (request.global.weights !== undefined) {
    global = { hash: request.global.hash, weights: request.global.weights };
  }
  if (request.data.dataset !== undefined) datasets.set(request.data.id, request.data.dataset);
  const data = datasets.get(request.data.id);
  if (global?.hash !== request.global.hash || data === undefined) {
    throw new AgoraError("internal", "Training thread is missing its inputs", {
      detail: `global ${request.global.hash}, dataset ${request.data.id}.`,
    });
  }
  const backendChoice = await ensureBackend(request.options.kind, request.forcedBackend);
  const trained = await trainLocally({ ...request.options, global: global.weights, data });
  return { ...trained, ...(backendChoice !== undefined && { backendChoice }) };
}

async function answer(request: ThreadRequest): Promise<void> {
  if (request.op === "forget") {
    datasets.delete(request.dataId);
    return;
  }
  try {
    const outcome = await train(request);
    // The weights were made for this reply: they move instead of being copied.
    const buffer = outcome.weights.buffer;
    const owned = buffer instanceof ArrayBuffer && outcome.weights.byteLength === buffer.byteLength;
    parentPort?.postMessage(
      { id: request.id, outcome } satisfies ThreadReply,
      owned ? [buffer] : [],
    );
  } catch (error) {
    const reply: ThreadReply = {
      id: request.id,
      error: isAgoraError(error)
        ? {
            kind: error.kind,
            title: error.message,
            ...(error.detail !== undefined && { detail: error.detail }),
          }
        : { title: (error as Error)?.message ?? String(error) },
    };
    parentPort?.postMessage(reply);
  }
}

// One job at a time, in order: a `forget` must not overtake a job sent before it.
let queue: Promise<void> = Promise.resolve();
parentPort?.on("message", (request: ThreadRequest) => {
  queue = queue.then(() => answer(request));
});
