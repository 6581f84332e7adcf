import { ensureBackend } from "../backend/ensure-backend.ts";
import { trainLocally } from "./local-train.ts";
import type { Trainer, TrainingJob, TrainingOutcome } from "./trainer.ts";

/**
 * Trains on the caller's own thread (`AGORA_TRAINING_THREAD=off`), for a
 * backend that cannot run in a worker thread. Training then blocks the event
 * loop for a whole epoch at a time, so queue I/O and lock renewals wait for
 * it; a training thread (the default) does not.
 */
export class InProcessTrainer implements Trainer {
  #lastTurn: Promise<void> = Promise.resolve();

  async train(job: TrainingJob): Promise<TrainingOutcome> {
    const { globalHash: _, forcedBackend, ...options } = job;
    const backendChoice = await ensureBackend(job.kind, forcedBackend);
    const trained = await this.#inTurn(() => trainLocally(options));
    return { ...trained, ...(backendChoice !== undefined && { backendChoice }) };
  }

  async close(): Promise<void> {}

  /**
   * Trainings take turns, with a turn of the event loop between them. In a
   * process that hosts several holders' workers the replies that start their
   * jobs arrive together, and without turns every training would run back to
   * back before any I/O is served: lock renewals, Redis replies, and the
   * aggregator's reads of updates already recorded would all wait for the
   * last holder. An immediate queued from a running callback fires only
   * after the next poll phase, so pending I/O always goes first.
   */
  async #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.#lastTurn;
    let release = () => {};
    this.#lastTurn = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    await new Promise((resolve) => setImmediate(resolve));
    try {
      return await work();
    } finally {
      release();
    }
  }
}
